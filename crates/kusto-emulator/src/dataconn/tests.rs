//! Unit tests of the data connection: parsing, checks and rendering together, on the
//! default world.

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::checks::{data_problems, problems_message};
use super::model::{DataConnection, EventHubProperties, Names};
use super::request::{Request, parse_request};
use super::validation::{check_write, name_problem};
use crate::world::{Cluster, DEFAULT_SUBSCRIPTION_ID, World};

const NOW: OffsetDateTime = time::macros::datetime!(2026-01-02 03:04:05 UTC);
const HUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events";

fn world_and_cluster() -> (World, Cluster) {
    let w = World::default();
    let c = w
        .cluster(DEFAULT_SUBSCRIPTION_ID, "rg-demo", "democluster")
        .unwrap()
        .clone();
    (w, c)
}

fn request(body: Value) -> Request {
    parse_request(&body).unwrap()
}

/// A create request with only what is required: the hub, its consumer group and a region.
fn minimal_request() -> Request {
    request(json!({"kind": "EventHub", "location": "westeurope",
        "properties": {"eventHubResourceId": HUB, "consumerGroup": "$Default"}}))
}

#[test]
fn kind_is_required_and_must_be_event_hub() {
    let missing = parse_request(&json!({"properties": {}})).unwrap_err();
    assert_eq!(missing.code, "BadRequest");
    let other = parse_request(&json!({"kind": "EventGrid", "properties": {}})).unwrap_err();
    assert!(other.message.contains("require kind 'EventHub'"));
    let unknown = parse_request(&json!({"kind": "Kafka"})).unwrap_err();
    assert!(unknown.message.contains("not supported"));
    let wrong_type =
        parse_request(&json!({"kind": "EventHub", "properties": {"tableName": 3}})).unwrap_err();
    assert_eq!(wrong_type.code, "InvalidRequestContent");
    assert_eq!(request(json!({"kind": "eventhub"})).kind, "EventHub");
}

#[test]
fn create_defaults_and_update_nulls() {
    let (w, c) = world_and_cluster();
    let r = minimal_request();
    let created = check_write(&w, &c, &r, None, NOW).unwrap();
    assert_eq!(created.location, "West Europe");
    assert_eq!(created.properties.table_name.as_deref(), Some(""));
    assert_eq!(created.properties.compression, "None");
    assert_eq!(created.properties.database_routing, None);
    let default_start = Some("2026-01-02T03:04:05.0000000Z".to_owned());
    assert_eq!(created.properties.retrieval_start_date, default_start);
    let existing = DataConnection {
        names: Names {
            subscription_id: DEFAULT_SUBSCRIPTION_ID.into(),
            resource_group: "rg-demo".into(),
            cluster: "democluster".into(),
            database: "demodb".into(),
            name: "dc".into(),
        },
        location: created.location.clone(),
        kind: "EventHub".into(),
        provisioning_state: "Succeeded".into(),
        properties: created.properties,
    };
    let updated = check_write(&w, &c, &r, Some(&existing), NOW).unwrap();
    assert_eq!(updated.properties.table_name, None);
    assert_eq!(
        updated.properties.retrieval_start_date, default_start,
        "kept by updates"
    );
    for (location, group, immutable) in [
        ("northeurope", "$Default", "'location'"),
        ("West Europe", "kusto", "'consumerGroup'"),
    ] {
        let changed = request(json!({"kind": "EventHub", "location": location,
            "properties": {"eventHubResourceId": HUB, "consumerGroup": group}}));
        let refusal = check_write(&w, &c, &changed, Some(&existing), NOW).unwrap_err();
        assert!(refusal.message.contains(immutable), "{}", refusal.message);
    }
}

#[test]
fn request_level_problems_are_refused() {
    let (w, c) = world_and_cluster();
    let cases = [
        json!({"consumerGroup": "$Default"}),
        json!({"eventHubResourceId": "/not/a/hub", "consumerGroup": "$Default"}),
        json!({"eventHubResourceId": HUB, "consumerGroup": "$Default", "dataFormat": "XML"}),
        json!({"eventHubResourceId": HUB, "consumerGroup": "$Default", "compression": "zip"}),
        json!({"eventHubResourceId": HUB, "consumerGroup": "$Default", "managedIdentityResourceId": "/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z"}),
    ];
    for props in cases {
        let r = request(json!({"kind": "EventHub", "properties": props}));
        assert_eq!(
            check_write(&w, &c, &r, None, NOW).unwrap_err().status,
            400,
            "{props}"
        );
    }
}

