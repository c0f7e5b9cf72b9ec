//! What a failed write left behind, and the state that records it.
//!
//! A create or update that fails may still have changed Azure: the PUT was processed and its
//! answer lost, or the operation ran and ended Failed with the new settings in place. Reporting
//! the prior state (or none) would then hide a connection that exists, or show an empty plan
//! over a broken one. So after a failure the resource reads the connection once more, with a
//! budget of its own (the operation's deadline may be what failed), and the state records what
//! Azure holds: Terraform keeps a failed create's state tainted, and the next plan of a failed
//! update shows what differs from the configuration.

use std::time::Duration;

use kusto_arm::{CallContext, DataConnection, DataConnectionId, EventHubDataConnection};
use terraform_plugin::value::Value;

use super::model;

/// The budget of the read after a failure.
pub(crate) const LOOK_TIMEOUT: Duration = Duration::from_secs(60);

/// What Azure holds at a connection's id after a write failed.
#[derive(Debug)]
pub(crate) enum Found {
    /// Our Event Hub connection, as Azure now has it.
    Connection(Box<EventHubDataConnection>),
    /// Nothing: the write left nothing behind.
    Absent,
    /// A data connection of another kind, which is not ours.
    OtherKind(String),
    /// The read failed too; what exists is unknown.
    Unknown(kusto_arm::Error),
}

/// Reads `id` with a fresh context of [`LOOK_TIMEOUT`].
pub(crate) async fn look(api: kusto_arm::DataConnections<'_>, id: &DataConnectionId) -> Found {
    let ctx = CallContext::with_timeout(LOOK_TIMEOUT);
    match api.get(&ctx, id).await {
        Ok(Some(DataConnection::EventHub(connection))) => Found::Connection(connection),
        Ok(Some(DataConnection::Other { kind, .. })) => Found::OtherKind(kind),
        Ok(None) => Found::Absent,
        Err(error) => Found::Unknown(error),
    }
}

/// The state to return after a create failed with an error after which the connection may
/// exist: what Azure holds (Terraform stores it tainted), nothing when Azure holds nothing of
/// ours, and the plan's values with the id when that cannot be found out.
pub(crate) fn after_create(plan: Value, id: &DataConnectionId, found: &Found) -> Value {
    match found {
        Found::Absent | Found::OtherKind(_) => Value::Null,
        Found::Connection(connection) => model::holding(plan.unknowns_to_null(), id, connection),
        Found::Unknown(_) => {
            let mut state = plan.unknowns_to_null();
            model::write_id(&mut state, id);
            state
        }
    }
}

/// The state to return after an update failed: the prior state with what Azure now holds,
/// nothing when our connection is gone, the prior state when that cannot be found out.
pub(crate) fn after_update(prior: Value, id: &DataConnectionId, found: &Found) -> Value {
    match found {
        Found::Absent | Found::OtherKind(_) => Value::Null,
        Found::Connection(connection) => model::holding(prior, id, connection),
        Found::Unknown(_) => prior,
    }
}

/// The paragraph added to a failed create's or update's error: what the state now records.
pub(crate) fn note(operation: &str, id: &DataConnectionId, found: &Found) -> String {
    match (operation, found) {
        ("create", Found::Connection(connection)) => format!(
            "Azure holds the connection (provisioning state {}). It is kept in state, marked \
             tainted: the next apply replaces it.",
            provisioning_state(connection)
        ),
        ("create", Found::Unknown(error)) => format!(
            "Whether Azure created the connection could not be found out ({error}). It is kept \
             in state, marked tainted: the next apply replaces it, or removes it if it does not \
             exist."
        ),
        (_, Found::Connection(connection)) => format!(
            "The state records what Azure holds now (provisioning state {}), so the next plan \
             shows what differs from the configuration.",
            provisioning_state(connection)
        ),
        (_, Found::Unknown(error)) => format!(
            "What Azure holds now could not be read ({error}); the state keeps the prior \
             settings, and the next refresh reads them again."
        ),
        (_, Found::Absent) => {
            format!("Azure holds no data connection {id}, so none is kept in state.")
        }
        (_, Found::OtherKind(kind)) => format!(
            "Azure holds a data connection of kind {kind:?} at {id}, which this resource does \
             not manage, so none is kept in state."
        ),
    }
}

fn provisioning_state(connection: &EventHubDataConnection) -> &str {
    connection
        .provisioning_state
        .as_deref()
        .unwrap_or("not reported")
}
