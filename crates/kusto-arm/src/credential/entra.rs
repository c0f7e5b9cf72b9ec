//! Microsoft Entra ID's token endpoint, spoken to directly for every client-credentials grant:
//! a client secret, a certificate-signed assertion, or a federated token (OIDC).
//!
//! Why not azure_identity here: Entra's error descriptions hold escaped line breaks that its
//! decoder rejects, so a wrong secret surfaced as a JSON parser complaint; and it has no
//! auxiliary tenants, GitHub Actions or Azure DevOps token requests. The grant is a single form
//! POST, so this module owns it and reads Entra's answer itself: a token, or a [`SignInError`]
//! with the AADSTS code and Entra's message as written, minus the trace lines.

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::AccessToken;
use azure_core::time::OffsetDateTime;
use http::{HeaderValue, Method, StatusCode};
use url::Url;

use super::assertion::AssertionSource;
use super::certificate::ClientCertificate;
use super::{Secret, TokenSource, expiry};
use crate::error::{Error, HttpError, Result, SignInError};
use crate::transport::{HttpClient, Request, Response};

/// How an application proves its identity in a client-credentials grant.
#[derive(Debug, Clone)]
pub(crate) enum Proof {
    Secret(Secret),
    Certificate(Arc<ClientCertificate>),
    Federated(Arc<AssertionSource>),
}

/// A client-credentials grant for one application in one tenant.
#[derive(Debug, Clone)]
pub(crate) struct ClientCredentials {
    pub method: &'static str,
    pub authority: Url,
    pub tenant_id: String,
    pub client_id: String,
    pub proof: Proof,
    pub http: Arc<dyn HttpClient>,
}

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Tries of one token request: Entra's throttling (429) and outages (5xx) pass quickly, and a
/// connection that could not be made is safe to repeat.
const TRIES: u32 = 4;

impl ClientCredentials {
    fn token_url(&self) -> Result<Url> {
        let mut url = self.authority.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Config(format!("{} is not an authority URL", self.authority)))?
            .pop_if_empty()
            .extend([self.tenant_id.as_str(), "oauth2", "v2.0", "token"]);
        Ok(url)
    }

    /// The grant's form: who asks, for what, and the proof (a secret, or an assertion).
    async fn form(&self, scope: &str, token_url: &Url) -> Result<String> {
        let (field, proof) = match &self.proof {
            Proof::Secret(secret) => ("client_secret", secret.clone()),
            Proof::Certificate(certificate) => (
                "client_assertion",
                certificate
                    .assertion(
                        &self.client_id,
                        token_url.as_str(),
                        OffsetDateTime::now_utc(),
                    )
                    .map(Secret::new)
                    .map_err(Error::Credential)?,
            ),
            Proof::Federated(source) => (
                "client_assertion",
                source.assertion(self.http.as_ref()).await?,
            ),
        };
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("client_id", &self.client_id)
            .append_pair("grant_type", "client_credentials")
            .append_pair("scope", scope);
        if field == "client_assertion" {
            form.append_pair("client_assertion_type", ASSERTION_TYPE);
        }
        form.append_pair(field, proof.expose());
        Ok(form.finish())
    }

    async fn post(&self, token_url: &Url, body: String) -> Result<Response> {
        let mut request = Request::new(Method::POST, token_url.clone());
        request.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        request.headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        request.body = Some(body.into_bytes());
        let mut wait = Duration::from_millis(500);
        let mut tries = 1;
        loop {
            let answer = self.http.execute(request.clone()).await;
            let transient = match &answer {
                Err(Error::Connect(_)) => true,
                Ok(response) => {
                    response.status == StatusCode::TOO_MANY_REQUESTS
                        || response.status.is_server_error()
                }
                Err(_) => false,
            };
            if !transient || tries == TRIES {
                return answer;
            }
            tracing::info!(
                method = self.method,
                tries,
                "Microsoft Entra ID did not answer the token request; trying again in {wait:?}"
            );
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
            tries += 1;
        }
    }

    fn refusal(&self, response: &Response) -> Error {
        Error::SignIn(Box::new(SignInError::from_entra(
            self.method,
            &self.tenant_id,
            &self.client_id,
            response.status.as_u16(),
            &response.body,
        )))
    }
}

