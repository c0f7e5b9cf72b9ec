//! The checks Kusto makes synchronously on a write, refused with 400: required properties,
//! enum values, the event hub id's shape, the name, the location, properties that cannot
//! change on an existing connection, and an identity the cluster does not have.

use time::OffsetDateTime;

use super::model::{DataConnection, EventHubProperties};
use super::request::{Request, invalid_content};
use crate::clock::arm_timestamp;
use crate::error::ApiError;
use crate::regions;
use crate::world::{Cluster, World};

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

/// A checked reference to an event hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHubRef {
    pub subscription_id: String,
    pub resource_group: String,
    pub namespace: String,
    pub event_hub: String,
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
