//! Terraform state <-> the ARM client's model of an Event Hub data connection.
//!
//! Going out, the plan becomes [`EventHubSettings`], every setting included, so an update
//! sends what the user changed. Coming back, Azure's answer is written over a state that
//! already holds the configured spelling of each value, and that spelling is kept whenever
//! Azure's answer means the same: Kusto answers `West Europe` for `westeurope`, re-cases ids
//! (`Clusters/.../DataConnections`, the Event Hub and identity ids), and upper-cases
//! enumerations. Keeping the user's spelling is what makes a refresh plan nothing and an
//! apply consistent with its plan. Azure's `""`, `[]` and `null` all mean "not set" (the
//! ARM client already reads them so); the service defaults of `compression` and
//! `databaseRouting` are filled in, as azurerm shows them.

use kusto_arm::{DataConnectionId, EventHubDataConnection, EventHubSettings};
use terraform_plugin::value::Value;

use super::attributes::{ATTRIBUTES, Azure};
use super::names::{
    CLUSTER_NAME, CONSUMER_GROUP, DATA_FORMAT, DATABASE_NAME, EVENTHUB_ID, IDENTITY_ID,
    MAPPING_RULE_NAME, NAME, RESOURCE_GROUP_NAME, TABLE_NAME,
};

/// The provisioning state of a ready connection.
pub(crate) const SUCCEEDED: &str = "Succeeded";

/// The provisioning state of a connection the service could not set up.
pub(crate) const FAILED: &str = "Failed";

/// The id named by the plan's (or configuration's) names in `subscription`, when all are
/// known.
pub(crate) fn id_from_names(subscription: &str, value: &Value) -> Option<DataConnectionId> {
    Some(DataConnectionId::new(
        subscription,
        value.get_str(RESOURCE_GROUP_NAME)?,
        value.get_str(CLUSTER_NAME)?,
        value.get_str(DATABASE_NAME)?,
        value.get_str(NAME)?,
    ))
}

/// The settings to send, from a plan (wholly known at apply, except values Azure chooses).
pub(crate) fn settings(plan: &Value) -> EventHubSettings {
    let mut settings = EventHubSettings::default();
    for attr in &ATTRIBUTES {
        match attr.azure {
            Azure::Text { write, .. } => write(&mut settings, plan.get_string(attr.name)),
            Azure::List { write, .. } => {
                write(
                    &mut settings,
                    plan.get_strings(attr.name).unwrap_or_default(),
                );
            }
            Azure::Id | Azure::Name(_) | Azure::Reported(_) | Azure::Argument => {}
        }
    }
    settings
}

/// Whether two settings ask Azure for the same connection, spelling aside.
pub(crate) fn same_settings(a: &EventHubSettings, b: &EventHubSettings) -> bool {
    ATTRIBUTES.iter().all(|attr| match attr.azure {
        Azure::Text { read, .. } => match (read(a), read(b)) {
            (Some(a), Some(b)) => (attr.same)(&a, &b),
            (a, b) => a == b,
        },
        Azure::List { read, .. } => read(a) == read(b),
        Azure::Id | Azure::Name(_) | Azure::Reported(_) | Azure::Argument => true,
    })
}

/// `state` (the plan, the prior or the configured values) holding the connection Azure
/// answered with, id and all, in the spellings `state` already has where they mean the same.
pub(crate) fn holding(
    mut state: Value,
    id: &DataConnectionId,
    connection: &EventHubDataConnection,
) -> Value {
    write_id(&mut state, id);
    write_connection(&mut state, connection);
    state
}

/// Writes the identifying attributes (`id` and the four names) of `id` into `state`,
/// keeping the spelling already there when it names the same connection.
pub(crate) fn write_id(state: &mut Value, id: &DataConnectionId) {
    for attr in &ATTRIBUTES {
        match attr.azure {
            Azure::Id => {
                let same_id = state
                    .get_str(attr.name)
                    .and_then(|current| DataConnectionId::parse(current).ok())
                    .is_some_and(|current| current == *id);
                if !same_id {
                    state.set(attr.name, id.to_string());
                }
            }
            Azure::Name(name) => {
                let value = keep(state.attr(attr.name), Some(name(id).to_owned()), attr.same);
                state.set(attr.name, value);
            }
            Azure::Text { .. } | Azure::List { .. } | Azure::Reported(_) | Azure::Argument => {}
        }
    }
}

