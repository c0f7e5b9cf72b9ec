//! azure_identity where it fits: the Azure CLI's signed-in account and the platform's managed
//! identity endpoints (App Service, IMDS), whose protocols and discovery it implements.
//!
//! Each fetch builds a fresh azure_identity credential. Why: each of them keeps a token cache
//! of its own, with no way to skip it; after ARM rejects a token (revoked, clock skew),
//! [`TokenCache::invalidate`](super::cache::TokenCache::invalidate) asks for a fresh one, and a
//! long-lived credential would hand the rejected token straight back. Building one is cheap
//! (no network); the client's [`TokenCache`](super::cache::TokenCache) stays the one cache.

use std::sync::Arc;

use azure_core::credentials::{AccessToken, TokenCredential};
use azure_core::http::ClientOptions;
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId,
};

use super::TokenSource;
use crate::error::{Error, Result, with_causes};

/// The Azure CLI's signed-in account (`az account get-access-token`), optionally for another
/// tenant than its default.
#[derive(Debug, Clone)]
pub(crate) struct AzureCli {
    pub tenant_id: Option<String>,
}

impl AzureCli {
    fn credential(&self) -> Result<Arc<AzureCliCredential>> {
        AzureCliCredential::new(Some(AzureCliCredentialOptions {
            tenant_id: self.tenant_id.clone(),
            ..Default::default()
        }))
        .map_err(credential_error)
    }
}

#[async_trait::async_trait]
impl TokenSource for AzureCli {
    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        get_token(self.credential()?.as_ref(), scope).await
    }

    fn for_tenant(&self, tenant_id: &str) -> Option<Arc<dyn TokenSource>> {
        Some(Arc::new(AzureCli {
            tenant_id: Some(tenant_id.to_owned()),
        }))
    }
}

/// The platform's managed identity: App Service (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`) or
/// a virtual machine's IMDS, a user-assigned one when `client_id` is set.
#[derive(Debug, Clone)]
pub(crate) struct ManagedIdentity {
    pub client_id: Option<String>,
    pub options: ClientOptions,
}

impl ManagedIdentity {
    /// Checks that azure_identity accepts the settings, so a bad one is reported when the
    /// client is configured rather than at the first request.
    pub fn checked(self) -> Result<Self> {
        self.credential()?;
        Ok(self)
    }

    fn credential(&self) -> Result<Arc<ManagedIdentityCredential>> {
        ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
            user_assigned_id: self.client_id.clone().map(UserAssignedId::ClientId),
            client_options: self.options.clone(),
        }))
        .map_err(credential_error)
    }
}

#[async_trait::async_trait]
impl TokenSource for ManagedIdentity {
    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        get_token(self.credential()?.as_ref(), scope).await
    }
}

async fn get_token(credential: &dyn TokenCredential, scope: &str) -> Result<AccessToken> {
    credential
        .get_token(&[scope], None)
        .await
        .map_err(credential_error)
}

/// An azure_core error with its causes (the first line alone often hides the reason).
fn credential_error(error: azure_core::Error) -> Error {
    Error::Credential(with_causes(&error))
}
