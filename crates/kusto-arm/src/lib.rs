//! The ARM client: everything needed to manage Kusto data connections over Azure Resource
//! Manager.
//!
//! What it knows: ARM (endpoints of each cloud, resource ids, long-running operations,
//! throttling and retries), Entra ID sign-in (every way azurerm signs in, auxiliary tenants, one
//! shared token cache) and Kusto (the data-connection models and the rules of writing to a cluster).
//!
//! What it must never know: Terraform. It has no tonic, prost or plugin-framework dependency
//! and names no Terraform product; its caller (the provider) maps Terraform's verbs,
//! timeouts and `User-Agent` onto [`ClientConfig`] and [`CallContext`]. Keeping it so lets it
//! be tested against the emulator alone, and keeps its public surface the few types below.
//!
//! A [`Client`] is built once per provider process from a [`ClientConfig`] (credentials, cloud,
//! retry and polling settings, `User-Agent`). It owns the process's single HTTP connection pool
//! and token cache, so any number of concurrent operations share one token request. Operations
//! are create, read, update and delete, which wait for Azure to finish, and listing (a
//! database's data connections, a cluster's databases), read a page at a time:
//!
//! ```no_run
//! # use std::time::Duration;
//! # use kusto_arm::*;
//! # async fn demo() -> Result<()> {
//! let credential = Credential::ClientSecret { tenant_id: "t".into(), client_id: "c".into(),
//!     secret: Secret::new("s") };
//! let config = ClientConfig::new(credential, Cloud::MetadataHost("localhost:8443".into()));
//! let ctx = CallContext::with_timeout(Duration::from_secs(60 * 60));
//! let client = Client::connect(config, &ctx).await?;
//! let id = DataConnectionId::new("sub", "rg", "cluster", "db", "dc1");
//! let settings = EventHubSettings { location: "westeurope".into(),
//!     event_hub_resource_id: "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/eventhubs/eh".into(),
//!     consumer_group: "$Default".into(), ..Default::default() };
//! match client.data_connections().create(&ctx, &id, &settings).await {
//!     Ok(created) => println!("{} is {:?}", created.id, created.provisioning_state),
//!     // Someone else's object (or another block's): never adopted, the message says why.
//!     Err(err @ Error::AlreadyExists { .. }) => eprintln!("{err}"),
//!     // Azure may have carried out the create: keep the id (tainted) with the error.
//!     Err(err) if err.resource_may_exist() => eprintln!("{id} may exist: {err}"),
//!     Err(err) => return Err(err),
//! }
//! # Ok(()) }
//! ```
//!
//! # Trust under faults
//!
//! Three rules hold for everything in this layer:
//!
//! - **Nothing from the network can crash or stall it.** Every number read from a response
//!   (`Retry-After`, token lifetimes) is parsed and added without panicking arithmetic; waits
//!   are capped at the `retry` module's `MAX_WAIT` and never run past the operation's deadline, and a
//!   wait that had to be shortened is logged at WARN with what Azure asked for.
//! - **A request is repeated only as far as its retry class allows** (`retry` module): reads,
//!   deletes, full-PUT updates and side-effect-free POSTs after any transient failure; a create
//!   PUT only when Azure certainly did not process it (a 429, or no connection was made).
//! - **An unknown outcome is found out, not guessed** (`kusto` module): when a write may have
//!   been carried out but the answer was lost, the connection is looked up (GET) and waited
//!   for before anything is sent again; an object Azure accepted is never forgotten (the error
//!   is [`Error::Accepted`]) and never taken over from someone else ([`Error::AlreadyExists`]).
//!
//! A rejected token (401 with a Bearer challenge) is replaced and the request sent once more
//! (`policies::bearer`), so an expired or revoked token is not an error.
//!
//! Layout: `context` (an operation's deadline and cancellation); `pipeline` orders the stages
//! of `policies` (request ids, retry, bearer token, logging, transport) over `transport`
//! (reqwest); `retry` says what is retried and how long to wait; `credential` signs in to
//! Entra ID and holds the shared token cache; `poller` waits for
//! long-running operations; `kusto` holds the models and operations; `ids` and `cloud` the
//! vocabulary; `error` the one error type of the layer.

