//! The Event Hub data connection resource: request parsing, the checks Kusto makes, and
//! the JSON the service returns.
//!
//! Checks come in two kinds, as on the live service. Problems with the request itself
//! (malformed JSON, missing or unknown `kind`, missing required properties, bad enum values,
//! immutable properties, an identity the cluster does not have) are refused synchronously
//! with 400. Problems with the data the connection points at (event hub, consumer group,
//! table, mapping, mapping kind versus data format) are found by Kusto's engine after the
//! write was accepted: the operation ends `Failed` with `EventHubValidationErorFound` (sic)
//! and the connection stays in provisioning state `Failed`, and `dataConnectionValidation`
//! lists the same problems as `errorMessage` entries.
//!
//! Rendering follows the recorded traffic: the create response echoes the request, a GET
//! re-cases the id (`Clusters/Databases/DataConnections`), names the connection
//! `cluster/db/conn`, shows the location's display name and spells unset optionals as `""`
//! after a create and `null` after an update.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::clock::arm_timestamp;
use super::error::ApiError;
use super::regions;
use super::world::{Cluster, World};

/// Resource type of data connections as the service spells it in responses.
pub const RESOURCE_TYPE: &str = "Microsoft.Kusto/Clusters/Databases/DataConnections";

const KINDS: &[&str] = &[
    "EventHub",
    "EventGrid",
    "IotHub",
    "CosmosDb",
    "EventHubWithManagedIdentity",
    "EventGridWithManagedIdentity",
];

const DATA_FORMATS: &[&str] = &[
    "MULTIJSON",
    "JSON",
    "CSV",
    "TSV",
    "SCSV",
    "SOHSV",
    "PSV",
    "TXT",
    "RAW",
    "SINGLEJSON",
    "AVRO",
    "TSVE",
    "PARQUET",
    "ORC",
    "APACHEAVRO",
    "W3CLOGFILE",
];

/// The code the live service reports for failed data checks (misspelt as in production).
pub const VALIDATION_FAILED_CODE: &str = "EventHubValidationErorFound";

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
    #[serde(default)]
    pub managed_identity_object_id: Option<String>,
    /// Only shown once a request set it, as the live service does (default `Single`).
    #[serde(default)]
    pub database_routing: Option<String>,
    #[serde(default)]
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

/// The request properties, every field optional until checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestProperties {
    pub event_hub_resource_id: Option<String>,
    pub consumer_group: Option<String>,
    pub table_name: Option<String>,
    pub mapping_rule_name: Option<String>,
    pub data_format: Option<String>,
    pub event_system_properties: Option<Vec<String>>,
    pub compression: Option<String>,
    pub managed_identity_resource_id: Option<String>,
    pub database_routing: Option<String>,
    pub retrieval_start_date: Option<String>,
}

/// A parsed PUT/PATCH body (or the `properties` of a validation request).
#[derive(Debug, Clone)]
pub struct Request {
    pub location: Option<String>,
    pub kind: String,
    pub properties: RequestProperties,
    raw_properties: Map<String, Value>,
}

/// A checked reference to an event hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHubRef {
    pub subscription_id: String,
    pub resource_group: String,
    pub namespace: String,
    pub event_hub: String,
}

fn invalid_content(detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "InvalidRequestContent",
        format!("The request content was invalid and could not be deserialized: '{detail}'."),
    )
}

