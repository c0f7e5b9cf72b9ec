//! Where a federated token (the OIDC token a workload presents to Entra ID as its client
//! assertion) comes from.
//!
//! - given inline (`oidc_token`), used as is;
//! - a file (`oidc_token_file_path`, or the token file AKS workload identity mounts), read
//!   anew for every sign-in because the platform rotates it;
//! - requested from GitHub Actions: `GET {request URL}&audience=api://AzureADTokenExchange`
//!   with the job's request token, answered `{"value": "<JWT>"}`;
//! - requested from Azure DevOps for a service connection:
//!   `POST {request URL}?api-version=7.1&serviceConnectionId={id}` with the job's access token,
//!   answered `{"oidcToken": "<JWT>"}`.
//!
//! The request flows ask for a fresh token at every sign-in: CI tokens live minutes.

use std::path::PathBuf;

use http::{HeaderValue, Method};
use url::Url;

use super::Secret;
use crate::error::{Error, Result};
use crate::transport::{HttpClient, Request};

/// The audience Entra ID expects in a federated token.
const EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// The Azure DevOps REST version of the OIDC token request.
const AZURE_DEVOPS_API_VERSION: &str = "7.1";

/// One way of obtaining a federated token.
#[derive(Debug, Clone)]
pub enum AssertionSource {
    /// The token itself.
    Token(Secret),
    /// A file holding the token, re-read at every sign-in.
    TokenFile(PathBuf),
    /// GitHub Actions' ID token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`).
    GitHubActions {
        /// The job's token request URL.
        request_url: Url,
        /// The job's request token.
        request_token: Secret,
    },
    /// Azure DevOps' OIDC endpoint for a workload identity service connection
    /// (`SYSTEM_OIDCREQUESTURI`, `SYSTEM_ACCESSTOKEN`).
    AzureDevOps {
        /// The job's OIDC request URI.
        request_url: Url,
        /// The job's access token.
        request_token: Secret,
        /// The id of the service connection whose federated identity signs in.
        service_connection_id: String,
    },
}

impl AssertionSource {
    /// The way of signing in, for logs and errors.
    pub(crate) fn method(&self) -> &'static str {
        match self {
            Self::Token(_) => "OIDC token",
            Self::TokenFile(_) => "OIDC token file",
            Self::GitHubActions { .. } => "GitHub Actions OIDC",
            Self::AzureDevOps { .. } => "Azure DevOps OIDC",
        }
    }

    /// A federated token, fetched or read now.
    pub(crate) async fn assertion(&self, http: &dyn HttpClient) -> Result<Secret> {
        match self {
            Self::Token(token) => Ok(token.clone()),
            Self::TokenFile(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|error| {
                    Error::Credential(format!(
                        "cannot read the OIDC token file {}: {error}",
                        path.display()
                    ))
                })?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(Error::Credential(format!(
                        "the OIDC token file {} is empty",
                        path.display()
                    )));
                }
                Ok(Secret::new(token))
            }
            Self::GitHubActions {
                request_url,
                request_token,
            } => {
                let mut url = request_url.clone();
                url.query_pairs_mut()
                    .append_pair("audience", EXCHANGE_AUDIENCE);
                let request = bearer(Request::new(Method::GET, url), request_token)?;
                request_token_exchange(http, request, "GitHub Actions", "value").await
            }
            Self::AzureDevOps {
                request_url,
                request_token,
                service_connection_id,
            } => {
                let mut url = request_url.clone();
                url.query_pairs_mut()
                    .append_pair("api-version", AZURE_DEVOPS_API_VERSION)
                    .append_pair("serviceConnectionId", service_connection_id);
                let request = Request::new(Method::POST, url).with_json(b"{}".to_vec());
                let request = bearer(request, request_token)?;
                request_token_exchange(http, request, "Azure DevOps", "oidcToken").await
            }
        }
    }
}

/// Adds `Authorization: Bearer {token}`, marked sensitive.
fn bearer(mut request: Request, token: &Secret) -> Result<Request> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| Error::Config("the OIDC request token is not a valid header value".into()))?;
    value.set_sensitive(true);
    request.headers.insert(http::header::AUTHORIZATION, value);
    request.headers.insert(
        http::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    Ok(request)
}

