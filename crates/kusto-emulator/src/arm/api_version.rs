//! The `api-version` check, as ARM makes it before the resource provider sees the request:
//! absent, malformed, or well-formed but not registered for the type addressed, each with
//! ARM's own code.

use super::call::Call;
use super::routing::Route;
use crate::dataconn::model::Names;
use crate::error::ApiError;
use crate::http::query_param;
use crate::regions;

/// The api-versions this emulator serves.
const API_VERSIONS: &[&str] = &["2024-04-13", "2025-02-14"];

impl Call<'_> {
    /// Checks `api-version` as ARM does: absent, malformed, or well-formed but not registered
    /// by the resource provider for this type (each with ARM's own code).
    pub fn api_version(&self, route: &Route) -> Result<String, ApiError> {
        let Some(version) = query_param(&self.uri, "api-version") else {
            return Err(ApiError::bad_request(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ));
        };
        if API_VERSIONS.contains(&version.as_str()) {
            return Ok(version);
        }
        if !well_formed_api_version(&version) {
            return Err(ApiError::bad_request(
                "InvalidApiVersionParameter",
                format!(
                    "The api-version '{version}' is invalid. The supported versions are '{}'.",
                    API_VERSIONS.join(",")
                ),
            ));
        }
        let (resource_type, location) = match route {
            Route::Operation { region, .. } => {
                ("locations/operationResults", regions::normalize(region))
            }
            Route::List(names) | Route::Item(names) => (
                "clusters/databases/dataConnections",
                self.location_of(names),
            ),
            Route::Databases(names) | Route::CheckName(names) | Route::Validate(names) => {
                ("clusters/databases", self.location_of(names))
            }
        };
        Err(ApiError::bad_request(
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location '{location}' and API version '{version}' for \
                 type '{resource_type}'. The supported api-versions are '{}'. The supported locations are '{}'.",
                API_VERSIONS.join(", "),
                regions::display_names().join(", ")
            ),
        ))
    }

    /// The normalised region of the cluster (or resource group) a request addresses.
    fn location_of(&self, names: &Names) -> String {
        self.app
            .read(|store, _| {
                let world = &store.world;
                world
                    .cluster(
                        &names.subscription_id,
                        &names.resource_group,
                        &names.cluster,
                    )
                    .map(|c| c.location.clone())
                    .or_else(|| {
                        world
                            .resource_group(&names.subscription_id, &names.resource_group)
                            .map(|g| g.location.clone())
                    })
            })
            .ok()
            .flatten()
            .map_or_else(|| "global".to_owned(), |l| regions::normalize(&l))
    }
}

/// `YYYY-MM-DD` with an optional suffix such as `-preview`: the shape of every ARM api-version.
fn well_formed_api_version(version: &str) -> bool {
    let bytes = version.as_bytes();
    let date_ok = bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    date_ok && (bytes.len() == 10 || (bytes[10] == b'-' && bytes.len() > 11))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_have_arms_shape() {
        assert!(
            well_formed_api_version("2019-01-21") && well_formed_api_version("2023-05-02-preview")
        );
        assert!(
            !well_formed_api_version("latest")
                && !well_formed_api_version("2019-1-21")
                && !well_formed_api_version("2019-01-21-")
        );
    }
}
