//! ApplyResourceChange: create, update or delete, chosen by which state is null; a failure
//! returns its diagnostics together with the state that exists, and its identity (see
//! `identity`).

use super::core::{Server, found_or_return, settle, time_limits};
use super::identity::{Answer, identity_of};
use super::plan::PlanResourceChangeResponse;
use crate::diag::Diagnostics;
use crate::provider::Provider;
use crate::resource::{ApplyRequest, ApplyResponse, DeleteRequest, DeleteResponse};
use crate::value::Value;

/// ApplyResourceChange input.
#[derive(Debug, Clone)]
pub struct ApplyResourceChangeRequest {
    /// Null when creating.
    pub prior_state: Value,
    /// Null when deleting.
    pub planned_state: Value,
    /// The configuration; null when deleting.
    pub config: Value,
    /// Private data from the plan.
    pub planned_private: Vec<u8>,
    /// The identity from the plan; an update must keep it.
    pub planned_identity: Value,
}

impl ApplyResourceChangeRequest {
    /// Applying `plan`, the answer to planning `config` over `prior_state`, as Terraform does
    /// once the plan is approved.
    pub fn approved(prior_state: Value, config: Value, plan: PlanResourceChangeResponse) -> Self {
        Self {
            prior_state,
            planned_state: plan.planned_state,
            config,
            planned_private: plan.planned_private,
            planned_identity: plan.planned_identity,
        }
    }
}

