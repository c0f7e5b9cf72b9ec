//! The ARM side of the emulator: `Microsoft.Kusto/clusters/databases/dataConnections`, the
//! list of a cluster's databases (read-only, from the world) and the Kusto operation-result
//! endpoints.
//!
//! ARM paths are case-insensitive and region names arrive `%20`-encoded, so `routing`
//! routes by hand instead of through axum's case-sensitive router. Every request passes,
//! in ARM's order: bearer token, `api-version` (2024-04-13 or 2025-02-14), subscription,
//! resource group, cluster, database; then the operation itself, one file each. Status codes
//! and headers follow the recorded Kusto traffic: PUT create 201 with `Azure-AsyncOperation`
//! only, PUT update 200 with `Azure-AsyncOperation`, PATCH 202 with a body, DELETE 202 with
//! an empty body (204 when the connection is absent), PATCH/DELETE/validation with both
//! `Azure-AsyncOperation` and `Location`, always with `Retry-After`.

mod api_version;
mod call;
mod check_name;
mod delete;
mod errors;
mod lookup;
mod operation_result;
mod operations;
mod read;
pub mod routing;
mod validation;
mod write;
