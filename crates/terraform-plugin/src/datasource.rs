//! The data-source interface: a read-only view of remote objects, refreshed on every plan.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::diag::Diagnostics;
use super::schema::Schema;
use super::value::Value;

/// Reading a data source.
#[derive(Debug)]
pub struct ReadRequest<C> {
    /// The configuration (wholly known: Terraform defers reads with unknown arguments).
    pub config: Value,
    /// The provider's configured data.
    pub provider: Arc<C>,
    /// Cancelled when Terraform asks the provider to stop.
    pub cancel: CancellationToken,
}

/// The outcome of a data source read.
#[derive(Debug)]
pub struct ReadResponse {
    /// Starts as the configuration with computed attributes unknown: fill every one in.
    pub state: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// A data source type, generic over the provider's configured data `C`.
pub trait DataSource<C>: Send + Sync + 'static {
    /// The full type name, such as `kusto_eventhub_data_connection`.
    fn type_name(&self) -> &'static str;

    /// The schema; called once when the provider server is built.
    fn schema(&self) -> Schema;

    /// Cross-attribute checks beyond the schema's validators; skip unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Reads the remote object.
    fn read(&self, req: ReadRequest<C>, resp: &mut ReadResponse)
    -> impl Future<Output = ()> + Send;
}

type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// [`DataSource`] with a boxed future, for the registry.
pub(crate) trait ErasedDataSource<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    fn read<'a>(&'a self, req: ReadRequest<C>, resp: &'a mut ReadResponse) -> BoxFuture<'a>;
}

impl<C: Send + Sync + 'static, D: DataSource<C>> ErasedDataSource<C> for D {
    fn type_name(&self) -> &'static str {
        DataSource::type_name(self)
    }
    fn schema(&self) -> Schema {
        DataSource::schema(self)
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        DataSource::validate(self, config, diags);
    }
    fn read<'a>(&'a self, req: ReadRequest<C>, resp: &'a mut ReadResponse) -> BoxFuture<'a> {
        Box::pin(DataSource::read(self, req, resp))
    }
}

/// A data source type registered with a provider: see `Provider::data_sources`.
pub struct DataSourceHandle<C>(pub(crate) Arc<dyn ErasedDataSource<C>>);

impl<C: Send + Sync + 'static> DataSourceHandle<C> {
    /// Registers `data_source`.
    pub fn new(data_source: impl DataSource<C>) -> Self {
        Self(Arc::new(data_source))
    }
}
