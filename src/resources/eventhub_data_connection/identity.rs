//! The connection's identity (Terraform 1.12): the names in its ARM id, as azurerm names
//! the identities of its resources, so `import { identity = {...} }` blocks read the same
//! across both providers. Terraform stores it beside the state, and the framework holds it
//! to the rules (whole, never changing); this module only says what it is.
//!
//! The identity follows from the `id` in state, which carries the subscription (a state
//! whose id is not yet known has none). Importing by identity builds that id from the five
//! names, each held to the rule an id's names follow on import by id: not empty, no
//! whitespace around it, no `/`.

use kusto_arm::DataConnectionId;
use terraform_plugin::identity::{IdentityAttribute, IdentitySchema};
use terraform_plugin::value::Value;

use super::names::{CLUSTER_NAME, DATABASE_NAME, ID, NAME, RESOURCE_GROUP_NAME};

/// The identity attribute only the identity has: the state's `id` carries it.
const SUBSCRIPTION_ID: &str = "subscription_id";

/// One identity attribute: its name, description and where it is in the id.
struct Part {
    name: &'static str,
    description: &'static str,
    of: fn(&DataConnectionId) -> &str,
}

/// The identity, in the order of the id's segments.
const PARTS: [Part; 5] = [
    Part {
        name: SUBSCRIPTION_ID,
        description: "The ID of the Azure subscription holding the data connection.",
        of: |id| &id.cluster().subscription_id,
    },
    Part {
        name: RESOURCE_GROUP_NAME,
        description: "The resource group of the Kusto cluster.",
        of: |id| &id.cluster().resource_group,
    },
    Part {
        name: CLUSTER_NAME,
        description: "The name of the Kusto cluster.",
        of: |id| &id.cluster().cluster,
    },
    Part {
        name: DATABASE_NAME,
        description: "The name of the Kusto database.",
        of: |id| &id.database.database,
    },
    Part {
        name: NAME,
        description: "The name of the data connection.",
        of: |id| &id.name,
    },
];

/// The identity schema: every part required for import, version 0 (states stored before the
/// identity existed are of that version too, with no identity stored).
pub(crate) fn schema() -> IdentitySchema {
    PARTS.iter().fold(IdentitySchema::new(0), |schema, part| {
        schema.attribute(IdentityAttribute::string(part.name).description(part.description))
    })
}

/// The identity of the connection `state` holds; null while its id is unknown.
pub(crate) fn of_state(state: &Value) -> Value {
    let Some(id) = state
        .get_str(ID)
        .and_then(|id| DataConnectionId::parse(id).ok())
    else {
        return Value::Null;
    };
    Value::Object(
        PARTS
            .iter()
            .map(|part| (part.name.to_owned(), Value::from((part.of)(&id))))
            .collect(),
    )
}

/// The id `identity` names, or what is wrong with one of its names.
pub(crate) fn data_connection_id(identity: &Value) -> Result<DataConnectionId, String> {
    let [subscription, resource_group, cluster, database, name] =
        PARTS.map(|part| segment(identity, part.name));
    Ok(DataConnectionId::new(
        subscription?,
        resource_group?,
        cluster?,
        database?,
        name?,
    ))
}

/// The identity attribute `name`, held to the rule of an id segment on import.
fn segment<'a>(identity: &'a Value, name: &str) -> Result<&'a str, String> {
    let value = identity.get_str(name).unwrap_or_default();
    let problem = if value.is_empty() {
        "is empty"
    } else if value.trim() != value {
        "starts or ends with whitespace"
    } else if value.contains('/') {
        "contains \"/\", which would split the data connection's ARM ID"
    } else {
        return Ok(value);
    };
    Err(format!(
        "The identity attribute {name:?} {problem} ({value:?})."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID_TEXT: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/dc1";

    fn identity(names: [&str; 5]) -> Value {
        Value::Object(
            PARTS
                .iter()
                .zip(names)
                .map(|(part, text)| (part.name.to_owned(), Value::from(text)))
                .collect(),
        )
    }

    #[test]
    fn the_identity_is_the_names_in_the_id() {
        let schema = schema();
        assert_eq!(schema.check(), Ok(()));
        assert!(
            schema
                .attributes()
                .iter()
                .all(|a| a.is_required_for_import())
        );
        let mut state = Value::Object(Default::default());
        state.set(ID, ID_TEXT);
        let expected = identity([
            "00000000-0000-0000-0000-000000000001",
            "rg-demo",
            "democluster",
            "demodb",
            "dc1",
        ]);
        assert_eq!(of_state(&state), expected);
        assert_eq!(schema.complete(expected.clone()), Ok(expected));
        state.set(ID, Value::Unknown);
        assert_eq!(of_state(&state), Value::Null, "not known before create");
    }

    #[test]
    fn an_identity_names_the_id_it_was_taken_from() {
        let id = DataConnectionId::parse(ID_TEXT).unwrap();
        let mut state = Value::Object(Default::default());
        state.set(ID, ID_TEXT);
        let built = data_connection_id(&of_state(&state)).unwrap();
        assert_eq!(built.to_string(), id.to_string());
    }

    #[test]
    fn names_an_id_could_not_hold_are_refused_by_attribute() {
        let cases = [
            (
                ["s", "", "c", "d", "n"],
                r#""resource_group_name" is empty"#,
            ),
            (
                ["s", "rg", " c", "d", "n"],
                r#""cluster_name" starts or ends"#,
            ),
            (
                ["s", "rg", "c", "d/x", "n"],
                r#""database_name" contains "/""#,
            ),
            (["s", "rg", "c", "d", "n\n"], r#""name" starts or ends"#),
        ];
        for (names, expected) in cases {
            let problem = data_connection_id(&identity(names)).unwrap_err();
            assert!(problem.contains(expected), "{problem}");
        }
    }
}
