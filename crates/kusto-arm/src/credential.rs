//! Where access tokens come from, and the one cache every request shares.
//!
//! The credential is chosen the way azurerm (go-azure-sdk `auth.NewAuthorizerFromCredentials`)
//! chooses it, first match wins:
//!
//! 1. client secret: `client_secret` or `client_secret_file_path`, with `tenant_id` and `client_id`;
//! 2. OIDC / workload identity, when `use_oidc`: `oidc_token` or `oidc_token_file_path`;
//! 3. managed identity, when `use_msi`: `msi_endpoint` if set, else the App Service
//!    (`IDENTITY_ENDPOINT`/`IDENTITY_HEADER`) or VM (IMDS) endpoint azure_identity detects;
//! 4. Azure CLI, when `use_cli`.
//!
//! Tokens live in one [`TokenCache`] per client (so per provider process). It is single-flight:
//! the first caller fetches while every concurrent caller waits for that same token, so twenty
//! resources created in parallel cause one token request. azure_identity's Entra calls go
//! through the client's shared reqwest client, so they trust the same extra CA file as ARM calls.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use azure_core::credentials::{AccessToken, TokenCredential};
use azure_core::time::{Duration as AzDuration, OffsetDateTime};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertion, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use super::cloud::Endpoints;
use super::context::CallContext;
use super::error::{Error, Result, with_causes};
use super::transport::{HttpClient, Request};

/// A secret string (client secret, OIDC token). Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// Authentication settings, mirroring azurerm's provider arguments. `Default` enables nothing;
/// azurerm's default of `use_cli = true` is the provider layer's to apply.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Entra tenant (directory) id.
    pub tenant_id: Option<String>,
    /// Application (client) id of the service principal or user-assigned identity.
    pub client_id: Option<String>,
    /// Client secret of the service principal.
    pub client_secret: Option<Secret>,
    /// File holding the client secret.
    pub client_secret_file_path: Option<PathBuf>,
    /// Authenticate with an OIDC token (GitHub Actions, Azure DevOps, AKS workload identity).
    pub use_oidc: bool,
    /// The OIDC token itself.
    pub oidc_token: Option<Secret>,
    /// File holding the OIDC token (re-read when it changes).
    pub oidc_token_file_path: Option<PathBuf>,
    /// Authenticate with a managed identity.
    pub use_msi: bool,
    /// A custom managed identity endpoint (IMDS protocol).
    pub msi_endpoint: Option<String>,
    /// Authenticate with the Azure CLI's logged-in account.
    pub use_cli: bool,
}

/// Something that can produce an access token for one scope.
#[async_trait::async_trait]
pub(crate) trait TokenSource: Send + Sync + fmt::Debug {
    async fn fetch(&self, scope: &str) -> Result<AccessToken>;
}

/// The token cache shared by every request of a client: single-flight, refreshed five minutes
/// before expiry.
#[derive(Debug)]
pub(crate) struct TokenCache {
    source: Arc<dyn TokenSource>,
    scope: String,
    slot: Mutex<Option<AccessToken>>,
}

const REFRESH_MARGIN: AzDuration = AzDuration::minutes(5);

impl TokenCache {
    pub fn new(source: Arc<dyn TokenSource>, scope: String) -> Self {
        Self {
            source,
            scope,
            slot: Mutex::new(None),
        }
    }

    /// A valid token, fetching one only if the cache has none fresh. Concurrent callers queue
    /// on the lock and then find the token the first one fetched.
    pub async fn token(&self, ctx: &CallContext) -> Result<azure_core::credentials::Secret> {
        let mut slot = ctx
            .run("an access token", async { Ok(self.slot.lock().await) })
            .await?;
        if let Some(token) = slot.as_ref()
            && token.expires_on > OffsetDateTime::now_utc().saturating_add(REFRESH_MARGIN)
        {
            return Ok(token.token.clone());
        }
        let fresh = ctx
            .run("an access token", self.source.fetch(&self.scope))
            .await?;
        let secret = fresh.token.clone();
        *slot = Some(fresh);
        Ok(secret)
    }

