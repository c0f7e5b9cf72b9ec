//! Every example under examples/ is what the docs show users (the registry pages include them),
//! so each must be well formatted and valid with the provider as built, and the runnable ones
//! must work against the emulator.
//!
//! - `terraform fmt -check` over all of examples/;
//! - `terraform init` and `terraform validate` in a copy of each example folder (folders that
//!   show a resource or data source alone, as the registry layout has them, get the provider
//!   requirement added beside them);
//! - examples/quickstart, written for the emulator's default world, is applied, planned (no
//!   changes) and destroyed against a running emulator.

use std::fs;
use std::path::{Path, PathBuf};

use test_support::terraform::Workspace;
use test_support::terraform::emulator::Emulator;
use test_support::terraform::scenario::{APPLY, DESTROY, PLAN_DETAILED, workspace_for};

/// The provider requirement added to an example that has none.
const REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    kusto = {
      source = "kusto-tf/kusto"
    }
  }
}
"#;

fn examples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every folder under examples/ that holds Terraform files.
fn example_folders() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .expect("examples folder")
            .map(|entry| entry.expect("examples entry").path())
            .collect();
        entries.sort();
        if entries
            .iter()
            .any(|path| path.extension().is_some_and(|e| e == "tf"))
        {
            found.push(dir.to_owned());
        }
        for path in entries.iter().filter(|path| path.is_dir()) {
            walk(path, found);
        }
    }
    let mut found = Vec::new();
    walk(&examples_root(), &mut found);
    found
}

/// A data source for examples that only configure the provider: Terraform validates a provider
/// block only when something uses the provider.
const USES_PROVIDER: &str = r#"data "kusto_eventhub_data_connection" "uses_provider" {
  id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Kusto/clusters/cluster/databases/db/dataConnections/dc"
}
"#;

/// Copies the `.tf` files of `folder` into `workspace`, adding the provider requirement when
/// the example has none, and a use of the provider when it declares nothing.
fn copy_example(folder: &Path, workspace: &Workspace) {
    let mut requires_provider = false;
    let mut uses_provider = false;
    for entry in fs::read_dir(folder).expect("example folder") {
        let path = entry.expect("example entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            let text = fs::read_to_string(&path).expect("example file");
            requires_provider |= text.contains("required_providers");
            uses_provider |= text.contains("resource \"kusto_") || text.contains("data \"kusto_");
            fs::write(workspace.path().join(path.file_name().unwrap()), text)
                .expect("copy example");
        }
    }
    if !requires_provider {
        fs::write(workspace.path().join("versions.tf"), REQUIRED_PROVIDERS).expect("versions.tf");
    }
    if !uses_provider {
        fs::write(workspace.path().join("uses_provider.tf"), USES_PROVIDER)
            .expect("uses_provider.tf");
    }
}

#[test]
fn examples_are_formatted() {
    let root = examples_root();
    let run = Workspace::new().terraform(&[
        "fmt",
        "-check",
        "-recursive",
        "-diff",
        "-no-color",
        root.to_str().expect("UTF-8 path"),
    ]);
    assert!(
        run.status.success(),
        "examples/ is not formatted (run `terraform fmt -recursive examples`):\n{}",
        run.output()
    );
}

#[test]
fn every_example_validates() {
    let folders = example_folders();
    assert!(folders.len() >= 4, "examples found: {folders:?}");
    for folder in folders {
        let workspace = Workspace::new();
        copy_example(&folder, &workspace);
        workspace.init();
        let run = workspace.terraform(&["validate", "-no-color"]);
        assert!(
            run.status.success(),
            "{} does not validate:\n{}",
            folder.display(),
            run.output()
        );
    }
}

#[test]
fn the_quickstart_applies_plans_clean_and_destroys() {
    let emulator = Emulator::fast();
    let subscription = emulator
        .provider_env()
        .into_iter()
        .find(|(key, _)| *key == "ARM_SUBSCRIPTION_ID")
        .map(|(_, value)| value)
        .expect("the emulator's subscription");
    let workspace = workspace_for(&emulator).env("TF_VAR_subscription_id", subscription);
    copy_example(&examples_root().join("quickstart"), &workspace);
    workspace.init();

    workspace.terraform(&APPLY).success();
    assert_eq!(emulator.data_connections().len(), 1);
    let plan = workspace.terraform(&PLAN_DETAILED);
    assert_eq!(
        plan.code(),
        Some(0),
        "the plan after apply is not empty:\n{}",
        plan.output()
    );
    workspace.terraform(&DESTROY).success();
    assert!(
        emulator.data_connections().is_empty(),
        "left behind after destroy"
    );
}