/// Parses the JSON body of a write; `value` is the whole body.
pub fn parse_request(value: &Value) -> Result<Request, ApiError> {
    let object = value
        .as_object()
        .ok_or_else(|| invalid_content("the request body must be a JSON object"))?;
    let location = match object.get("location") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(invalid_content(format!(
                "location must be a string, got {other}"
            )));
        }
    };
    let kind = match object.get("kind") {
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!(
                    "The data connection kind is missing. The property 'kind' is required and must be one of: {}.",
                    KINDS.join(", ")
                ),
            ));
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(invalid_content(format!(
                "kind must be a string, got {other}"
            )));
        }
    };
    let raw_properties = match object.get("properties") {
        Some(Value::Object(map)) => map.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(other) => {
            return Err(invalid_content(format!(
                "properties must be an object, got {other}"
            )));
        }
    };
    let properties: RequestProperties =
        serde_json::from_value(Value::Object(raw_properties.clone())).map_err(invalid_content)?;
    let canonical_kind = KINDS
        .iter()
        .find(|k| k.eq_ignore_ascii_case(&kind))
        .ok_or_else(|| {
            ApiError::bad_request(
                "BadRequest",
                format!(
                    "The data connection kind '{kind}' is not supported. Supported kinds: {}.",
                    KINDS.join(", ")
                ),
            )
        })?;
    if *canonical_kind != "EventHub" {
        return Err(ApiError::bad_request(
            "BadRequest",
            format!(
                "[BadRequest] Data connection kind '{canonical_kind}' does not match the supplied properties: \
                 Event Hub properties (eventHubResourceId, consumerGroup) require kind 'EventHub'."
            ),
        ));
    }
    Ok(Request {
        location,
        kind: (*canonical_kind).to_owned(),
        properties,
        raw_properties,
    })
}

fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, ApiError> {
    match value.as_deref() {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ApiError::bad_request(
            "BadRequest",
            format!("[BadRequest] The required property '{name}' is missing or empty."),
        )),
    }
}

fn enum_value(value: &str, allowed: &[&'static str], name: &str) -> Result<&'static str, ApiError> {
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(value))
        .copied()
        .ok_or_else(|| {
            ApiError::bad_request(
                "BadRequest",
                format!(
                    "[BadRequest] The value '{value}' of property '{name}' is invalid. Allowed values: {}.",
                    allowed.join(", ")
                ),
            )
        })
}

/// Parses an Event Hub resource id, keywords case-insensitively.
pub fn parse_event_hub_id(id: &str) -> Result<EventHubRef, ApiError> {
    let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
    let shape_ok = parts.len() == 10
        && parts[0].eq_ignore_ascii_case("subscriptions")
        && parts[2].eq_ignore_ascii_case("resourceGroups")
        && parts[4].eq_ignore_ascii_case("providers")
        && parts[5].eq_ignore_ascii_case("Microsoft.EventHub")
        && parts[6].eq_ignore_ascii_case("namespaces")
        && parts[8].eq_ignore_ascii_case("eventhubs")
        && parts.iter().all(|p| !p.is_empty());
    if !shape_ok {
        return Err(ApiError::bad_request(
            "BadRequest",
            format!(
                "[BadRequest] '{id}' is not a valid event hub resource id. Expected \
                 /subscriptions/{{sub}}/resourceGroups/{{rg}}/providers/Microsoft.EventHub/namespaces/{{ns}}/eventhubs/{{hub}}."
            ),
        ));
    }
    Ok(EventHubRef {
        subscription_id: parts[1].to_owned(),
        resource_group: parts[3].to_owned(),
        namespace: parts[7].to_owned(),
        event_hub: parts[9].to_owned(),
    })
}

/// The mapping kinds that can read a data format.
fn mapping_kinds_for(format: &str) -> &'static [&'static str] {
    match format.to_ascii_uppercase().as_str() {
        "JSON" | "MULTIJSON" | "SINGLEJSON" => &["Json"],
        "AVRO" | "APACHEAVRO" => &["Avro", "ApacheAvro"],
        "PARQUET" => &["Parquet"],
        "ORC" => &["Orc"],
        "W3CLOGFILE" => &["W3CLogFile"],
        _ => &["Csv"],
    }
}

/// What a data-connection name must be, as Microsoft's naming rules for
/// `Microsoft.Kusto/clusters/databases/dataConnections` put it ("alphanumerics, hyphens,
/// spaces, and periods", 1-40 characters), with the service's refusal of a leading or
/// trailing space.
pub const NAME_RULE: &str = "use 1-40 characters: letters, digits, spaces, '-' or '.', \
                             not starting or ending with a space";

