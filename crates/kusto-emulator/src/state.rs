//! The state every handler shares: the settings, the clock, the store behind one lock
//! (with its background writer under `--state`), the fault plan, the request log and the
//! admin token.
//!
//! Handlers reach the store only through [`AppState::read`] and [`AppState::write`], which
//! settle finished operations first, so that every request sees the world as of its own
//! time.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::StatusCode;
use time::OffsetDateTime;

use super::clock::Clock;
use super::error::{ApiError, Error};
use super::faults::FaultPlan;
use super::log::RequestLog;
use super::persist;
use super::store::Store;
use super::token;
use super::world::World;

/// Behaviour knobs set by command-line flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// How long every operation runs (`--lro-seconds`); 0 = done at the next request.
    pub lro_seconds: u64,
    /// Value of the `Retry-After` header on asynchronous responses (`--retry-after`).
    pub retry_after: u64,
    /// Lifetime of issued access tokens in seconds (`--token-lifetime`).
    pub token_lifetime: u64,
    /// Entries per page of a list of data connections or databases (`--page-size`).
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

/// The secrets of the world, as the request log looks for them in requests (deliberately
/// without `Debug`).
pub struct Secrets {
    pub client_secrets: Vec<String>,
    pub ci_tokens: Vec<String>,
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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

    pub(crate) fn settings(&self) -> &Settings {
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

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    /// The world the emulator started from, and returns to on reset.
    pub(crate) fn initial_world(&self) -> &World {
        &self.inner.initial_world
    }

    pub(crate) fn tenant_id(&self) -> String {
        lock(&self.inner.store).world.tenant_id.clone()
    }

    /// Runs `f` on the settled store without changing it (settling itself is persisted).
    pub(crate) fn read<R>(
        &self,
        f: impl FnOnce(&Store, OffsetDateTime) -> R,
    ) -> Result<R, ApiError> {
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
    pub(crate) fn write<R>(
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
    pub(crate) fn changed(&self) -> Result<(), ApiError> {
        let Some(persister) = &self.inner.persister else {
            return Ok(());
        };
        persister.mark();
        match persister.failure() {
            None => Ok(()),
            Some(e) => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                format!("The emulator could not persist its state: {e}"),
            )),
        }
    }

    /// The secrets of the world that requests may carry: the applications' client secrets,
    /// and the CI request tokens.
    pub(crate) fn secrets(&self) -> Secrets {
        let store = lock(&self.inner.store);
        let world = &store.world;
        Secrets {
            client_secrets: world
                .applications
                .iter()
                .map(|a| a.client_secret.clone())
                .collect(),
            ci_tokens: vec![
                world.ci.github.request_token.expose().to_owned(),
                world.ci.azure_devops.access_token.expose().to_owned(),
            ],
        }
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultPlan> {
        lock(&self.inner.faults)
    }

    pub(crate) fn log(&self) -> MutexGuard<'_, RequestLog> {
        lock(&self.inner.log)
    }

    pub(crate) fn prints_requests(&self) -> bool {
        self.inner.print_requests
    }
}
