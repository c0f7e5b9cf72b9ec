//! `kusto_eventhub_data_connection` end to end with the real Terraform against the emulator:
//! each shape of configuration through create, refresh, import and destroy; every mutable
//! argument updated in place (and really sent); immutable ones replacing the connection.

use serde_json::{Value, json};
use test_support::terraform::scenario::*;

#[test]
fn minimal_configuration() {
    let scenario = Scenario::new();
    scenario.check_lifecycle(
        &connection("test", "minimal", &[]),
        "test",
        &[
            vec![("id", json!(connection_id("minimal")))],
            required_arguments("minimal"),
            vec![
                ("table_name", Value::Null),
                ("mapping_rule_name", Value::Null),
                ("data_format", Value::Null),
                ("compression", json!("None")),
                ("event_system_properties", json!([])),
                ("identity_id", Value::Null),
                ("managed_identity_object_id", Value::Null),
                ("database_routing_type", json!("Single")),
                ("provisioning_state", json!("Succeeded")),
            ],
        ]
        .concat(),
        &[
            ("eventHubResourceId", json!(eventhub_id())),
            ("consumerGroup", json!("kusto")),
            ("tableName", Value::Null),
            ("mappingRuleName", Value::Null),
            ("dataFormat", Value::Null),
            ("managedIdentityResourceId", Value::Null),
        ],
    );
}

#[test]
fn mapping_multijson_and_event_system_properties() {
    let scenario = Scenario::new();
    let properties = json!(["x-opt-enqueued-time", "x-opt-publisher"]);
    let args = [
        ("table_name", json!("Events")),
        ("mapping_rule_name", json!("events_json")),
        ("data_format", json!("MULTIJSON")),
        ("event_system_properties", properties.clone()),
    ];
    scenario.check_lifecycle(
        &connection("test", "with-properties", &args),
        "test",
        &args,
        &[
            ("tableName", json!("Events")),
            ("mappingRuleName", json!("events_json")),
            ("dataFormat", json!("MULTIJSON")),
            ("eventSystemProperties", properties),
        ],
    );
}

/// Dynamic routing: events name their table and format. The location is written as a name
/// here, which Azure answers with its display name: that must not show as a change.
#[test]
fn mapping_only_without_table_or_format() {
    let scenario = Scenario::new();
    let args = [
        ("location", json!("westeurope")),
        ("mapping_rule_name", json!("events_json")),
    ];
    let unset = [("table_name", Value::Null), ("data_format", Value::Null)];
    scenario.check_lifecycle(
        &connection("test", "mapping-only", &args),
        "test",
        &[&args[..], &unset].concat(),
        &[
            ("mappingRuleName", json!("events_json")),
            ("tableName", Value::Null),
            ("dataFormat", Value::Null),
        ],
    );
}

#[test]
fn multi_database_routing() {
    let scenario = Scenario::new();
    scenario.check_lifecycle(
        &connection(
            "test",
            "multi",
            &[
                ("mapping_rule_name", json!("events_json")),
                ("data_format", json!("MULTIJSON")),
                ("database_routing_type", json!("Multi")),
            ],
        ),
        "test",
        &[("database_routing_type", json!("Multi"))],
        &[("databaseRouting", json!("Multi"))],
    );
}

/// A connection reading with the managed identity `identity_id`: the state shows the
/// identity's object id, and Azure holds both.
fn check_identity_lifecycle(scenario: &Scenario, name: &str, identity_id: &str, object_id: &str) {
    let args = [("identity_id", json!(identity_id))];
    scenario.check_lifecycle(
        &connection("test", name, &args),
        "test",
        &[
            &args[..],
            &[("managed_identity_object_id", json!(object_id))],
        ]
        .concat(),
        &[
            ("managedIdentityResourceId", json!(identity_id)),
            ("managedIdentityObjectId", json!(object_id)),
        ],
    );
}

#[test]
fn identity_of_the_cluster_itself() {
    check_identity_lifecycle(
        &Scenario::new(),
        "system-identity",
        &cluster_id(),
        CLUSTER_PRINCIPAL_ID,
    );
}

#[test]
fn user_assigned_identity() {
    let scenario = Scenario::new();
    attach_identity(&scenario.emulator);
    check_identity_lifecycle(
        &scenario,
        "user-identity",
        &user_assigned_identity_id(),
        IDENTITY_PRINCIPAL_ID,
    );
}

