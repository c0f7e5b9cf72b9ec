//! Attribute rules of `kusto_eventhub_data_connection`, as plain functions.
//!
//! Why a separate module: these rules decide what a user may write, so they must be easy to hold
//! against their sources and to test without a Terraform host or an Azure endpoint.
//!
//! - **Single-attribute rules** (`validate_*`) reproduce azurerm 5.2.0's validation, so a config
//!   that azurerm accepts is accepted here, with two deliberate differences: ARM ids are checked
//!   case-insensitively (ARM itself is case-insensitive and Kusto re-cases the ids it returns), and
//!   `data_format = "RAW"` is refused because Event Hub ingestion does not support it.
//!   Enum values stay **case-sensitive**, as in azurerm; a wrong casing gets a "did you mean" hint.
//! - **Cross-field rules** ([`check_combination`]) catch what azurerm lets through and the service
//!   only reports after the connection exists (or never): compressing formats that are already
//!   compressed, system properties on compressed data, and a cluster id in `identity_id` that is
//!   not this connection's cluster. Routing combinations are *not* restricted: `table_name`,
//!   `mapping_rule_name` and `data_format` may each be left for the events to carry (dynamic
//!   routing), which azurerm's `_unboundMapping` acceptance tests rely on.
//!
//! Every rule returns a message written for a Terraform user: what is wrong, with the value, and
//! what is accepted. The caller attaches the attribute path, and skips null or unknown values.

use std::ops::RangeInclusive;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use kusto_arm::{ClusterId, DataConnectionId, EventHubId, IdError, ManagedIdentityId};

use super::names::{
    COMPRESSION, DATA_FORMAT, DATABASE_ROUTING_TYPE, EVENT_SYSTEM_PROPERTIES, EVENTHUB_ID, ID,
    IDENTITY_ID, LOCATION, RETRIEVAL_START_DATE,
};

/// `data_format` values of the ARM API (`EventHubDataFormat`, Kusto 2024-04-13 and 2025-02-14).
pub(crate) const DATA_FORMATS: [&str; 16] = [
    "APACHEAVRO",
    "AVRO",
    "CSV",
    "JSON",
    "MULTIJSON",
    "ORC",
    "PARQUET",
    "PSV",
    "RAW",
    "SCSV",
    "SINGLEJSON",
    "SOHSV",
    "TSV",
    "TSVE",
    "TXT",
    "W3CLOGFILE",
];

/// `compression` values; the service defaults to `None`.
pub(crate) const COMPRESSIONS: [&str; 2] = ["GZip", "None"];

/// `database_routing_type` values; the service defaults to `Single`.
pub(crate) const DATABASE_ROUTING_TYPES: [&str; 2] = ["Multi", "Single"];

/// Formats whose payload is already compressed, so GZip compression of the event is not supported.
///
/// Source: "Azure Event Hubs data connection", section *Data format*
/// (<https://learn.microsoft.com/azure/data-explorer/ingest-data-event-hub-overview>): "Data
/// compression isn't supported for compressed formats (Avro, Parquet, ORC, ApacheAvro and
/// W3CLOGFILE)".
const ALREADY_COMPRESSED_FORMATS: [&str; 5] =
    ["APACHEAVRO", "AVRO", "ORC", "PARQUET", "W3CLOGFILE"];

/// Why `GZip` and `event_system_properties` exclude each other (see [`check_combination`]).
const GZIP_WITH_SYSTEM_PROPERTIES: &str = "event_system_properties cannot be embedded in \
    GZip-compressed events; remove them or set compression to \"None\"";

/// The name of the consumer group every Event Hub has, the one exception to the naming rule.
const DEFAULT_CONSUMER_GROUP: &str = "$Default";

/// A naming rule of the kind Azure documents for its resource names: a length range, letters,
/// digits and a few punctuation characters; never blank, never padded with whitespace or holding
/// control characters.
struct NameRule {
    /// What the value names, as the messages say it ("a Kusto cluster name").
    what: &'static str,
    lengths: RangeInclusive<usize>,
    /// Only lower-case letters (besides digits and `punctuation`).
    lower_case: bool,
    /// The characters allowed besides ASCII letters and digits.
    punctuation: &'static str,
}

impl NameRule {
    const fn any_case(
        what: &'static str,
        lengths: RangeInclusive<usize>,
        punctuation: &'static str,
    ) -> Self {
        NameRule {
            what,
            lengths,
            lower_case: false,
            punctuation,
        }
    }

    fn check(&self, value: &str) -> Result<(), String> {
        not_blank(self.what, value)?;
        clean(self.what, value)?;
        length_between(self.what, value, *self.lengths.start(), *self.lengths.end())?;
        let allowed = |c: char| {
            c.is_ascii_digit()
                || (c.is_ascii_lowercase() || (c.is_ascii_uppercase() && !self.lower_case))
                || self.punctuation.contains(c)
        };
        only_chars(self.what, value, allowed, &self.allowed_in_words())
    }

