//! Every attribute of `kusto_eventhub_data_connection`, written once.
//!
//! One row of [`ATTRIBUTES`] says all there is to know about an attribute: its name and
//! description, whether the user must, may or cannot set it, the rule that checks it,
//! whether changing it replaces the connection, which spellings mean the same value, and
//! where it lives in Azure. The resource's schema ([`super::schema`]), the state <-> Azure
//! mapping ([`super::model`]) and the data source's schema are all derived from this table,
//! so adding an attribute is adding a row (and its field in the ARM client's model).
//!
//! The names are constants in [`super::names`], for the few places (cross-field rules, plan
//! adjustments) that speak of one attribute in particular.

use kusto_arm::{DataConnectionId, EventHubDataConnection, EventHubSettings};

use super::names::*;
use super::rules;
use super::spelling::{
    canonical, canonical_eventhub_id, canonical_identity_id, canonical_instant, same_eventhub_id,
    same_identity_id, same_instant, same_location,
};

/// The service's `compression` default.
pub(crate) const DEFAULT_COMPRESSION: &str = "None";

/// The service's `databaseRouting` default.
pub(crate) const DEFAULT_DATABASE_ROUTING: &str = "Single";

/// Who sets an attribute.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Presence {
    /// The user must.
    Required,
    /// The user may; unset means unset.
    Optional,
    /// The user may; when omitted, the service's default, shown in the plan.
    Default(ServiceDefault),
    /// The user may; when omitted, Azure chooses once and the state keeps its choice.
    AzureChooses,
    /// Only Azure or the provider.
    Computed,
}

/// A service default, as a schema default.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ServiceDefault {
    Text(&'static str),
    EmptyList,
}

/// What a change of the configured value does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Azure cannot change it: the connection is replaced.
    Replaces,
    /// Replaced, unless the new value is another spelling of the same one.
    ReplacesUnlessSame,
    /// Updated in place (or nothing to change).
    InPlace,
}

/// Where an attribute's value lives in Azure.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Azure {
    /// The connection's ARM id.
    Id,
    /// One of the names in the ARM id.
    Name(fn(&DataConnectionId) -> &str),
    /// A setting sent in every write and read back: `read` gives Azure's value in its
    /// documented spelling (service defaults filled in), `write` puts a planned value into
    /// the settings to send.
    Text {
        read: fn(&EventHubSettings) -> Option<String>,
        write: fn(&mut EventHubSettings, Option<String>),
    },
    /// A list setting, sent and read back like [`Azure::Text`].
    List {
        read: fn(&EventHubSettings) -> &[String],
        write: fn(&mut EventHubSettings, Vec<String>),
    },
    /// Reported by Azure, never sent.
    Reported(fn(&EventHubDataConnection) -> Option<String>),
    /// An argument of the provider's own, never sent (a boolean).
    Argument,
}

/// A rule a configured value must follow: the problem, in words, when it does not.
pub(crate) type Rule = fn(&str) -> Result<(), String>;

/// One attribute; see the module documentation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attr {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) presence: Presence,
    /// The rule a configured value (each element, for a list) must follow.
    pub(crate) rule: Option<Rule>,
    pub(crate) change: Change,
    /// Whether two spellings mean the same value (Azure's answer against the configured one).
    pub(crate) same: fn(&str, &str) -> bool,
    pub(crate) azure: Azure,
}

fn exact(a: &str, b: &str) -> bool {
    a == b
}

