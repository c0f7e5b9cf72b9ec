//! A local stand-in for the Azure endpoints the provider talks to: Entra ID (token,
//! discovery, managed identity), ARM cloud metadata, and the Kusto data-connection API with
//! its long-running operations.
//!
//! Why it exists: examples and end-to-end tests need an Azure that behaves like the real
//! one (status codes, headers, id casing, asynchronous failures, throttling) without a
//! subscription. What it knows comes from the Kusto REST spec and recorded Azure traffic,
//! as JSON checked against both; it depends on neither the Terraform framework nor the ARM
//! client (nor the provider), so the two sides of a test cannot quietly agree on the same
//! mistake.
//!
//! Layout: [`app`] builds the axum router over an [`AppState`] (`state`); [`run`]
//! (`server`) serves it over TLS until a shutdown future completes. `entra` issues and
//! checks tokens, `arm` serves the data-connection routes, `dataconn` models and checks the
//! resource, `lro` models operations, `world` holds the resources and `store` adds the
//! operations, `faults` and `observe` give tests a fault plan and a request log (`log`,
//! also printed on stderr, one line per request, for a person watching), `admin` exposes
//! both under `/_emulator/`, `tls` makes the certificates.

mod admin;
mod arm;
mod clock;
mod dataconn;
mod entra;
mod error;
mod faults;
mod http;
mod leak;
mod log;
mod lro;
mod metadata;
mod observe;
mod persist;
mod regions;
mod response_headers;
mod server;
mod state;
mod store;
pub mod tls;
mod token;
mod world;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::Error;
pub use faults::FaultPlan;
pub use persist::{load_state, save_state};
pub use server::run;
pub use state::{AppState, Config, Settings};
pub use store::Store;
pub use world::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_CLUSTER, DEFAULT_CLUSTER_PRINCIPAL_ID,
    DEFAULT_DATABASE, DEFAULT_IDENTITY_PRINCIPAL_ID, DEFAULT_RESOURCE_GROUP,
    DEFAULT_SUBSCRIPTION_ID, DEFAULT_TENANT_ID, World,
};

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
        .fallback(arm::routing::handle)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state)
}