mod cloud;
mod context;
mod credential;
mod error;
mod ids;
mod kusto;
mod pipeline;
mod policies;
mod poller;
mod retry;
mod transport;

#[cfg(test)]
mod testing;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

pub use cloud::Cloud;
pub use context::CallContext;
pub use credential::{AssertionSource, ClientCertificate, Credential, Secret};
pub use error::{Error, HttpError, Result, SignInError};
pub use ids::{
    ClusterId, DataConnectionId, DatabaseId, EventHubId, IdError, ManagedIdentityId,
    UserAssignedIdentityId,
};
pub use kusto::{
    DataConnection, DataConnections, Database, Databases, EventHubDataConnection, EventHubSettings,
    Pages,
};
pub use retry::RetryOptions;

use cloud::Endpoints;
use credential::TokenSource;
use credential::cache::TokenCache;
use pipeline::Pipeline;
use policies::request_id::RequestIdPolicy;
use transport::HttpClient;

/// The Kusto api-version of every request: the newest stable one, whose shapes the `kusto`
/// models follow.
const API_VERSION: &str = "2025-02-14";

/// Everything needed to build a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// How to sign in.
    pub credential: Credential,
    /// Tenants to also sign in to, whose tokens go with every request in
    /// `x-ms-authorization-auxiliary` (for resources linked across tenants; at most three).
    pub auxiliary_tenant_ids: Vec<String>,
    /// Which cloud (or metadata host) to use.
    pub cloud: Cloud,
    /// Retry of transient failures.
    pub retry: RetryOptions,
    /// Wait between polls of a long-running operation when Azure gives no `Retry-After`
    /// (also the wait before retrying a write the cluster refused as busy).
    pub poll_interval: Duration,
    /// A PEM file of extra CA certificates trusted on top of the platform roots.
    pub extra_ca_file: Option<PathBuf>,
    /// The product token the `User-Agent` starts with (`name/version`): the program using
    /// this client, so ARM's logs and throttling name it. `kusto-arm/<version>` by default.
    pub user_agent_product: String,
    /// Appended to the `User-Agent` (e.g. the version of the program's host).
    pub user_agent_suffix: Option<String>,
}

impl ClientConfig {
    /// Defaults: default retries, 10 s poll interval, only the platform's CA roots, and this
    /// crate as the `User-Agent` product. The caller decides about extra CA certificates
    /// (the provider reads `SSL_CERT_FILE` with the rest of its settings).
    pub fn new(credential: Credential, cloud: Cloud) -> Self {
        Self {
            credential,
            auxiliary_tenant_ids: Vec::new(),
            cloud,
            retry: RetryOptions::default(),
            poll_interval: Duration::from_secs(10),
            extra_ca_file: None,
            user_agent_product: format!("kusto-arm/{}", env!("CARGO_PKG_VERSION")),
            user_agent_suffix: None,
        }
    }
}

/// The ARM client. Cheap to clone; clones share the connection pool, the token cache and the
/// per-cluster write locks.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pipeline: Pipeline,
    /// The token caches of the tenant and of each auxiliary tenant, also in the pipeline.
    tokens: Vec<Arc<TokenCache>>,
    resource_manager: Url,
    poll_interval: Duration,
    /// The retry settings, also for the pause before a write is sent again after a lookup.
    retry: RetryOptions,
    cluster_locks: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The data connections this process created (lower-cased ids), to tell "two resource
    /// blocks with one name" from "an object created elsewhere".
    created: std::sync::Mutex<HashSet<String>>,
}

impl Client {
    /// Builds the client: reads the CA file, resolves the cloud's endpoints (a network call for
    /// a metadata host, bounded by `ctx`), and prepares the sign-in. No token is requested
    /// until the first ARM call.
    pub async fn connect(config: ClientConfig, ctx: &CallContext) -> Result<Self> {
        let http = transport::build_reqwest_client(config.extra_ca_file.as_deref())?;
        let endpoints = config.cloud.resolve(&http, ctx).await?;
        let source = credential::source(&config.credential, &endpoints, &http)?;
        tracing::info!(
            %endpoints,
            sign_in = config.credential.method(),
            auxiliary_tenants = config.auxiliary_tenant_ids.len(),
            "Azure client configured"
        );
        Self::from_parts(config, endpoints, source, Arc::new(http))
    }