fn any_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Every attribute, in the order of the schema and the documentation.
pub(crate) const ATTRIBUTES: [Attr; 19] = [
    Attr {
        name: ID,
        description: "The ARM ID of the data connection, \
            `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Kusto/clusters/{clusterName}/databases/{databaseName}/dataConnections/{name}`.",
        presence: Presence::Computed,
        rule: None,
        change: Change::InPlace,
        same: exact,
        azure: Azure::Id,
    },
    Attr {
        name: NAME,
        description: "The name of the data connection: 1 to 40 ASCII letters, digits, spaces, \
            hyphens (`-`) and periods (`.`), not starting or ending with a space (Microsoft's \
            naming rule for Kusto data connections).",
        presence: Presence::Required,
        rule: Some(rules::validate_name),
        change: Change::Replaces,
        same: any_case,
        azure: Azure::Name(|id| &id.name),
    },
    Attr {
        name: RESOURCE_GROUP_NAME,
        description: "The resource group of the Kusto cluster.",
        presence: Presence::Required,
        rule: Some(rules::validate_resource_group_name),
        change: Change::Replaces,
        same: any_case,
        azure: Azure::Name(|id| &id.cluster().resource_group),
    },
    Attr {
        name: LOCATION,
        description: "The Azure region of the **Kusto cluster** (not of the Event Hub), as a name \
            (`westeurope`) or a display name (`West Europe`). Both spellings name the same \
            region: changing one into the other plans no change.",
        presence: Presence::Required,
        rule: Some(rules::validate_location),
        change: Change::ReplacesUnlessSame,
        same: same_location,
        azure: Azure::Text {
            read: |s| Some(s.location.clone()).filter(|l| !l.is_empty()),
            write: |s, v| s.location = v.unwrap_or_default(),
        },
    },
    Attr {
        name: CLUSTER_NAME,
        description: "The name of the Kusto cluster: 4 to 22 lower-case letters, digits and \
            dashes, starting with a letter.",
        presence: Presence::Required,
        rule: Some(rules::validate_cluster_name),
        change: Change::Replaces,
        same: any_case,
        azure: Azure::Name(|id| &id.cluster().cluster),
    },
    Attr {
        name: DATABASE_NAME,
        description: "The name of the database the events are ingested into.",
        presence: Presence::Required,
        rule: Some(rules::validate_database_name),
        change: Change::Replaces,
        same: any_case,
        azure: Azure::Name(|id| &id.database.database),
    },
    Attr {
        name: EVENTHUB_ID,
        description: "The ARM ID of the Event Hub to read, \
            `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.EventHub/namespaces/{namespaceName}/eventhubs/{eventHubName}`. \
            Compared case-insensitively, so Azure returning it in another casing is not a change.",
        presence: Presence::Required,
        rule: Some(rules::validate_eventhub_id),
        change: Change::ReplacesUnlessSame,
        same: same_eventhub_id,
        azure: Azure::Text {
            read: |s| Some(canonical_eventhub_id(&s.event_hub_resource_id)),
            write: |s, v| s.event_hub_resource_id = v.unwrap_or_default(),
        },
    },
    Attr {
        name: CONSUMER_GROUP,
        description: "The Event Hub consumer group the connection reads through: `$Default`, or 1 \
            to 50 letters, digits, dots, underscores and dashes that start and end with a letter \
            or digit. Give each data connection its own consumer group.",
        presence: Presence::Required,
        rule: Some(rules::validate_consumer_group),
        change: Change::Replaces,
        same: exact,
        azure: Azure::Text {
            read: |s| Some(s.consumer_group.clone()),
            write: |s, v| s.consumer_group = v.unwrap_or_default(),
        },
    },
    Attr {
        name: TABLE_NAME,
        description: "The table the events are ingested into. When omitted, each event names its \
            table in its `Table` property.",
        presence: Presence::Optional,
        rule: Some(rules::validate_table_name),
        change: Change::InPlace,
        same: exact,
        azure: Azure::Text {
            read: |s| s.table_name.clone(),
            write: |s, v| s.table_name = v,
        },
    },
    Attr {
        name: MAPPING_RULE_NAME,
        description: "The ingestion mapping of the table that maps event fields to columns. When \
            omitted, each event may name its mapping in its `IngestionMappingReference` property.",
        presence: Presence::Optional,
        rule: Some(rules::validate_mapping_rule_name),
        change: Change::InPlace,
        same: exact,
        azure: Azure::Text {
            read: |s| s.mapping_rule_name.clone(),
            write: |s, v| s.mapping_rule_name = v,
        },
    },
    Attr {
        name: DATA_FORMAT,
        description: "The format of the events: `APACHEAVRO`, `AVRO`, `CSV`, `JSON`, `MULTIJSON`, \
            `ORC`, `PARQUET`, `PSV`, `SCSV`, `SINGLEJSON`, `SOHSV`, `TSV`, `TSVE`, `TXT` or \
            `W3CLOGFILE` (case-sensitive). When omitted, each event names its format in its \
            `Format` property. `RAW`, although part of the ARM API, is refused: Event Hub \
            ingestion does not support it.",
        presence: Presence::Optional,
        rule: Some(rules::validate_data_format),
        change: Change::InPlace,
        same: any_case,
        azure: Azure::Text {
            read: |s| {
                s.data_format
                    .as_deref()
                    .map(|f| canonical(f, &rules::DATA_FORMATS))
            },
            write: |s, v| s.data_format = v,
        },
    },
    Attr {
        name: COMPRESSION,
        description: "How event bodies are compressed: `None` or `GZip` (case-sensitive). `GZip` \
            cannot be combined with an already-compressed `data_format` (`AVRO`, `APACHEAVRO`, \
            `PARQUET`, `ORC`, `W3CLOGFILE`) nor with `event_system_properties`.",
        presence: Presence::Default(ServiceDefault::Text(DEFAULT_COMPRESSION)),
        rule: Some(rules::validate_compression),
        change: Change::Replaces,
        same: any_case,
        azure: Azure::Text {
            read: |s| {
                let compression = s.compression.as_deref().unwrap_or(DEFAULT_COMPRESSION);
                Some(canonical(compression, &rules::COMPRESSIONS))
            },
            write: |s, v| s.compression = v,
        },
    },
    Attr {
        name: EVENT_SYSTEM_PROPERTIES,
        description: "Event Hub system properties to add to every ingested record, such as \
            `x-opt-enqueued-time`, `x-opt-sequence-number`, `x-opt-offset`, `x-opt-publisher`, \
            `x-opt-partition-key` or `message-id`. The table's mapping must have columns for \
            them.",
        presence: Presence::Default(ServiceDefault::EmptyList),
        rule: Some(rules::validate_event_system_property),
        change: Change::InPlace,
        same: exact,
        azure: Azure::List {
            read: |s| &s.event_system_properties,
            write: |s, v| s.event_system_properties = v,
        },
    },
    Attr {
        name: IDENTITY_ID,
        description: "The managed identity the connection reads the Event Hub with: the ARM ID of \
            the Kusto cluster itself (its system-assigned identity, \
            `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Kusto/clusters/{clusterName}`) \
            or of a user-assigned identity assigned to the cluster \
            (`/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{identityName}`). \
            A cluster ID must name this connection's own cluster. When omitted, the connection \
            reads with a key of the Event Hub namespace.",
        presence: Presence::Optional,
        rule: Some(rules::validate_identity_id),
        change: Change::InPlace,
        same: same_identity_id,
        azure: Azure::Text {
            read: |s| {
                s.managed_identity_resource_id
                    .as_deref()
                    .map(canonical_identity_id)
            },
            write: |s, v| s.managed_identity_resource_id = v,
        },
    },
    Attr {
        name: DATABASE_ROUTING_TYPE,
        description: "`Single`: every event goes to `database_name`; `Multi`: an event may name \
            another database of the cluster in its `Database` property (case-sensitive values).",
        presence: Presence::Default(ServiceDefault::Text(DEFAULT_DATABASE_ROUTING)),
        rule: Some(rules::validate_database_routing_type),
        change: Change::Replaces,
        same: any_case,
        azure: Azure::Text {
            read: |s| {
                let routing = s
                    .database_routing
                    .as_deref()
                    .unwrap_or(DEFAULT_DATABASE_ROUTING);
                Some(canonical(routing, &rules::DATABASE_ROUTING_TYPES))
            },
            write: |s, v| s.database_routing = v,
        },
    },
    Attr {
        name: RETRIEVAL_START_DATE,
        description: "An RFC 3339 date-time such as `2024-01-15T08:30:00Z`: the connection also \
            ingests the events enqueued since then that the Event Hub still retains. When \
            omitted, Azure chooses, and its value is shown in state. Equal instants written \
            differently (`Z` or `+00:00`) are not a change.",
        presence: Presence::AzureChooses,
        rule: Some(rules::validate_retrieval_start_date),
        change: Change::InPlace,
        same: same_instant,
        azure: Azure::Text {
            read: |s| s.retrieval_start_date.as_deref().map(canonical_instant),
            write: |s, v| s.retrieval_start_date = v,
        },
    },
    Attr {
        name: SKIP_PREFLIGHT_VALIDATION,
        description: "`true` to plan and apply the connection without asking Azure to validate \
            it (the Kusto `dataConnectionValidation` operation, which reports a missing table, \
            mapping or consumer group at plan time, before anything is created). Overrides the \
            provider's `skip_preflight_validation` when set; defaults to the provider's setting \
            (`false`).",
        presence: Presence::Optional,
        rule: None,
        change: Change::InPlace,
        same: exact,
        azure: Azure::Argument,
    },
    Attr {
        name: MANAGED_IDENTITY_OBJECT_ID,
        description: "The object (principal) ID of the managed identity named by `identity_id`; \
            not set when the connection uses a key. Use it to grant the identity a role on the \
            Event Hub.",
        presence: Presence::Computed,
        rule: None,
        change: Change::InPlace,
        same: exact,
        azure: Azure::Reported(|c| c.managed_identity_object_id.clone()),
    },
    Attr {
        name: PROVISIONING_STATE,
        description: "The provisioning state Azure reports for the connection, `Succeeded` once \
            it is ready.",
        presence: Presence::Computed,
        rule: None,
        change: Change::InPlace,
        same: exact,
        azure: Azure::Reported(|c| c.provisioning_state.clone()),
    },
];
