//! A local stand-in for the Azure endpoints the provider talks to: Entra ID (token,
//! discovery, managed identity), ARM cloud metadata, and the Kusto data-connection API with
//! its long-running operations.
//!
//! Why it exists: examples and end-to-end tests need an Azure that behaves like the real
//! one (status codes, headers, id casing, asynchronous failures, throttling) without a
//! subscription. It works on JSON checked against the REST spec and the recorded traffic,
//! and imports nothing from the provider or the ARM client, so the two cannot quietly agree
//! on the same mistake.
//!
//! Layout: [`app`] builds the axum router over an [`AppState`]; [`run`] serves it over TLS
//! until a shutdown future completes. `entra` issues and checks tokens, `arm` serves the
//! data-connection routes, `lro` models operations, `world` holds the resources, `faults`
//! and `observe` give tests a fault plan and a request log (also printed on stderr, one line
//! per request, for a person watching), `admin` exposes both under `/_emulator/`, `tls`
//! makes the certificates.

mod admin;
mod arm;
mod clock;
mod dataconn;
mod entra;
mod error;
mod faults;
mod leak;
mod lro;
mod metadata;
mod observe;
mod persist;
mod regions;
pub mod tls;
mod token;
pub mod world;

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, Uri, header};
use axum::middleware;
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::Error;
pub use faults::FaultPlan;
pub use persist::{load_state, save_state};
pub use world::{Store, World};

use error::ApiError;
use observe::{ConnectionInfo, RequestLog};

/// Largest request body accepted.
const BODY_LIMIT: usize = 1 << 20;

/// Behaviour knobs set by command-line flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// How long every operation runs (`--lro-seconds`); 0 = done at the next request.
    pub lro_seconds: u64,
    /// Value of the `Retry-After` header on asynchronous responses (`--retry-after`).
    pub retry_after: u64,
    /// Lifetime of issued access tokens in seconds (`--token-lifetime`).
    pub token_lifetime: u64,
    /// Entries per page of a data-connection list (`--page-size`).
    pub page_size: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lro_seconds: 1,
            retry_after: 1,
            token_lifetime: 3599,
            page_size: 2,
        }
    }
}

