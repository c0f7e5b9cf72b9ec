//! A managed identity endpoint given as `msi_endpoint`, spoken to with the IMDS protocol:
//! `GET {endpoint}?api-version=2018-02-01&resource=…` with `Metadata: true`. The platform's own
//! endpoints (App Service, IMDS) are azure_identity's (`identity`); a custom endpoint is a
//! single GET, and reading its answer here keeps every number in it bounded.

use std::sync::Arc;

use azure_core::credentials::AccessToken;
use azure_core::time::OffsetDateTime;
use serde::Deserialize;
use url::Url;

use super::{TokenSource, expiry};
use crate::error::{Error, Result};
use crate::transport::{HttpClient, Request};

/// A managed identity endpoint given as `msi_endpoint`, spoken to with the IMDS protocol:
/// `GET {endpoint}?api-version=2018-02-01&resource=…` with `Metadata: true`.
#[derive(Debug)]
pub(crate) struct MsiEndpoint {
    pub endpoint: Url,
    pub client_id: Option<String>,
    pub http: Arc<dyn HttpClient>,
}

#[derive(Deserialize)]
struct MsiToken {
    access_token: String,
    expires_on: Option<serde_json::Value>,
    expires_in: Option<serde_json::Value>,
}

#[async_trait::async_trait]
impl TokenSource for MsiEndpoint {
    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        let resource = scope.trim_end_matches("/.default");
        let mut url = self.endpoint.clone();
        url.query_pairs_mut()
            .append_pair("api-version", "2018-02-01")
            .append_pair("resource", resource);
        if let Some(id) = &self.client_id {
            url.query_pairs_mut().append_pair("client_id", id);
        }
        let mut request = Request::new(http::Method::GET, url);
        request
            .headers
            .insert("metadata", http::HeaderValue::from_static("true"));
        let response = self.http.execute(request).await.map_err(|e| {
            Error::Credential(format!("managed identity endpoint {}: {e}", self.endpoint))
        })?;
        if !response.status.is_success() {
            return Err(Error::Credential(format!(
                "managed identity endpoint {} returned HTTP {}: {}",
                self.endpoint,
                response.status.as_u16(),
                String::from_utf8_lossy(&response.body).trim()
            )));
        }
        let token: MsiToken = serde_json::from_slice(&response.body).map_err(|e| {
            Error::Credential(format!(
                "managed identity endpoint {} returned an unexpected body: {e}",
                self.endpoint
            ))
        })?;
        let expires_on = expiry(
            OffsetDateTime::now_utc(),
            token.expires_on.as_ref(),
            token.expires_in.as_ref(),
        );
        Ok(AccessToken::new(token.access_token, expires_on))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MockHttp, response};
    use azure_core::time::Duration as AzDuration;

    #[tokio::test(start_paused = true)]
    async fn msi_endpoint_speaks_imds() {
        let http = Arc::new(MockHttp::new(vec![response(
            200,
            &[],
            r#"{"access_token":"tok","expires_in":"3599","expires_on":"4102444800","token_type":"Bearer"}"#,
        )]));
        let source = MsiEndpoint {
            endpoint: Url::parse("http://127.0.0.1:50342/oauth2/token").unwrap(),
            client_id: Some("cid".into()),
            http: http.clone(),
        };
        let token = source
            .fetch("https://management.azure.com/.default")
            .await
            .unwrap();
        assert_eq!(token.token.secret(), "tok");
        assert_eq!(token.expires_on.unix_timestamp(), 4_102_444_800);
        let request = &http.requests()[0];
        assert_eq!(
            request.url.as_str(),
            "http://127.0.0.1:50342/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com&client_id=cid"
        );
        assert_eq!(request.headers["metadata"], "true");
    }

    #[tokio::test(start_paused = true)]
    async fn hostile_token_lifetimes_never_panic() {
        let now = OffsetDateTime::now_utc();
        for (body, expect_about_an_hour) in [
            (
                r#"{"access_token":"t","expires_in":"9223372036854775807"}"#,
                true,
            ),
            (
                r#"{"access_token":"t","expires_in":-9223372036854775808}"#,
                true,
            ),
            (r#"{"access_token":"t","expires_in":-60}"#, false),
            (
                r#"{"access_token":"t","expires_on":"99999999999999999999","expires_in":"x"}"#,
                true,
            ),
            (
                r#"{"access_token":"t","expires_on":9223372036854775807}"#,
                true,
            ),
            (r#"{"access_token":"t","expires_on":[1]}"#, true),
        ] {
            let http = Arc::new(MockHttp::new(vec![response(200, &[], body)]));
            let source = MsiEndpoint {
                endpoint: Url::parse("http://127.0.0.1:50342/oauth2/token").unwrap(),
                client_id: None,
                http,
            };
            let token = source.fetch("https://arm.example/.default").await.unwrap();
            let lifetime = token.expires_on - now;
            if expect_about_an_hour {
                assert!(
                    lifetime > AzDuration::minutes(59) && lifetime < AzDuration::minutes(61),
                    "{body}: {lifetime}"
                );
            } else {
                assert!(lifetime < AzDuration::ZERO, "{body}: {lifetime}");
            }
        }
    }
}
