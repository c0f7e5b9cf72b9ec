//! ARM cloud metadata (`GET /metadata/endpoints?api-version=2022-09-01`).
//!
//! Clients such as azurerm discover every other endpoint here, so the document points the
//! login endpoint, resource manager and Microsoft Graph at the emulator itself, in the
//! 2022-09-01 object shape that azurerm accepts: `loginEndpoint` without a trailing slash,
//! tenant `common`, identity provider `AAD`, and the storage/key-vault suffixes it requires.

use axum::Json;
use axum::http::{HeaderMap, Uri};
use serde_json::{Value, json};

use super::http::base_url;

/// Serves the cloud metadata document for the address the client used.
pub async fn endpoints(uri: Uri, headers: HeaderMap) -> Json<Value> {
    Json(document(&base_url(&uri, &headers)))
}

fn document(base: &str) -> Value {
    json!({
        "name": "EmulatorCloud",
        "portal": base,
        "authentication": {
            "loginEndpoint": base,
            "audiences": [format!("{base}/"), "https://management.azure.com/", "https://management.core.windows.net/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": format!("{base}/media/"),
        "graphAudience": format!("{base}/graph/"),
        "graph": format!("{base}/graph/"),
        "resourceManager": format!("{base}/"),
        "microsoftGraphResourceId": format!("{base}/graph/"),
        "appInsightsResourceId": format!("{base}/appinsights"),
        "appInsightsTelemetryChannelResourceId": format!("{base}/appinsights/telemetry"),
        "attestationResourceId": format!("{base}/attestation"),
        "synapseAnalyticsResourceId": format!("{base}/synapse"),
        "logAnalyticsResourceId": format!("{base}/loganalytics"),
        "ossrDbmsResourceId": format!("{base}/ossrdbms"),
        "sqlManagement": format!("{base}/sql/"),
        "batch": format!("{base}/batch/"),
        "activeDirectoryDataLake": format!("{base}/datalake/"),
        "gallery": format!("{base}/gallery/"),
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.localhost",
            "acrLoginServer": "azurecr.localhost",
            "sqlServerHostname": "database.localhost",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.localhost",
            "keyVaultDns": "vault.localhost",
            "storage": "storage.localhost",
            "azureFrontDoorEndpointSuffix": "azurefd.localhost",
            "storageSyncEndpointSuffix": "afs.localhost",
            "mhsmDns": "managedhsm.localhost",
            "mysqlServerEndpoint": "mysql.localhost",
            "postgresqlServerEndpoint": "postgres.localhost",
            "mariadbServerEndpoint": "mariadb.localhost",
            "synapseAnalytics": "synapse.localhost",
            "attestationEndpoint": "attest.localhost",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_has_what_azurerm_requires() {
        let d = document("https://127.0.0.1:8443");
        assert_eq!(
            d["authentication"]["loginEndpoint"],
            "https://127.0.0.1:8443"
        );
        assert_eq!(d["authentication"]["tenant"], "common");
        assert_eq!(d["authentication"]["identityProvider"], "AAD");
        assert_eq!(d["resourceManager"], "https://127.0.0.1:8443/");
        assert!(d["suffixes"]["keyVaultDns"].is_string() && d["suffixes"]["storage"].is_string());
        assert!(!d["name"].as_str().unwrap().is_empty());
    }
}
