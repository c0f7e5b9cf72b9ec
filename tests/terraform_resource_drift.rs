//! `kusto_eventhub_data_connection` and the world outside Terraform: connections deleted or
//! changed behind Terraform's back, connections that already exist, and `terraform import`.

use serde_json::json;
use test_support::terraform::scenario::*;

#[test]
fn deleted_outside_terraform_is_planned_for_creation() {
    let scenario = Scenario::new();
    let hcl = connection("test", "vanishing", &[("table_name", json!("Events"))]);
    scenario.apply(&hcl);
    let id = connection_id("vanishing");
    scenario.emulator.delete_data_connection(&id);

    scenario.assert_plans(&hcl, &address("test"), &["create"]);
    scenario.apply_saved_plan_holding(&id, &[("tableName", json!("Events"))]);
    scenario.assert_no_changes_then_destroy();
}

#[test]
fn changed_outside_terraform_is_planned_back_in_place() {
    let scenario = Scenario::new();
    let hcl = connection("test", "drifting", &events_json_args());
    scenario.apply(&hcl);
    let id = connection_id("drifting");
    scenario.emulator.patch_data_connection(
        &id,
        &json!({"properties": {"mappingRuleName": "events_csv", "dataFormat": "CSV"}}),
    );

    let run = scenario.assert_plans(&hcl, &address("test"), &["update"]);
    assert!(
        run.stdout.contains("events_csv") && run.stdout.contains("events_json"),
        "the plan does not show the drifted value being set back:\n{}",
        run.stdout
    );
    let fixed = [
        ("mappingRuleName", json!("events_json")),
        ("dataFormat", json!("JSON")),
    ];
    scenario.apply_saved_plan_holding(&id, &fixed);
    scenario.assert_no_changes_then_destroy();
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
    let publisher = ("event_system_properties", json!(["x-opt-publisher"]));
    let hcl = connection(
        "test",
        "existing",
        &[&events_json_args()[..], &[publisher]].concat(),
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
    scenario.assert_no_changes_then_destroy();
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
    scenario.assert_no_arm_request("a malformed id");
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

/// A connection whose kind changed outside Terraform is no longer ours: refresh drops it from
/// state with a warning naming the kind, `terraform destroy` succeeds without deleting the
/// other connection, and a plan proposes the Event Hub connection anew.
#[test]
fn kind_changed_outside_terraform_is_dropped_from_state_and_never_deleted() {
    let scenario = Scenario::new();
    let (hcl, id) = scenario.apply_then_change_kind("rekinded", "EventGrid");

    let run = scenario.assert_plans(&hcl, &address("test"), &["create"]);
    let warning = run.output();
    assert!(
        warning.contains("replaced by another kind") && warning.contains("\"EventGrid\""),
        "no warning naming the kind:\n{warning}"
    );

    scenario.emulator.clear_requests();
    scenario.destroy_run(&[]).success();
    let requests = scenario.emulator.requests();
    assert!(
        !requests.iter().any(|r| r.method == "DELETE"),
        "a connection of another kind was deleted: {requests:#?}"
    );
    scenario.assert_kept_outside_state(&id, "EventGrid");
}

/// Even when Terraform does not refresh first (`-refresh=false`), destroy does not delete a
/// connection whose kind changed: it only forgets its own.
#[test]
fn destroy_without_refresh_leaves_another_kind_alone() {
    let scenario = Scenario::new();
    let (_, id) = scenario.apply_then_change_kind("swapped", "EventGrid");
    let run = scenario.destroy_run(&["-refresh=false"]).success();
    assert!(run.output().contains("EventGrid"), "{}", run.output());
    scenario.assert_kept_outside_state(&id, "EventGrid");
}

/// Omitted attributes with a documented default are held to it: a connection changed in
/// Azure to `GZip`, `Multi` routing or extra system properties shows in the plan, and apply
/// sets it back. Before the drift, the configuration that leaves them out plans nothing.
#[test]
fn omitted_defaults_are_enforced_against_drift() {
    let scenario = Scenario::new();
    let hcl = connection("test", "defaulted", &[("table_name", json!("Events"))]);
    scenario.apply(&hcl);
    scenario.assert_no_changes();
    let id = connection_id("defaulted");

    scenario.emulator.patch_data_connection(
        &id,
        &json!({"properties": {"eventSystemProperties": ["x-opt-offset"]}}),
    );
    let run = scenario.assert_plans(&hcl, &address("test"), &["update"]);
    assert!(run.stdout.contains("x-opt-offset"), "{}", run.stdout);
    scenario.apply_saved_plan_holding(&id, &[("eventSystemProperties", json!([]))]);
    scenario.assert_no_changes();

    // `compression` and `database_routing_type` force a new connection, as in azurerm.
    for (property, drifted, attribute, default) in [
        ("compression", "GZip", "compression", "None"),
        (
            "databaseRouting",
            "Multi",
            "database_routing_type",
            "Single",
        ),
    ] {
        scenario
            .emulator
            .patch_data_connection(&id, &json!({"properties": {property: drifted}}));
        let (plan, run) = scenario.plan(&hcl);
        assert_eq!(
            plan.actions(&address("test")),
            ["delete", "create"],
            "{attribute}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains(drifted) && run.stdout.contains(&format!("\"{default}\"")),
            "{attribute}: the plan does not show the drift being set back:\n{}",
            run.stdout
        );
        scenario.apply_saved_plan();
        let stored = scenario.emulator.data_connection(&id).expect("stored");
        let value = &stored["properties"][property];
        assert!(
            value.is_null() || value == default,
            "{attribute}: Azure holds {value} after the apply"
        );
        scenario.assert_no_changes();
    }
    scenario.destroy();
}

/// An imported connection with `Multi` routing, configured without `database_routing_type`,
/// shows the difference instead of hiding it.
#[test]
fn import_of_a_connection_with_multi_routing_shows_the_default() {
    let scenario = Scenario::new();
    create_outside_terraform(
        &scenario.emulator,
        "routed",
        "EventHub",
        json!({"databaseRouting": "Multi"}),
    );
    let hcl = connection("test", "routed", &events_json_args());
    scenario.write(&hcl);
    scenario
        .workspace
        .import(&address("test"), &connection_id("routed"))
        .success();
    let run = scenario.assert_plans(&hcl, &address("test"), &["delete", "create"]);
    assert!(
        run.stdout.contains("\"Multi\" -> \"Single\""),
        "{}",
        run.stdout
    );
}