    /// "ASCII letters, digits, spaces and dots (.)".
    fn allowed_in_words(&self) -> String {
        let letters = if self.lower_case {
            "lower-case letters"
        } else {
            "ASCII letters"
        };
        let mut words = vec![letters.to_owned(), "digits".to_owned()];
        for c in self.punctuation.chars() {
            words.push(match c {
                ' ' => "spaces".to_owned(),
                '.' => "dots (.)".to_owned(),
                '-' => "dashes (-)".to_owned(),
                '_' => "underscores (_)".to_owned(),
                '(' => "parentheses".to_owned(),
                ')' => continue,
                other => format!("{other:?}"),
            });
        }
        let last = words.pop().unwrap_or_default();
        format!("{} and {last}", words.join(", "))
    }
}

/// `name`: 1-40 ASCII letters, digits, spaces, dashes and dots, not starting or ending with a
/// space (Microsoft's naming rules for `Microsoft.Kusto/clusters/databases/dataConnections`:
/// "Alphanumerics, hyphens, spaces, and periods"; azurerm's `DataConnectionName` also lets
/// tabs and newlines through, which the request URL then drops).
const DATA_CONNECTION_NAME: NameRule = NameRule::any_case("a data connection name", 1..=40, " -.");

/// `resource_group_name`: 1-90 letters, digits, underscores, dashes, dots and parentheses, not
/// ending with a dot (azurerm `resourcegroups.ValidateName`).
const RESOURCE_GROUP_NAME: NameRule = NameRule::any_case("a resource group name", 1..=90, "_-.()");

/// `cluster_name`: 4-22 lower-case letters, digits and dashes, starting with a letter (azurerm
/// `ClusterName`).
const CLUSTER_NAME: NameRule = NameRule {
    lower_case: true,
    ..NameRule::any_case("a Kusto cluster name", 4..=22, "-")
};

/// `database_name`: 1-260 ASCII letters, digits, spaces, dots, underscores and dashes, not
/// starting or ending with a space (azurerm `DatabaseName`, without its tabs and newlines).
const DATABASE_NAME: NameRule = NameRule::any_case("a Kusto database name", 1..=260, " ._-");

/// `table_name` and `mapping_rule_name`: 1-1024 ASCII letters, digits, spaces, underscores, dots
/// and dashes, not starting or ending with a space (azurerm `EntityName`, without its tabs and
/// newlines).
const fn entity_name(what: &'static str) -> NameRule {
    NameRule::any_case(what, 1..=1024, " _.-")
}

/// `consumer_group`, `$Default` aside: 1-50 letters, digits, dots, underscores and dashes
/// (azurerm `ValidateEventHubConsumerName`).
const CONSUMER_GROUP_NAME: NameRule = NameRule::any_case("a consumer group name", 1..=50, "._-");

/// See [`DATA_CONNECTION_NAME`].
pub(crate) fn validate_name(value: &str) -> Result<(), String> {
    DATA_CONNECTION_NAME.check(value)
}

/// See [`RESOURCE_GROUP_NAME`].
pub(crate) fn validate_resource_group_name(value: &str) -> Result<(), String> {
    RESOURCE_GROUP_NAME.check(value)?;
    if value.ends_with('.') {
        return Err(format!(
            "a resource group name must not end with a dot (.), got {value:?}"
        ));
    }
    Ok(())
}

/// See [`CLUSTER_NAME`].
pub(crate) fn validate_cluster_name(value: &str) -> Result<(), String> {
    CLUSTER_NAME.check(value)?;
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!(
            "a Kusto cluster name must start with a lower-case letter, got {value:?}"
        ));
    }
    Ok(())
}

/// See [`DATABASE_NAME`].
pub(crate) fn validate_database_name(value: &str) -> Result<(), String> {
    DATABASE_NAME.check(value)
}

/// See [`entity_name`].
pub(crate) fn validate_table_name(value: &str) -> Result<(), String> {
    entity_name("a table name").check(value)
}

/// See [`entity_name`].
pub(crate) fn validate_mapping_rule_name(value: &str) -> Result<(), String> {
    entity_name("an ingestion mapping name").check(value)
}

/// `consumer_group`: exactly `$Default`, or a [`CONSUMER_GROUP_NAME`] that starts and ends with a
/// letter or digit (azurerm `ValidateEventHubConsumerName` plus its `$Default` exception).
pub(crate) fn validate_consumer_group(value: &str) -> Result<(), String> {
    if value == DEFAULT_CONSUMER_GROUP {
        return Ok(());
    }
    if value.eq_ignore_ascii_case(DEFAULT_CONSUMER_GROUP) {
        return Err(format!(
            "the default consumer group is spelled {DEFAULT_CONSUMER_GROUP:?} (case-sensitive), got {value:?}"
        ));
    }
    CONSUMER_GROUP_NAME.check(value).map_err(|problem| {
        format!("{problem} (the one exception is {DEFAULT_CONSUMER_GROUP:?})")
    })?;
    let ends_alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !ends_alphanumeric(value.chars().next()) || !ends_alphanumeric(value.chars().last()) {
        return Err(format!(
            "a consumer group name must start and end with a letter or digit, got {value:?}"
        ));
    }
    Ok(())
}

