//! The Kusto provider: its configuration and the resource types (with their list resources,
//! data sources and functions) it offers.
//!
//! Configuration resolves into plain [`config::ProviderSettings`] (the Azure client layer's
//! `Credential` and `Cloud`, no token acquired, no network used), wrapped in a
//! [`client::AzureHandle`] that every operation receives and that builds the Azure client on
//! first use.

pub mod client;
pub mod config;
mod data_sources;
mod errors;
mod functions;
mod resources;

use std::time::Duration;

use kusto_arm::CallContext;
use terraform_plugin::datasource::DataSourceHandle;
use terraform_plugin::diag::Diagnostics;
use terraform_plugin::function::Function;
use terraform_plugin::list::ListResourceHandle;
use terraform_plugin::provider::{ConfigureRequest, Provider};
use terraform_plugin::resource::ResourceHandle;
use terraform_plugin::schema::Schema;
use terraform_plugin::value::Value;

use client::AzureHandle;
use config::Env;
use data_sources::eventhub_data_connection::EventHubDataConnectionDataSource;
use resources::eventhub_data_connection::EventHubDataConnectionResource;
use resources::eventhub_data_connection::list::EventHubDataConnectionList;

/// How long `az account show` may take when configuring a provider without a subscription.
const CLI_SUBSCRIPTION_TIMEOUT: Duration = Duration::from_secs(30);

/// The `kusto` provider.
#[derive(Debug, Clone, Default)]
pub struct KustoProvider {
    env: Env,
}

impl KustoProvider {
    /// A provider reading `ARM_*` variables from the process environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// A provider reading environment variables from `env` (tests use a fixed map).
    pub fn with_env(env: Env) -> Self {
        Self { env }
    }
}

impl Provider for KustoProvider {
    type Data = AzureHandle;

    fn type_name(&self) -> &'static str {
        "kusto"
    }

    fn schema(&self) -> Schema {
        config::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        config::validate(config, diags);
    }

    /// Resolves the settings (reading the files they name) and, without a subscription, asks
    /// the Azure CLI for its default one, so a provider that cannot work fails the plan. The
    /// Azure client is built when an operation first needs it: configuring never touches the
    /// network.
    async fn configure(&self, req: ConfigureRequest) -> Result<AzureHandle, Diagnostics> {
        let settings = config::resolve(&req.config, &self.env)?;
        let handle = AzureHandle::new(settings, &req.terraform_version);
        if handle.configured_subscription().is_none() {
            let ctx = CallContext::with_timeout(CLI_SUBSCRIPTION_TIMEOUT);
            if let Err(problem) = handle.subscription(&ctx).await {
                let mut diags = Diagnostics::new();
                diags.add_error("No subscription", problem);
                return Err(diags);
            }
        }
        Ok(handle)
    }

    fn resources(&self) -> Vec<ResourceHandle<AzureHandle>> {
        vec![ResourceHandle::new(EventHubDataConnectionResource)]
    }

    fn list_resources(&self) -> Vec<ListResourceHandle<AzureHandle>> {
        vec![ListResourceHandle::new(EventHubDataConnectionList)]
    }

    fn data_sources(&self) -> Vec<DataSourceHandle<AzureHandle>> {
        vec![DataSourceHandle::new(EventHubDataConnectionDataSource)]
    }

    fn functions(&self) -> Vec<std::sync::Arc<dyn Function>> {
        functions::all()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use terraform_plugin::server::Server;

    /// Covers every resource and data source the provider will ever register: Terraform 1.0
    /// panics on some schema mistakes instead of reporting them.
    #[test]
    fn every_declared_schema_obeys_terraform_rules() {
        let server = Server::new(KustoProvider::new());
        assert!(
            server.schema_diagnostics().is_empty(),
            "{:?}",
            server.schema_diagnostics()
        );
    }

    #[tokio::test]
    async fn configures_from_the_environment_through_the_server() {
        let env = Env::Map(BTreeMap::from([(
            "ARM_SUBSCRIPTION_ID".to_owned(),
            "00000000-0000-0000-0000-000000000001".to_owned(),
        )]));
        let server = Server::new(KustoProvider::with_env(env));
        let config = server.provider_schema().body().empty_value();
        assert!(server.validate_provider_config(&config).is_empty());
        let diags = server.configure_provider(config, "1.0.3".to_owned()).await;
        assert!(diags.is_empty(), "{diags:?}");
    }
}