    /// Forgets `rejected` if it is still the cached token, so the next [`Self::token`] fetches
    /// a fresh one. A token already replaced (by a concurrent request that was refused too) is
    /// left alone: many requests refused at once cause one new token request, not a storm.
    pub async fn invalidate(&self, rejected: &azure_core::credentials::Secret) {
        let mut slot = self.slot.lock().await;
        if slot
            .as_ref()
            .is_some_and(|cached| cached.token.secret() == rejected.secret())
        {
            *slot = None;
        }
    }
}

/// Chooses and builds the token source for `credentials` in azurerm's precedence. Returns the
/// source and a short name of the method, for logs.
pub(crate) fn select(
    credentials: &Credentials,
    endpoints: &Endpoints,
    http: &reqwest::Client,
) -> Result<(Arc<dyn TokenSource>, &'static str)> {
    let c = credentials;
    let options = {
        let (endpoints, http) = (endpoints.clone(), http.clone());
        move || azure_client_options(&endpoints, &http)
    };

    if c.client_secret.is_some() || c.client_secret_file_path.is_some() {
        let (tenant, client) = tenant_and_client(c, "client secret")?;
        let secret = client_secret(c)?;
        return Identity::build("client secret", move || {
            let secret = azure_core::credentials::Secret::new(secret.expose().to_string());
            let client_options = options();
            ClientSecretCredential::new(
                &tenant,
                client.clone(),
                secret,
                Some(ClientSecretCredentialOptions { client_options }),
            )
            .map(|credential| credential as Arc<dyn TokenCredential>)
        });
    }

    if c.use_oidc && (c.oidc_token.is_some() || c.oidc_token_file_path.is_some()) {
        let (tenant, client) = tenant_and_client(c, "OIDC")?;
        if c.oidc_token.is_some() && c.oidc_token_file_path.is_some() {
            return Err(Error::Config(
                "set only one of oidc_token or oidc_token_file_path".into(),
            ));
        }
        if let Some(token) = c.oidc_token.clone() {
            return Identity::build("OIDC token", move || {
                let client_options = options();
                ClientAssertionCredential::new(
                    tenant.clone(),
                    client.clone(),
                    StaticAssertion(token.clone()),
                    Some(ClientAssertionCredentialOptions { client_options }),
                )
                .map(|credential| credential as Arc<dyn TokenCredential>)
            });
        }
        let token_file_path = c.oidc_token_file_path.clone();
        return Identity::build("OIDC token file", move || {
            let client_options = options();
            WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions { client_options },
                client_id: Some(client.clone()),
                tenant_id: Some(tenant.clone()),
                token_file_path: token_file_path.clone(),
            }))
            .map(|credential| credential as Arc<dyn TokenCredential>)
        });
    }

    if c.use_msi {
        if let Some(endpoint) = c.msi_endpoint.as_deref().filter(|e| !e.is_empty()) {
            let endpoint = Url::parse(endpoint).map_err(|e| {
                Error::Config(format!("msi_endpoint {endpoint:?} is not a URL: {e}"))
            })?;
            let source = MsiEndpoint {
                endpoint,
                client_id: c.client_id.clone(),
                http: Arc::new(http.clone()),
            };
            return Ok((Arc::new(source), "managed identity (msi_endpoint)"));
        }
        let client_id = c.client_id.clone();
        return Identity::build("managed identity", move || {
            let client_options = options();
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                client_options,
            }))
            .map(|credential| credential as Arc<dyn TokenCredential>)
        });
    }

    if c.use_cli {
        let tenant_id = c.tenant_id.clone();
        return Identity::build("Azure CLI", move || {
            AzureCliCredential::new(Some(AzureCliCredentialOptions {
                tenant_id: tenant_id.clone(),
                ..Default::default()
            }))
            .map(|credential| credential as Arc<dyn TokenCredential>)
        });
    }

    let mut message = String::from(
        "no authentication method is configured: set client_secret or client_secret_file_path \
         (with tenant_id and client_id), or use_oidc with oidc_token or oidc_token_file_path, \
         or use_msi, or use_cli",
    );
    if c.use_oidc {
        message.push_str(" (use_oidc is set, but neither oidc_token nor oidc_token_file_path is)");
    }
    Err(Error::Config(message))
}

