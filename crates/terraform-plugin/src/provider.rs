//! The provider interface: its own configuration schema, how configuration becomes the
//! typed data every resource operation receives, and which resource types (and list
//! resources, data sources, functions) it offers.

use std::fmt;
use std::future::Future;

use super::datasource::DataSourceHandle;
use super::diag::Diagnostics;
use super::function::Function;
use super::list::ListResourceHandle;
use super::resource::ResourceHandle;
use super::schema::Schema;
use super::value::Value;

/// The provider block's configuration, as Terraform sends it to ConfigureProvider.
pub struct ConfigureRequest {
    /// The `provider` block (all attributes null without one); may hold unknowns.
    pub config: Value,
    /// The calling Terraform's version, such as `1.0.3`.
    pub terraform_version: String,
}

/// Leaves the configuration out: it holds credentials.
impl fmt::Debug for ConfigureRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigureRequest")
            .field("terraform_version", &self.terraform_version)
            .finish_non_exhaustive()
    }
}

/// A Terraform provider.
pub trait Provider: Send + Sync + 'static {
    /// What configuration produces and every resource operation receives: settings,
    /// clients. Shared across concurrent operations.
    type Data: Send + Sync + 'static;

    /// The provider's type name, such as `kusto`.
    fn type_name(&self) -> &'static str;

    /// The provider block's schema; called once when the server is built.
    fn schema(&self) -> Schema;

    /// Cross-attribute checks of the provider block beyond the schema's validators; the
    /// configuration may hold unknowns.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Turns the provider block into [`Provider::Data`]. Called once per process
    /// (repeatedly in debug mode). Errors are reported as diagnostics.
    fn configure(
        &self,
        req: ConfigureRequest,
    ) -> impl Future<Output = Result<Self::Data, Diagnostics>> + Send;

    /// The managed resource types.
    fn resources(&self) -> Vec<ResourceHandle<Self::Data>>;

    /// The data source types; none by default.
    fn data_sources(&self) -> Vec<DataSourceHandle<Self::Data>> {
        Vec::new()
    }

    /// The list resources (Terraform 1.14's `terraform query`), each of a managed resource
    /// type with an identity; none by default.
    fn list_resources(&self) -> Vec<ListResourceHandle<Self::Data>> {
        Vec::new()
    }

    /// The provider-defined functions; none by default.
    fn functions(&self) -> Vec<std::sync::Arc<dyn Function>> {
        Vec::new()
    }
}
