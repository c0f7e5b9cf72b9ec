//! Resolving what an ARM request addresses in the store, with ARM's error for the first
//! thing missing: subscription, resource group, cluster, database, the connection itself;
//! and refusing a write while the cluster is busy.

use time::OffsetDateTime;

use super::errors::{
    cluster_busy, parent_not_found, resource_group_not_found, resource_not_found,
    subscription_not_found,
};
use crate::dataconn::model::{DataConnection, Names};
use crate::error::ApiError;
use crate::store::Store;
use crate::world::Cluster;

/// Resolves the parents of a data connection, with ARM's error for the first missing one.
pub fn parents<'a>(store: &'a Store, names: &Names) -> Result<&'a Cluster, ApiError> {
    let cluster = cluster(store, names)?;
    cluster
        .database(&names.database)
        .ok_or_else(|| parent_not_found(&format!("{}/{}", names.cluster, names.database)))?;
    Ok(cluster)
}

/// Resolves the cluster `names` lies in, with ARM's error for the first missing level.
pub fn cluster<'a>(store: &'a Store, names: &Names) -> Result<&'a Cluster, ApiError> {
    let world = &store.world;
    if !world.has_subscription(&names.subscription_id) {
        return Err(subscription_not_found(&names.subscription_id));
    }
    if world
        .resource_group(&names.subscription_id, &names.resource_group)
        .is_none()
    {
        return Err(resource_group_not_found(&names.resource_group));
    }
    world
        .cluster(
            &names.subscription_id,
            &names.resource_group,
            &names.cluster,
        )
        .ok_or_else(|| parent_not_found(&names.cluster))
}

/// The stored connection `names` addresses.
pub fn existing<'a>(store: &'a Store, names: &Names) -> Result<&'a DataConnection, ApiError> {
    store
        .world
        .data_connections
        .get(&names.key())
        .ok_or_else(|| resource_not_found(names))
}

/// Refuses a write while another write operation runs on the connection's cluster.
pub fn refuse_if_busy(store: &Store, names: &Names, now: OffsetDateTime) -> Result<(), ApiError> {
    if store.cluster_busy(&names.cluster_key(), now) {
        return Err(cluster_busy(names));
    }
    Ok(())
}
