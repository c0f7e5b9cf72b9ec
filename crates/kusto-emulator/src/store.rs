//! The store: the world plus the operation table and the token-signing key, the unit that
//! `--state` persists, since operations must survive a restart together with the resources
//! they change.
//!
//! Operations are never advanced by a timer: [`Store::settle`] applies every operation that
//! has finished by a request's time to the data connection it concerns, at the start of
//! that request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::lro::{Operation, OperationKind, Status};
use super::token::new_signing_key;
use super::world::World;

/// The world plus the operation table: the unit that `--state` persists.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Store {
    pub world: World,
    #[serde(default)]
    pub operations: BTreeMap<String, Operation>,
    /// Key that signs access tokens, kept so tokens survive a restart.
    #[serde(default = "new_signing_key")]
    pub signing_key: String,
    /// The latest time a request saw; the store's time never goes back from it.
    #[serde(skip)]
    latest: Option<OffsetDateTime>,
}

impl Store {
    pub fn new(world: World) -> Self {
        Store {
            world,
            operations: BTreeMap::new(),
            signing_key: new_signing_key(),
            latest: None,
        }
    }

    /// The time a request holding the store sees: `clock`, or the latest time an earlier
    /// request saw if the clock reads earlier. Operations are stamped with these times, so
    /// none ever lies in a later request's future (where it would still be running).
    pub fn observe_time(&mut self, clock: OffsetDateTime) -> OffsetDateTime {
        let now = self.latest.map_or(clock, |latest| latest.max(clock));
        self.latest = Some(now);
        now
    }

    /// True when a write operation on the cluster (lower-cased id) is still running.
    pub fn cluster_busy(&self, cluster_key: &str, now: OffsetDateTime) -> bool {
        self.operations.values().any(|op| {
            op.kind != OperationKind::Validate
                && op.cluster_key == cluster_key
                && op.status(now) == Status::Running
        })
    }

    /// Applies the effect of every operation that has finished by `now` to the data
    /// connection it concerns: a failed write leaves the connection `Failed`, except a
    /// write refused because the cluster was busy, which the service rolls back (a create
    /// leaves nothing, an update the previous settings). Returns whether anything changed.
    pub fn settle(&mut self, now: OffsetDateTime) -> bool {
        let mut changed = false;
        for op in self.operations.values_mut() {
            if op.settled || op.status(now) == Status::Running {
                continue;
            }
            op.settled = true;
            changed = true;
            let key = op.resource_id.to_ascii_lowercase();
            let succeeded = op.status(now) == Status::Succeeded;
            match op.kind {
                OperationKind::Validate => {}
                OperationKind::Delete if succeeded => {
                    self.world.data_connections.remove(&key);
                }
                OperationKind::Delete => {
                    if let Some(dc) = self.world.data_connections.get_mut(&key) {
                        dc.provisioning_state = "Succeeded".to_owned();
                    }
                }
                OperationKind::Create if op.rolled_back() => {
                    self.world.data_connections.remove(&key);
                }
                OperationKind::Update if op.rolled_back() => {
                    if let Some(previous) = &op.previous {
                        let mut restored = previous.clone();
                        restored.provisioning_state = "Succeeded".to_owned();
                        self.world.data_connections.insert(key, restored);
                    }
                }
                OperationKind::Create | OperationKind::Update => {
                    if let Some(dc) = self.world.data_connections.get_mut(&key) {
                        dc.provisioning_state =
                            if succeeded { "Succeeded" } else { "Failed" }.to_owned();
                    }
                }
            }
        }
        changed
    }
}