fn tenant_and_client(c: &Credentials, method: &str) -> Result<(String, String)> {
    let present = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    match (present(&c.tenant_id), present(&c.client_id)) {
        (Some(t), Some(id)) => Ok((t, id)),
        (None, Some(_)) => Err(Error::Config(format!(
            "{method} authentication needs tenant_id"
        ))),
        (Some(_), None) => Err(Error::Config(format!(
            "{method} authentication needs client_id"
        ))),
        (None, None) => Err(Error::Config(format!(
            "{method} authentication needs tenant_id and client_id"
        ))),
    }
}

fn client_secret(c: &Credentials) -> Result<Secret> {
    match (&c.client_secret, &c.client_secret_file_path) {
        (Some(_), Some(_)) => Err(Error::Config(
            "set only one of client_secret or client_secret_file_path".into(),
        )),
        (Some(secret), None) if !secret.expose().is_empty() => Ok(secret.clone()),
        (Some(_), None) => Err(Error::Config("client_secret is empty".into())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::Config(format!(
                    "cannot read client_secret_file_path {}: {e}",
                    path.display()
                ))
            })?;
            let secret = text.trim();
            if secret.is_empty() {
                return Err(Error::Config(format!(
                    "client_secret_file_path {} is empty",
                    path.display()
                )));
            }
            Ok(Secret::new(secret))
        }
        (None, None) => Err(Error::Config(
            "client secret authentication needs client_secret or client_secret_file_path".into(),
        )),
    }
}

/// azure_identity options: our authority, our shared reqwest client, and a short retry (the
/// default retries connection failures for over a minute).
fn azure_client_options(
    endpoints: &Endpoints,
    http: &reqwest::Client,
) -> azure_core::http::ClientOptions {
    let mut cloud = azure_core::cloud::CustomConfiguration::default();
    cloud.authority_host = endpoints
        .authority_host
        .as_str()
        .trim_end_matches('/')
        .to_string();
    azure_core::http::ClientOptions {
        cloud: Some(Arc::new(cloud.into())),
        transport: Some(azure_core::http::Transport::new(Arc::new(http.clone()))),
        retry: azure_core::http::RetryOptions::exponential(
            azure_core::http::ExponentialRetryOptions {
                initial_delay: AzDuration::milliseconds(500),
                max_retries: 3,
                max_total_elapsed: AzDuration::seconds(20),
                max_delay: AzDuration::seconds(5),
            },
        ),
        ..Default::default()
    }
}

/// An azure_core error with its causes (the first line alone often hides the reason).
fn credential_error(err: azure_core::Error) -> Error {
    Error::Credential(identity_platform_reason(&with_causes(&err)))
}

/// `text` with the identity platform's own reason in place of a JSON decoding complaint.
///
/// Entra ID's error descriptions hold `\r\n` escapes ("AADSTS7000215: ...\r\nTrace ID:
/// ..."), which azure_identity cannot decode into its borrowed strings; its error then says
/// `invalid type: string "<the reason, escaped>", expected a borrowed string at line 1
/// column 479`. The user needs the reason, on lines of its own, not the decoder's words.
fn identity_platform_reason(text: &str) -> String {
    static COMPLAINT: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"invalid type: string "((?:[^"\\]|\\.)*)", expected a borrowed string(?: at line \d+ column \d+)?\s*"#,
        )
        .ok()
    });
    let Some(complaint) = COMPLAINT.as_ref() else {
        return text.to_owned();
    };
    complaint
        .replace_all(text, |found: &regex::Captures<'_>| {
            let reason = found[1]
                .replace("\\r\\n", "\n")
                .replace("\\n", "\n")
                .replace("\\\"", "\"")
                .replace("\\\\", "\\");
            format!("{}\n", reason.trim_end())
        })
        .into_owned()
}

/// Builds a fresh azure_identity credential.
type Build = dyn Fn() -> azure_core::Result<Arc<dyn TokenCredential>> + Send + Sync;