/// `retrieval_start_date` is kept as written, and Azure answering the same instant in another
/// notation (`+00:00` instead of `Z`) is not a change.
#[test]
fn retrieval_start_date() {
    let scenario = Scenario::new();
    let hcl = connection(
        "test",
        "backfill",
        &[("retrieval_start_date", json!("2024-01-15T08:30:00Z"))],
    );
    let state = scenario.apply(&hcl);
    assert_attributes(
        state.values(&address("test")),
        &[("retrieval_start_date", json!("2024-01-15T08:30:00Z"))],
    );
    let id = connection_id("backfill");
    let stored = scenario.emulator.data_connection(&id).expect("stored");
    assert_stored(
        &stored,
        &[("retrievalStartDate", json!("2024-01-15T08:30:00Z"))],
    );
    scenario.assert_no_changes();
    scenario.assert_import_matches(&address("test"));

    scenario.emulator.patch_data_connection(
        &id,
        &json!({"properties": {"retrievalStartDate": "2024-01-15T08:30:00+00:00"}}),
    );
    scenario.assert_no_changes();
    scenario.destroy();
}

/// Plans `args` on connection `name`, checks that the plan updates it in place, applies the
/// saved plan, and checks that Azure received the change (a PUT or PATCH, no DELETE) and
/// that the next plan is empty. Returns the state values after the apply.
fn update_in_place(scenario: &Scenario, name: &str, args: &[(&str, Value)]) -> Value {
    let address = address("test");
    let (plan, run) = scenario.plan(&connection("test", name, args));
    assert_eq!(
        plan.actions(&address),
        ["update"],
        "not an in-place update:\n{}",
        run.stdout
    );
    scenario.emulator.clear_requests();
    let state = scenario.apply_saved_plan();
    let id = connection_id(name);
    let requests = scenario.emulator.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.is_on("PUT", &id) || r.is_on("PATCH", &id)),
        "the update was not sent to Azure: {requests:#?}"
    );
    assert!(
        !requests.iter().any(|r| r.is_on("DELETE", &id)),
        "an in-place update deleted the connection: {requests:#?}"
    );
    scenario.assert_no_changes();
    state.values(&address).clone()
}

/// Table, mapping and format change in place, one at a time, then are removed (the
/// connection becomes dynamically routed).
#[test]
fn routing_arguments_update_in_place() {
    let scenario = Scenario::new();
    add_table(
        &scenario.emulator,
        "Archive",
        &[("events_csv", "Csv"), ("archive_csv", "Csv")],
    );
    let id = connection_id("routing");
    let mut args = vec![
        ("table_name", json!("Events")),
        ("mapping_rule_name", json!("events_csv")),
        ("data_format", json!("CSV")),
    ];
    scenario.apply(&connection("test", "routing", &args));

    let steps = [
        ("table_name", "tableName", json!("Archive")),
        ("mapping_rule_name", "mappingRuleName", json!("archive_csv")),
        ("data_format", "dataFormat", json!("TSV")),
    ];
    for (argument, property, value) in steps {
        if let Some(arg) = args.iter_mut().find(|(k, _)| *k == argument) {
            arg.1 = value.clone();
        }
        let values = update_in_place(&scenario, "routing", &args);
        assert_attributes(&values, &[(argument, value.clone())]);
        let stored = scenario.emulator.data_connection(&id).expect("stored");
        assert_stored(&stored, &[(property, value)]);
    }

    let values = update_in_place(&scenario, "routing", &[]);
    assert_attributes(
        &values,
        &[
            ("table_name", Value::Null),
            ("mapping_rule_name", Value::Null),
            ("data_format", Value::Null),
        ],
    );
    let stored = scenario.emulator.data_connection(&id).expect("stored");
    assert_stored(
        &stored,
        &[
            ("tableName", Value::Null),
            ("mappingRuleName", Value::Null),
            ("dataFormat", Value::Null),
        ],
    );
    scenario.assert_import_matches(&address("test"));
    scenario.destroy();
}