/// Writes what Azure reports about the connection into `state` (which holds the prior,
/// planned or configured values), keeping equivalent spellings.
fn write_connection(state: &mut Value, connection: &EventHubDataConnection) {
    let settings = &connection.settings;
    for attr in &ATTRIBUTES {
        let value = match attr.azure {
            Azure::Text { read, .. } => keep(state.attr(attr.name), read(settings), attr.same),
            Azure::List { read, .. } => listed(state.attr(attr.name), read(settings)),
            Azure::Reported(report) => Value::from(report(connection)),
            Azure::Id | Azure::Name(_) | Azure::Argument => continue,
        };
        state.set(attr.name, value);
    }
}

/// The attribute a problem reported by the service's validation is about, judged from its
/// words (`table does not exist`, `mapping kind 'Csv' does not match data format 'JSON'`,
/// `consumer group does not exist`, ...).
pub(crate) fn preflight_attribute(problem: &str) -> Option<&'static str> {
    let text = problem.to_ascii_lowercase();
    let found = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if found(&["mapping"]) {
        Some(MAPPING_RULE_NAME)
    } else if found(&["table"]) {
        Some(TABLE_NAME)
    } else if found(&["consumer group", "consumergroup"]) {
        Some(CONSUMER_GROUP)
    } else if found(&["event hub", "eventhub"]) {
        Some(EVENTHUB_ID)
    } else if found(&["identity", "permission", "authoriz", "forbidden"]) {
        Some(IDENTITY_ID)
    } else if found(&["format"]) {
        Some(DATA_FORMAT)
    } else if found(&["database"]) {
        Some(DATABASE_NAME)
    } else {
        None
    }
}

/// The current value when it is a string that means the same as `fresh`, else `fresh`
/// (null when unset).
fn keep(current: &Value, fresh: Option<String>, same: impl Fn(&str, &str) -> bool) -> Value {
    match (current.as_str(), fresh) {
        (Some(current), Some(fresh)) if same(current, &fresh) => current.into(),
        (_, fresh) => fresh.into(),
    }
}