/// Why `name` is not a valid data-connection name, if it is not.
pub fn name_problem(name: &str) -> Option<String> {
    let length = name.chars().count();
    if length == 0 || length > 40 {
        return Some(format!("it has {length} characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.')))
    {
        return Some(format!("it contains '{}'", c.escape_debug()));
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return Some("it starts or ends with a space".to_owned());
    }
    None
}

/// What a write resolves to once its request-level checks pass.
#[derive(Debug, Clone)]
pub struct Checked {
    pub location: String,
    pub properties: EventHubProperties,
}

/// Runs the synchronous checks of a write and builds the properties to store.
/// `existing` is the stored connection for an update (PUT on an existing one, or PATCH);
/// `now` is when the write happens, the service's default `retrievalStartDate` of a new
/// connection (kept by updates that leave it out).
pub fn check_write(
    world: &World,
    cluster: &Cluster,
    request: &Request,
    existing: Option<&DataConnection>,
    now: OffsetDateTime,
) -> Result<Checked, ApiError> {
    let p = &request.properties;
    let event_hub_resource_id =
        required(&p.event_hub_resource_id, "eventHubResourceId")?.to_owned();
    parse_event_hub_id(&event_hub_resource_id)?;
    let consumer_group = required(&p.consumer_group, "consumerGroup")?.to_owned();
    if let Some(format) = p.data_format.as_deref().filter(|f| !f.is_empty()) {
        enum_value(format, DATA_FORMATS, "dataFormat")?;
    }
    let compression = p
        .compression
        .as_deref()
        .map(|c| enum_value(c, &["None", "GZip"], "compression"))
        .transpose()?;
    let database_routing = p
        .database_routing
        .as_deref()
        .map(|r| enum_value(r, &["Single", "Multi"], "databaseRouting"))
        .transpose()?;
    if let Some(date) = &p.retrieval_start_date {
        time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339).map_err(
            |e| {
                invalid_content(format!(
                    "retrievalStartDate '{date}' is not a date-time: {e}"
                ))
            },
        )?;
    }
    let location = match &request.location {
        Some(l) => regions::display_name(l).ok_or_else(|| {
            ApiError::bad_request(
                "LocationNotAvailableForResourceType",
                format!(
                    "The provided location '{l}' is not available for resource type \
                     'Microsoft.Kusto/clusters/databases/dataConnections'."
                ),
            )
        })?,
        None => regions::display_name(&cluster.location).unwrap_or("West Europe"),
    }
    .to_owned();
    let managed_identity_object_id = match p.managed_identity_resource_id.as_deref() {
        Some(id) if !id.is_empty() => Some(identity_object_id(world, cluster, id)?),
        _ => None,
    };

    let created = existing.is_none();
    let optional = |v: &Option<String>| match v {
        Some(s) => Some(s.clone()),
        None if created => Some(String::new()),
        None => None,
    };
    let properties = EventHubProperties {
        event_hub_resource_id,
        consumer_group,
        table_name: optional(&p.table_name),
        mapping_rule_name: optional(&p.mapping_rule_name),
        data_format: optional(&p.data_format),
        event_system_properties: p.event_system_properties.clone().unwrap_or_default(),
        compression: compression
            .map(str::to_owned)
            .or_else(|| existing.map(|e| e.properties.compression.clone()))
            .unwrap_or_else(|| "None".to_owned()),
        managed_identity_resource_id: p.managed_identity_resource_id.clone(),
        managed_identity_object_id,
        database_routing: database_routing
            .map(str::to_owned)
            .or_else(|| existing.and_then(|e| e.properties.database_routing.clone())),
        retrieval_start_date: p.retrieval_start_date.clone().or_else(|| match existing {
            Some(e) => e.properties.retrieval_start_date.clone(),
            None => Some(arm_timestamp(now)),
        }),
    };
    if let Some(existing) = existing {
        check_immutable(existing, &location, &request.kind, &properties)?;
    }
    Ok(Checked {
        location,
        properties,
    })
}

/// Refuses in-place changes of the properties Kusto cannot change on a live connection.
fn check_immutable(
    existing: &DataConnection,
    location: &str,
    kind: &str,
    new: &EventHubProperties,
) -> Result<(), ApiError> {
    let old = &existing.properties;
    let changed = [
        ("location", !regions::same(&existing.location, location)),
        ("kind", !existing.kind.eq_ignore_ascii_case(kind)),
        (
            "eventHubResourceId",
            !old.event_hub_resource_id
                .eq_ignore_ascii_case(&new.event_hub_resource_id),
        ),
        ("consumerGroup", old.consumer_group != new.consumer_group),
        (
            "compression",
            !old.compression.eq_ignore_ascii_case(&new.compression),
        ),
        (
            "databaseRouting",
            !routing(&old.database_routing).eq_ignore_ascii_case(routing(&new.database_routing)),
        ),
    ];
    match changed.iter().find(|(_, differs)| *differs) {
        Some((name, _)) => Err(ApiError::bad_request(
            "BadRequest",
            format!(
                "[BadRequest] Property '{name}' of data connection '{}' cannot be changed on an existing \
                 data connection. Delete the data connection and create it again to change it.",
                existing.names.name
            ),
        )),
        None => Ok(()),
    }
}

/// The effective database routing (`Single` unless set).
fn routing(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("Single")
}

/// The object id of the identity a connection may use: the cluster's system-assigned
/// identity (named by the cluster id) or a user-assigned identity attached to the cluster.
fn identity_object_id(world: &World, cluster: &Cluster, id: &str) -> Result<String, ApiError> {
    let not_attached = || {
        ApiError::bad_request(
            "BadRequest",
            format!(
                "[BadRequest] The managed identity '{id}' is not assigned to cluster '{}'. Use the cluster's \
                 resource id for its system-assigned identity, or a user-assigned identity attached to the cluster.",
                cluster.name
            ),
        )
    };
    if id.eq_ignore_ascii_case(&cluster.id()) {
        return cluster
            .identity
            .system_assigned_principal_id
            .clone()
            .ok_or_else(not_attached);
    }
    let attached = cluster
        .identity
        .user_assigned
        .iter()
        .any(|u| u.eq_ignore_ascii_case(id));
    match world.user_assigned_identity(id) {
        Some(identity) if attached => Ok(identity.principal_id.clone()),
        _ => Err(not_attached()),
    }
}

/// The data problems Kusto's engine would find, in the words it uses.
pub fn data_problems(
    world: &World,
    cluster: &Cluster,
    database: &str,
    p: &EventHubProperties,
) -> Vec<String> {
    let mut problems = Vec::new();
    match parse_event_hub_id(&p.event_hub_resource_id)
        .ok()
        .and_then(|r| {
            world.event_hub(
                &r.subscription_id,
                &r.resource_group,
                &r.namespace,
                &r.event_hub,
            )
        }) {
        None => problems.push("event hub does not exist".to_owned()),
        Some(hub) if !hub.has_consumer_group(&p.consumer_group) => {
            problems.push("consumer group does not exist".to_owned());
        }
        Some(_) => {}
    }
    let table_name = p.table_name.as_deref().unwrap_or_default();
    if table_name.is_empty() {
        return problems;
    }
    let Some(table) = cluster.database(database).and_then(|d| d.table(table_name)) else {
        problems.push("table does not exist".to_owned());
        return problems;
    };
    let mapping_name = p.mapping_rule_name.as_deref().unwrap_or_default();
    if mapping_name.is_empty() {
        return problems;
    }
    match table.mapping(mapping_name) {
        None => problems.push("mapping does not exist".to_owned()),
        Some(mapping) => {
            let format = p.data_format.as_deref().unwrap_or_default();
            if !format.is_empty()
                && !mapping_kinds_for(format)
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&mapping.kind))
            {
                problems.push(format!(
                    "mapping kind '{}' does not match data format '{format}'",
                    mapping.kind
                ));
            }
        }
    }
    problems
}

