//! Test fixtures shared by the RPC families' tests: a configured server over the test
//! provider, and Terraform's side of planning and applying `test_widget`.

use super::apply::{ApplyResourceChangeRequest, ApplyResourceChangeResponse};
use super::core::Server;
use super::plan::{PlanResourceChangeRequest, PlanResourceChangeResponse};
use crate::testing::{CreateOutcome, TestProvider, object, widget_config, widget_schema};
use crate::value::Value;

/// A server whose provider is configured, with widget creates that succeed.
pub(super) async fn configured() -> Server<TestProvider> {
    configured_creating(CreateOutcome::Succeeds).await
}

/// A server whose provider is configured, with widget creates ending in `create`.
pub(super) async fn configured_creating(create: CreateOutcome) -> Server<TestProvider> {
    let server = Server::new(TestProvider::creating(create));
    let diags = server
        .configure_provider(
            object(&[("endpoint", "https://x".into())]),
            "1.0.3".to_owned(),
        )
        .await;
    assert!(diags.is_empty(), "{diags:?}");
    server
}

/// Plans `test_widget` from `prior` to `config`, with prior private data `prior`.
pub(super) async fn plan(
    server: &Server<TestProvider>,
    prior: &Value,
    config: &Value,
) -> PlanResourceChangeResponse {
    server
        .plan_resource_change(
            "test_widget",
            PlanResourceChangeRequest {
                prior_state: prior.clone(),
                proposed_state: proposed(prior, config),
                config: config.clone(),
                prior_private: b"prior".to_vec(),
                prior_identity: Value::Null,
            },
        )
        .await
}

/// Terraform's proposed new state: configuration, with prior values for computed
/// attributes left null in configuration.
fn proposed(prior: &Value, config: &Value) -> Value {
    let Value::Object(attrs) = config else {
        return Value::Null;
    };
    let schema = widget_schema();
    let mut proposed = attrs.clone();
    for attribute in schema.body().attributes() {
        if attribute.mode().is_computed() && config.attr(attribute.name()).is_null() {
            proposed.insert(
                attribute.name().to_owned(),
                prior.attr(attribute.name()).clone(),
            );
        }
    }
    Value::Object(proposed)
}

/// Applies a `test_widget` plan, with planned private data `planned`.
pub(super) async fn apply(
    server: &Server<TestProvider>,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> ApplyResourceChangeResponse {
    server
        .apply_resource_change(
            "test_widget",
            ApplyResourceChangeRequest {
                prior_state: prior.clone(),
                planned_state: planned.clone(),
                config: config.clone(),
                planned_private: b"planned".to_vec(),
                planned_identity: Value::Null,
            },
        )
        .await
}

/// Plans and applies the create of widget `name`, as Terraform does for a new resource.
pub(super) async fn create(
    server: &Server<TestProvider>,
    name: &str,
) -> ApplyResourceChangeResponse {
    let config = widget_config(name, &[]);
    let planned = plan(server, &Value::Null, &config).await.planned_state;
    apply(server, &Value::Null, &planned, &config).await
}

/// Creates widget `name` and returns its state.
pub(super) async fn created(server: &Server<TestProvider>, name: &str) -> Value {
    let applied = create(server, name).await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    applied.new_state
}