#[async_trait::async_trait]
impl TokenSource for ClientCredentials {
    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        let token_url = self.token_url()?;
        let body = self.form(scope, &token_url).await?;
        let response = self
            .post(&token_url, body)
            .await
            .map_err(|error| match error {
                Error::Connect(reason) | Error::Transport(reason) => Error::Credential(format!(
                    "could not reach Microsoft Entra ID at {}: {reason}",
                    self.authority
                )),
                other => other,
            })?;
        if !response.status.is_success() {
            return Err(self.refusal(&response));
        }
        read_token(&response.body).ok_or_else(|| {
            Error::Credential(format!(
                "Microsoft Entra ID at {} answered the {} sign-in with HTTP {} but no access token",
                self.authority,
                self.method,
                response.status.as_u16()
            ))
        })
    }

    fn for_tenant(&self, tenant_id: &str) -> Option<Arc<dyn TokenSource>> {
        Some(Arc::new(ClientCredentials {
            tenant_id: tenant_id.to_owned(),
            ..self.clone()
        }))
    }
}

/// The access token of a successful answer; `expires_in` is a number in v2 and a string in
/// v1, and may be missing or absurd.
fn read_token(body: &[u8]) -> Option<AccessToken> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    let token = answer.get("access_token")?.as_str()?.to_owned();
    let expires_on = expiry(OffsetDateTime::now_utc(), None, answer.get("expires_in"));
    Some(AccessToken::new(token, expires_on))
}

impl SignInError {
    /// Entra's refusal: `{"error", "error_description": "AADSTSnnn: message\r\nTrace ID: …",
    /// "error_codes", "trace_id", …}`, or whatever else came back.
    pub(crate) fn from_entra(
        method: &'static str,
        tenant_id: &str,
        client_id: &str,
        status: u16,
        body: &[u8],
    ) -> Self {
        let answer: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let text = |key: &str| answer.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let description = text("error_description").unwrap_or_else(|| {
            let raw = String::from_utf8_lossy(body);
            let raw = raw.trim();
            if raw.is_empty() {
                StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("no reason given")
                    .to_owned()
            } else {
                raw.chars().take(1000).collect()
            }
        });
        let (code, message) = split_code(&description);
        let code = code.or_else(|| {
            answer
                .get("error_codes")
                .and_then(|codes| codes.get(0))
                .and_then(serde_json::Value::as_u64)
                .map(|n| format!("AADSTS{n}"))
        });
        SignInError {
            method,
            tenant_id: tenant_id.to_owned(),
            client_id: client_id.to_owned(),
            answer: HttpError {
                status,
                code,
                message,
                request_id: text("trace_id"),
            },
        }
    }
}

