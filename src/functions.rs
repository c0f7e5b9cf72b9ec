//! The provider's functions (Terraform 1.8 and later), for working with data connection ids
//! without string surgery:
//!
//! - `provider::kusto::parse_data_connection_id(id)` takes an id apart, in any casing, into
//!   the names the resource's arguments use (plus `subscription_id`);
//! - `provider::kusto::data_connection_id(subscription_id, resource_group_name, cluster_name,
//!   database_name, name)` builds the canonical id, as Azure spells it.
//!
//! Both check what they are given by the same rules as the resource, so an id built here is
//! one the resource accepts.

use std::collections::BTreeMap;
use std::sync::Arc;

use kusto_arm::DataConnectionId;
use terraform_plugin::function::{Function, FunctionError, Parameter, Signature};
use terraform_plugin::value::{Type, Value};

use crate::resources::eventhub_data_connection::names::{
    CLUSTER_NAME, DATABASE_NAME, NAME, RESOURCE_GROUP_NAME,
};
use crate::resources::eventhub_data_connection::rules;

/// The subscription's part of an id; not an argument of the resource, which takes it from
/// the provider.
const SUBSCRIPTION_ID: &str = "subscription_id";

/// The functions, for [`terraform_plugin::provider::Provider::functions`].
pub(crate) fn all() -> Vec<Arc<dyn Function>> {
    vec![
        Arc::new(ParseDataConnectionId),
        Arc::new(BuildDataConnectionId),
    ]
}

/// A naming rule: `Err` says what is wrong.
type Rule = fn(&str) -> Result<(), String>;

/// The parts of an id, in the order `data_connection_id` takes them, with the rule each
/// obeys.
const PARTS: [(&str, &str, Rule); 5] = [
    (
        SUBSCRIPTION_ID,
        "The subscription ID (a UUID).",
        check_subscription,
    ),
    (
        RESOURCE_GROUP_NAME,
        "The resource group of the Kusto cluster.",
        rules::validate_resource_group_name,
    ),
    (
        CLUSTER_NAME,
        "The name of the Kusto cluster.",
        rules::validate_cluster_name,
    ),
    (
        DATABASE_NAME,
        "The name of the database in the cluster.",
        rules::validate_database_name,
    ),
    (
        NAME,
        "The name of the data connection.",
        rules::validate_name,
    ),
];

fn check_subscription(value: &str) -> Result<(), String> {
    match uuid::Uuid::try_parse(value) {
        Ok(_) if value.len() == 36 => Ok(()),
        _ => Err(format!("a subscription ID must be a UUID, got {value:?}")),
    }
}

/// `{subscription_id, resource_group_name, cluster_name, database_name, name}`.
fn parts_type() -> Type {
    Type::Object(
        PARTS
            .iter()
            .map(|(name, _, _)| ((*name).to_owned(), Type::String))
            .collect(),
    )
}

struct ParseDataConnectionId;

impl Function for ParseDataConnectionId {
    fn name(&self) -> &'static str {
        "parse_data_connection_id"
    }

    fn signature(&self) -> Signature {
        Signature {
            summary: "Takes a Kusto data connection ID apart.",
            description: "Parses the ARM ID of a Kusto data connection (`/subscriptions/.../\
                resourceGroups/.../providers/Microsoft.Kusto/clusters/.../databases/.../\
                dataConnections/...`, in any casing) into an object with `subscription_id`, \
                `resource_group_name`, `cluster_name`, `database_name` and `name`.",
            parameters: vec![Parameter::string("id", "The data connection's ARM ID.")],
            returns: parts_type(),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let text = arguments[0].as_str().unwrap_or_default();
        let id = DataConnectionId::parse(text)
            .map_err(|problem| FunctionError::at_argument(0, problem.to_string()))?;
        let cluster = id.cluster();
        let values = [
            &cluster.subscription_id,
            &cluster.resource_group,
            &cluster.cluster,
            &id.database.database,
            &id.name,
        ];
        Ok(Value::Object(
            PARTS
                .iter()
                .zip(values)
                .map(|((name, _, _), value)| ((*name).to_owned(), Value::String(value.clone())))
                .collect::<BTreeMap<_, _>>(),
        ))
    }
}

struct BuildDataConnectionId;

impl Function for BuildDataConnectionId {
    fn name(&self) -> &'static str {
        "data_connection_id"
    }

    fn signature(&self) -> Signature {
        Signature {
            summary: "Builds a Kusto data connection ID.",
            description: "Returns the canonical ARM ID of a Kusto data connection from its \
                subscription, resource group, cluster, database and name, each checked by the \
                rules the `kusto_eventhub_data_connection` resource applies.",
            parameters: PARTS
                .iter()
                .map(|(name, description, _)| Parameter::string(name, description))
                .collect(),
            returns: Type::String,
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let mut parts = Vec::with_capacity(PARTS.len());
        for (index, ((_, _, check), argument)) in PARTS.iter().zip(arguments).enumerate() {
            let text = argument.as_str().unwrap_or_default();
            check(text)
                .map_err(|problem| FunctionError::at_argument(index, format!("{problem}.")))?;
            parts.push(text);
        }
        let [subscription, group, cluster, database, name] = parts[..] else {
            return Err(FunctionError::new(
                "data_connection_id takes five arguments.",
            ));
        };
        Ok(Value::String(
            DataConnectionId::new(subscription, group, cluster, database, name).to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANONICAL: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/dc1";

    fn object(pairs: &[(&str, &str)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
                .collect(),
        )
    }

    #[test]
    fn ids_are_taken_apart_in_any_casing() {
        let recased = CANONICAL
            .replace("resourceGroups", "RESOURCEGROUPS")
            .replace("Microsoft.Kusto", "microsoft.kusto")
            .replace("dataConnections", "DataConnections");
        for id in [CANONICAL, recased.as_str()] {
            assert_eq!(
                ParseDataConnectionId.call(&[id.into()]),
                Ok(object(&[
                    ("subscription_id", "00000000-0000-0000-0000-000000000001"),
                    ("resource_group_name", "rg-demo"),
                    ("cluster_name", "democluster"),
                    ("database_name", "demodb"),
                    ("name", "dc1"),
                ]))
            );
        }
        let cut = CANONICAL.replace("/dataConnections/dc1", "");
        let error = ParseDataConnectionId.call(&[cut.into()]).unwrap_err();
        assert_eq!(error.argument, Some(0));
        assert!(
            error.text.starts_with("invalid Kusto data connection ID"),
            "{error}"
        );
    }

    #[test]
    fn ids_are_built_canonical_from_checked_names() {
        let names = [
            "00000000-0000-0000-0000-000000000001",
            "rg-demo",
            "democluster",
            "demodb",
            "dc1",
        ];
        let arguments: Vec<Value> = names.iter().map(|n| (*n).into()).collect();
        assert_eq!(BuildDataConnectionId.call(&arguments), Ok(CANONICAL.into()));
        let round_trip = ParseDataConnectionId.call(&[CANONICAL.into()]).unwrap();
        assert_eq!(round_trip.get_str("cluster_name"), Some("democluster"));

        let mut bad_cluster = arguments.clone();
        bad_cluster[2] = "Demo_Cluster".into();
        let error = BuildDataConnectionId.call(&bad_cluster).unwrap_err();
        assert_eq!(error.argument, Some(2));
        assert!(error.text.contains("Kusto cluster name"), "{error}");
        let mut bad_subscription = arguments;
        bad_subscription[0] = "sub".into();
        let error = BuildDataConnectionId.call(&bad_subscription).unwrap_err();
        assert_eq!(error.argument, Some(0));
    }
}