/// A list as Azure holds it, in the current order when it is the same set (the service may
/// reorder event system properties).
fn listed(current: &Value, fresh: &[String]) -> Value {
    if let Some(elements) = current.as_elements() {
        let current: Vec<&str> = elements.iter().filter_map(Value::as_str).collect();
        let mut a = current.clone();
        let mut b: Vec<&str> = fresh.iter().map(String::as_str).collect();
        a.sort_unstable();
        b.sort_unstable();
        if current.len() == elements.len() && a == b {
            return Value::strings(current);
        }
    }
    Value::strings(fresh.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::eventhub_data_connection::schema::schema;

    const SUB: &str = "00000000-0000-0000-0000-000000000001";
    const HUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events";
    const CLUSTER: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster";

    fn id() -> DataConnectionId {
        DataConnectionId::new(SUB, "rg-demo", "democluster", "demodb", "dc1")
    }

    /// What Kusto answers after a create: display-name location, re-cased ids, upper-case
    /// enums, unset optionals empty.
    fn from_azure() -> EventHubDataConnection {
        EventHubDataConnection {
            id: id().to_string(),
            name: "dc1".into(),
            settings: EventHubSettings {
                location: "West Europe".into(),
                event_hub_resource_id: HUB
                    .replace("resourceGroups", "resourcegroups")
                    .replace("eventhubs", "EventHubs"),
                consumer_group: "kusto".into(),
                table_name: Some("Events".into()),
                mapping_rule_name: None,
                data_format: Some("json".into()),
                event_system_properties: vec!["x-opt-offset".into(), "x-opt-publisher".into()],
                compression: None,
                managed_identity_resource_id: Some(CLUSTER.replace("clusters", "Clusters")),
                database_routing: None,
                retrieval_start_date: Some("2024-01-15T08:30:00+00:00".into()),
            },
            provisioning_state: Some("Succeeded".into()),
            managed_identity_object_id: Some("oid".into()),
        }
    }

    fn configured() -> Value {
        let mut state = schema().body().empty_value();
        for (name, value) in [
            ("name", "dc1"),
            ("resource_group_name", "rg-demo"),
            ("cluster_name", "democluster"),
            ("database_name", "demodb"),
            ("location", "westeurope"),
            ("eventhub_id", HUB),
            ("consumer_group", "kusto"),
            ("table_name", "Events"),
            ("data_format", "JSON"),
            ("identity_id", CLUSTER),
            ("retrieval_start_date", "2024-01-15T08:30:00Z"),
        ] {
            state.set(name, value);
        }
        state.set(
            "event_system_properties",
            Value::strings(["x-opt-publisher", "x-opt-offset"]),
        );
        state
    }

    #[test]
    fn equivalent_answers_keep_the_configured_spelling() {
        let mut state = configured();
        let before = state.clone();
        write_id(&mut state, &id());
        write_connection(&mut state, &from_azure());
        for name in [
            "name",
            "location",
            "eventhub_id",
            "data_format",
            "identity_id",
            "retrieval_start_date",
            "event_system_properties",
        ] {
            assert_eq!(state.attr(name), before.attr(name), "{name}");
        }
        assert_eq!(state.get_str("id"), Some(id().to_string().as_str()));
        assert_eq!(state.get_str("compression"), Some("None"));
        assert_eq!(state.get_str("database_routing_type"), Some("Single"));
        assert!(state.is_null_attr("mapping_rule_name"));
        assert_eq!(state.get_str("managed_identity_object_id"), Some("oid"));
        assert_eq!(state.get_str("provisioning_state"), Some("Succeeded"));
    }

    #[test]
    fn an_empty_state_takes_canonical_forms() {
        let mut state = schema().body().empty_value();
        let recased = DataConnectionId::parse(
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-demo/providers/Microsoft.Kusto/Clusters/democluster/Databases/demodb/DataConnections/dc1",
        )
        .unwrap();
        write_id(&mut state, &recased);
        write_connection(&mut state, &from_azure());
        assert_eq!(state.get_str("id"), Some(id().to_string().as_str()));
        assert_eq!(state.get_str("location"), Some("West Europe"));
        assert_eq!(state.get_str("eventhub_id"), Some(HUB));
        assert_eq!(state.get_str("identity_id"), Some(CLUSTER));
        assert_eq!(state.get_str("data_format"), Some("JSON"));
        assert_eq!(
            state.get_strings("event_system_properties"),
            Some(vec!["x-opt-offset".into(), "x-opt-publisher".into()])
        );
        assert_eq!(
            state.get_str("retrieval_start_date"),
            Some("2024-01-15T08:30:00Z")
        );
    }

    /// The live service's GET after a create (as in the recorded traffic): unset optionals as `""`, `[]` and
    /// `null`, the location's display name, the id re-cased.
    #[test]
    fn a_live_service_answer_reads_back_as_unset_values() {
        let body = serde_json::json!({
            "id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/Clusters/democluster/Databases/demodb/DataConnections/dc1",
            "name": "democluster/demodb/dc1",
            "type": "Microsoft.Kusto/Clusters/Databases/DataConnections",
            "location": "West Europe",
            "kind": "EventHub",
            "properties": {
                "eventHubResourceId": HUB, "consumerGroup": "$Default", "tableName": "",
                "mappingRuleName": "", "dataFormat": "", "eventSystemProperties": [],
                "compression": "None", "managedIdentityResourceId": null,
                "provisioningState": "Succeeded"
            }
        });
        let decoded = kusto_arm::DataConnection::from_body(body.to_string().as_bytes());
        let Ok(kusto_arm::DataConnection::EventHub(connection)) = decoded else {
            panic!("not decoded: {decoded:?}");
        };
        let mut state = schema().body().empty_value();
        state.set("location", "westeurope");
        write_id(&mut state, &id());
        write_connection(&mut state, &connection);
        for name in [
            "table_name",
            "mapping_rule_name",
            "data_format",
            "identity_id",
            "managed_identity_object_id",
            "retrieval_start_date",
        ] {
            assert!(state.is_null_attr(name), "{name}: {:?}", state.attr(name));
        }
        assert_eq!(state.attr("event_system_properties"), &Value::List(vec![]));
        assert_eq!(state.get_str("location"), Some("westeurope"));
        assert_eq!(state.get_str("database_routing_type"), Some("Single"));
        assert_eq!(state.get_str("id"), Some(id().to_string().as_str()));
        assert_eq!(state.get_str("consumer_group"), Some("$Default"));
    }

    #[test]
    fn real_changes_replace_the_state_values() {
        let mut state = configured();
        let mut changed = from_azure();
        changed.settings.location = "North Europe".into();
        changed.settings.table_name = None;
        changed.settings.event_system_properties = Vec::new();
        changed.settings.managed_identity_resource_id = None;
        changed.settings.retrieval_start_date = Some("2025-01-01T00:00:00Z".into());
        write_connection(&mut state, &changed);
        assert_eq!(state.get_str("location"), Some("North Europe"));
        assert!(state.is_null_attr("table_name"));
        assert!(state.is_null_attr("identity_id"));
        assert_eq!(state.attr("event_system_properties"), &Value::List(vec![]));
        assert_eq!(
            state.get_str("retrieval_start_date"),
            Some("2025-01-01T00:00:00Z")
        );
    }

    #[test]
    fn settings_carry_every_configured_value() {
        let mut plan = configured();
        plan.set("compression", "None");
        plan.set("database_routing_type", "Multi");
        plan.set("mapping_rule_name", "events_json");
        let sent = settings(&plan);
        assert_eq!(sent.location, "westeurope");
        assert_eq!(sent.event_hub_resource_id, HUB);
        assert_eq!(sent.mapping_rule_name.as_deref(), Some("events_json"));
        assert_eq!(sent.event_system_properties.len(), 2);
        assert_eq!(sent.managed_identity_resource_id.as_deref(), Some(CLUSTER));
        assert_eq!(sent.database_routing.as_deref(), Some("Multi"));
        plan.set("retrieval_start_date", Value::Unknown);
        assert_eq!(settings(&plan).retrieval_start_date, None);
    }

    #[test]
    fn settings_compare_by_meaning() {
        let a = settings(&configured());
        let mut b = a.clone();
        b.location = "West Europe".into();
        b.event_hub_resource_id = HUB.to_uppercase();
        b.retrieval_start_date = Some("2024-01-15T10:30:00+02:00".into());
        assert!(same_settings(&a, &b));
        b.table_name = Some("Other".into());
        assert!(!same_settings(&a, &b));
    }

    #[test]
    fn preflight_problems_point_at_their_attribute() {
        let cases = [
            ("table does not exist", Some("table_name")),
            ("mapping does not exist", Some("mapping_rule_name")),
            (
                "mapping kind 'Csv' does not match data format 'JSON'",
                Some("mapping_rule_name"),
            ),
            ("consumer group does not exist", Some("consumer_group")),
            ("event hub does not exist", Some("eventhub_id")),
            ("something else", None),
        ];
        for (problem, attribute) in cases {
            assert_eq!(preflight_attribute(problem), attribute, "{problem}");
        }
    }

    #[test]
    fn ids_come_from_known_names_only() {
        let state = configured();
        assert_eq!(id_from_names(SUB, &state), Some(id()));
        let mut partial = state;
        partial.set("cluster_name", Value::Unknown);
        assert_eq!(id_from_names(SUB, &partial), None);
    }
}