/// `"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: …"` as
/// (`AADSTS7000215`, `Invalid client secret provided.`): the code apart, and only the lines
/// that say what is wrong (trace, correlation and timestamp lines are support data).
fn split_code(description: &str) -> (Option<String>, String) {
    let lines: Vec<&str> = description
        .lines()
        .map(str::trim)
        .filter(|line| {
            !line.is_empty()
                && !["Trace ID:", "Correlation ID:", "Timestamp:"]
                    .iter()
                    .any(|prefix| line.starts_with(prefix))
        })
        .collect();
    let text = lines.join(" ");
    if let Some(rest) = text.strip_prefix("AADSTS")
        && let Some((digits, message)) = rest.split_once(':')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return (Some(format!("AADSTS{digits}")), message.trim().to_owned());
    }
    (None, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MockHttp, response};

    fn credentials(http: Arc<MockHttp>, proof: Proof) -> ClientCredentials {
        ClientCredentials {
            method: "client secret",
            authority: Url::parse("https://login.example").unwrap(),
            tenant_id: "tenant".into(),
            client_id: "client".into(),
            proof,
            http,
        }
    }

    const ENTRA_REFUSAL: &str = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'client'.\r\nTrace ID: 94bc\r\nCorrelation ID: 77aa\r\nTimestamp: 2026-12-04 20:58:57Z","error_codes":[7000215],"timestamp":"2026-12-04 20:58:57Z","trace_id":"94bc","correlation_id":"77aa","error_uri":"https://login.example/error?code=7000215"}"#;

    #[tokio::test(start_paused = true)]
    async fn a_secret_is_exchanged_for_a_token() {
        let http = Arc::new(MockHttp::new(vec![response(
            200,
            &[],
            r#"{"token_type":"Bearer","expires_in":3599,"access_token":"tok"}"#,
        )]));
        let source = credentials(http.clone(), Proof::Secret(Secret::new("s3cret")));
        let token = source.fetch("https://arm.example/.default").await.unwrap();
        assert_eq!(token.token.secret(), "tok");
        let request = &http.requests()[0];
        assert_eq!(
            request.url.as_str(),
            "https://login.example/tenant/oauth2/v2.0/token"
        );
        let body = String::from_utf8(request.body.clone().unwrap()).unwrap();
        assert_eq!(
            body,
            "client_id=client&grant_type=client_credentials&scope=https%3A%2F%2Farm.example%2F.default&client_secret=s3cret"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn entra_refusals_read_as_code_and_message_once() {
        let http = Arc::new(MockHttp::new(vec![response(401, &[], ENTRA_REFUSAL)]));
        let source = credentials(http.clone(), Proof::Secret(Secret::new("s3cret")));
        let Err(Error::SignIn(error)) = source.fetch("scope").await else {
            panic!("expected a sign-in error");
        };
        let answer = &error.answer;
        assert_eq!(answer.code.as_deref(), Some("AADSTS7000215"));
        assert_eq!(answer.request_id.as_deref(), Some("94bc"));
        assert_eq!(
            answer.message,
            "Invalid client secret provided. Ensure the secret being sent in the request is the \
             client secret value, not the client secret ID, for a secret added to app 'client'."
        );
        let text = Error::SignIn(error).to_string();
        assert_eq!(text.matches("Invalid client secret").count(), 1, "{text}");
        for debris in [
            "\\r\\n",
            "invalid type",
            "borrowed",
            "Correlation ID",
            "s3cret",
        ] {
            assert!(!text.contains(debris), "{text}");
        }
        assert_eq!(http.requests().len(), 1, "a refusal is not retried");
    }

    #[tokio::test(start_paused = true)]
    async fn outages_are_retried_a_few_times() {
        let http = Arc::new(MockHttp::new(vec![
            response(503, &[], ""),
            response(429, &[], ""),
            response(200, &[], r#"{"access_token":"tok","expires_in":"3599"}"#),
        ]));
        let source = credentials(http.clone(), Proof::Secret(Secret::new("s")));
        assert_eq!(source.fetch("scope").await.unwrap().token.secret(), "tok");
        assert_eq!(http.requests().len(), 3);

        let http = Arc::new(MockHttp::new(
            (0..TRIES)
                .map(|_| response(500, &[], "<html>down</html>"))
                .collect(),
        ));
        let source = credentials(http.clone(), Proof::Secret(Secret::new("s")));
        let Err(Error::SignIn(error)) = source.fetch("scope").await else {
            panic!("expected a sign-in error");
        };
        assert_eq!((error.answer.status, error.answer.code), (500, None));
        assert_eq!(error.answer.message, "<html>down</html>");
        assert_eq!(http.requests().len(), TRIES as usize);
    }

    #[test]
    fn descriptions_without_a_code_are_kept_whole() {
        assert_eq!(
            split_code("AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1"),
            (Some("AADSTS90002".into()), "Tenant 'x' not found.".into())
        );
        assert_eq!(split_code("plain words"), (None, "plain words".into()));
        assert_eq!(split_code("AADSTS: odd"), (None, "AADSTS: odd".into()));
    }
}