/// `data_format`: one of [`DATA_FORMATS`] (case-sensitive, as in azurerm) except `RAW`.
///
/// `RAW` is in the API's enum, but Event Hub ingestion does not support it: "Ingestion from Event
/// Hub doesn't support RAW format" (section *Data format* of
/// <https://learn.microsoft.com/azure/data-explorer/ingest-data-event-hub-overview>). azurerm
/// accepts it and the connection then cannot ingest; refusing it at plan time is the kinder answer.
pub(crate) fn validate_data_format(value: &str) -> Result<(), String> {
    if value == "RAW" {
        return Err(
            "data_format \"RAW\" is not supported for Event Hub ingestion; send the events as TXT \
             (one record per line) or JSON instead"
                .to_string(),
        );
    }
    let event_hub_formats: Vec<&str> = DATA_FORMATS
        .iter()
        .copied()
        .filter(|format| *format != "RAW")
        .collect();
    one_of(DATA_FORMAT, &event_hub_formats, value)
}

/// `compression`: `GZip` or `None` (case-sensitive, as in azurerm).
pub(crate) fn validate_compression(value: &str) -> Result<(), String> {
    one_of(COMPRESSION, &COMPRESSIONS, value)
}

/// `database_routing_type`: `Single` or `Multi` (case-sensitive, as in azurerm).
pub(crate) fn validate_database_routing_type(value: &str) -> Result<(), String> {
    one_of(DATABASE_ROUTING_TYPE, &DATABASE_ROUTING_TYPES, value)
}

/// One element of `event_system_properties`: not empty, no control characters, no leading or
/// trailing whitespace (azurerm checks only emptiness; the set of property names differs
/// between Event Hub and IoT Hub, so no list is enforced).
pub(crate) fn validate_event_system_property(value: &str) -> Result<(), String> {
    let what = "an event system property name";
    not_blank(what, value)?;
    clean(what, value)
}

/// `eventhub_id`: the ARM id of an Event Hub,
/// `/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.EventHub/namespaces/{namespace}/eventhubs/{eventhub}`.
/// Parsed by the ARM client's id parser, case-insensitively (unlike azurerm).
pub(crate) fn validate_eventhub_id(value: &str) -> Result<(), String> {
    clean(EVENTHUB_ID, value)?;
    exact_id(EVENTHUB_ID, value, EventHubId::parse(value))
        .map_err(|problem| format!("{EVENTHUB_ID} must be the ID of an Event Hub: {problem}"))
}

/// `identity_id`: the ARM id of the Kusto cluster (to use its system-assigned identity) or of a
/// user-assigned managed identity, in any casing (azurerm parses both insensitively since its fix
/// for issue #20868).
pub(crate) fn validate_identity_id(value: &str) -> Result<(), String> {
    clean(IDENTITY_ID, value)?;
    exact_id(IDENTITY_ID, value, ManagedIdentityId::parse(value)).map_err(|problem| {
        format!(
            "{IDENTITY_ID} must be the ID of the Kusto cluster, to use its system-assigned \
             identity, or of a user-assigned identity: {problem}"
        )
    })
}

/// An id the ARM client parses and that is written exactly as Azure writes it, casing aside
/// (the parser also reads a trailing `/`, which Azure would store as sent).
fn exact_id<T: std::fmt::Display>(
    what: &str,
    value: &str,
    parsed: Result<T, IdError>,
) -> Result<(), String> {
    let id = parsed.map_err(|error| error.to_string())?;
    let canonical = id.to_string();
    if canonical.eq_ignore_ascii_case(value) {
        Ok(())
    } else {
        Err(format!(
            "{what} {value:?} is not written as ARM writes it, {canonical:?}"
        ))
    }
}

/// `retrieval_start_date`: an RFC 3339 date-time such as `2024-01-15T08:30:00Z` (azurerm
/// `IsRFC3339Time`). Like Go's parser behind it, the date and time must be joined by `T`: the
/// space RFC 3339 also allows is not an ISO 8601 date-time, which is what ARM expects.
pub(crate) fn validate_retrieval_start_date(value: &str) -> Result<(), String> {
    clean(RETRIEVAL_START_DATE, value)?;
    let problem = match OffsetDateTime::parse(value, &Rfc3339) {
        Ok(_) if value.as_bytes().get(10) == Some(&b'T') => return Ok(()),
        Ok(_) => "the date and the time must be separated by \"T\"".to_string(),
        Err(e) => e.to_string(),
    };
    Err(format!(
        "retrieval_start_date must be an RFC 3339 date-time with a time zone, such as \
         \"2024-01-15T08:30:00Z\"; {value:?} is not ({problem})"
    ))
}

