//! `kusto_eventhub_data_connection` and the world outside Terraform: connections deleted or
//! changed behind Terraform's back, connections that already exist, and `terraform import`.

mod terraform;

use serde_json::json;
use terraform::scenario::*;

#[test]
fn deleted_outside_terraform_is_planned_for_creation() {
    let scenario = Scenario::new();
    let hcl = connection("test", "vanishing", &[("table_name", json!("Events"))]);
    scenario.apply(&hcl);
    let id = connection_id("vanishing");
    scenario.emulator.delete_data_connection(&id);

    let (plan, run) = scenario.plan(&hcl);
    assert_eq!(plan.actions(&address("test")), ["create"], "{}", run.stdout);
    scenario.apply_saved_plan();
    let stored = scenario
        .emulator
        .data_connection(&id)
        .expect("created again");
    assert_stored(&stored, &[("tableName", json!("Events"))]);
    scenario.assert_no_changes();
    scenario.destroy();
}

#[test]
fn changed_outside_terraform_is_planned_back_in_place() {
    let scenario = Scenario::new();
    let hcl = connection(
        "test",
        "drifting",
        &[
            ("table_name", json!("Events")),
            ("mapping_rule_name", json!("events_json")),
            ("data_format", json!("JSON")),
        ],
    );
    scenario.apply(&hcl);
    let id = connection_id("drifting");
    scenario.emulator.patch_data_connection(
        &id,
        &json!({"properties": {"mappingRuleName": "events_csv", "dataFormat": "CSV"}}),
    );

    let (plan, run) = scenario.plan(&hcl);
    assert_eq!(plan.actions(&address("test")), ["update"], "{}", run.stdout);
    assert!(
        run.stdout.contains("events_csv") && run.stdout.contains("events_json"),
        "the plan does not show the drifted value being set back:\n{}",
        run.stdout
    );
    scenario.apply_saved_plan();
    let stored = scenario.emulator.data_connection(&id).expect("stored");
    assert_stored(
        &stored,
        &[
            ("mappingRuleName", json!("events_json")),
            ("dataFormat", json!("JSON")),
        ],
    );
    scenario.assert_no_changes();
    scenario.destroy();
}

#[test]
fn creating_a_connection_that_exists_asks_to_import_it() {
    let scenario = Scenario::new();
    create_outside_terraform(&scenario.emulator, "taken", "EventHub", json!({}));
    let id = connection_id("taken");
    let before = scenario.emulator.data_connection(&id).expect("stored");
    scenario.emulator.clear_requests();

    let run = scenario.apply_failing(&connection("test", "taken", &[]));
    let error = run.stderr_text().to_ascii_lowercase();
    assert!(
        error.contains("already exists") && error.contains("import"),
        "no 'already exists, import it' error:\n{}",
        run.output()
    );
    assert!(
        error.contains(&id.to_ascii_lowercase()),
        "the error does not give the id to import:\n{}",
        run.output()
    );
    let requests = scenario.emulator.requests();
    assert!(
        !requests.iter().any(|r| r.method == "PUT"),
        "an existing connection was overwritten: {requests:#?}"
    );
    assert_eq!(scenario.emulator.data_connection(&id), Some(before));
    assert!(scenario.state().addresses().is_empty());
}

/// A connection made elsewhere is imported with its id; the imported state matches the
/// configuration, so the next plan is empty. The id may be written in any casing; the state
/// keeps the canonical form.
#[test]
fn import_of_an_existing_connection_in_any_casing() {
    let scenario = Scenario::new();
    create_outside_terraform(
        &scenario.emulator,
        "existing",
        "EventHub",
        json!({"eventSystemProperties": ["x-opt-publisher"]}),
    );
    let hcl = connection(
        "test",
        "existing",
        &[
            ("table_name", json!("Events")),
            ("mapping_rule_name", json!("events_json")),
            ("data_format", json!("JSON")),
            ("event_system_properties", json!(["x-opt-publisher"])),
        ],
    );
    scenario.write(&hcl);
    let id = connection_id("existing");
    let recased = id
        .replace("/resourceGroups/", "/resourcegroups/")
        .replace("/Microsoft.Kusto/clusters/", "/microsoft.kusto/Clusters/")
        .replace("/databases/", "/Databases/")
        .replace("/dataConnections/", "/DataConnections/");
    scenario
        .workspace
        .import(&address("test"), &recased)
        .success();

    let state = scenario.state();
    assert_attributes(
        state.values(&address("test")),
        &[
            ("id", json!(id)),
            ("name", json!("existing")),
            ("resource_group_name", json!(RESOURCE_GROUP)),
            ("cluster_name", json!(CLUSTER)),
            ("database_name", json!(DATABASE)),
            ("eventhub_id", json!(eventhub_id())),
            ("consumer_group", json!("kusto")),
            ("table_name", json!("Events")),
            ("mapping_rule_name", json!("events_json")),
            ("data_format", json!("JSON")),
            ("event_system_properties", json!(["x-opt-publisher"])),
            ("compression", json!("None")),
            ("database_routing_type", json!("Single")),
            ("provisioning_state", json!("Succeeded")),
        ],
    );
    scenario.assert_no_changes();
    scenario.destroy();
}

#[test]
fn import_of_a_missing_connection_fails() {
    let scenario = Scenario::new();
    scenario.write(&connection("test", "nowhere", &[]));
    let run = scenario
        .workspace
        .import(&address("test"), &connection_id("nowhere"))
        .failure();
    assert!(
        run.stderr
            .contains("Cannot import non-existent remote object"),
        "{}",
        run.output()
    );
    assert!(scenario.state().addresses().is_empty());
}

#[test]
fn import_of_a_malformed_id_names_the_wrong_segment() {
    let scenario = Scenario::new();
    scenario.write(&connection("test", "malformed", &[]));
    let malformed = connection_id("malformed").replace("/dataConnections/", "/eventConnections/");
    let run = scenario
        .workspace
        .import(&address("test"), &malformed)
        .failure();
    assert!(
        run.stderr.contains("eventConnections"),
        "the error does not name the wrong segment:\n{}",
        run.output()
    );
    let requests = scenario.emulator.requests();
    assert!(
        !requests.iter().any(|r| r.is_arm()),
        "a malformed id reached Azure: {requests:#?}"
    );
}

#[test]
fn import_of_another_kind_of_connection_names_the_kind() {
    let scenario = Scenario::new();
    create_outside_terraform(&scenario.emulator, "grid", "EventGrid", json!({}));
    scenario.write(&connection("test", "grid", &[]));
    let run = scenario
        .workspace
        .import(&address("test"), &connection_id("grid"))
        .failure();
    assert!(run.stderr.contains("EventGrid"), "{}", run.output());
    assert!(scenario.state().addresses().is_empty());
}

/// A connection whose kind changed outside Terraform is an error on refresh, not silence.
#[test]
fn kind_changed_outside_terraform_is_an_error() {
    let scenario = Scenario::new();
    let hcl = connection("test", "rekinded", &[]);
    scenario.apply(&hcl);
    let id = connection_id("rekinded");
    scenario
        .emulator
        .patch_data_connection(&id, &json!({"kind": "EventGrid"}));
    let run = scenario.workspace.plan().failure();
    assert!(run.stderr.contains("EventGrid"), "{}", run.output());
    scenario
        .emulator
        .patch_data_connection(&id, &json!({"kind": "EventHub"}));
    scenario.destroy();
}