    fn from_parts(
        config: ClientConfig,
        endpoints: Endpoints,
        source: Arc<dyn TokenSource>,
        http: Arc<dyn HttpClient>,
    ) -> Result<Self> {
        let auxiliary = config
            .auxiliary_tenant_ids
            .iter()
            .map(|tenant| {
                let source = source.for_tenant(tenant).ok_or_else(|| {
                    Error::Config(format!(
                        "auxiliary tenants need a sign-in that spans tenants (a service \
                         principal, OIDC or the Azure CLI); a {} belongs to one tenant",
                        config.credential.method()
                    ))
                })?;
                Ok(Arc::new(TokenCache::new(source, endpoints.scope.clone())))
            })
            .collect::<Result<Vec<_>>>()?;
        let tokens = Arc::new(TokenCache::new(source, endpoints.scope.clone()));
        // One correlation id per client, so per provider process: ARM's logs tie its calls together.
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let mut user_agent = format!("{} (rust)", config.user_agent_product);
        if let Some(suffix) = config.user_agent_suffix.filter(|s| !s.is_empty()) {
            user_agent.push(' ');
            user_agent.push_str(&suffix);
        }
        let all_tokens = std::iter::once(tokens.clone())
            .chain(auxiliary.iter().cloned())
            .collect();
        let pipeline = Pipeline::new(
            RequestIdPolicy::new(&correlation_id, &user_agent)?,
            config.retry.clone(),
            tokens,
            auxiliary,
            http,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                pipeline,
                tokens: all_tokens,
                resource_manager: endpoints.resource_manager,
                poll_interval: config.poll_interval,
                retry: config.retry,
                cluster_locks: std::sync::Mutex::new(HashMap::new()),
                created: std::sync::Mutex::new(HashSet::new()),
            }),
        })
    }

    /// Signs in now (to the tenant and every auxiliary tenant), so a refused sign-in is
    /// reported once, before any operation; the tokens stay in the cache for the requests.
    pub async fn sign_in(&self, ctx: &CallContext) -> Result<()> {
        for cache in &self.inner.tokens {
            cache.token(ctx).await?;
        }
        Ok(())
    }

    /// The URL of ARM path `segments` (percent-encoded) with the api-version.
    /// Sends a GET of `url` through the pipeline (token, retries, throttling).
    async fn get(&self, ctx: &CallContext, url: Url) -> Result<transport::Response> {
        self.inner
            .pipeline
            .send(ctx, transport::Request::new(http::Method::GET, url))
            .await
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.resource_manager.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url.query_pairs_mut()
            .append_pair("api-version", API_VERSION);
        url
    }

    /// Whether this process created data connection `id` (and has not deleted it since).
    fn created_here(&self, id: &DataConnectionId) -> bool {
        self.created_ids()
            .contains(&id.to_string().to_ascii_lowercase())
    }

    fn remember_created(&self, id: &DataConnectionId) {
        self.created_ids()
            .insert(id.to_string().to_ascii_lowercase());
    }

    fn forget_created(&self, id: &DataConnectionId) {
        self.created_ids()
            .remove(&id.to_string().to_ascii_lowercase());
    }

    fn created_ids(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.inner
            .created
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits (bounded by `ctx`) for the exclusive right to write to `cluster` in this process.
    async fn lock_cluster(
        &self,
        ctx: &CallContext,
        cluster: &ClusterId,
    ) -> Result<tokio::sync::OwnedMutexGuard<()>> {
        let key = cluster.to_string().to_ascii_lowercase();
        let lock = {
            let mut locks = self
                .inner
                .cluster_locks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            locks.entry(key).or_default().clone()
        };
        ctx.run(
            &format!("other writes to cluster {} to finish", cluster.cluster),
            async { Ok(lock.lock_owned().await) },
        )
        .await
    }
}
