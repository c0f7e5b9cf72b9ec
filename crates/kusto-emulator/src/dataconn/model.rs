//! The data connection as stored, and the JSON the service returns for it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::request::Request;

/// Resource type of data connections as the service spells it in responses.
pub const RESOURCE_TYPE: &str = "Microsoft.Kusto/Clusters/Databases/DataConnections";

/// Names of the five path segments that identify a data connection, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Names {
    pub subscription_id: String,
    pub resource_group: String,
    pub cluster: String,
    pub database: String,
    pub name: String,
}

impl Names {
    /// The resource id in the service's casing.
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/Clusters/{}/Databases/{}/DataConnections/{}",
            self.subscription_id, self.resource_group, self.cluster, self.database, self.name
        )
    }

    /// The key under which the connection is stored.
    pub fn key(&self) -> String {
        self.id().to_ascii_lowercase()
    }

    /// The lower-cased id of the parent cluster.
    pub fn cluster_key(&self) -> String {
        format!(
            "/subscriptions/{}/resourcegroups/{}/providers/microsoft.kusto/clusters/{}",
            self.subscription_id, self.resource_group, self.cluster
        )
        .to_ascii_lowercase()
    }
}

/// Event Hub connection properties as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventHubProperties {
    pub event_hub_resource_id: String,
    pub consumer_group: String,
    pub table_name: Option<String>,
    pub mapping_rule_name: Option<String>,
    pub data_format: Option<String>,
    #[serde(default)]
    pub event_system_properties: Vec<String>,
    pub compression: String,
    pub managed_identity_resource_id: Option<String>,
    pub managed_identity_object_id: Option<String>,
    /// Only shown once a request set it, as the live service does (default `Single`).
    pub database_routing: Option<String>,
    pub retrieval_start_date: Option<String>,
}

/// A stored data connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataConnection {
    pub names: Names,
    /// Display name of the region ("West Europe").
    pub location: String,
    pub kind: String,
    pub provisioning_state: String,
    pub properties: EventHubProperties,
}

impl DataConnection {
    /// The body of a GET, a list entry or a final Location result.
    pub fn render(&self) -> Value {
        let p = &self.properties;
        let mut props = json!({
            "eventHubResourceId": p.event_hub_resource_id,
            "consumerGroup": p.consumer_group,
            "tableName": p.table_name,
            "mappingRuleName": p.mapping_rule_name,
            "dataFormat": p.data_format,
            "eventSystemProperties": p.event_system_properties,
            "compression": p.compression,
            "managedIdentityResourceId": p.managed_identity_resource_id,
            "provisioningState": self.provisioning_state,
        });
        if let Some(object_id) = &p.managed_identity_object_id {
            props["managedIdentityObjectId"] = json!(object_id);
        }
        if let Some(routing) = &p.database_routing {
            props["databaseRouting"] = json!(routing);
        }
        if let Some(date) = &p.retrieval_start_date {
            props["retrievalStartDate"] = json!(date);
        }
        self.envelope(json!(self.location), props)
    }

    fn envelope(&self, location: Value, properties: Value) -> Value {
        let n = &self.names;
        json!({
            "id": n.id(),
            "name": format!("{}/{}/{}", n.cluster, n.database, n.name),
            "type": RESOURCE_TYPE,
            "location": location,
            "kind": self.kind,
            "properties": properties,
        })
    }

    /// The body of a 201 create: the request echoed, with defaults and the state added.
    pub fn render_created(&self, request: &Request) -> Value {
        let mut props = request.raw_properties.clone();
        props.remove("managedIdentityObjectId");
        props
            .entry("compression")
            .or_insert_with(|| json!(self.properties.compression));
        props.insert(
            "provisioningState".to_owned(),
            json!(self.provisioning_state),
        );
        let location = request
            .location
            .clone()
            .unwrap_or_else(|| self.location.clone());
        self.envelope(json!(location), Value::Object(props))
    }
}
