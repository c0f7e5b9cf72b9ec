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
//! checks tokens (client assertions in `assertion`, their certificates in `certificate`),
//! `ci` plays the GitHub Actions and Azure Pipelines OIDC token endpoints, `arm` serves the
//! data-connection routes, `dataconn` models and checks the
//! resource, `lro` models operations, `world` holds the resources and `store` adds the
//! operations, `faults` and `observe` give tests a fault plan and a request log (`log`,
//! also printed on stderr, one line per request, for a person watching), `admin` exposes
//! both under `/_emulator/`, `tls` makes the certificates.
//!
//! Signing in: every way azurerm signs in has its other side here, so that it runs offline.
//! A client secret, a certificate (an assertion signed with the key of one of the
//! application's `certificates`), a federated token (GitHub Actions: `GET`
//! [`GITHUB_ID_TOKEN_PATH`]`?api-version=2.0&audience=...` with the job's request token as
//! bearer; Azure Pipelines: `POST` [`AZURE_DEVOPS_OIDC_TOKEN_PATH`]`?api-version=7.1&`
//! `serviceConnectionId=...` with the job's access token), managed identity, and tokens of
//! the world's auxiliary tenants sent to ARM in `x-ms-authorization-auxiliary`.
//!
//! The binary's ready line gives the values a CI job would have: `github_oidc_request_url`
//! and `github_oidc_request_token` for `ARM_OIDC_REQUEST_URL`/`ARM_OIDC_REQUEST_TOKEN` (or
//! `ACTIONS_ID_TOKEN_REQUEST_URL`/`ACTIONS_ID_TOKEN_REQUEST_TOKEN`),
//! `azure_devops_oidc_request_uri`, `azure_devops_access_token` and
//! `azure_devops_service_connection_id` for `SYSTEM_OIDCREQUESTURI`, `SYSTEM_ACCESSTOKEN` and
//! `ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID`, and `auxiliary_tenant_ids` for
//! `ARM_AUXILIARY_TENANT_IDS`.

mod admin;
mod arm;
mod assertion;
mod certificate;
mod ci;
mod clock;
mod dataconn;
mod entra;
mod entra_error;
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
    DEFAULT_AUXILIARY_TENANT_ID, DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN,
    DEFAULT_AZURE_DEVOPS_ORGANIZATION, DEFAULT_AZURE_DEVOPS_ORGANIZATION_ID,
    DEFAULT_AZURE_DEVOPS_PROJECT, DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID,
    DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_NAME, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_CLUSTER, DEFAULT_CLUSTER_PRINCIPAL_ID, DEFAULT_DATABASE, DEFAULT_GITHUB_ISSUER,
    DEFAULT_GITHUB_REPOSITORY, DEFAULT_GITHUB_REQUEST_TOKEN, DEFAULT_GITHUB_SUBJECT,
    DEFAULT_IDENTITY_PRINCIPAL_ID, DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID,
    DEFAULT_TENANT_ID, World,
};

/// Path of the GitHub Actions ID-token endpoint; `ACTIONS_ID_TOKEN_REQUEST_URL` is
/// `https://HOST:PORT/github/idtoken?api-version=2.0`.
pub const GITHUB_ID_TOKEN_PATH: &str = "/github/idtoken";
/// Path of the Azure Pipelines OIDC token endpoint, `SYSTEM_OIDCREQUESTURI` without a query.
pub const AZURE_DEVOPS_OIDC_TOKEN_PATH: &str = "/azure-devops/oidctoken";

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
        .route(GITHUB_ID_TOKEN_PATH, get(ci::token::<world::GitHubActions>))
        .route(
            AZURE_DEVOPS_OIDC_TOKEN_PATH,
            post(ci::token::<world::AzureDevOps>),
        )
        .nest("/_emulator", admin::router())
        .fallback(arm::routing::handle)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state)
}