/// Everything [`AppState::new`] needs.
pub struct Config {
    pub settings: Settings,
    /// The world to start from and to return to on reset.
    pub world: World,
    /// State restored from `--state`, if the file existed.
    pub restored: Option<Store>,
    /// Where to persist the state after each change (by a background writer).
    pub state_file: Option<PathBuf>,
    pub faults: FaultPlan,
    pub clock: Arc<dyn Clock>,
    /// Whether to print one line per served request on stderr (the binary's request log,
    /// silenced by `--quiet`).
    pub print_requests: bool,
}

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    clock: Arc<dyn Clock>,
    initial_world: World,
    store: Arc<Mutex<Store>>,
    faults: Mutex<FaultPlan>,
    log: Mutex<RequestLog>,
    persister: Option<persist::Persister>,
    print_requests: bool,
    /// The credential of the admin API, random per process.
    admin_token: String,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AppState {
    /// The application state; with a state file, also starts its background writer.
    pub fn new(config: Config) -> Result<Self, Error> {
        let store = Arc::new(Mutex::new(
            config
                .restored
                .unwrap_or_else(|| Store::new(config.world.clone())),
        ));
        let persister = config
            .state_file
            .map(|path| persist::Persister::start(path, store.clone()))
            .transpose()?;
        Ok(AppState {
            inner: Arc::new(Inner {
                settings: config.settings,
                clock: config.clock,
                initial_world: config.world,
                store,
                faults: Mutex::new(config.faults),
                log: Mutex::new(RequestLog::default()),
                persister,
                print_requests: config.print_requests,
                admin_token: token::new_signing_key(),
            }),
        })
    }

    /// A copy of the current world and operations.
    pub fn snapshot(&self) -> Store {
        lock(&self.inner.store).clone()
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The token every `/_emulator/` request must carry as `Authorization: Bearer <token>`.
    pub fn admin_token(&self) -> &str {
        &self.inner.admin_token
    }

    /// Waits until every change made so far is in the state file (no-op without one).
    pub fn flush(&self) -> Result<(), Error> {
        match &self.inner.persister {
            Some(persister) => persister.flush().map_err(Error::State),
            None => Ok(()),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    fn tenant_id(&self) -> String {
        lock(&self.inner.store).world.tenant_id.clone()
    }

    /// Runs `f` on the settled store without changing it (settling itself is persisted).
    fn read<R>(&self, f: impl FnOnce(&Store, OffsetDateTime) -> R) -> Result<R, ApiError> {
        let mut store = lock(&self.inner.store);
        // Read under the lock: a request that waited for it must not see operations
        // started while it waited as lying in its future.
        let now = store.observe_time(self.now());
        if store.settle(now) {
            self.changed()?;
        }
        Ok(f(&store, now))
    }

    /// Runs `f` on the settled store and persists the result.
    fn write<R>(
        &self,
        f: impl FnOnce(&mut Store, OffsetDateTime) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let mut store = lock(&self.inner.store);
        let now = store.observe_time(self.now());
        store.settle(now);
        let result = f(&mut store, now);
        self.changed()?;
        result
    }

    /// Marks the store changed for the state writer (call under the store lock); fails
    /// while the state file cannot be written.
    fn changed(&self) -> Result<(), ApiError> {
        let Some(persister) = &self.inner.persister else {
            return Ok(());
        };
        persister.mark();
        match persister.failure() {
            None => Ok(()),
            Some(e) => Err(ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                format!("The emulator could not persist its state: {e}"),
            )),
        }
    }

    /// The client secrets of the world's applications.
    fn client_secrets(&self) -> Vec<String> {
        lock(&self.inner.store)
            .world
            .applications
            .iter()
            .map(|a| a.client_secret.clone())
            .collect()
    }

    fn faults(&self) -> std::sync::MutexGuard<'_, FaultPlan> {
        lock(&self.inner.faults)
    }

    fn log(&self) -> std::sync::MutexGuard<'_, RequestLog> {
        lock(&self.inner.log)
    }

    fn prints_requests(&self) -> bool {
        self.inner.print_requests
    }
}

/// `https://host:port` as the client addressed the emulator, so that URLs handed back
/// (operation URLs, metadata, OIDC discovery) lead to the same place.
fn base_url(uri: &Uri, headers: &HeaderMap) -> String {
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "127.0.0.1".to_owned());
    format!("https://{host}")
}

/// The value of a query parameter (name compared case-insensitively, as ARM does).
fn query_param(uri: &Uri, name: &str) -> Option<String> {
    url::form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

/// The emulator's HTTP application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/metadata/endpoints", get(metadata::endpoints))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(entra::openid_configuration),
        )
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(entra::openid_configuration),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(entra::token))
        .route("/{tenant}/oauth2/token", post(entra::token))
        .route("/msi/token", get(entra::app_service_identity))
        .route("/metadata/identity/oauth2/token", get(entra::imds_identity))
        .nest("/_emulator", admin::router())
        .fallback(arm::handle)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state)
}

/// How long in-flight requests may take to finish after shutdown was requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `app` over TLS on `listener` until `shutdown` completes, then lets open
/// connections finish (for at most five seconds).
pub async fn run(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let cancel = CancellationToken::new();
    let mut connections = JoinSet::new();
    let mut next_id: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let tcp = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        next_id += 1;
        connections.spawn(serve_connection(
            next_id,
            acceptor.clone(),
            tcp,
            app.clone(),
            cancel.clone(),
        ));
    }
    cancel.cancel();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, connections.join_all()).await;
}

