//! The schema of `kusto_eventhub_data_connection`: azurerm's attribute names, what each one
//! means, who sets it, which rule checks it and whether changing it replaces the connection.
//!
//! The data source reuses the descriptions ([`describe`]), so the two document every
//! attribute in the same words.

use std::time::Duration;

use terraform_plugin::diag::Diagnostics;
use terraform_plugin::path::AttributePath;
use terraform_plugin::planmod::{Each, RequiresReplace, UseStateForUnknown, Validator};
use terraform_plugin::schema::{Attribute, Schema};
use terraform_plugin::timeouts::Timeouts;
use terraform_plugin::value::Value;

use super::plan::{KeepStateWhenUnset, ReplaceUnlessEquivalent};
use super::rules;

/// azurerm's defaults: create, update and delete 60 minutes, read 5 minutes.
pub(crate) const TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(60 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(60 * 60),
    delete: Duration::from_secs(60 * 60),
};

/// The service's `compression` default.
pub(crate) const DEFAULT_COMPRESSION: &str = "None";

/// The service's `databaseRouting` default.
pub(crate) const DEFAULT_DATABASE_ROUTING: &str = "Single";

/// The Markdown description of attribute `name`, shared with the data source.
pub(crate) fn describe(name: &str) -> &'static str {
    match name {
        "id" => {
            "The ARM ID of the data connection, \
             `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Kusto/clusters/{clusterName}/databases/{databaseName}/dataConnections/{name}`."
        }
        "name" => {
            "The name of the data connection: 1 to 40 ASCII letters, digits, spaces, hyphens (`-`) \
             and periods (`.`), not starting or ending with a space (Microsoft's naming rule for \
             Kusto data connections)."
        }
        "resource_group_name" => "The resource group of the Kusto cluster.",
        "location" => {
            "The Azure region of the **Kusto cluster** (not of the Event Hub), as a name \
             (`westeurope`) or a display name (`West Europe`). Both spellings name the same region: \
             changing one into the other is an in-place update that sends nothing to Azure."
        }
        "cluster_name" => {
            "The name of the Kusto cluster: 4 to 22 lower-case letters, digits and dashes, \
             starting with a letter."
        }
        "database_name" => "The name of the database the events are ingested into.",
        "eventhub_id" => {
            "The ARM ID of the Event Hub to read, \
             `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.EventHub/namespaces/{namespaceName}/eventhubs/{eventHubName}`. \
             Compared case-insensitively, so Azure returning it in another casing is not a change."
        }
        "consumer_group" => {
            "The Event Hub consumer group the connection reads through: `$Default`, or 1 to 50 \
             letters, digits, dots, underscores and dashes that start and end with a letter or digit. \
             Give each data connection its own consumer group."
        }
        "table_name" => {
            "The table the events are ingested into. When omitted, each event names its table in \
             its `Table` property."
        }
        "mapping_rule_name" => {
            "The ingestion mapping of the table that maps event fields to columns. When omitted, \
             each event may name its mapping in its `IngestionMappingReference` property."
        }
        "data_format" => {
            "The format of the events: `APACHEAVRO`, `AVRO`, `CSV`, `JSON`, `MULTIJSON`, `ORC`, \
             `PARQUET`, `PSV`, `SCSV`, `SINGLEJSON`, `SOHSV`, `TSV`, `TSVE`, `TXT` or `W3CLOGFILE` \
             (case-sensitive). When omitted, each event names its format in its `Format` property. \
             `RAW`, although part of the ARM API, is refused: Event Hub ingestion does not support it."
        }
        "compression" => {
            "How event bodies are compressed: `None` or `GZip` (case-sensitive). `GZip` cannot be \
             combined with an already-compressed `data_format` (`AVRO`, `APACHEAVRO`, `PARQUET`, \
             `ORC`, `W3CLOGFILE`) nor with `event_system_properties`."
        }
        "event_system_properties" => {
            "Event Hub system properties to add to every ingested record, such as \
             `x-opt-enqueued-time`, `x-opt-sequence-number`, `x-opt-offset`, `x-opt-publisher`, \
             `x-opt-partition-key` or `message-id`. The table's mapping must have columns for them."
        }
        "identity_id" => {
            "The managed identity the connection reads the Event Hub with: the ARM ID of the Kusto \
             cluster itself (its system-assigned identity, \
             `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Kusto/clusters/{clusterName}`) \
             or of a user-assigned identity assigned to the cluster \
             (`/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{identityName}`). \
             A cluster ID must name this connection's own cluster. When omitted, the connection \
             reads with a key of the Event Hub namespace."
        }
        "database_routing_type" => {
            "`Single`: every event goes to `database_name`; `Multi`: an event may name another \
             database of the cluster in its `Database` property (case-sensitive values)."
        }
        "retrieval_start_date" => {
            "An RFC 3339 date-time such as `2024-01-15T08:30:00Z`: the connection also ingests the \
             events enqueued since then that the Event Hub still retains. When omitted, Azure \
             chooses, and its value is shown in state. Equal instants written differently (`Z` or \
             `+00:00`) are not a change."
        }
        "skip_preflight_validation" => {
            "`true` to create the connection without first asking Azure to validate it (the Kusto \
             `dataConnectionValidation` operation, which reports a missing table, mapping or \
             consumer group before anything is created). Overrides the provider's \
             `skip_preflight_validation` when set; defaults to the provider's setting (`false`)."
        }
        "managed_identity_object_id" => {
            "The object (principal) ID of the managed identity named by `identity_id`; not set when \
             the connection uses a key. Use it to grant the identity a role on the Event Hub."
        }
        "provisioning_state" => {
            "The provisioning state Azure reports for the connection, `Succeeded` once it is ready."
        }
        _ => "",
    }
}