/// `id` (of the data source's lookup): the ARM id of a data connection, in any casing.
pub(crate) fn validate_data_connection_id(value: &str) -> Result<(), String> {
    clean(ID, value)?;
    DataConnectionId::parse(value)
        .map(|_| ())
        .map_err(|error| format!("id must be the ARM ID of a data connection: {error}"))
}

/// `location`: an Azure region, as its name (`westeurope`) or its display name (`West Europe`).
/// It must be the region of the Kusto cluster (not the Event Hub's; azurerm issue #5329), which
/// only the service can check.
pub(crate) fn validate_location(value: &str) -> Result<(), String> {
    let what = LOCATION;
    not_blank(what, value)?;
    clean(what, value)?;
    only_chars(
        what,
        value,
        |c| c.is_ascii_alphanumeric() || c == ' ',
        "letters, digits and spaces: the Azure region of the Kusto cluster, such as \"westeurope\" \
         or \"West Europe\"",
    )
}

/// The configured values the cross-field rules look at. `None` means null **or unknown**: a rule
/// only fires when every value it needs is known.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Combination<'a> {
    pub resource_group_name: Option<&'a str>,
    pub cluster_name: Option<&'a str>,
    pub data_format: Option<&'a str>,
    pub compression: Option<&'a str>,
    /// How many `event_system_properties` are configured (elements may themselves be unknown).
    pub event_system_property_count: Option<usize>,
    pub identity_id: Option<&'a str>,
}

/// A broken cross-field rule: the attribute the diagnostic should point at, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub attribute: &'static str,
    pub message: String,
}

/// The cross-field rules azurerm lacks. Each is a documented service limitation:
///
/// 1. `compression = "GZip"` with an already-compressed `data_format` (AVRO, APACHEAVRO, PARQUET,
///    ORC, W3CLOGFILE) — see [`ALREADY_COMPRESSED_FORMATS`].
/// 2. `compression = "GZip"` with `event_system_properties`: "Custom encoding and embedded system
///    properties aren't supported on compressed data" (same page, *Data format*).
/// 3. `identity_id` naming a Kusto cluster other than `cluster_name` in `resource_group_name`: a
///    cluster's system-assigned identity is "tied to your cluster"
///    (<https://learn.microsoft.com/azure/data-explorer/configure-managed-identities-cluster>), so
///    a data connection can only use the identity of the cluster it runs on.
///
/// Deliberately **not** rules, because the service accepts them: `mapping_rule_name` without
/// `table_name` or `data_format`, `data_format` without `table_name`, and `table_name` without
/// `data_format` (the missing parts travel with each event: dynamic routing, azurerm's
/// `_unboundMapping1`/`_unboundMapping2` and `_databaseRoutingType` tests); `Multi` routing with
/// any of them.
pub(crate) fn check_combination(values: &Combination<'_>) -> Vec<Violation> {
    let mut violations = Vec::new();
    let gzip = values.compression == Some("GZip");

    if let Some(format) = values
        .data_format
        .filter(|f| gzip && ALREADY_COMPRESSED_FORMATS.contains(f))
    {
        violations.push(Violation {
            attribute: COMPRESSION,
            message: format!(
                "compression \"GZip\" cannot be used with data_format {format:?}: Azure Data \
                 Explorer does not support GZip for formats that are compressed already ({}); set \
                 compression to \"None\" or omit it",
                ALREADY_COMPRESSED_FORMATS.join(", ")
            ),
        });
    }

    if gzip && values.event_system_property_count.is_some_and(|n| n > 0) {
        violations.push(Violation {
            attribute: EVENT_SYSTEM_PROPERTIES,
            message: GZIP_WITH_SYSTEM_PROPERTIES.to_string(),
        });
    }

    if let (Some(identity), Some(group), Some(cluster)) = (
        values.identity_id,
        values.resource_group_name,
        values.cluster_name,
    ) && let Ok(ManagedIdentityId::Cluster(ClusterId {
        resource_group: id_group,
        cluster: id_cluster,
        ..
    })) = ManagedIdentityId::parse(identity)
        && !(id_group.eq_ignore_ascii_case(group) && id_cluster.eq_ignore_ascii_case(cluster))
    {
        violations.push(Violation {
            attribute: IDENTITY_ID,
            message: format!(
                "identity_id names the Kusto cluster {id_cluster:?} in resource group {id_group:?}, \
                 but this data connection belongs to cluster {cluster:?} in resource group {group:?}; \
                 a data connection can only use the system-assigned identity of its own cluster, or \
                 a user-assigned identity"
            ),
        });
    }

    violations
}

/// No control characters (a newline from `file()`, a tab) and no whitespace at either end:
/// Azure drops or refuses them, and a value Azure spells differently than the configuration
/// would replace the connection on every apply.
fn clean(what: &str, value: &str) -> Result<(), String> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        let hint = if value.ends_with('\n') {
            " (a value read with file() ends with a newline: use trimspace(file(...)))"
        } else {
            ""
        };
        return Err(format!(
            "{what} must not contain control characters such as tabs or newlines; {value:?} \
             contains {c:?}{hint}"
        ));
    }
    if value.trim() != value {
        return Err(format!(
            "{what} must not start or end with whitespace; got {value:?}"
        ));
    }
    Ok(())
}