/// Sends a CI system's token request and reads the token from `field` of its JSON answer.
async fn request_token_exchange(
    http: &dyn HttpClient,
    request: Request,
    system: &str,
    field: &str,
) -> Result<Secret> {
    // The URL is named without its query, which may carry job identifiers.
    let mut shown = request.url.clone();
    shown.set_query(None);
    let failed = |reason: String| {
        Error::Credential(format!(
            "could not get an OIDC token from {system} at {shown}: {reason}"
        ))
    };
    let response = http
        .execute(request)
        .await
        .map_err(|error| failed(error.to_string()))?;
    if !response.status.is_success() {
        let body = String::from_utf8_lossy(&response.body);
        let body: String = body.trim().chars().take(500).collect();
        return Err(failed(format!(
            "HTTP {}{}{body}",
            response.status.as_u16(),
            if body.is_empty() { "" } else { ": " }
        )));
    }
    serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|answer| answer.get(field)?.as_str().map(Secret::new))
        .filter(|token| !token.expose().is_empty())
        .ok_or_else(|| failed(format!("the answer has no \"{field}\"")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MockHttp, response};

    #[tokio::test]
    async fn ci_systems_are_asked_as_their_jobs_ask() {
        let github = AssertionSource::GitHubActions {
            request_url: Url::parse("https://runner.example/idtoken?api-version=2.0").unwrap(),
            request_token: Secret::new("req-token"),
        };
        let azure_devops = AssertionSource::AzureDevOps {
            request_url: Url::parse("https://dev.example/org/_apis/oidctoken").unwrap(),
            request_token: Secret::new("system-token"),
            service_connection_id: "sc-1".into(),
        };
        let cases = [
            (
                github,
                r#"{"count":1,"value":"gh.jwt"}"#,
                Method::GET,
                "https://runner.example/idtoken?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange",
                "req-token",
            ),
            (
                azure_devops,
                r#"{"oidcToken":"ado.jwt"}"#,
                Method::POST,
                "https://dev.example/org/_apis/oidctoken?api-version=7.1&serviceConnectionId=sc-1",
                "system-token",
            ),
        ];
        for (source, answer, method, url, bearer) in cases {
            let http = MockHttp::new(vec![response(200, &[], answer)]);
            let token = source.assertion(&http).await.unwrap();
            assert!(answer.contains(token.expose()), "{answer}");
            let request = &http.requests()[0];
            assert_eq!((&request.method, request.url.as_str()), (&method, url));
            assert_eq!(request.headers["authorization"], format!("Bearer {bearer}"));
            assert!(request.headers["authorization"].is_sensitive());
        }
    }

    #[tokio::test]
    async fn refused_requests_say_who_refused_without_the_token() {
        let http = MockHttp::new(vec![
            response(401, &[], "bad request token"),
            response(200, &[], r#"{"something":"else"}"#),
        ]);
        let source = AssertionSource::GitHubActions {
            request_url: Url::parse("https://runner.example/idtoken?job=secretish").unwrap(),
            request_token: Secret::new("req-token"),
        };
        let refused = source.assertion(&http).await.unwrap_err().to_string();
        assert_eq!(
            refused,
            "could not obtain an Azure access token: could not get an OIDC token from GitHub \
             Actions at https://runner.example/idtoken: HTTP 401: bad request token"
        );
        let odd = source.assertion(&http).await.unwrap_err().to_string();
        assert!(odd.ends_with("the answer has no \"value\""), "{odd}");
    }

    #[tokio::test]
    async fn token_files_are_read_at_every_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let source = AssertionSource::TokenFile(path.clone());
        let http = MockHttp::new(vec![]);
        let missing = source.assertion(&http).await.unwrap_err().to_string();
        assert!(
            missing.contains("cannot read the OIDC token file"),
            "{missing}"
        );
        std::fs::write(&path, "first\n").unwrap();
        assert_eq!(source.assertion(&http).await.unwrap().expose(), "first");
        std::fs::write(&path, "rotated").unwrap();
        assert_eq!(source.assertion(&http).await.unwrap().expose(), "rotated");
        std::fs::write(&path, " \n").unwrap();
        let empty = source.assertion(&http).await.unwrap_err().to_string();
        assert!(empty.contains("is empty"), "{empty}");
    }
}
