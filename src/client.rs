//! What every resource operation receives: the resolved provider settings and the Azure
//! client built from them, lazily.
//!
//! Why lazily: Terraform starts three to five provider processes per command, and most of
//! them never touch Azure (a plan of a configuration without resources, the validate
//! walk). So configuring the provider never makes a network call; the first operation that
//! needs Azure builds the [`azure::Client`] (which may read cloud metadata) and every later
//! or concurrent operation of the process shares it, with its one token cache and
//! connection pool. A failure to build it (bad credentials settings, an unreachable
//! metadata host) is reported on the resource that needed it, and the next operation tries
//! again.
//!
//! Like azurerm, a provider without a `subscription_id` that signs in with the Azure CLI
//! works in the CLI's default subscription, read once with `az account show`.

use std::process::Stdio;

use serde::Deserialize;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use kusto_arm::{CallContext, ClientConfig, Credential};
use terraform_plugin::diag::Diagnostics;

use super::config::ProviderSettings;
use super::errors::explain;

/// The provider's configured data: settings plus the process's shared Azure client.
#[derive(Debug)]
pub struct AzureHandle {
    settings: ProviderSettings,
    user_agent_suffix: Option<String>,
    client: OnceCell<kusto_arm::Client>,
    /// Set once a sign-in was refused: asking again would be refused again, and the error is
    /// shown once, on the first operation that needed Azure.
    sign_in_refused: std::sync::OnceLock<()>,
    cli_subscription: OnceCell<String>,
}

const SIGN_IN_FAILED: &str = "Cannot sign in to Azure";

const NO_SUBSCRIPTION: &str = "The provider has no subscription: set `subscription_id` in the \
    provider block or the ARM_SUBSCRIPTION_ID environment variable.";

impl AzureHandle {
    /// A handle for `settings`; `terraform_version` (such as `1.0.3`) goes into the
    /// `User-Agent`, as azurerm does.
    pub fn new(settings: ProviderSettings, terraform_version: &str) -> Self {
        let user_agent_suffix =
            (!terraform_version.is_empty()).then(|| format!("terraform/{terraform_version}"));
        Self {
            settings,
            user_agent_suffix,
            client: OnceCell::new(),
            sign_in_refused: std::sync::OnceLock::new(),
            cli_subscription: OnceCell::new(),
        }
    }

    /// The resolved provider settings.
    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// The Azure client, built and signed in on first use within `ctx`'s deadline and shared
    /// afterwards; `None` once `diags` says which connection or sign-in failed and, when the
    /// user chose no sign-in method, why no other one was tried.
    pub async fn client(
        &self,
        ctx: &CallContext,
        diags: &mut Diagnostics,
    ) -> Option<&kusto_arm::Client> {
        // `None`: an earlier operation's sign-in was refused, and said so.
        let built = self
            .client
            .get_or_try_init(|| async {
                if self.sign_in_refused.get().is_some() {
                    return Err(None);
                }
                let client = kusto_arm::Client::connect(self.client_config(), ctx).await?;
                match client.sign_in(ctx).await {
                    Ok(()) => Ok(client),
                    Err(error) => {
                        if matches!(
                            error,
                            kusto_arm::Error::SignIn(_) | kusto_arm::Error::Credential(_)
                        ) {
                            let _ = self.sign_in_refused.set(());
                        }
                        Err(Some(error))
                    }
                }
            })
            .await;
        match built {
            Ok(client) => Some(client),
            Err(None) => {
                diags.add_error(
                    SIGN_IN_FAILED,
                    "The provider's sign-in to Azure was refused; the first \"Cannot sign in to \
                     Azure\" error says why.",
                );
                None
            }
            Err(Some(error)) => {
                let summary = match error {
                    kusto_arm::Error::SignIn(_) | kusto_arm::Error::Credential(_) => SIGN_IN_FAILED,
                    _ => "Cannot connect to Azure",
                };
                diags.add_error(summary, self.explain_sign_in(&error));
                None
            }
        }
    }

    fn explain_sign_in(&self, error: &kusto_arm::Error) -> String {
        let explained = explain(error);
        let skipped = &self.settings.sign_in.skipped;
        if skipped.is_empty() || !matches!(error, kusto_arm::Error::Credential(_)) {
            return explained;
        }
        format!(
            "{explained}\n\nNo sign-in method was configured, so the Azure CLI was tried \
             (`use_cli` defaults to true). Not tried:\n- {}",
            skipped.join("\n- ")
        )
    }

    /// The configured subscription, if any: all planning can know without running a
    /// program.
    pub fn configured_subscription(&self) -> Option<&str> {
        self.settings.subscription_id.as_deref()
    }