/// A string attribute described by [`describe`].
fn string(name: &str) -> Attribute {
    Attribute::string(name).description(describe(name))
}

/// The resource's schema.
pub(crate) fn schema() -> Schema {
    Schema::new(0)
        .description(
            "Manages an Azure Data Explorer (Kusto) data connection that ingests events from an \
             Azure Event Hub into a table of a Kusto database.",
        )
        .attribute(string("id").computed().plan_modifier(UseStateForUnknown))
        .attribute(
            string("name")
                .required()
                .validator(Rule(rules::validate_name))
                .plan_modifier(RequiresReplace),
        )
        .attribute(
            string("resource_group_name")
                .required()
                .validator(Rule(rules::validate_resource_group_name))
                .plan_modifier(RequiresReplace),
        )
        .attribute(
            string("location")
                .required()
                .validator(Rule(rules::validate_location))
                .plan_modifier(ReplaceUnlessEquivalent::new(rules::same_location)),
        )
        .attribute(
            string("cluster_name")
                .required()
                .validator(Rule(rules::validate_cluster_name))
                .plan_modifier(RequiresReplace),
        )
        .attribute(
            string("database_name")
                .required()
                .validator(Rule(rules::validate_database_name))
                .plan_modifier(RequiresReplace),
        )
        .attribute(
            string("eventhub_id")
                .required()
                .validator(Rule(rules::validate_eventhub_id))
                .plan_modifier(ReplaceUnlessEquivalent::new(super::model::same_eventhub_id)),
        )
        .attribute(
            string("consumer_group")
                .required()
                .validator(Rule(rules::validate_consumer_group))
                .plan_modifier(RequiresReplace),
        )
        .attribute(string("table_name").validator(Rule(rules::validate_table_name)))
        .attribute(string("mapping_rule_name").validator(Rule(rules::validate_mapping_rule_name)))
        .attribute(string("data_format").validator(Rule(rules::validate_data_format)))
        .attribute(
            string("compression")
                .optional_computed()
                .validator(Rule(rules::validate_compression))
                .default(DEFAULT_COMPRESSION)
                .plan_modifier(RequiresReplace),
        )
        .attribute(
            Attribute::list_of_strings("event_system_properties")
                .description(describe("event_system_properties"))
                .optional_computed()
                .validator(Each::new(Rule(rules::validate_event_system_property)))
                .default(Value::List(Vec::new())),
        )
        .attribute(string("identity_id").validator(Rule(rules::validate_identity_id)))
        .attribute(
            string("database_routing_type")
                .optional_computed()
                .validator(Rule(rules::validate_database_routing_type))
                .default(DEFAULT_DATABASE_ROUTING)
                .plan_modifier(RequiresReplace),
        )
        .attribute(
            string("retrieval_start_date")
                .optional_computed()
                .validator(Rule(rules::validate_retrieval_start_date))
                .plan_modifier(KeepStateWhenUnset),
        )
        .attribute(
            Attribute::bool("skip_preflight_validation")
                .description(describe("skip_preflight_validation")),
        )
        .attribute(string("managed_identity_object_id").computed())
        .attribute(string("provisioning_state").computed())
        .block(TIMEOUTS.block())
}

/// A rule of [`rules`] as a schema validator: its message is the diagnostic's detail.
#[derive(Clone, Copy)]
pub(crate) struct Rule(pub fn(&str) -> Result<(), String>);

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rule")
    }
}

impl Validator for Rule {
    fn description(&self) -> String {
        "must satisfy the attribute's naming or format rule".to_owned()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(text) = value.as_str()
            && let Err(problem) = (self.0)(text)
        {
            diags.add_attribute_error(path.clone(), "Invalid Attribute Value", sentence(&problem));
        }
    }
}

/// `problem` with a capital first letter and a final full stop.
pub(crate) fn sentence(problem: &str) -> String {
    let mut chars = problem.chars();
    let mut text: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use terraform_plugin::schema::Mode;

    #[test]
    fn schema_obeys_terraform_rules_and_describes_everything() {
        let schema = schema();
        assert_eq!(schema.check_resource(), Ok(()));
        for attribute in schema.body().attributes() {
            assert!(
                !attribute.description_text().is_empty(),
                "{} has no description",
                attribute.name()
            );
        }
        let forces_new: Vec<&str> = schema
            .body()
            .attributes()
            .iter()
            .filter(|a| a.plan_modifiers().iter().any(|m| m.may_replace()))
            .map(Attribute::name)
            .collect();
        assert_eq!(
            forces_new,
            [
                "name",
                "resource_group_name",
                "location",
                "cluster_name",
                "database_name",
                "eventhub_id",
                "consumer_group",
                "compression",
                "database_routing_type"
            ]
        );
        let mode = |name| schema.body().attribute_named(name).unwrap().mode();
        assert_eq!(mode("compression"), Mode::OptionalComputed);
        assert_eq!(mode("retrieval_start_date"), Mode::OptionalComputed);
        assert_eq!(mode("table_name"), Mode::Optional);
        assert_eq!(mode("provisioning_state"), Mode::Computed);
    }

    #[test]
    fn rule_messages_become_sentences() {
        let mut diags = Diagnostics::new();
        Rule(rules::validate_compression).validate(
            &AttributePath::attr("compression"),
            &"gzip".into(),
            &mut diags,
        );
        let detail = &diags.iter().next().unwrap().detail;
        assert!(
            detail.starts_with("Compression values are case-sensitive"),
            "{detail}"
        );
        assert!(detail.ends_with('.'));
    }
}
