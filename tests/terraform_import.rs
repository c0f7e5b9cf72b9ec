//! Adopting connections created outside Terraform (by a script, the portal or azurerm).
//!
//! With the configuration azurerm users have (`location = "westeurope"`, ids in other
//! casings), an import plans no change. `terraform plan -generate-config-out` (Terraform 1.5
//! and later) writes a configuration that imports the connection, and the plan after the
//! apply is empty. Terraform 1.11 writes the configuration itself from the imported state (the
//! provider's GenerateResourceConfig answers Terraform 1.14 and later, tested over gRPC in
//! `provider_protocol.rs`); either way what it writes must plan clean.
//!
//! Terraform 1.0.3 has no `import` blocks; with it the generated-configuration test checks
//! nothing and says so.

use serde_json::json;
use test_support::terraform::emulator::Emulator;
use test_support::terraform::scenario::{
    APPLY, PLAN_DETAILED, Scenario, address, config, connection, connection_id,
    create_outside_terraform, eventhub_id,
};
use test_support::terraform::terraform_has;

#[test]
fn generated_configuration_imports_and_plans_clean() {
    if !terraform_has("import blocks", (1, 5)) {
        return;
    }
    let scenario = Scenario::on(Emulator::fast());
    create_outside_terraform(
        &scenario.emulator,
        "scripted",
        "EventHub",
        json!({"retrievalStartDate": "2026-01-01T00:00:00Z"}),
    );
    let id = connection_id("scripted");
    scenario.workspace.config(&config(&format!(
        "import {{\n  to = kusto_eventhub_data_connection.scripted\n  id = \"{id}\"\n}}\n"
    )));
    let generated = scenario.workspace.path().join("generated.tf");
    scenario
        .workspace
        .terraform(&[
            "plan",
            "-input=false",
            "-no-color",
            "-generate-config-out=generated.tf",
        ])
        .success();
    let written = std::fs::read_to_string(&generated).expect("generated.tf");
    for line in ["cluster_name", "consumer_group", "\"kusto\""] {
        assert!(written.contains(line), "{line}:\n{written}");
    }
    scenario.workspace.terraform(&APPLY).success();
    let plan = scenario.workspace.terraform(&PLAN_DETAILED);
    assert_eq!(plan.code(), Some(0), "{}\n{written}", plan.output());
    assert!(scenario.emulator.data_connection(&id).is_some());
}

/// `id` with its fixed segments in other casings, as other tools write them.
fn recased(id: &str) -> String {
    id.replace("resourceGroups", "resourcegroups")
        .replace("Microsoft.Kusto", "microsoft.kusto")
        .replace("dataConnections", "DataConnections")
}

#[test]
fn an_import_with_azurerm_style_configuration_plans_no_change() {
    let scenario = Scenario::on(Emulator::fast());
    create_outside_terraform(&scenario.emulator, "scripted", "EventHub", json!({}));
    let id = connection_id("scripted");
    let hub = eventhub_id()
        .to_lowercase()
        .replace("/eventhubs/", "/EventHubs/");
    let args = [
        ("location", json!("westeurope")),
        ("eventhub_id", json!(hub)),
        ("consumer_group", json!("kusto")),
        ("table_name", json!("Events")),
        ("mapping_rule_name", json!("events_json")),
        ("data_format", json!("JSON")),
    ];
    scenario.write(&connection("scripted", "scripted", &args));
    scenario
        .workspace
        .import(&address("scripted"), &recased(&id))
        .success();
    let plan = scenario.workspace.terraform(&PLAN_DETAILED);
    assert_eq!(plan.code(), Some(0), "{}", plan.output());
}