#[test]
fn identities_resolve_to_object_ids() {
    let (mut w, _) = world_and_cluster();
    let uai = w.user_assigned_identities[0].id();
    w.clusters[0].identity.user_assigned.push(uai.clone());
    let c = w.clusters[0].clone();
    for (id, expected) in [
        (c.id(), "00000000-0000-0000-0000-000000000005"),
        (uai, "00000000-0000-0000-0000-000000000007"),
    ] {
        let r = request(
            json!({"kind": "EventHub", "properties": {"eventHubResourceId": HUB,
            "consumerGroup": "$Default", "managedIdentityResourceId": id}}),
        );
        let checked = check_write(&w, &c, &r, None, NOW).unwrap();
        assert_eq!(
            checked.properties.managed_identity_object_id.as_deref(),
            Some(expected)
        );
    }
}

#[test]
fn data_problems_name_what_is_missing() {
    let (w, c) = world_and_cluster();
    let problems = |table: &str, mapping: &str, format: &str, group: &str| {
        let r = request(
            json!({"kind": "EventHub", "properties": {"eventHubResourceId": HUB,
            "consumerGroup": group, "tableName": table, "mappingRuleName": mapping, "dataFormat": format}}),
        );
        let properties = check_write(&w, &c, &r, None, NOW).unwrap().properties;
        data_problems(&w, &c, "demodb", &properties)
    };
    let none: [&str; 0] = [];
    for (table, mapping, format, group, expected) in [
        ("Events", "events_json", "JSON", "kusto", &none[..]),
        ("events", "EVENTS_CSV", "csv", "$Default", &none[..]),
        ("Nope", "", "", "$Default", &["table does not exist"][..]),
        (
            "Events",
            "nope",
            "JSON",
            "$Default",
            &["mapping does not exist"][..],
        ),
        (
            "Events",
            "events_csv",
            "JSON",
            "other",
            &[
                "consumer group does not exist",
                "mapping kind 'Csv' does not match data format 'JSON'",
            ][..],
        ),
    ] {
        assert_eq!(
            problems(table, mapping, format, group),
            expected,
            "{table} {mapping} {format} {group}"
        );
    }
    assert_eq!(
        problems_message(&["table does not exist".into()]),
        "[BadRequest] Validation Errors found: table does not exist"
    );
}

#[test]
fn names_render_the_service_casing() {
    let (w, c) = world_and_cluster();
    let r = minimal_request();
    let checked = check_write(&w, &c, &r, None, NOW).unwrap();
    let dc = DataConnection {
        names: Names {
            subscription_id: "s".into(),
            resource_group: "rg".into(),
            cluster: "c".into(),
            database: "d".into(),
            name: "n".into(),
        },
        location: checked.location,
        kind: "EventHub".into(),
        provisioning_state: "Creating".into(),
        properties: checked.properties,
    };
    let body = dc.render();
    assert_eq!(
        body["id"],
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/Clusters/c/Databases/d/DataConnections/n"
    );
    assert_eq!(body["name"], "c/d/n");
    assert_eq!(body["location"], "West Europe");
    assert_eq!(body["properties"]["tableName"], "");
    assert_eq!(body["properties"]["managedIdentityResourceId"], Value::Null);
    let created = dc.render_created(&r);
    assert_eq!(created["location"], "westeurope");
    assert_eq!(created["properties"]["compression"], "None");
    assert!(created["properties"].get("tableName").is_none());
    for good in ["dc-1.a", "my connection", "a", &"x".repeat(40), "A 1-2.3"] {
        assert_eq!(name_problem(good), None, "{good}");
    }
    for (bad, why) in [
        ("", "it has 0 characters"),
        (&"x".repeat(41), "it has 41 characters"),
        ("a_b", "it contains '_'"),
        ("a/b", "it contains '/'"),
        ("dc\n", "it contains '\\n'"),
        ("d\tc", "it contains '\\t'"),
        ("caf\u{e9}", "it contains '\u{e9}'"),
        (" dc", "it starts or ends with a space"),
        ("dc ", "it starts or ends with a space"),
    ] {
        assert_eq!(name_problem(bad).as_deref(), Some(why), "{bad:?}");
    }
}

#[test]
fn stored_properties_may_leave_out_what_later_versions_added() {
    let stored = json!({"eventHubResourceId": HUB, "consumerGroup": "$Default",
        "tableName": null, "mappingRuleName": null, "dataFormat": null,
        "compression": "None", "managedIdentityResourceId": null});
    let properties: EventHubProperties = serde_json::from_value(stored).unwrap();
    assert_eq!(properties.event_system_properties, Vec::<String>::new());
    assert_eq!(properties.managed_identity_object_id, None);
    assert_eq!(properties.database_routing, None);
    assert_eq!(properties.retrieval_start_date, None);
}
