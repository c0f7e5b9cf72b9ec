//! The Event Hub data connection resource: the stored model and the JSON the service
//! returns (`model`), request parsing (`request`), the synchronous checks of a write
//! (`validation`) and the data checks Kusto's engine makes afterwards (`checks`).
//!
//! Checks come in two kinds, as on the live service. Problems with the request itself
//! (malformed JSON, missing or unknown `kind`, missing required properties, bad enum values,
//! immutable properties, an identity the cluster does not have) are refused synchronously
//! with 400. Problems with the data the connection points at (event hub, consumer group,
//! table, mapping, mapping kind versus data format) are found by Kusto's engine after the
//! write was accepted: the operation ends `Failed` with `EventHubValidationErorFound` (sic)
//! and the connection stays in provisioning state `Failed`, and `dataConnectionValidation`
//! lists the same problems as `errorMessage` entries.
//!
//! Rendering follows the recorded traffic: the create response echoes the request, a GET
//! re-cases the id (`Clusters/Databases/DataConnections`), names the connection
//! `cluster/db/conn`, shows the location's display name and spells unset optionals as `""`
//! after a create and `null` after an update.

pub mod checks;
pub mod model;
pub mod request;
pub mod validation;

#[cfg(test)]
mod tests;
