//! The JSON shapes of Kusto data connections (api-version 2025-02-14), hand-written.
//!
//! What goes out ([`EventHubSettings`]) is kept apart from what comes back
//! ([`EventHubDataConnection`], which adds the read-only fields), so a read-only value can never
//! be sent by mistake. Decoding is lenient where the live service is: `""`, `[]` and `null` all
//! mean "unset", `kind` is matched case-insensitively, and a connection of another kind is
//! reported as such rather than half-decoded. Enumerations the spec marks `modelAsString`
//! (`dataFormat`, `compression`, `databaseRouting`) stay strings, so a value added by the
//! service later still round-trips.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::ids::DataConnectionId;

/// The settings of an Event Hub data connection: everything a caller can set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct EventHubSettings {
    /// Region; must be the cluster's.
    pub location: String,
    /// Event Hub resource id (required):
    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.EventHub/namespaces/{ns}/eventhubs/{eh}`.
    pub event_hub_resource_id: String,
    /// Consumer group (required).
    pub consumer_group: String,
    /// Target table.
    pub table_name: Option<String>,
    /// Ingestion mapping name.
    pub mapping_rule_name: Option<String>,
    /// Data format (`JSON`, `MULTIJSON`, `CSV`, ...).
    pub data_format: Option<String>,
    /// Event system properties to ingest.
    pub event_system_properties: Vec<String>,
    /// `None` or `GZip`.
    pub compression: Option<String>,
    /// Identity used to read the Event Hub (cluster id or user-assigned identity id).
    pub managed_identity_resource_id: Option<String>,
    /// `Single` or `Multi`.
    pub database_routing: Option<String>,
    /// Ingest events retained since this ISO 8601 date-time.
    pub retrieval_start_date: Option<String>,
}

/// An Event Hub data connection as Azure reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHubDataConnection {
    /// Resource id in canonical casing (as returned when it is not a data connection id).
    pub id: String,
    /// Short name (the last segment of the id; ARM reports `cluster/database/name`).
    pub name: String,
    /// `Creating`, `Succeeded`, `Failed`, ...
    pub provisioning_state: Option<String>,
    /// The settings, as stored by the service.
    pub settings: EventHubSettings,
    /// Object id of the identity used (read-only).
    pub managed_identity_object_id: Option<String>,
}

/// Any data connection: Event Hub, or a kind this provider does not manage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataConnection {
    /// `kind: EventHub`.
    EventHub(Box<EventHubDataConnection>),
    /// Another kind (`EventGrid`, `IotHub`, `CosmosDb`, ...), reported verbatim.
    Other {
        /// Resource id.
        id: String,
        /// The kind the service reported.
        kind: String,
    },
}

/// Wire form of [`EventHubSettings`]'s `properties`, in the REST specification's order; unset
/// and empty values are omitted, so a full PUT clears what the caller cleared.
struct WireProperties<'a>(&'a EventHubSettings);

impl Serialize for WireProperties<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        let settings = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("eventHubResourceId", &settings.event_hub_resource_id)?;
        map.serialize_entry("consumerGroup", &settings.consumer_group)?;
        set_entries(
            &mut map,
            [
                ("tableName", &settings.table_name),
                ("mappingRuleName", &settings.mapping_rule_name),
                ("dataFormat", &settings.data_format),
            ],
        )?;
        if !settings.event_system_properties.is_empty() {
            map.serialize_entry("eventSystemProperties", &settings.event_system_properties)?;
        }
        set_entries(
            &mut map,
            [
                ("compression", &settings.compression),
                (
                    "managedIdentityResourceId",
                    &settings.managed_identity_resource_id,
                ),
                ("databaseRouting", &settings.database_routing),
                ("retrievalStartDate", &settings.retrieval_start_date),
            ],
        )?;
        map.end()
    }
}

/// Adds the `entries` that are set and not blank to `map`.
fn set_entries<M: SerializeMap, const N: usize>(
    map: &mut M,
    entries: [(&str, &Option<String>); N],
) -> std::result::Result<(), M::Error> {
    for (key, value) in entries {
        if let Some(value) = non_empty(value) {
            map.serialize_entry(key, value)?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct WireConnection<'a> {
    kind: &'static str,
    location: &'a str,
    properties: WireProperties<'a>,
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl EventHubSettings {
    fn wire(&self) -> WireConnection<'_> {
        WireConnection {
            kind: "EventHub",
            location: &self.location,
            properties: WireProperties(self),
        }
    }

    /// The PUT body: `{"kind":"EventHub","location":…,"properties":{…}}`.
    pub(crate) fn to_body(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(&self.wire())
            .map_err(|e| Error::Decode(format!("cannot encode the data connection: {e}")))
    }

    /// The `dataConnectionValidation` body for a connection named `name`.
    pub(crate) fn to_validation_body(&self, name: &str) -> Result<Vec<u8>> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Validation<'a> {
            data_connection_name: &'a str,
            properties: WireConnection<'a>,
        }
        serde_json::to_vec(&Validation {
            data_connection_name: name,
            properties: self.wire(),
        })
        .map_err(|e| Error::Decode(format!("cannot encode the validation request: {e}")))
    }
}

/// Reads a string field, treating `null`, `""` and non-strings as unset.
fn text(map: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Reads a list of strings, treating `null` and `""` entries as absent.
fn list(map: &serde_json::Map<String, Value>, key: &str) -> Vec<String> {
    match map.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl DataConnection {
    /// Decodes a data connection resource body.
    pub fn from_body(body: &[u8]) -> Result<Self> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| Error::Decode(format!("the data connection is not valid JSON: {e}")))?;
        Self::from_resource(value)
    }

    /// Decodes a data connection resource already read as JSON (an entry of a list page).
    pub(crate) fn from_resource(value: Value) -> Result<Self> {
        let Value::Object(resource) = value else {
            return Err(Error::Decode(
                "the data connection is not a JSON object".into(),
            ));
        };
        let raw_id = text(&resource, "id").unwrap_or_default();
        let id = DataConnectionId::parse(&raw_id)
            .map(|id| id.to_string())
            .unwrap_or(raw_id);
        let kind = text(&resource, "kind").unwrap_or_default();
        if !kind.eq_ignore_ascii_case("EventHub") {
            return Ok(Self::Other {
                id,
                kind: if kind.is_empty() {
                    "(none)".into()
                } else {
                    kind
                },
            });
        }
        let empty = serde_json::Map::new();
        let props = resource
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let name = text(&resource, "name")
            .map(|n| n.rsplit('/').next().unwrap_or_default().to_string())
            .unwrap_or_default();
        let required = |key: &str| {
            text(props, key).ok_or_else(|| {
                Error::Decode(format!("data connection {id:?} has no properties.{key}"))
            })
        };
        Ok(Self::EventHub(Box::new(EventHubDataConnection {
            settings: EventHubSettings {
                location: text(&resource, "location").unwrap_or_default(),
                event_hub_resource_id: required("eventHubResourceId")?,
                consumer_group: required("consumerGroup")?,
                table_name: text(props, "tableName"),
                mapping_rule_name: text(props, "mappingRuleName"),
                data_format: text(props, "dataFormat"),
                event_system_properties: list(props, "eventSystemProperties"),
                compression: text(props, "compression"),
                managed_identity_resource_id: text(props, "managedIdentityResourceId"),
                database_routing: text(props, "databaseRouting"),
                retrieval_start_date: text(props, "retrievalStartDate"),
            },
            provisioning_state: text(props, "provisioningState"),
            managed_identity_object_id: text(props, "managedIdentityObjectId"),
            id,
            name,
        })))
    }
}

/// Decodes a `dataConnectionValidation` result: `{"value":[{"errorMessage":…}]}`, the live
/// service's `{"Value":[…]}`, or a bare array; an empty body means no errors.
pub(crate) fn validation_errors(body: Option<&[u8]>) -> Result<Vec<String>> {
    let Some(body) = body.filter(|b| !b.iter().all(u8::is_ascii_whitespace)) else {
        return Ok(Vec::new());
    };
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Error::Decode(format!("the validation result is not valid JSON: {e}")))?;
    let items = match &value {
        Value::Array(items) => items.as_slice(),
        Value::Object(map) => map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("value"))
            .and_then(|(_, v)| v.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default(),
        _ => &[],
    };
    Ok(items
        .iter()
        .filter_map(|item| {
            item.as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("errorMessage"))
                .and_then(|(_, v)| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real ARM traffic (Azure CLI kusto extension cassette, MIT), see testdata/azure-spec.
    fn recordings() -> Vec<Value> {
        serde_json::from_str(include_str!(
            "../../../../testdata/azure-spec/recordings/kusto-data-connections-2022-02-01.json"
        ))
        .unwrap()
    }

    #[test]
    fn recorded_resources_decode() {
        let mut decoded = 0;
        for interaction in recordings() {
            let body = &interaction["response"]["body"];
            let is_resource = body.get("type").and_then(Value::as_str)
                == Some("Microsoft.Kusto/Clusters/Databases/DataConnections");
            if !is_resource {
                continue;
            }
            let bytes = serde_json::to_vec(body).unwrap();
            let DataConnection::EventHub(dc) = DataConnection::from_body(&bytes).unwrap() else {
                panic!("not an Event Hub connection: {body}");
            };
            assert_eq!(dc.name, "dataConnectionTest");
            assert_eq!(
                dc.id,
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/clitest000001/providers/Microsoft.Kusto/clusters/kustoCluster/databases/KustoDatabase/dataConnections/dataConnectionTest"
            );
            assert_eq!(dc.settings.consumer_group, "$Default");
            assert!(dc.provisioning_state.is_some());
            decoded += 1;
        }
        assert!(decoded >= 4, "only {decoded} resource bodies found");
    }

    #[test]
    fn recorded_validation_result_decodes() {
        let result = recordings()
            .into_iter()
            .find(|i| {
                i["uri"]
                    .as_str()
                    .unwrap()
                    .contains("operationResultResponseType=Location")
            })
            .unwrap();
        let bytes = serde_json::to_vec(&result["response"]["body"]).unwrap();
        assert_eq!(
            validation_errors(Some(&bytes)).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            validation_errors(Some(
                br#"{"value":[{"errorMessage":"table does not exist"}]}"#
            ))
            .unwrap(),
            vec!["table does not exist".to_string()]
        );
        assert_eq!(
            validation_errors(Some(br#"[{"errorMessage":"a"},{"errorMessage":""}]"#)).unwrap(),
            vec!["a".to_string()]
        );
        assert!(validation_errors(None).unwrap().is_empty());
    }

    #[test]
    fn unset_values_in_any_form_decode_as_unset() {
        let body = br#"{"id":"/x","name":"c/d/n","kind":"eventhub","location":"West Europe",
            "properties":{"eventHubResourceId":"/eh","consumerGroup":"$Default","tableName":"",
            "mappingRuleName":null,"eventSystemProperties":[],"dataFormat":"MULTIJSON",
            "managedIdentityObjectId":"","retrievalStartDate":null}}"#;
        let DataConnection::EventHub(dc) = DataConnection::from_body(body).unwrap() else {
            panic!()
        };
        assert_eq!(dc.id, "/x");
        assert_eq!(dc.name, "n");
        assert_eq!(dc.settings.location, "West Europe");
        assert_eq!(dc.settings.table_name, None);
        assert_eq!(dc.settings.mapping_rule_name, None);
        assert!(dc.settings.event_system_properties.is_empty());
        assert_eq!(dc.settings.data_format.as_deref(), Some("MULTIJSON"));
        assert_eq!(dc.managed_identity_object_id, None);
    }

    #[test]
    fn other_kinds_are_reported_not_decoded() {
        let body = br#"{"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Kusto/Clusters/c/Databases/d/DataConnections/n","kind":"EventGrid","properties":{}}"#;
        assert_eq!(
            DataConnection::from_body(body).unwrap(),
            DataConnection::Other {
                id: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections/n".into(),
                kind: "EventGrid".into()
            }
        );
    }

    #[test]
    fn bodies_carry_kind_and_every_set_field() {
        let mut settings = EventHubSettings {
            event_hub_resource_id: "/eh".into(),
            consumer_group: "$Default".into(),
            ..EventHubSettings::default()
        };
        settings.location = "westeurope".into();
        settings.table_name = Some("Events".into());
        settings.mapping_rule_name = Some("".into());
        settings.data_format = Some("JSON".into());
        settings.event_system_properties = vec!["x-opt-offset".into()];
        settings.compression = Some("None".into());
        settings.managed_identity_resource_id = None;
        settings.database_routing = Some("Single".into());
        settings.retrieval_start_date = Some("2026-01-01T00:00:00Z".into());
        let body: Value = serde_json::from_slice(&settings.to_body().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "kind": "EventHub",
                "location": "westeurope",
                "properties": {
                    "eventHubResourceId": "/eh",
                    "consumerGroup": "$Default",
                    "tableName": "Events",
                    "dataFormat": "JSON",
                    "eventSystemProperties": ["x-opt-offset"],
                    "compression": "None",
                    "databaseRouting": "Single",
                    "retrievalStartDate": "2026-01-01T00:00:00Z"
                }
            })
        );
        let validation: Value =
            serde_json::from_slice(&settings.to_validation_body("dc1").unwrap()).unwrap();
        assert_eq!(validation["dataConnectionName"], "dc1");
        assert_eq!(validation["properties"]["kind"], "EventHub");
    }
}
