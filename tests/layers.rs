//! The layers are crates, and this test holds them apart: a dependency that crosses a layer
//! fails the build here, not in review.
//!
//! It reads the resolved crate graph from `cargo metadata` and follows only normal
//! dependencies (what ships), transitively, so a forbidden crate pulled in through another
//! one is caught too.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// The crate graph: for each package name, the names of its normal (non-dev, non-build)
/// dependencies.
struct Graph {
    normal: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    fn load() -> Graph {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--locked"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run cargo metadata");
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");
        let names: BTreeMap<&str, &str> = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
            .collect();
        let mut normal = BTreeMap::new();
        for node in metadata["resolve"]["nodes"].as_array().expect("resolve") {
            let deps = node["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .expect("dep_kinds")
                        .iter()
                        .any(|kind| kind["kind"].is_null())
                })
                .map(|dep| names[dep["pkg"].as_str().unwrap()].to_owned())
                .collect();
            normal.insert(names[node["id"].as_str().unwrap()].to_owned(), deps);
        }
        Graph { normal }
    }

    /// Every crate `package` links into its library and binaries.
    fn shipped_with(&self, package: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![package.to_owned()];
        while let Some(next) = todo.pop() {
            for dep in self.normal.get(&next).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    todo.push(dep.clone());
                }
            }
        }
        seen
    }

    fn assert_never(&self, package: &str, forbidden: &[&str], why: &str) {
        let shipped = self.shipped_with(package);
        let found: Vec<&&str> = forbidden.iter().filter(|f| shipped.contains(**f)).collect();
        assert!(
            found.is_empty(),
            "{package} must not depend on {found:?}: {why}"
        );
    }
}

#[test]
fn the_framework_knows_nothing_of_azure() {
    Graph::load().assert_never(
        "terraform-plugin",
        &[
            "kusto-arm",
            "kusto-emulator",
            "terraform-provider-kusto",
            "reqwest",
            "azure_core",
            "azure_identity",
        ],
        "it is a Terraform plugin framework another provider could use",
    );
}

#[test]
fn the_arm_client_knows_nothing_of_terraform() {
    Graph::load().assert_never(
        "kusto-arm",
        &[
            "terraform-plugin",
            "kusto-emulator",
            "terraform-provider-kusto",
            "tonic",
            "prost",
        ],
        "it speaks ARM and Entra ID only",
    );
}

#[test]
fn the_emulator_shares_nothing_with_the_client_it_stands_in_for() {
    Graph::load().assert_never(
        "kusto-emulator",
        &["terraform-plugin", "kusto-arm", "terraform-provider-kusto"],
        "the emulator and the client must not be able to agree on the same mistake",
    );
}

#[test]
fn the_provider_joins_framework_and_client_and_ships_no_emulator() {
    let graph = Graph::load();
    let shipped = graph.shipped_with("terraform-provider-kusto");
    assert!(shipped.contains("terraform-plugin"), "{shipped:?}");
    assert!(shipped.contains("kusto-arm"), "{shipped:?}");
    graph.assert_never(
        "terraform-provider-kusto",
        &["kusto-emulator", "test-support"],
        "the emulator is a dev-dependency only",
    );
}