/// ApplyResourceChange output.
#[derive(Debug, Clone, Default)]
pub struct ApplyResourceChangeResponse {
    /// The state that now exists (wholly known), or null.
    pub new_state: Value,
    /// Private data to store with it.
    pub private: Vec<u8>,
    /// Its identity; null without an object or an identity schema.
    pub new_identity: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

impl<P: Provider> Server<P> {
    /// ApplyResourceChange: create, update or delete, chosen by which state is null.
    pub async fn apply_resource_change(
        &self,
        type_name: &str,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse {
        let mut resp = ApplyResourceChangeResponse {
            new_state: req.prior_state.clone(),
            private: req.planned_private.clone(),
            new_identity: req.planned_identity.clone(),
            diagnostics: Diagnostics::new(),
        };
        let (resource, provider) = found_or_return!(self.configured_resource(type_name), resp);
        let cancel = self.cancellation();
        let implementation = &resource.implementation;
        if req.planned_state.is_null() {
            if req.prior_state.is_null() {
                return resp;
            }
            let mut out = DeleteResponse::default();
            let request = DeleteRequest {
                timeout: time_limits(&**implementation, &req.prior_state).delete,
                state: req.prior_state,
                private: req.planned_private,
                provider,
                cancel,
            };
            implementation.delete(request, &mut out).await;
            if !out.diagnostics.has_error() {
                resp.new_state = Value::Null;
                resp.private = Vec::new();
                resp.new_identity = Value::Null;
            }
            resp.diagnostics = out.diagnostics;
            return resp;
        }
        let mut out = ApplyResponse {
            state: req.planned_state.clone(),
            private: req.planned_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let limits = time_limits(&**implementation, &req.planned_state);
        let creating = req.prior_state.is_null();
        let request = ApplyRequest {
            timeout: if creating {
                limits.create
            } else {
                limits.update
            },
            config: req.config,
            plan: req.planned_state,
            state: req.prior_state,
            private: req.planned_private,
            provider,
            cancel,
        };
        let (operation, answer, held) = if creating {
            implementation.create(request, &mut out).await;
            ("create", Answer::Create, Value::Null)
        } else {
            implementation.update(request, &mut out).await;
            ("update", Answer::Update, req.planned_identity)
        };
        let ApplyResponse {
            state,
            private,
            mut diagnostics,
        } = out;
        if state.is_null() && !diagnostics.has_error() {
            diagnostics.add_error(
                "Provider returned no state",
                format!("The {operation} succeeded but returned no state. This is a bug in the provider."),
            );
        }
        resp.new_state = if state.is_null() {
            Value::Null
        } else {
            settle(&resource.schema, state, &mut diagnostics, operation)
        };
        resp.new_identity = identity_of(resource, &resp.new_state, &held, answer, &mut diagnostics);
        resp.private = private;
        resp.diagnostics = diagnostics;
        resp
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::server::fixtures::{apply, configured, configured_creating, create, created, plan};
    use crate::testing::{CreateOutcome, TestProvider, object, widget_config};

    #[tokio::test]
    async fn create_fills_unknowns_and_returns_private() {
        let applied = create(&configured().await, "w1").await;
        assert!(applied.new_state.is_wholly_known());
        assert_eq!(applied.new_state.get_str("id"), Some("w-w1"));
        assert_eq!(applied.new_state.get_str("url"), Some("https://x/w1"));
        assert_eq!(applied.private, b"created");
    }

    #[tokio::test]
    async fn failed_create_after_the_object_exists_returns_state_and_error() {
        let server = configured_creating(CreateOutcome::FailsAfterCreating).await;
        let applied = create(&server, "w1").await;
        assert!(applied.diagnostics.has_error());
        assert_eq!(
            applied.diagnostics.len(),
            1,
            "no extra complaint about unknowns"
        );
        assert_eq!(applied.new_state.get_str("id"), Some("w-w1"));
        assert!(applied.new_state.is_wholly_known());
        assert!(applied.new_state.is_null_attr("etag"));
    }

    #[tokio::test]
    async fn failed_create_before_anything_exists_returns_null() {
        let server = configured_creating(CreateOutcome::FailsBeforeCreating).await;
        let applied = create(&server, "w1").await;
        assert!(applied.diagnostics.has_error());
        assert_eq!(applied.new_state, Value::Null);
    }

    #[tokio::test]
    async fn unknowns_left_after_create_are_reported() {
        let server = configured_creating(CreateOutcome::LeavesUnknowns).await;
        let applied = create(&server, "w1").await;
        let detail = &applied.diagnostics.iter().next().unwrap().detail;
        assert!(
            detail.contains("etag") && detail.contains("size"),
            "{detail}"
        );
        assert!(applied.new_state.is_wholly_known());
    }

    #[tokio::test]
    async fn delete_returns_null_state() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let applied = apply(&server, &state, &Value::Null, &Value::Null).await;
        assert!(applied.diagnostics.is_empty());
        assert_eq!(applied.new_state, Value::Null);
    }

    #[tokio::test]
    async fn stop_cancels_in_flight_operations_then_rearms() {
        let provider = TestProvider::creating(CreateOutcome::WaitsForCancel);
        let started = Arc::clone(&provider.started);
        let server = Arc::new(Server::new(provider));
        server
            .configure_provider(object(&[("endpoint", "https://x".into())]), String::new())
            .await;
        let config = widget_config("w1", &[]);
        let planned = plan(&server, &Value::Null, &config).await.planned_state;
        let task = {
            let server = Arc::clone(&server);
            tokio::spawn(async move { apply(&server, &Value::Null, &planned, &config).await })
        };
        started.notified().await;
        server.stop();
        let applied = task.await.unwrap();
        assert!(applied.diagnostics.has_error());
        assert_eq!(
            applied.new_state.get_str("id"),
            Some("w-w1"),
            "partial state kept"
        );
        assert!(
            !server.cancellation().is_cancelled(),
            "later operations start fresh"
        );
    }

    /// Create and update take their limit from the plan (and so does the plan hook, for the
    /// create or update it plans), read from the current state, delete from the prior
    /// state; unset values take the resource's defaults.
    #[tokio::test]
    async fn operations_receive_their_resolved_time_limits() {
        let provider = TestProvider::default();
        let time_limits = Arc::clone(&provider.time_limits);
        let server = Server::new(provider);
        server
            .configure_provider(object(&[("endpoint", "https://x".into())]), String::new())
            .await;
        let timeouts = |create: &str, update: Value, delete: &str| {
            object(&[
                ("create", create.into()),
                ("read", Value::Null),
                ("update", update),
                ("delete", delete.into()),
            ])
        };
        let config = widget_config("w1", &[("timeouts", timeouts("5m", Value::Null, "2m"))]);
        let planned = plan(&server, &Value::Null, &config).await.planned_state;
        let state = apply(&server, &Value::Null, &planned, &config)
            .await
            .new_state;
        server
            .read_resource("test_widget", state.clone(), Vec::new(), Value::Null)
            .await;
        let config = widget_config(
            "w1",
            &[
                ("timeouts", timeouts("5m", "90s".into(), "3m")),
                ("tags", Value::strings(["t"])),
            ],
        );
        let planned = plan(&server, &state, &config).await.planned_state;
        let state = apply(&server, &state, &planned, &config).await.new_state;
        apply(&server, &state, &Value::Null, &Value::Null).await;
        let seconds = Duration::from_secs;
        assert_eq!(
            *time_limits.lock().unwrap(),
            [
                ("plan", seconds(300)),
                ("create", seconds(300)),
                ("read", seconds(60)),
                ("plan", seconds(90)),
                ("update", seconds(90)),
                ("delete", seconds(180)),
            ]
        );
    }
}