/// The operation error for a non-empty problem list.
pub fn problems_message(problems: &[String]) -> String {
    format!(
        "[BadRequest] Validation Errors found: {}",
        problems.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::DEFAULT_SUBSCRIPTION_ID;

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

    #[test]
    fn kind_is_required_and_must_be_event_hub() {
        let missing = parse_request(&json!({"properties": {}})).unwrap_err();
        assert_eq!(missing.code, "BadRequest");
        let other = parse_request(&json!({"kind": "EventGrid", "properties": {}})).unwrap_err();
        assert!(other.message.contains("require kind 'EventHub'"));
        let unknown = parse_request(&json!({"kind": "Kafka"})).unwrap_err();
        assert!(unknown.message.contains("not supported"));
        let wrong_type =
            parse_request(&json!({"kind": "EventHub", "properties": {"tableName": 3}}))
                .unwrap_err();
        assert_eq!(wrong_type.code, "InvalidRequestContent");
        assert_eq!(request(json!({"kind": "eventhub"})).kind, "EventHub");
    }

    #[test]
    fn create_defaults_and_update_nulls() {
        let (w, c) = world_and_cluster();
        let r = request(json!({"kind": "EventHub", "location": "westeurope",
            "properties": {"eventHubResourceId": HUB, "consumerGroup": "$Default"}}));
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
        let moved = request(json!({"kind": "EventHub", "location": "northeurope",
            "properties": {"eventHubResourceId": HUB, "consumerGroup": "$Default"}}));
        assert!(
            check_write(&w, &c, &moved, Some(&existing), NOW)
                .unwrap_err()
                .message
                .contains("'location'")
        );
        let regrouped = request(json!({"kind": "EventHub", "location": "West Europe",
            "properties": {"eventHubResourceId": HUB, "consumerGroup": "kusto"}}));
        assert!(
            check_write(&w, &c, &regrouped, Some(&existing), NOW)
                .unwrap_err()
                .message
                .contains("'consumerGroup'")
        );
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
        let props = |table: &str, mapping: &str, format: &str, group: &str| {
            let r = request(
                json!({"kind": "EventHub", "properties": {"eventHubResourceId": HUB,
                "consumerGroup": group, "tableName": table, "mappingRuleName": mapping, "dataFormat": format}}),
            );
            check_write(&w, &c, &r, None, NOW).unwrap().properties
        };
        assert!(
            data_problems(
                &w,
                &c,
                "demodb",
                &props("Events", "events_json", "JSON", "kusto")
            )
            .is_empty()
        );
        assert!(
            data_problems(
                &w,
                &c,
                "demodb",
                &props("events", "EVENTS_CSV", "csv", "$Default")
            )
            .is_empty()
        );
        assert_eq!(
            data_problems(&w, &c, "demodb", &props("Nope", "", "", "$Default")),
            ["table does not exist"]
        );
        assert_eq!(
            data_problems(
                &w,
                &c,
                "demodb",
                &props("Events", "nope", "JSON", "$Default")
            ),
            ["mapping does not exist"]
        );
        assert_eq!(
            data_problems(
                &w,
                &c,
                "demodb",
                &props("Events", "events_csv", "JSON", "other")
            ),
            [
                "consumer group does not exist",
                "mapping kind 'Csv' does not match data format 'JSON'"
            ]
        );
        assert_eq!(
            problems_message(&["table does not exist".into()]),
            "[BadRequest] Validation Errors found: table does not exist"
        );
    }

    #[test]
    fn names_render_the_service_casing() {
        let (w, c) = world_and_cluster();
        let r = request(json!({"kind": "EventHub", "location": "westeurope",
            "properties": {"eventHubResourceId": HUB, "consumerGroup": "$Default"}}));
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
}