/// System properties, identity and retrieval start change in place, one at a time.
#[test]
fn other_mutable_arguments_update_in_place() {
    let scenario = Scenario::new();
    attach_identity(&scenario.emulator);
    let id = connection_id("mutable");
    let base = vec![
        ("table_name", json!("Events")),
        ("mapping_rule_name", json!("events_json")),
        ("data_format", json!("JSON")),
    ];
    scenario.apply(&connection("test", "mutable", &base));

    let properties = json!(["x-opt-enqueued-time", "x-opt-sequence-number"]);
    let identity = user_assigned_identity_id();
    // Each step adds to (or replaces in) the configuration of the step before.
    let steps: [(&str, Value, &str, Value, Option<&str>); 5] = [
        (
            "event_system_properties",
            properties.clone(),
            "eventSystemProperties",
            properties,
            None,
        ),
        (
            "identity_id",
            json!(cluster_id()),
            "managedIdentityResourceId",
            json!(cluster_id()),
            Some(CLUSTER_PRINCIPAL_ID),
        ),
        (
            "identity_id",
            json!(identity),
            "managedIdentityResourceId",
            json!(identity),
            Some(IDENTITY_PRINCIPAL_ID),
        ),
        (
            "retrieval_start_date",
            json!("2023-06-26T12:00:00Z"),
            "retrievalStartDate",
            json!("2023-06-26T12:00:00Z"),
            None,
        ),
        (
            "retrieval_start_date",
            json!("2024-01-15T08:30:00Z"),
            "retrievalStartDate",
            json!("2024-01-15T08:30:00Z"),
            None,
        ),
    ];
    let mut args = base;
    for (argument, value, property, sent, object_id) in steps {
        match args.iter_mut().find(|(k, _)| *k == argument) {
            Some(arg) => arg.1 = value.clone(),
            None => args.push((argument, value.clone())),
        }
        let values = update_in_place(&scenario, "mutable", &args);
        assert_attributes(&values, &[(argument, value)]);
        if let Some(object_id) = object_id {
            assert_attributes(&values, &[("managed_identity_object_id", json!(object_id))]);
        }
        let stored = scenario.emulator.data_connection(&id).expect("stored");
        assert_stored(&stored, &[(property, sent)]);
    }

    args.retain(|(k, _)| *k != "identity_id");
    let values = update_in_place(&scenario, "mutable", &args);
    assert_attributes(
        &values,
        &[
            ("identity_id", Value::Null),
            ("managed_identity_object_id", Value::Null),
        ],
    );
    let stored = scenario.emulator.data_connection(&id).expect("stored");
    assert_stored(&stored, &[("managedIdentityResourceId", Value::Null)]);
    scenario.assert_import_matches(&address("test"));
    scenario.destroy();
}

/// What Azure cannot change on a live connection replaces it; the plan says which argument
/// forces it.
#[test]
fn immutable_arguments_force_replacement() {
    let scenario = Scenario::new();
    let address = address("test");
    scenario.apply(&connection("test", "replaced", &[]));

    // Another hub of the namespace, so that the plan's preflight validation finds it.
    scenario.emulator.edit_world(|world| {
        let hubs = &mut world["eventhub_namespaces"][0]["event_hubs"];
        let hubs = hubs.as_array_mut().expect("event_hubs list");
        hubs.push(json!({"name": "other", "consumer_groups": ["kusto"]}));
    });
    let other_hub = eventhub_id().replace("/eventhubs/events", "/eventhubs/other");
    // Each is planned only; the last one, `consumer_group`, is then applied.
    let replacing = [
        ("compression", json!("GZip")),
        ("database_routing_type", json!("Multi")),
        ("eventhub_id", json!(other_hub)),
        ("location", json!("North Europe")),
        ("consumer_group", json!("$Default")),
    ];
    for (argument, value) in replacing {
        let (plan, run) = scenario.plan(&connection("test", "replaced", &[(argument, value)]));
        assert_eq!(
            plan.actions(&address),
            ["delete", "create"],
            "changing {argument} must replace:\n{}",
            run.stdout
        );
        assert!(
            forces_replacement(&run.stdout, argument),
            "the plan does not say that {argument} forces replacement:\n{}",
            run.stdout
        );
    }
    scenario.emulator.clear_requests();
    scenario.apply_saved_plan();

    let id = connection_id("replaced");
    let requests = scenario.emulator.requests();
    let delete = requests.iter().position(|r| r.is_on("DELETE", &id));
    let put = requests.iter().rposition(|r| r.is_on("PUT", &id));
    assert!(
        matches!((delete, put), (Some(d), Some(p)) if d < p),
        "expected a DELETE then a PUT: {requests:#?}"
    );
    let stored = scenario.emulator.data_connection(&id).expect("stored");
    assert_stored(&stored, &[("consumerGroup", json!("$Default"))]);
    scenario.assert_no_changes();
    scenario.destroy();
}

/// Whether Terraform's plan text marks `argument` with `# forces replacement`.
fn forces_replacement(plan_text: &str, argument: &str) -> bool {
    plan_text.lines().any(|l| {
        l.trim_start_matches([' ', '~', '+', '-'])
            .starts_with(argument)
            && l.contains("forces replacement")
    })
}