/// An azure_identity credential as a token source, built anew for every fetch.
///
/// Why anew: each azure_identity credential keeps a token cache of its own, with no way to
/// skip it. After ARM rejects a token (revoked, clock skew), [`TokenCache::invalidate`] asks
/// for a fresh one, and a long-lived credential would hand the rejected token straight
/// back. Building one is cheap (no network); [`TokenCache`] stays the one cache.
struct Identity {
    method: &'static str,
    build: Box<Build>,
}

impl Identity {
    /// The source for `method`, checking once that `build` accepts the settings, so a bad
    /// setting is reported when the client is configured rather than at the first request.
    fn build(
        method: &'static str,
        build: impl Fn() -> azure_core::Result<Arc<dyn TokenCredential>> + Send + Sync + 'static,
    ) -> Result<(Arc<dyn TokenSource>, &'static str)> {
        build().map_err(credential_error)?;
        let source = Identity {
            method,
            build: Box::new(build),
        };
        Ok((Arc::new(source), method))
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl TokenSource for Identity {
    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        let credential = (self.build)().map_err(credential_error)?;
        credential
            .get_token(&[scope], None)
            .await
            .map_err(credential_error)
    }
}

/// An OIDC token given inline, used as the client assertion.
#[derive(Debug)]
struct StaticAssertion(Secret);

#[async_trait::async_trait]
impl ClientAssertion for StaticAssertion {
    async fn secret(
        &self,
        _options: Option<azure_core::http::ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        Ok(self.0.expose().to_string())
    }
}

/// A managed identity endpoint given as `msi_endpoint`, spoken to with the IMDS protocol:
/// `GET {endpoint}?api-version=2018-02-01&resource=…` with `Metadata: true`.
#[derive(Debug)]
struct MsiEndpoint {
    endpoint: Url,
    client_id: Option<String>,
    http: Arc<dyn HttpClient>,
}

#[derive(Deserialize)]
struct MsiToken {
    access_token: String,
    expires_on: Option<serde_json::Value>,
    expires_in: Option<serde_json::Value>,
}

fn number(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
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
        let now = OffsetDateTime::now_utc();
        let expires_on = token
            .expires_on
            .as_ref()
            .and_then(number)
            .and_then(|epoch| OffsetDateTime::from_unix_timestamp(epoch).ok())
            .or_else(|| {
                token
                    .expires_in
                    .as_ref()
                    .and_then(number)
                    .and_then(|s| now.checked_add(AzDuration::seconds(s)))
            })
            .unwrap_or_else(|| now.saturating_add(AzDuration::hours(1)));
        Ok(AccessToken::new(token.access_token, expires_on))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CountingTokens, MockHttp, response};
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    fn endpoints() -> Endpoints {
        Endpoints {
            authority_host: Url::parse("https://login.example").unwrap(),
            resource_manager: Url::parse("https://arm.example/").unwrap(),
            scope: "https://arm.example/.default".into(),
        }
    }

