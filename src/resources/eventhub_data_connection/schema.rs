//! The schema of `kusto_eventhub_data_connection`, derived from the attribute table
//! ([`super::attributes`]): who sets each attribute becomes its mode and default, its rule a
//! validator, and what a change does a plan modifier.

use std::time::Duration;

use terraform_plugin::planmod::{
    Each, KeepStateWhenUnset, RequiresReplace, RequiresReplaceUnlessEquivalent, Rule,
    UseStateForUnknown,
};
use terraform_plugin::schema::{Attribute, Schema};
use terraform_plugin::timeouts::Timeouts;
use terraform_plugin::value::Value;

use super::attributes::{ATTRIBUTES, Attr, Azure, Change, Presence, ServiceDefault};

/// azurerm's defaults: create, update and delete 60 minutes, read 5 minutes. The framework
/// adds the `timeouts` block and resolves each operation's limit from them.
pub(crate) const TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(60 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(60 * 60),
    delete: Duration::from_secs(60 * 60),
};

/// The resource's schema, from [`ATTRIBUTES`].
pub(crate) fn schema() -> Schema {
    ATTRIBUTES.iter().fold(
        Schema::new(0).description(
            "Manages an Azure Data Explorer (Kusto) data connection that ingests events from an \
             Azure Event Hub into a table of a Kusto database.",
        ),
        |schema, attr| schema.attribute(attribute(attr)),
    )
}

/// The schema attribute `attr` describes.
fn attribute(attr: &Attr) -> Attribute {
    let mut attribute = typed(attr).description(attr.description);
    attribute = match attr.presence {
        Presence::Required => attribute.required(),
        Presence::Optional => attribute,
        Presence::Default(ServiceDefault::Text(value)) => {
            attribute.optional_computed().default(value)
        }
        Presence::Default(ServiceDefault::EmptyList) => attribute
            .optional_computed()
            .default(Value::List(Vec::new())),
        Presence::AzureChooses => attribute
            .optional_computed()
            .plan_modifier(KeepStateWhenUnset),
        Presence::Computed => attribute.computed(),
    };
    if let Some(rule) = attr.rule {
        attribute = match attr.azure {
            Azure::List { .. } => attribute.validator(Each::new(Rule(rule))),
            _ => attribute.validator(Rule(rule)),
        };
    }
    if let Azure::Id = attr.azure {
        attribute = attribute.plan_modifier(UseStateForUnknown);
    }
    match attr.change {
        Change::Replaces => attribute.plan_modifier(RequiresReplace),
        Change::ReplacesUnlessSame => {
            attribute.plan_modifier(RequiresReplaceUnlessEquivalent::new(attr.same))
        }
        Change::InPlace => attribute,
    }
}

/// An attribute of `attr`'s name and type, with nothing else set; the data source starts
/// from it too.
pub(crate) fn typed(attr: &Attr) -> Attribute {
    match attr.azure {
        Azure::List { .. } => Attribute::list_of_strings(attr.name),
        Azure::Argument => Attribute::bool(attr.name),
        _ => Attribute::string(attr.name),
    }
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
}
