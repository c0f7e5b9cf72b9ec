//! The provider's functions with the real Terraform CLI (1.8 and later): in `terraform
//! console`, in a configuration's outputs, and in `terraform providers schema -json`.
//!
//! Terraform 1.0.3, the oldest release the provider supports, has no provider functions;
//! with it these tests check nothing and say so. The gRPC side is tested for every release
//! in `provider_protocol.rs`.

use std::io::Write;
use std::process::Stdio;

use serde_json::Value;
use test_support::terraform::scenario::config;
use test_support::terraform::{Workspace, terraform_has};

const ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/dc1";

/// Whether the Terraform under test calls provider functions.
fn has_functions() -> bool {
    terraform_has("provider functions", (1, 8))
}

fn workspace(body: &str) -> Workspace {
    let workspace = Workspace::new();
    workspace.config(&config(body));
    workspace.init();
    workspace
}

/// `expression` evaluated by `terraform console`: (success, stdout + stderr).
fn console(workspace: &Workspace, expression: &str) -> (bool, String) {
    let mut child = workspace
        .command(&["console"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("terraform console");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{expression}").expect("write the expression");
    drop(stdin);
    let output = child.wait_with_output().expect("terraform console output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn both_functions_work_in_terraform_console() {
    if !has_functions() {
        return;
    }
    let workspace = workspace("");
    let lower = ID.to_lowercase();
    let (ok, parsed) = console(
        &workspace,
        &format!("provider::kusto::parse_data_connection_id(\"{lower}\").cluster_name"),
    );
    assert!(ok && parsed.contains("\"democluster\""), "{parsed}");
    let (ok, built) = console(
        &workspace,
        "provider::kusto::data_connection_id(\"00000000-0000-0000-0000-000000000001\", \"rg-demo\", \"democluster\", \"demodb\", \"dc1\")",
    );
    assert!(ok && built.contains(ID), "{built}");
    let (ok, refused) = console(
        &workspace,
        "provider::kusto::parse_data_connection_id(\"/subscriptions/x\")",
    );
    let refused = refused.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!ok, "{refused}");
    let said = "Invalid value for \"id\" parameter: invalid Kusto data connection ID";
    assert!(refused.contains(said), "{refused}");
}

#[test]
fn functions_compute_outputs_and_are_in_the_schema() {
    if !has_functions() {
        return;
    }
    let workspace = workspace(&format!(
        r#"
locals {{
  parts = provider::kusto::parse_data_connection_id("{ID}")
}}
output "database" {{
  value = local.parts.database_name
}}
output "round_trip" {{
  value = provider::kusto::data_connection_id(
    local.parts.subscription_id, local.parts.resource_group_name, local.parts.cluster_name,
    local.parts.database_name, local.parts.name)
}}
"#
    ));
    workspace
        .terraform(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .success();
    let outputs = workspace.terraform(&["output", "-json"]).success();
    let outputs: Value = serde_json::from_str(&outputs.stdout).expect("outputs JSON");
    assert_eq!(outputs["database"]["value"], "demodb");
    assert_eq!(outputs["round_trip"]["value"], ID);

    let schema = workspace
        .terraform(&["providers", "schema", "-json"])
        .success();
    let schema: Value = serde_json::from_str(&schema.stdout).expect("schema JSON");
    let functions =
        &schema["provider_schemas"]["registry.terraform.io/kusto-tf/kusto"]["functions"];
    for name in ["parse_data_connection_id", "data_connection_id"] {
        assert!(
            functions[name]["summary"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{name}: {functions}"
        );
    }
}