fn not_blank(what: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!(
            "{what} must not be empty or consist of whitespace only"
        ));
    }
    Ok(())
}

fn only_chars(
    what: &str,
    value: &str,
    allowed: impl Fn(char) -> bool,
    description: &str,
) -> Result<(), String> {
    match value.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(format!(
            "{what} may only contain {description}; {value:?} contains {c:?}"
        )),
        None => Ok(()),
    }
}

fn length_between(what: &str, value: &str, min: usize, max: usize) -> Result<(), String> {
    let length = value.chars().count();
    if (min..=max).contains(&length) {
        return Ok(());
    }
    Err(format!(
        "{what} must be {min} to {max} characters long; {value:?} has {length}"
    ))
}

/// Case-sensitive membership, with a hint when only the casing is wrong.
fn one_of(attribute: &str, allowed: &[&str], value: &str) -> Result<(), String> {
    if allowed.contains(&value) {
        return Ok(());
    }
    let quoted: Vec<String> = allowed.iter().map(|v| format!("{v:?}")).collect();
    let list = quoted.join(", ");
    match allowed.iter().find(|v| v.eq_ignore_ascii_case(value)) {
        Some(spelling) => Err(format!(
            "{attribute} values are case-sensitive: use {spelling:?} instead of {value:?}"
        )),
        None => Err(format!(
            "{attribute} must be one of {list} (case-sensitive); got {value:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rule = fn(&str) -> Result<(), String>;

    /// Runs `rule` over valid values and over invalid ones with a fragment the message must contain.
    fn check(rule: Rule, valid: &[&str], invalid: &[(&str, &str)]) {
        for value in valid {
            assert_eq!(rule(value), Ok(()), "{value:?} should be accepted");
        }
        for (value, fragment) in invalid {
            match rule(value) {
                Ok(()) => panic!("{value:?} should be rejected"),
                Err(message) => assert!(
                    message.contains(fragment),
                    "message for {value:?} lacks {fragment:?}: {message}"
                ),
            }
        }
    }

    const SUB: &str = "00000000-0000-0000-0000-000000000000";

    fn eventhub_id(namespace: &str, hub: &str) -> String {
        format!(
            "/subscriptions/{SUB}/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/{namespace}/eventhubs/{hub}"
        )
    }

    fn cluster_id(group: &str, cluster: &str) -> String {
        format!(
            "/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Kusto/clusters/{cluster}"
        )
    }

    fn identity_id(name: &str) -> String {
        format!(
            "/subscriptions/{SUB}/resourceGroups/rg-demo/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
        )
    }

    #[test]
    fn name() {
        check(
            validate_name,
            &[
                "acctestkedc-12345",
                "a",
                "conn.v2",
                "my connection",
                &"x".repeat(40),
            ],
            &[
                ("", "whitespace only"),
                ("   ", "whitespace only"),
                ("conn_1", "contains '_'"),
                ("conné", "contains 'é'"),
                ("conn\n", "use trimspace(file(...))"),
                ("my\tconnection", "contains '\\t'"),
                (" conn", "must not start or end with whitespace"),
                ("conn ", "must not start or end with whitespace"),
                (&"x".repeat(41), "1 to 40 characters long"),
            ],
        );
    }

    /// Every rule of a name, id or place is strict about what surrounds and separates the
    /// characters: a trailing newline (from `file()`), a tab, a carriage return, a NUL or
    /// whitespace at either end is refused, and the message says so.
    #[test]
    fn name_like_values_refuse_control_characters_and_outer_whitespace() {
        let hub = eventhub_id("demo-ns", "events");
        let identity = identity_id("demo-identity");
        let rules: [(&str, Rule, &str); 12] = [
            ("name", validate_name, "dc1"),
            (
                "resource_group_name",
                validate_resource_group_name,
                "rg-demo",
            ),
            ("cluster_name", validate_cluster_name, "democluster"),
            ("database_name", validate_database_name, "demodb"),
            ("consumer_group", validate_consumer_group, "kusto"),
            ("table_name", validate_table_name, "Events"),
            (
                "mapping_rule_name",
                validate_mapping_rule_name,
                "events_json",
            ),
            ("location", validate_location, "westeurope"),
            ("eventhub_id", validate_eventhub_id, &hub),
            ("identity_id", validate_identity_id, &identity),
            (
                "event_system_properties",
                validate_event_system_property,
                "x-opt-offset",
            ),
            (
                "retrieval_start_date",
                validate_retrieval_start_date,
                "2024-01-15T08:30:00Z",
            ),
        ];
        for (attribute, rule, valid) in rules {
            assert_eq!(rule(valid), Ok(()), "{attribute}: {valid:?}");
            let broken = [
                (format!("{valid}\n"), "control characters"),
                (format!("{valid}\r\n"), "control characters"),
                (format!("\t{valid}"), "control characters"),
                (format!("{valid}\u{0}"), "control characters"),
                (format!("{valid}\u{7f}"), "control characters"),
                (format!(" {valid}"), "whitespace"),
                (format!("{valid} "), "whitespace"),
                (format!("{valid}\u{a0}"), "whitespace"),
            ];
            for (value, fragment) in broken {
                match rule(&value) {
                    Ok(()) => panic!("{attribute}: {value:?} should be rejected"),
                    Err(message) => assert!(
                        message.contains(fragment),
                        "{attribute}: message for {value:?} lacks {fragment:?}: {message}"
                    ),
                }
            }
        }
    }

    #[test]
    fn data_connection_id() {
        let id = format!(
            "/subscriptions/{SUB}/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/dc1"
        );
        check(
            validate_data_connection_id,
            &[&id, &id.replace("dataConnections", "DataConnections")],
            &[
                (&format!("{id}\n"), "control characters"),
                (&format!(" {id}"), "whitespace"),
                ("dc1", "must be the ARM ID of a data connection"),
                (&eventhub_id("demo-ns", "events"), "Microsoft.Kusto"),
            ],
        );
    }

    /// Where ASCII is required, letters of other scripts, emoji, combining marks and
    /// look-alikes are refused with the character named.
    #[test]
    fn unicode_is_refused_where_names_are_ascii() {
        let rules: [(&str, Rule); 8] = [
            ("name", validate_name),
            ("resource_group_name", validate_resource_group_name),
            ("cluster_name", validate_cluster_name),
            ("database_name", validate_database_name),
            ("consumer_group", validate_consumer_group),
            ("table_name", validate_table_name),
            ("mapping_rule_name", validate_mapping_rule_name),
            ("location", validate_location),
        ];
        let values = [
            ("connéction", 'é'),
            ("conne\u{301}ction", '\u{301}'),
            ("conn🚀ction", '🚀'),
            ("cоnnection", 'о'),
            ("conn\u{200b}ection", '\u{200b}'),
            ("connｅction", 'ｅ'),
        ];
        for (attribute, rule) in rules {
            for (value, character) in values {
                match rule(value) {
                    Ok(()) => panic!("{attribute}: {value:?} should be rejected"),
                    Err(message) => assert!(
                        message.contains(&format!("contains {character:?}")),
                        "{attribute}: message for {value:?} does not name {character:?}: {message}"
                    ),
                }
            }
        }
    }

    /// Values beyond a maximum length are refused with the length found, counted in
    /// characters, also when they are very long.
    #[test]
    fn long_values_are_refused_with_their_length() {
        let cases: [(Rule, &str, usize); 7] = [
            (validate_name, "1 to 40", 40),
            (validate_resource_group_name, "1 to 90", 90),
            (validate_cluster_name, "4 to 22", 22),
            (validate_database_name, "1 to 260", 260),
            (validate_consumer_group, "1 to 50", 50),
            (validate_table_name, "1 to 1024", 1024),
            (validate_mapping_rule_name, "1 to 1024", 1024),
        ];
        for (rule, fragment, max) in cases {
            assert_eq!(rule(&"a".repeat(max)), Ok(()), "{fragment}");
            for length in [max + 1, 100_000] {
                let message = rule(&"a".repeat(length)).expect_err(fragment);
                assert!(
                    message.contains(fragment) && message.contains(&format!("has {length}")),
                    "{message}"
                );
            }
        }
    }

    #[test]
    fn resource_cluster_database_and_consumer_group_names() {
        type Cases<'a> = (
            fn(&str) -> Result<(), String>,
            Vec<&'a str>,
            Vec<(&'a str, &'a str)>,
        );
        let (r91, c22, c23) = ("r".repeat(91), "c".repeat(22), "c".repeat(23));
        let (d260, d261, g50, g51) = (
            "d".repeat(260),
            "d".repeat(261),
            "c".repeat(50),
            "c".repeat(51),
        );
        let cases: [Cases<'_>; 4] = [
            (
                validate_resource_group_name,
                vec!["rg-demo", "RG_(prod).eu", "a", &r91[1..]],
                vec![
                    ("", "empty"),
                    (&r91, "1 to 90"),
                    ("rg demo", "contains ' '"),
                    ("rg/demo", "contains '/'"),
                    (
                        "rg*",
                        "may only contain ASCII letters, digits, underscores (_), dashes (-), \
                         dots (.) and parentheses;",
                    ),
                    ("rg.", "must not end with a dot"),
                ],
            ),
            (
                validate_cluster_name,
                vec!["democluster", "acctestkc1234", "k-01", &c22],
                vec![
                    ("abc", "4 to 22"),
                    (&c23, "4 to 22"),
                    ("1cluster", "start with a lower-case letter"),
                    ("-cluster", "start with a lower-case letter"),
                    (
                        "DemoCluster",
                        "may only contain lower-case letters, digits and dashes (-); \
                         \"DemoCluster\" contains 'D'",
                    ),
                    ("demo_cluster", "contains '_'"),
                ],
            ),
            (
                validate_database_name,
                vec!["demodb", "My DB_1.v-2", &d260],
                vec![
                    (" ", "whitespace only"),
                    ("db/1", "contains '/'"),
                    (&d261, "1 to 260"),
                ],
            ),
            (
                validate_consumer_group,
                vec!["$Default", "kusto", "a", "cg.1_x-y", &g50],
                vec![
                    ("$default", "spelled \"$Default\""),
                    ("$Other", "contains '$' (the one exception is \"$Default\")"),
                    ("", "empty"),
                    (&g51, "1 to 50"),
                    ("-kusto", "start and end with a letter or digit"),
                    ("kusto.", "start and end with a letter or digit"),
                    ("my group", "contains ' '"),
                ],
            ),
        ];
        for (rule, valid, invalid) in cases {
            check(rule, &valid, &invalid);
        }
    }

    #[test]
    fn table_and_mapping_names() {
        let valid = ["Events", "Json_Mapping", "events_json", "my table.v-2"];
        let long = "t".repeat(1025);
        let invalid = [
            ("", "whitespace only"),
            ("\t", "whitespace only"),
            ("Events;drop", "contains ';'"),
            (long.as_str(), "1 to 1024"),
        ];
        check(validate_table_name, &valid, &invalid);
        check(validate_mapping_rule_name, &valid, &invalid);
    }

    #[test]
    fn data_format() {
        let valid: Vec<&str> = DATA_FORMATS
            .iter()
            .copied()
            .filter(|f| *f != "RAW")
            .collect();
        check(
            validate_data_format,
            &valid,
            &[
                ("RAW", "not supported for Event Hub"),
                ("json", "use \"JSON\" instead of \"json\""),
                ("MultiJson", "use \"MULTIJSON\""),
                // The list offered instead leaves RAW out.
                ("XML", "\"PARQUET\", \"PSV\", \"SCSV\","),
                ("", "must be one of"),
            ],
        );
    }

    #[test]
    fn compression() {
        check(
            validate_compression,
            &["GZip", "None"],
            &[
                ("gzip", "use \"GZip\""),
                ("none", "use \"None\""),
                ("Zstd", "must be one of"),
            ],
        );
    }

    #[test]
    fn database_routing_type() {
        check(
            validate_database_routing_type,
            &["Single", "Multi"],
            &[
                ("multi", "use \"Multi\""),
                ("Many", "\"Multi\", \"Single\""),
            ],
        );
    }

    #[test]
    fn event_system_property() {
        check(
            validate_event_system_property,
            &["x-opt-publisher", "x-opt-enqueued-time", "message-id"],
            &[("", "whitespace only"), (" ", "whitespace only")],
        );
    }

    #[test]
    fn eventhub_id_shape() {
        let canonical = eventhub_id("demo-ns", "events");
        let recased = canonical
            .replace("resourceGroups", "resourcegroups")
            .replace("Microsoft.EventHub", "microsoft.eventhub")
            .replace("eventhubs", "eventHubs");
        check(
            validate_eventhub_id,
            &[&canonical, &recased],
            &[
                ("", "must be the ID of an Event Hub"),
                (&format!("{canonical}/"), "is not written as ARM writes it"),
                (canonical.trim_start_matches('/'), "must be the ID"),
                (&eventhub_id("demo-ns", ""), "must be the ID"),
                (
                    &canonical.replace("Microsoft.EventHub", "Microsoft.Kusto"),
                    "Microsoft.EventHub",
                ),
                (
                    &format!("{canonical}/consumergroups/kusto"),
                    "must be the ID of an Event Hub",
                ),
                (
                    &cluster_id("rg-demo", "democluster"),
                    "must be the ID of an Event Hub",
                ),
            ],
        );
    }

    #[test]
    fn identity_id_shape() {
        let cluster = cluster_id("rg-demo", "democluster");
        let recased = cluster
            .replace("clusters", "Clusters")
            .replace("Microsoft.Kusto", "microsoft.kusto");
        check(
            validate_identity_id,
            &[&cluster, &recased, &identity_id("demo-identity")],
            &[
                (
                    "",
                    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{identityName}",
                ),
                (
                    &eventhub_id("demo-ns", "events"),
                    "/providers/Microsoft.Kusto/clusters/{clusterName}",
                ),
                (
                    &format!("{cluster}/databases/demodb"),
                    "must be the ID of the Kusto cluster",
                ),
                ("demo-identity", "must be the ID"),
            ],
        );
    }

    #[test]
    fn retrieval_start_date() {
        check(
            validate_retrieval_start_date,
            &[
                "2023-06-26T12:00:00Z",
                "2024-01-15T08:30:00Z",
                "2024-01-15T10:30:00+02:00",
                "2024-01-15T08:30:00.1234567Z",
            ],
            &[
                ("2024-01-15", "RFC 3339"),
                ("2024-01-15T08:30:00", "RFC 3339"),
                ("2024-01-15 08:30:00Z", "RFC 3339"),
                ("2024-13-15T08:30:00Z", "RFC 3339"),
                ("yesterday", "\"yesterday\" is not"),
            ],
        );
    }

    #[test]
    fn location() {
        check(
            validate_location,
            &["westeurope", "West Europe", "westus2", "East US 2 EUAP"],
            &[
                ("", "whitespace only"),
                ("  ", "whitespace only"),
                ("west-europe", "contains '-'"),
            ],
        );
    }

    fn messages_for(values: Combination<'_>) -> Vec<(&'static str, String)> {
        check_combination(&values)
            .into_iter()
            .map(|v| (v.attribute, v.message))
            .collect()
    }

    /// The configurations of azurerm's acceptance tests (and the quickstart) pass every rule.
    #[test]
    fn azurerm_acceptance_configs_are_valid() {
        let own_cluster = cluster_id("rg-demo", "democluster");
        let uai = identity_id("demo-identity");
        let base = Combination {
            resource_group_name: Some("rg-demo"),
            cluster_name: Some("democluster"),
            ..Combination::default()
        };
        let configs = [
            // _basic
            base,
            // _eventSystemProperties: mapping + MULTIJSON + one property
            Combination {
                data_format: Some("MULTIJSON"),
                event_system_property_count: Some(1),
                ..base
            },
            // _unboundMapping1: mapping only; _unboundMapping2: mapping + MULTIJSON, no table
            Combination {
                data_format: Some("MULTIJSON"),
                ..base
            },
            // _databaseRoutingType
            Combination {
                data_format: Some("MULTIJSON"),
                ..base
            },
            // identity tests: a user-assigned identity, and the cluster itself (re-cased)
            Combination {
                identity_id: Some(&uai),
                ..base
            },
            Combination {
                identity_id: Some(&own_cluster),
                ..base
            },
            // GZip with formats that are not already compressed
            Combination {
                compression: Some("GZip"),
                data_format: Some("JSON"),
                ..base
            },
            Combination {
                compression: Some("GZip"),
                data_format: Some("CSV"),
                event_system_property_count: Some(0),
                ..base
            },
            // compression None with a binary format
            Combination {
                compression: Some("None"),
                data_format: Some("PARQUET"),
                event_system_property_count: Some(2),
                ..base
            },
        ];
        for config in configs {
            assert_eq!(messages_for(config), vec![], "{config:?}");
        }
        let recased = own_cluster
            .replace("clusters", "Clusters")
            .replace("rg-demo", "RG-DEMO");
        let recased_identity = Combination {
            identity_id: Some(&recased),
            ..base
        };
        assert_eq!(messages_for(recased_identity), vec![]);
    }

    #[test]
    fn gzip_is_refused_for_already_compressed_formats() {
        for format in ["AVRO", "APACHEAVRO", "PARQUET", "ORC", "W3CLOGFILE"] {
            let found = messages_for(Combination {
                compression: Some("GZip"),
                data_format: Some(format),
                ..Combination::default()
            });
            assert_eq!(found.len(), 1, "{format}: {found:?}");
            assert_eq!(found[0].0, "compression");
            assert!(
                found[0].1.contains(&format!("data_format {format:?}")),
                "{}",
                found[0].1
            );
        }
    }

    #[test]
    fn gzip_is_refused_with_event_system_properties() {
        let found = messages_for(Combination {
            compression: Some("GZip"),
            data_format: Some("JSON"),
            event_system_property_count: Some(1),
            ..Combination::default()
        });
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "event_system_properties");
    }

    #[test]
    fn identity_of_another_cluster_is_refused() {
        let cases = [
            (cluster_id("rg-demo", "othercluster"), "\"othercluster\""),
            (cluster_id("rg-other", "democluster"), "\"rg-other\""),
        ];
        for (identity, fragment) in cases {
            let found = messages_for(Combination {
                resource_group_name: Some("rg-demo"),
                cluster_name: Some("democluster"),
                identity_id: Some(&identity),
                ..Combination::default()
            });
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].0, "identity_id");
            assert!(found[0].1.contains(fragment), "{}", found[0].1);
        }
    }

    /// Unknown (or null) values never trigger a rule: each needs all its inputs.
    #[test]
    fn unknown_values_are_not_judged() {
        let cases = [
            Combination {
                compression: Some("GZip"),
                ..Combination::default()
            },
            Combination {
                data_format: Some("PARQUET"),
                event_system_property_count: Some(3),
                ..Combination::default()
            },
            Combination {
                identity_id: Some(
                    "/subscriptions/s/resourceGroups/x/providers/Microsoft.Kusto/clusters/y",
                ),
                cluster_name: Some("democluster"),
                ..Combination::default()
            },
        ];
        for config in cases {
            assert_eq!(messages_for(config), vec![], "{config:?}");
        }
    }
}
