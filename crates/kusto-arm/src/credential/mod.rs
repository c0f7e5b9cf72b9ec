//! Where access tokens come from, and the one cache every request shares.
//!
//! A [`Credential`] names one way of signing in, with everything it needs; choosing it (the
//! precedence of azurerm's settings, what an unset flag means) is the caller's business, so
//! this layer never falls through from a method the user asked for to another one.
//!
//! - `entra`: Microsoft Entra ID's token endpoint, for the client-credentials grants, proven
//!   by a client secret, a certificate (`certificate`) or a federated token (`assertion`).
//! - `identity`: azure_identity, for the Azure CLI and the platform's managed identity.
//! - `msi`: a custom managed identity endpoint (`msi_endpoint`).
//! - `cache`: the single-flight token cache of a client.
//!
//! Every request to Entra and to the identity endpoints goes through the client's one reqwest
//! client, so it trusts the same extra CA file as the ARM calls.

mod assertion;
pub(crate) mod cache;
mod certificate;
mod entra;
mod identity;
mod msi;

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::AccessToken;
use azure_core::time::{Duration as AzDuration, OffsetDateTime};
use url::Url;

pub use assertion::AssertionSource;
pub use certificate::ClientCertificate;

use super::cloud::Endpoints;
use super::error::Result;
use entra::{ClientCredentials, Proof};
use identity::{AzureCli, ManagedIdentity};
use msi::MsiEndpoint;

/// A secret string (client secret, OIDC token, password). Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the request that needs it.
    pub fn expose(&self) -> &str {
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

/// One way of signing in to Microsoft Entra ID, with what it needs.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A service principal with a client secret.
    ClientSecret {
        /// Entra tenant (directory) id or domain.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// The client secret.
        secret: Secret,
    },
    /// A service principal with a certificate registered on its application.
    ClientCertificate {
        /// Entra tenant (directory) id or domain.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// The certificate and its private key.
        certificate: Arc<ClientCertificate>,
    },
    /// Workload identity federation: an application trusts tokens of an outside issuer
    /// (GitHub Actions, Azure DevOps, Kubernetes).
    Federated {
        /// Entra tenant (directory) id or domain.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// Where the federated token comes from.
        token: AssertionSource,
    },
    /// A managed identity: the platform's endpoint, or `endpoint` (IMDS protocol).
    ManagedIdentity {
        /// The client id of a user-assigned identity; the system-assigned one when `None`.
        client_id: Option<String>,
        /// A custom endpoint instead of the platform's.
        endpoint: Option<Url>,
    },
    /// The Azure CLI's signed-in account.
    AzureCli {
        /// Another tenant than the CLI's default.
        tenant_id: Option<String>,
    },
}

impl Credential {
    /// The way of signing in, in words, for logs and errors.
    pub fn method(&self) -> &'static str {
        match self {
            Self::ClientSecret { .. } => "client secret",
            Self::ClientCertificate { .. } => "client certificate",
            Self::Federated { token, .. } => token.method(),
            Self::ManagedIdentity { .. } => "managed identity",
            Self::AzureCli { .. } => "Azure CLI",
        }
    }
}

/// Something that can produce an access token for one scope.
#[async_trait::async_trait]
pub(crate) trait TokenSource: Send + Sync + fmt::Debug {
    async fn fetch(&self, scope: &str) -> Result<AccessToken>;

    /// The same sign-in in another tenant (an auxiliary tenant), if the method allows it.
    fn for_tenant(&self, _tenant_id: &str) -> Option<Arc<dyn TokenSource>> {
        None
    }
}

