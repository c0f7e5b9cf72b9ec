//! The provider block's RPCs: ValidateProviderConfig and ConfigureProvider.

use std::sync::{Arc, PoisonError};

use super::core::Server;
use super::validation::{NullRequired, validate_config};
use crate::diag::Diagnostics;
use crate::provider::{ConfigureRequest, Provider};
use crate::value::Value;

impl<P: Provider> Server<P> {
    /// ValidateProviderConfig.
    pub fn validate_provider_config(&self, config: &Value) -> Diagnostics {
        validate_config(
            &self.provider_schema,
            config,
            NullRequired::Allowed,
            |diags| self.provider.validate(config, diags),
        )
    }

    /// ConfigureProvider: stores the provider's data for later operations.
    pub async fn configure_provider(
        &self,
        config: Value,
        terraform_version: String,
    ) -> Diagnostics {
        let request = ConfigureRequest {
            config,
            terraform_version,
        };
        match self.provider.configure(request).await {
            Ok(data) => {
                *self.data.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(data));
                Diagnostics::new()
            }
            Err(mut diags) => {
                if !diags.has_error() {
                    diags.add_error("Provider configuration failed", "");
                }
                diags
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::AttributePath;
    use crate::testing::{TestProvider, object};

    #[tokio::test]
    async fn unknown_types_and_unconfigured_providers_are_diagnostics() {
        let server = Server::new(TestProvider::default());
        assert!(
            server
                .validate_resource_config("test_nope", &Value::Null)
                .has_error()
        );
        assert!(server.resource_type("test_nope").is_err());
        let imported = server.import_resource_state("test_widget", "w-a");
        assert_eq!(
            imported.diagnostics.iter().next().unwrap().summary,
            "Provider not configured"
        );
        let diags = server
            .configure_provider(object(&[("endpoint", Value::Null)]), String::new())
            .await;
        assert_eq!(
            diags.iter().next().unwrap().path,
            Some(AttributePath::attr("endpoint"))
        );
    }

    #[test]
    fn declared_schemas_obey_terraform_rules() {
        let server = Server::new(TestProvider::default());
        let problems = server.schema_diagnostics();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(server.resource_schemas().count(), 2);
    }
}
