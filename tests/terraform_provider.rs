//! End to end with the real Terraform CLI: installing the provider from a mirror, reading its
//! schema, and validating and planning provider configurations. No Azure endpoint is involved:
//! a provider block alone must never make a network call.

use serde_json::Value;
use test_support::terraform;
use test_support::terraform::{PROVIDER_VERSION, Workspace};

const REQUIRED_PROVIDERS: &str = r#"
terraform {
  required_providers {
    kusto = {
      source = "kusto-tf/kusto"
    }
  }
}
"#;

const PROVIDER_ARGUMENTS: [&str; 23] = [
    "subscription_id",
    "tenant_id",
    "auxiliary_tenant_ids",
    "client_id",
    "client_id_file_path",
    "client_secret",
    "client_secret_file_path",
    "client_certificate",
    "client_certificate_path",
    "client_certificate_password",
    "use_oidc",
    "oidc_token",
    "oidc_token_file_path",
    "oidc_request_url",
    "oidc_request_token",
    "ado_pipeline_service_connection_id",
    "use_aks_workload_identity",
    "use_msi",
    "msi_endpoint",
    "use_cli",
    "environment",
    "metadata_host",
    "skip_preflight_validation",
];

/// Terraform only validates and configures a provider that some resource uses, so the configs
/// that test provider validation declare one. Planning fails before it would reach Azure.
const A_CONNECTION: &str = r#"
resource "kusto_eventhub_data_connection" "example" {
  name                = "example"
  resource_group_name = "rg-demo"
  location            = "West Europe"
  cluster_name        = "democluster"
  database_name       = "demodb"
  eventhub_id         = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events"
  consumer_group      = "$Default"
}
"#;

fn workspace_with(provider_block: &str) -> Workspace {
    let workspace = Workspace::new();
    workspace.config(&format!("{REQUIRED_PROVIDERS}\n{provider_block}\n"));
    workspace
}

/// Plans `provider_block` with [`A_CONNECTION`], expecting the plan to fail.
fn failing_plan(provider_block: &str) -> terraform::Run {
    let workspace = workspace_with(&format!("{provider_block}\n{A_CONNECTION}"));
    workspace.init();
    workspace.plan().failure()
}

#[test]
fn init_installs_the_provider_from_the_mirror() {
    let workspace = workspace_with(r#"provider "kusto" {}"#);
    let init = workspace.init();
    assert!(
        init.stdout
            .contains(&format!("kusto-tf/kusto v{PROVIDER_VERSION}")),
        "{}",
        init.output()
    );
}

#[test]
fn providers_schema_shows_every_argument_with_a_description() {
    let workspace = workspace_with(r#"provider "kusto" {}"#);
    workspace.init();
    let run = workspace
        .terraform(&["providers", "schema", "-json"])
        .success();
    let schema: Value = serde_json::from_str(&run.stdout).expect("schema JSON");
    let provider =
        &schema["provider_schemas"]["registry.terraform.io/kusto-tf/kusto"]["provider"]["block"];
    let attributes = provider["attributes"]
        .as_object()
        .expect("provider attributes");

    for name in PROVIDER_ARGUMENTS {
        let attribute = attributes
            .get(name)
            .unwrap_or_else(|| panic!("provider argument {name} missing"));
        let description = attribute["description"].as_str().unwrap_or_default();
        assert!(!description.is_empty(), "{name} has no description");
        assert_eq!(
            attribute["optional"],
            Value::Bool(true),
            "{name} should be optional"
        );
    }
    for secret in [
        "client_secret",
        "client_certificate",
        "client_certificate_password",
        "oidc_token",
        "oidc_request_token",
    ] {
        assert_eq!(
            attributes[secret]["sensitive"],
            Value::Bool(true),
            "{secret} must be sensitive"
        );
    }
    assert!(
        attributes["client_secret"]["description"]
            .as_str()
            .unwrap_or_default()
            .contains("ARM_CLIENT_SECRET"),
        "descriptions name the environment variable"
    );
}

#[test]
fn an_empty_provider_block_validates_and_plans() {
    let workspace = workspace_with(r#"provider "kusto" {}"#);
    workspace.init();
    let validate = workspace.terraform(&["validate", "-no-color"]).success();
    assert!(
        validate.stdout.contains("The configuration is valid"),
        "{}",
        validate.output()
    );
    let plan = workspace.plan().success();
    assert!(plan.stdout.contains("No changes."), "{}", plan.output());
}

#[test]
fn an_invalid_provider_argument_is_reported_at_that_argument() {
    let plan = failing_plan(
        r#"
provider "kusto" {
  environment = "mars"
}"#,
    );
    // Terraform quotes the offending line only when the diagnostic carries its attribute path.
    assert!(
        plan.stderr.contains(r#"environment = "mars""#),
        "{}",
        plan.output()
    );
    for allowed in ["public", "usgovernment", "china"] {
        assert!(
            plan.stderr.contains(allowed),
            "error should list {allowed}:\n{}",
            plan.output()
        );
    }
}

#[test]
fn conflicting_secret_settings_are_rejected_by_name() {
    let plan = failing_plan(
        r#"
provider "kusto" {
  client_secret           = "not-used"
  client_secret_file_path = "/dev/null"
}"#,
    );
    assert!(
        plan.stderr.contains("client_secret_file_path"),
        "{}",
        plan.output()
    );
    assert!(
        !plan.stderr.contains("not-used"),
        "a secret value leaked into an error:\n{}",
        plan.output()
    );
}