/// The token source of `credential`; Entra is reached at `endpoints`, through `http`.
pub(crate) fn source(
    credential: &Credential,
    endpoints: &Endpoints,
    http: &reqwest::Client,
) -> Result<Arc<dyn TokenSource>> {
    let grant = |tenant_id: &String, client_id: &String, proof| -> Arc<dyn TokenSource> {
        Arc::new(ClientCredentials {
            method: credential.method(),
            authority: endpoints.authority_host.clone(),
            tenant_id: tenant_id.clone(),
            client_id: client_id.clone(),
            proof,
            http: Arc::new(http.clone()),
        })
    };
    Ok(match credential {
        Credential::ClientSecret {
            tenant_id,
            client_id,
            secret,
        } => grant(tenant_id, client_id, Proof::Secret(secret.clone())),
        Credential::ClientCertificate {
            tenant_id,
            client_id,
            certificate,
        } => grant(
            tenant_id,
            client_id,
            Proof::Certificate(certificate.clone()),
        ),
        Credential::Federated {
            tenant_id,
            client_id,
            token,
        } => grant(
            tenant_id,
            client_id,
            Proof::Federated(Arc::new(token.clone())),
        ),
        Credential::ManagedIdentity {
            client_id,
            endpoint: Some(endpoint),
        } => Arc::new(MsiEndpoint {
            endpoint: endpoint.clone(),
            client_id: client_id.clone(),
            http: Arc::new(http.clone()),
        }),
        Credential::ManagedIdentity {
            client_id,
            endpoint: None,
        } => Arc::new(
            ManagedIdentity {
                client_id: client_id.clone(),
                options: azure_client_options(http),
            }
            .checked()?,
        ),
        Credential::AzureCli { tenant_id } => Arc::new(AzureCli {
            tenant_id: tenant_id.clone(),
        }),
    })
}

/// azure_identity options: our shared reqwest client, and a short retry (the default retries
/// connection failures for over a minute).
fn azure_client_options(http: &reqwest::Client) -> azure_core::http::ClientOptions {
    azure_core::http::ClientOptions {
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

/// When a token read from an identity endpoint expires: `expires_on` (Unix seconds) if
/// readable, else `expires_in` seconds from `now`, else in an hour. Both may be numbers or
/// strings (IMDS and Entra v1 send strings), and nothing in them can overflow.
fn expiry(
    now: OffsetDateTime,
    expires_on: Option<&serde_json::Value>,
    expires_in: Option<&serde_json::Value>,
) -> OffsetDateTime {
    let number = |value: &serde_json::Value| match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    expires_on
        .and_then(number)
        .and_then(|epoch| OffsetDateTime::from_unix_timestamp(epoch).ok())
        .or_else(|| {
            expires_in
                .and_then(number)
                .and_then(|s| now.checked_add(AzDuration::seconds(s)))
        })
        .unwrap_or_else(|| now.saturating_add(AzDuration::hours(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let credentials = [
            Credential::ClientSecret {
                tenant_id: "t".into(),
                client_id: "c".into(),
                secret: Secret::new("hunter2"),
            },
            Credential::Federated {
                tenant_id: "t".into(),
                client_id: "c".into(),
                token: AssertionSource::GitHubActions {
                    request_url: Url::parse("https://runner.example/x").unwrap(),
                    request_token: Secret::new("eyJ.token"),
                },
            },
        ];
        for credential in credentials {
            let text = format!("{credential:?}");
            assert!(!text.contains("hunter2") && !text.contains("eyJ"), "{text}");
        }
    }

    #[test]
    fn methods_are_named_as_users_know_them() {
        let federated = |token| Credential::Federated {
            tenant_id: "t".into(),
            client_id: "c".into(),
            token,
        };
        assert_eq!(
            federated(AssertionSource::Token(Secret::new("x"))).method(),
            "OIDC token"
        );
        assert_eq!(
            federated(AssertionSource::TokenFile("/f".into())).method(),
            "OIDC token file"
        );
        assert_eq!(
            Credential::AzureCli { tenant_id: None }.method(),
            "Azure CLI"
        );
    }

    #[test]
    fn only_sign_ins_that_span_tenants_offer_auxiliary_tenants() {
        let endpoints = Endpoints {
            authority_host: Url::parse("https://login.example").unwrap(),
            resource_manager: Url::parse("https://arm.example/").unwrap(),
            scope: "https://arm.example/.default".into(),
        };
        let http = reqwest::Client::new();
        let secret = Credential::ClientSecret {
            tenant_id: "t".into(),
            client_id: "c".into(),
            secret: Secret::new("s"),
        };
        let msi = Credential::ManagedIdentity {
            client_id: None,
            endpoint: Some(Url::parse("http://127.0.0.1:1/msi").unwrap()),
        };
        let cli = Credential::AzureCli { tenant_id: None };
        let spans = |credential| {
            source(&credential, &endpoints, &http)
                .unwrap()
                .for_tenant("aux")
                .is_some()
        };
        assert!(spans(secret));
        assert!(spans(cli));
        assert!(!spans(msi));
    }
}
