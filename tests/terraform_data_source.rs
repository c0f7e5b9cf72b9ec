//! The `kusto_eventhub_data_connection` data source end to end: reading a connection made
//! elsewhere by its names or by its id, and the errors for a missing one or another kind.

use serde_json::{Value, json};
use test_support::terraform::scenario::*;

fn by_names(label: &str, name: &str) -> String {
    format!(
        r#"data "{RESOURCE_TYPE}" "{label}" {{
  name                = "{name}"
  resource_group_name = "{RESOURCE_GROUP}"
  cluster_name        = "{CLUSTER}"
  database_name       = "{DATABASE}"
}}
"#
    )
}

fn by_id(label: &str, id: &str) -> String {
    format!(
        r#"data "{RESOURCE_TYPE}" "{label}" {{
  id = "{id}"
}}
"#
    )
}

#[test]
fn reads_a_connection_by_names_and_by_id() {
    let scenario = Scenario::new();
    attach_identity(&scenario.emulator);
    create_outside_terraform(
        &scenario.emulator,
        "elsewhere",
        "EventHub",
        json!({
            "eventSystemProperties": ["x-opt-publisher"],
            "managedIdentityResourceId": user_assigned_identity_id(),
            "managedIdentityObjectId": IDENTITY_PRINCIPAL_ID,
            "retrievalStartDate": "2024-01-15T08:30:00Z",
        }),
    );
    let id = connection_id("elsewhere");
    let recased = id.replace("/dataConnections/", "/DataConnections/");
    let hcl = format!(
        "{}\n{}\noutput \"hub\" {{\n  value = data.{RESOURCE_TYPE}.by_name.eventhub_id\n}}\n",
        by_names("by_name", "elsewhere"),
        by_id("by_id", &recased)
    );
    let state = scenario.apply(&hcl);

    let expected: Vec<(&str, Value)> = vec![
        ("id", json!(id)),
        ("name", json!("elsewhere")),
        ("resource_group_name", json!(RESOURCE_GROUP)),
        ("cluster_name", json!(CLUSTER)),
        ("database_name", json!(DATABASE)),
        ("location", json!("West Europe")),
        ("eventhub_id", json!(eventhub_id())),
        ("consumer_group", json!("kusto")),
        ("table_name", json!("Events")),
        ("mapping_rule_name", json!("events_json")),
        ("data_format", json!("JSON")),
        ("compression", json!("None")),
        ("event_system_properties", json!(["x-opt-publisher"])),
        ("identity_id", json!(user_assigned_identity_id())),
        ("managed_identity_object_id", json!(IDENTITY_PRINCIPAL_ID)),
        ("database_routing_type", json!("Single")),
        ("retrieval_start_date", json!("2024-01-15T08:30:00Z")),
        ("provisioning_state", json!("Succeeded")),
    ];
    assert_attributes(
        state.values(&format!("data.{RESOURCE_TYPE}.by_name")),
        &expected,
    );
    // Looked up by an id in another casing: the same connection (the `id` argument itself is
    // as configured).
    assert_attributes(
        state.values(&format!("data.{RESOURCE_TYPE}.by_id")),
        &expected[1..],
    );
    scenario.assert_no_changes();
    let requests = scenario.emulator.requests();
    assert!(
        !requests.iter().any(|r| r.method != "GET" && r.is_arm()),
        "a data source wrote to Azure: {requests:#?}"
    );
}

#[test]
fn a_missing_connection_is_an_error() {
    let scenario = Scenario::new();
    let run = scenario.apply_failing(&by_names("missing", "nowhere"));
    assert!(run.stderr.contains("nowhere"), "{}", run.output());
}

#[test]
fn a_connection_of_another_kind_is_an_error_naming_the_kind() {
    let scenario = Scenario::new();
    create_outside_terraform(&scenario.emulator, "grid", "EventGrid", json!({}));
    let run = scenario.apply_failing(&by_id("grid", &connection_id("grid")));
    assert!(run.stderr.contains("EventGrid"), "{}", run.output());
}