    /// The subscription to build resource ids in: the configured one, else (when signing
    /// in with the Azure CLI) the CLI's default subscription.
    pub async fn subscription(&self, ctx: &CallContext) -> Result<&str, String> {
        if let Some(subscription) = self.configured_subscription() {
            return Ok(subscription);
        }
        if !matches!(
            self.settings.sign_in.credential,
            Credential::AzureCli { .. }
        ) {
            return Err(NO_SUBSCRIPTION.to_owned());
        }
        self.cli_subscription
            .get_or_try_init(|| cli_default_subscription(ctx.deadline()))
            .await
            .map(String::as_str)
            .map_err(|problem| {
                format!("{NO_SUBSCRIPTION} The Azure CLI's default subscription is not usable either: {problem}")
            })
    }

    fn client_config(&self) -> ClientConfig {
        client_config(&self.settings, self.user_agent_suffix.clone())
    }
}

/// The ARM client's configuration for `settings`.
fn client_config(settings: &ProviderSettings, user_agent_suffix: Option<String>) -> ClientConfig {
    let mut config = ClientConfig::new(settings.sign_in.credential.clone(), settings.cloud.clone());
    config.auxiliary_tenant_ids = settings.sign_in.auxiliary_tenant_ids.clone();
    config.extra_ca_file = settings.extra_ca_file.clone();
    config.user_agent_product = format!("terraform-provider-kusto/{}", env!("CARGO_PKG_VERSION"));
    config.user_agent_suffix = user_agent_suffix;
    config
}

/// The Azure CLI's current subscription (`az account show`), within `deadline`.
async fn cli_default_subscription(deadline: Instant) -> Result<String, String> {
    let mut command = tokio::process::Command::new("az");
    command
        .args(["account", "show", "--output", "json"])
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout_at(deadline, command.output())
        .await
        .map_err(|_| "`az account show` did not answer in time.".to_owned())?
        .map_err(|error| format!("`az account show` could not be run: {error}."))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("`az account show` failed: {}", stderr.trim()));
    }
    parse_account(&output.stdout)
}

/// The subscription id in `az account show` output.
fn parse_account(json: &[u8]) -> Result<String, String> {
    #[derive(Deserialize)]
    struct Account {
        id: String,
    }
    serde_json::from_slice::<Account>(json)
        .map(|account| account.id)
        .map_err(|error| format!("`az account show` printed no subscription id: {error}."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SignIn;
    use kusto_arm::{Cloud, Secret};

    fn settings() -> ProviderSettings {
        ProviderSettings {
            subscription_id: Some("00000000-0000-0000-0000-000000000001".into()),
            sign_in: SignIn {
                credential: Credential::ClientSecret {
                    tenant_id: "t".into(),
                    client_id: "c".into(),
                    secret: Secret::new("hunter2"),
                },
                auxiliary_tenant_ids: vec!["aux".into()],
                skipped: Vec::new(),
            },
            cloud: Cloud::MetadataHost("localhost:8443".into()),
            skip_preflight_validation: false,
            extra_ca_file: Some("/etc/emulator-ca.pem".into()),
            temp_dir: "/tmp".into(),
        }
    }

    #[test]
    fn settings_map_onto_the_client_configuration() {
        let config = client_config(&settings(), Some("terraform/1.0.3".into()));
        assert!(matches!(config.credential, Credential::ClientSecret { .. }));
        assert_eq!(config.auxiliary_tenant_ids, ["aux"]);
        assert_eq!(config.cloud, Cloud::MetadataHost("localhost:8443".into()));
        assert_eq!(
            config.user_agent_product,
            format!("terraform-provider-kusto/{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(config.user_agent_suffix.as_deref(), Some("terraform/1.0.3"));
        assert_eq!(
            config.extra_ca_file.as_deref(),
            Some(std::path::Path::new("/etc/emulator-ca.pem"))
        );
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn a_missing_subscription_is_explained() {
        let mut settings = settings();
        settings.subscription_id = None;
        let handle = AzureHandle::new(settings, "");
        let ctx = CallContext::with_timeout(std::time::Duration::from_secs(5));
        let problem = handle.subscription(&ctx).await.unwrap_err();
        assert!(problem.contains("ARM_SUBSCRIPTION_ID"), "{problem}");
    }

    #[test]
    fn the_cli_account_gives_the_subscription() {
        let shown = br#"{"environmentName":"AzureCloud","id":"00000000-0000-0000-0000-000000000009","isDefault":true,"name":"Dev"}"#;
        assert_eq!(
            parse_account(shown).as_deref(),
            Ok("00000000-0000-0000-0000-000000000009")
        );
        assert!(parse_account(b"[]").is_err());
    }
}