    fn choose(c: &Credentials) -> Result<&'static str> {
        select(c, &endpoints(), &reqwest::Client::new()).map(|(_, name)| name)
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let c = Credentials {
            client_secret: Some(Secret::new("hunter2")),
            oidc_token: Some(Secret::new("eyJ.token")),
            ..Default::default()
        };
        let text = format!("{c:?}");
        assert!(!text.contains("hunter2") && !text.contains("eyJ"), "{text}");
    }

    #[test]
    fn precedence_follows_azurerm() {
        let full = Credentials {
            tenant_id: Some("tenant".into()),
            client_id: Some("client".into()),
            client_secret: Some(Secret::new("s")),
            use_oidc: true,
            oidc_token: Some(Secret::new("t")),
            use_msi: true,
            msi_endpoint: Some("http://127.0.0.1:1/msi".into()),
            use_cli: true,
            ..Default::default()
        };
        assert_eq!(choose(&full).unwrap(), "client secret");
        let no_secret = Credentials {
            client_secret: None,
            ..full.clone()
        };
        assert_eq!(choose(&no_secret).unwrap(), "OIDC token");
        let no_oidc = Credentials {
            use_oidc: false,
            ..no_secret.clone()
        };
        assert_eq!(choose(&no_oidc).unwrap(), "managed identity (msi_endpoint)");
        let cli_only = Credentials {
            use_msi: false,
            ..no_oidc
        };
        assert_eq!(choose(&cli_only).unwrap(), "Azure CLI");
    }

    #[test]
    fn missing_settings_are_named_without_secrets() {
        let err = choose(&Credentials::default()).unwrap_err().to_string();
        assert!(
            err.contains("client_secret or client_secret_file_path"),
            "{err}"
        );

        let c = Credentials {
            client_id: Some("c".into()),
            client_secret: Some(Secret::new("hunter2")),
            ..Default::default()
        };
        let err = choose(&c).unwrap_err().to_string();
        assert!(err.contains("needs tenant_id"), "{err}");
        assert!(!err.contains("hunter2"));

        let c = Credentials {
            use_oidc: true,
            ..Default::default()
        };
        let err = choose(&c).unwrap_err().to_string();
        assert!(
            err.contains("neither oidc_token nor oidc_token_file_path"),
            "{err}"
        );
    }

    #[test]
    fn secret_file_is_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "s3cret\n").unwrap();
        let c = Credentials {
            client_secret_file_path: Some(path.clone()),
            ..Default::default()
        };
        assert_eq!(client_secret(&c).unwrap().expose(), "s3cret");

        std::fs::write(&path, "\n").unwrap();
        assert!(
            client_secret(&c)
                .unwrap_err()
                .to_string()
                .contains("is empty")
        );
        let c = Credentials {
            client_secret_file_path: Some(dir.path().join("missing")),
            ..Default::default()
        };
        assert!(
            client_secret(&c)
                .unwrap_err()
                .to_string()
                .contains("cannot read client_secret_file_path")
        );
    }

    /// A cache over `tokens`, with the counter of its token requests.
    fn cache_over(tokens: CountingTokens) -> (TokenCache, Arc<std::sync::atomic::AtomicUsize>) {
        let calls = tokens.calls.clone();
        (TokenCache::new(Arc::new(tokens), "scope".into()), calls)
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_token_request() {
        let (cache, calls) = cache_over(CountingTokens {
            delay: Duration::from_millis(300),
            ..Default::default()
        });
        let cache = Arc::new(cache);
        let ctx = CallContext::with_timeout(Duration::from_secs(60));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let cache = cache.clone();
                let ctx = ctx.clone();
                tokio::spawn(async move { cache.token(&ctx).await.unwrap().secret().to_string() })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), "test-token");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_close_to_expiry_are_refreshed() {
        let (cache, calls) = cache_over(CountingTokens {
            lifetime: AzDuration::minutes(4),
            ..Default::default()
        });
        let ctx = CallContext::with_timeout(Duration::from_secs(60));
        cache.token(&ctx).await.unwrap();
        cache.token(&ctx).await.unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "a token expiring within 5 minutes is not reused"
        );
    }

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

    #[test]
    fn the_identity_platform_reason_replaces_the_decoder_complaint() {
        let raw = "ClientSecretCredential authentication failed. invalid type: string \
                   \"AADSTS7000215: Invalid client secret provided.\\r\\nTrace ID: 94bc\\r\\n\
                   Timestamp: 2026-12-04 20:58:57Z\", expected a borrowed string at line 1 \
                   column 479 To troubleshoot, visit https://aka.ms/azsdk/rust/identity/troubleshoot";
        assert_eq!(
            identity_platform_reason(raw),
            "ClientSecretCredential authentication failed. AADSTS7000215: Invalid client secret \
             provided.\nTrace ID: 94bc\nTimestamp: 2026-12-04 20:58:57Z\nTo troubleshoot, visit \
             https://aka.ms/azsdk/rust/identity/troubleshoot"
        );
        let plain = "ClientSecretCredential authentication failed: connection refused";
        assert_eq!(identity_platform_reason(plain), plain);
        let cut = "x invalid type: string \"no end";
        assert_eq!(identity_platform_reason(cut), cut);
    }
}