async fn serve_connection(
    id: u64,
    acceptor: TlsAcceptor,
    tcp: tokio::net::TcpStream,
    app: Router,
    cancel: CancellationToken,
) {
    let stream = tokio::select! {
        () = cancel.cancelled() => return,
        accepted = acceptor.accept(tcp) => match accepted {
            Ok(stream) => stream,
            Err(e) => {
                tracing::debug!(error = %e, "TLS handshake failed");
                return;
            }
        },
    };
    let drop_signal = Arc::new(Notify::new());
    let info = ConnectionInfo {
        id,
        drop: drop_signal.clone(),
    };
    let service = TowerToHyperService::new(app);
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(info.clone());
            hyper::service::Service::call(&service, req)
        });
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = drop_signal.notified() => return,
            () = cancel.cancelled(), if !shutting_down => {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use hyper::service::Service as _;
    use serde_json::{Value, json};

    const DB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb";

    async fn call(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let service = TowerToHyperService::new(app.clone());
        let response = service.call(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (
            status,
            headers,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// An in-process emulator on a manual clock, and a bearer token for its ARM side.
    async fn in_process(lro_seconds: u64) -> (Router, Arc<ManualClock>, String) {
        let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        let state = AppState::new(Config {
            settings: Settings {
                lro_seconds,
                ..Settings::default()
            },
            world: World::default(),
            restored: None,
            state_file: None,
            faults: FaultPlan::default(),
            clock: clock.clone(),
            print_requests: false,
        })
        .unwrap();
        let app = app(state);
        let form = "client_id=00000000-0000-0000-0000-000000000003&client_secret=kusto-emulator-secret\
                    &grant_type=client_credentials&scope=https%3A%2F%2Fmanagement.azure.com%2F.default";
        let (status, _, token) = call(
            &app,
            Request::post("/00000000-0000-0000-0000-000000000002/oauth2/v2.0/token")
                .header("host", "localhost:1")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
        (app, clock, bearer)
    }

    fn put_dc(name: &str, bearer: &str) -> Request<Body> {
        let body = json!({"kind": "EventHub", "location": "westeurope", "properties": {
            "eventHubResourceId": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events",
            "consumerGroup": "$Default"}});
        Request::put(format!(
            "{DB}/dataConnections/{name}?api-version=2025-02-14"
        ))
        .header("host", "localhost:1")
        .header("authorization", bearer)
        .body(Body::from(body.to_string()))
        .unwrap()
    }

    #[tokio::test]
    async fn an_injected_clock_drives_operations_in_process() {
        let (app, clock, bearer) = in_process(30).await;
        let (status, headers, _) = call(&app, put_dc("dc", &bearer)).await;
        assert_eq!(status, StatusCode::CREATED);
        let aao = headers["azure-asyncoperation"].to_str().unwrap();
        let path = aao
            .strip_prefix("https://localhost:1")
            .unwrap()
            .replace(' ', "%20");
        let poll = |path: String| {
            Request::get(path)
                .header("host", "localhost:1")
                .header("authorization", &bearer)
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(call(&app, poll(path.clone())).await.2["status"], "Running");
        clock.advance(time::Duration::seconds(29));
        assert_eq!(call(&app, poll(path.clone())).await.2["status"], "Running");
        clock.advance(time::Duration::seconds(1));
        assert_eq!(call(&app, poll(path)).await.2["status"], "Succeeded");
    }

    /// A request that read the clock and then waited for the store saw the operation of the
    /// request it waited for as started in its future, still running: a 409 at
    /// `--lro-seconds 0`. A clock reading earlier than the last one models that request.
    #[tokio::test]
    async fn a_stale_clock_reading_never_sees_a_finished_operation_running() {
        let (app, clock, bearer) = in_process(0).await;
        assert_eq!(
            call(&app, put_dc("first", &bearer)).await.0,
            StatusCode::CREATED
        );
        clock.advance(time::Duration::milliseconds(-1));
        let (status, _, body) = call(&app, put_dc("second", &bearer)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}
