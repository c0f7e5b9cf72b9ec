//! Taking over from azurerm: a `moved` block from `azurerm_kusto_eventhub_data_connection`
//! (Terraform 1.8 and later) turns azurerm's state into this resource's without touching
//! Azure, so a migration is one reviewed plan instead of `state rm` and `import` by hand.
//!
//! The attributes have azurerm's names, so the framework carries them over; what differs is
//! spelling. azurerm stores an unset optional string as `""` (this resource stores null),
//! and ids as it parsed them (this resource stores them in canonical casing). The location
//! stays as azurerm stored it, the name users write; the read that follows the move fills in
//! what azurerm does not keep (the identity's object id, the provisioning state).

use kusto_arm::DataConnectionId;
use terraform_plugin::diag::Diagnostics;
use terraform_plugin::resource::MoveSource;
use terraform_plugin::value::Value;

use super::attributes::ATTRIBUTES;
use super::model;
use super::names::{EVENTHUB_ID, ID, IDENTITY_ID};
use super::spelling::{canonical_eventhub_id, canonical_identity_id};

/// azurerm's Event Hub data connection, in the schema versions its releases wrote: 1, and
/// the older 0 (the same attributes, ids in whatever casing they were imported with).
pub(crate) const AZURERM: MoveSource = MoveSource {
    provider: "hashicorp/azurerm",
    type_name: "azurerm_kusto_eventhub_data_connection",
    versions: &[0, 1],
};

/// Makes `state`, azurerm's read with this resource's schema, the state this resource
/// stores for the same connection.
pub(crate) fn from_azurerm(state: &mut Value, diags: &mut Diagnostics) {
    for attr in &ATTRIBUTES {
        if state.get_str(attr.name) == Some("") {
            state.set(attr.name, Value::Null);
        }
    }
    let stored = state.get_string(ID).unwrap_or_default();
    let id = match DataConnectionId::parse(&stored) {
        Ok(id) => id,
        Err(error) => {
            diags.add_error(
                "Unable to Move Resource State",
                format!(
                    "The azurerm state holds no usable data connection id ({stored:?}: \
                     {error}). Import the connection instead."
                ),
            );
            return;
        }
    };
    state.set(ID, id.to_string());
    model::write_id(state, &id);
    for (name, canonical) in [
        (EVENTHUB_ID, canonical_eventhub_id as fn(&str) -> String),
        (IDENTITY_ID, canonical_identity_id),
    ] {
        if let Some(text) = state.get_str(name) {
            state.set(name, canonical(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::eventhub_data_connection::names::{
        LOCATION, MANAGED_IDENTITY_OBJECT_ID, TABLE_NAME,
    };

    fn azurerm_state(pairs: &[(&str, &str)]) -> Value {
        let mut state = super::super::schema::schema().body().empty_value();
        for (name, text) in pairs {
            state.set(name, *text);
        }
        state
    }

    const ID_AS_IMPORTED: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-demo/providers/microsoft.kusto/Clusters/democluster/Databases/demodb/DataConnections/moved-one";

    #[test]
    fn azurerm_spellings_become_this_resources() {
        let mut state = azurerm_state(&[
            (ID, ID_AS_IMPORTED),
            (LOCATION, "westeurope"),
            (
                EVENTHUB_ID,
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-demo/providers/microsoft.eventhub/namespaces/demo-ns/EventHubs/events",
            ),
            (IDENTITY_ID, ""),
            (TABLE_NAME, "Events"),
        ]);
        let mut diags = Diagnostics::new();
        from_azurerm(&mut state, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            state.get_str(ID),
            Some(
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/moved-one"
            )
        );
        assert_eq!(
            state.get_str(EVENTHUB_ID),
            Some(
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events"
            )
        );
        assert_eq!(state.get_str("name"), Some("moved-one"), "from the id");
        assert_eq!(state.get_str(LOCATION), Some("westeurope"), "as written");
        assert!(state.is_null_attr(IDENTITY_ID), "empty is unset");
        assert_eq!(state.get_str(TABLE_NAME), Some("Events"));
        assert!(
            state.is_null_attr(MANAGED_IDENTITY_OBJECT_ID),
            "left to the read"
        );
    }

    #[test]
    fn a_state_without_a_data_connection_id_is_refused() {
        for id in ["", "/subscriptions/x/resourceGroups/rg"] {
            let mut state = azurerm_state(&[(ID, id)]);
            let mut diags = Diagnostics::new();
            from_azurerm(&mut state, &mut diags);
            let detail = &diags.iter().next().expect("an error").detail;
            assert!(detail.contains("Import the connection instead"), "{detail}");
        }
    }
}
