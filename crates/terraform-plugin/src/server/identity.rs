//! Resource identity (Terraform 1.12): UpgradeResourceIdentity, and the rules every other
//! answer's identity is held to, in one place.
//!
//! Resources never hand the framework an identity: it is derived from the state each answer
//! carries ([`Resource::identity`]), so no operation can forget it. Terraform checks that an
//! identity is wholly known and fits the identity schema; the Go framework adds that an
//! object's identity never changes once Terraform holds it, and that a create, read or update
//! answers with one. Here all four hold for every answer:
//!
//! - create, read, update: the identity of the new state, which must be whole ("Missing
//!   Resource Identity After ..."), and equal to the one Terraform holds, if any (the current
//!   identity of a read, the planned identity of an update; "Unexpected Identity Change").
//!   A create sets it first. An operation that failed is not blamed twice: its identity is
//!   sent when whole, else omitted.
//! - plan: an existing object keeps its prior identity; a new object's is planned when the
//!   plan already tells it whole, and omitted (null) while values are unknown, which
//!   Terraform accepts.
//! - import and move: the identity of the state, when it already tells it whole; the read
//!   Terraform does next owes it otherwise.
//!
//! [`Resource::identity`]: crate::resource::Resource::identity

use super::core::{RegisteredResource, Server, found_or_return};
use crate::codec;
use crate::diag::Diagnostics;
use crate::identity::describe;
use crate::provider::Provider;
use crate::resource::{UpgradeIdentityRequest, UpgradeIdentityResponse};
use crate::value::Value;

const UNABLE: &str = "Unable to Upgrade Resource Identity";

/// An answer carrying a state, whose identity the framework derives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    Create,
    Read,
    Update,
    Import,
    Move,
}

impl Answer {
    fn operation(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Read => "read",
            Self::Update => "update",
            Self::Import => "import",
            Self::Move => "move",
        }
    }

    /// The error for an answer without a whole identity, if Terraform must receive one with
    /// it: a read follows an import or a move before anything else.
    fn missing(self) -> Option<&'static str> {
        match self {
            Self::Create => Some("Missing Resource Identity After Create"),
            Self::Read => Some("Missing Resource Identity After Read"),
            Self::Update => Some("Missing Resource Identity After Update"),
            Self::Import | Self::Move => None,
        }
    }
}

/// The identity to send with `state`, what `resource` answered to `answer` (null: no
/// object); `held` is the identity Terraform holds for the object (null if none). Errors
/// when the identity is due but not whole, or differs from `held`; Terraform then keeps
/// `held`.
pub(super) fn identity_of<C>(
    resource: &RegisteredResource<C>,
    state: &Value,
    held: &Value,
    answer: Answer,
    diags: &mut Diagnostics,
) -> Value {
    let Some(schema) = &resource.identity else {
        return Value::Null;
    };
    if state.is_null() {
        return Value::Null;
    }
    let blamed = diags.has_error();
    let type_name = resource.implementation.type_name();
    let operation = answer.operation();
    match schema.complete(resource.implementation.identity(state)) {
        Ok(identity) if held.is_null() || *held == identity => identity,
        Ok(identity) => {
            if !blamed {
                diags.add_error(
                    "Unexpected Identity Change",
                    format!(
                        "During the {operation}, {type_name} returned the identity {} for the \
                         object whose identity Terraform holds as {}. An object's identity never \
                         changes. This is a bug in the provider.",
                        describe(&identity),
                        describe(held)
                    ),
                );
            }
            held.clone()
        }
        Err(problem) => {
            if let Some(summary) = answer.missing().filter(|_| !blamed) {
                diags.add_error(
                    summary,
                    format!(
                        "The {operation} of {type_name} returned a state without a whole \
                         identity: {problem}. This is a bug in the provider."
                    ),
                );
            }
            held.clone()
        }
    }
}

/// The identity planned for `planned_state` (null when destroying): an existing object keeps
/// `prior_identity`; otherwise the plan's identity when it is already whole, else null.
pub(super) fn planned_identity<C>(
    resource: &RegisteredResource<C>,
    prior_identity: &Value,
    planned_state: &Value,
) -> Value {
    let Some(schema) = &resource.identity else {
        return Value::Null;
    };
    if !prior_identity.is_null() || planned_state.is_null() {
        return prior_identity.clone();
    }
    schema
        .complete(resource.implementation.identity(planned_state))
        .unwrap_or_default()
}

/// UpgradeResourceIdentity output.
#[derive(Debug, Clone, Default)]
pub struct UpgradeResourceIdentityResponse {
    /// The identity in the current identity schema; null for a state stored before the
    /// resource had an identity.
    pub identity: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

impl<P: Provider> Server<P> {
    /// UpgradeResourceIdentity: an identity of the current version is decoded as is; older
    /// versions go through the resource's upgrade. A state stored before the resource had an
    /// identity has none to upgrade: the identity stays null until the next read derives it.
    pub fn upgrade_resource_identity(
        &self,
        type_name: &str,
        version: i64,
        raw_json: &[u8],
    ) -> UpgradeResourceIdentityResponse {
        let mut resp = UpgradeResourceIdentityResponse::default();
        let resource = found_or_return!(self.resource(type_name), resp);
        let (Some(schema), Some(identity_type)) = (&resource.identity, &resource.identity_type)
        else {
            resp.diagnostics.add_error(
                UNABLE,
                format!("The resource type {type_name} has no identity to upgrade."),
            );
            return resp;
        };
        let current = schema.version();
        if raw_json.is_empty() {
            return resp;
        }
        if version > current {
            resp.diagnostics.add_error(
                UNABLE,
                format!(
                    "The identity was stored by identity version {version}, newer than this \
                     provider's version {current}. Use a newer provider release."
                ),
            );
            return resp;
        }
        let identity = if version == current {
            match codec::from_json(raw_json, identity_type) {
                Ok(identity) => identity,
                Err(error) => {
                    resp.diagnostics.add_error(
                        UNABLE,
                        format!("The stored identity does not match the identity schema: {error}."),
                    );
                    return resp;
                }
            }
        } else {
            let mut out = UpgradeIdentityResponse {
                identity: Value::Null,
                diagnostics: Diagnostics::new(),
            };
            let request = UpgradeIdentityRequest { version, raw_json };
            resource.implementation.upgrade_identity(request, &mut out);
            resp.diagnostics = out.diagnostics;
            if resp.diagnostics.has_error() {
                return resp;
            }
            out.identity
        };
        match schema.complete(identity) {
            Ok(identity) => resp.identity = identity,
            Err(problem) => resp.diagnostics.add_error(
                UNABLE,
                format!(
                    "The identity of {type_name} upgraded from version {version} is not whole: \
                     {problem}."
                ),
            ),
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::fixtures::{apply, configured, configured_creating, create, created, plan};
    use crate::server::{ApplyResourceChangeRequest, PlanResourceChangeRequest};
    use crate::testing::{CreateOutcome, TestProvider, object, widget_config, widget_identity};

    fn upgraded(type_name: &str, version: i64, json: &str) -> UpgradeResourceIdentityResponse {
        Server::new(TestProvider::default()).upgrade_resource_identity(
            type_name,
            version,
            json.as_bytes(),
        )
    }

    fn only_error(diags: &Diagnostics) -> (String, String) {
        assert_eq!(diags.len(), 1, "{diags:?}");
        let diagnostic = diags.iter().next().expect("one diagnostic");
        (diagnostic.summary.clone(), diagnostic.detail.clone())
    }

    #[test]
    fn identities_of_the_current_version_are_decoded_and_older_ones_upgraded() {
        let current = upgraded("test_widget", 1, r#"{"id":"w-a","name":"a"}"#);
        assert!(current.diagnostics.is_empty(), "{:?}", current.diagnostics);
        assert_eq!(current.identity, widget_identity("a"));

        let old = upgraded("test_widget", 0, r#"{"title":"a"}"#);
        assert!(old.diagnostics.is_empty(), "{:?}", old.diagnostics);
        assert_eq!(old.identity, widget_identity("a"));

        let before_identities = upgraded("test_widget", 0, "");
        assert!(before_identities.diagnostics.is_empty());
        assert_eq!(before_identities.identity, Value::Null);
    }

    #[test]
    fn identities_that_cannot_be_upgraded_are_refused_with_the_reason() {
        let refusal = |resp: UpgradeResourceIdentityResponse| {
            assert_eq!(resp.identity, Value::Null);
            let (summary, detail) = only_error(&resp.diagnostics);
            assert_eq!(summary, UNABLE);
            detail
        };
        let newer = refusal(upgraded("test_widget", 2, r#"{"name":"a"}"#));
        assert!(
            newer.contains("newer than this provider's version 1"),
            "{newer}"
        );
        let misfit = refusal(upgraded("test_widget", 1, r#"{"name":["a"]}"#));
        assert!(
            misfit.contains("does not match the identity schema"),
            "{misfit}"
        );
        let partial = refusal(upgraded("test_widget", 1, r#"{"id":"w-a"}"#));
        assert!(partial.contains("name is null"), "{partial}");
        let untitled = refusal(upgraded("test_widget", 0, "{}"));
        assert!(untitled.contains("no title"), "{untitled}");
        let none = refusal(upgraded("test_plain", 0, r#"{"id":"x"}"#));
        assert!(none.contains("has no identity"), "{none}");
        assert!(upgraded("test_gizmo", 0, "{}").diagnostics.has_error());
    }

    #[tokio::test]
    async fn a_create_plans_the_identity_only_when_the_plan_tells_it_whole() {
        let server = configured().await;
        let config = widget_config("w1", &[]);
        let planned = plan(&server, &Value::Null, &config).await;
        assert_eq!(
            planned.planned_identity,
            Value::Null,
            "the id is known only after apply"
        );
        let widget = server.resource("test_widget").unwrap();
        let mut known = planned.planned_state.clone();
        known.set("id", "w-w1");
        assert_eq!(
            planned_identity(widget, &Value::Null, &known),
            widget_identity("w1")
        );

        let applied = apply(&server, &Value::Null, &planned.planned_state, &config).await;
        assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
        assert_eq!(applied.new_identity, widget_identity("w1"));
    }

    #[tokio::test]
    async fn updates_and_destroys_plan_the_prior_identity() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let prior = widget_identity("w1");
        let request = |config: &Value, prior_identity: &Value| PlanResourceChangeRequest {
            prior_state: state.clone(),
            proposed_state: config.clone(),
            config: config.clone(),
            prior_private: Vec::new(),
            prior_identity: prior_identity.clone(),
        };
        let tagged = widget_config("w1", &[("tags", Value::strings(["t"]))]);
        let update = server
            .plan_resource_change("test_widget", request(&tagged, &prior))
            .await;
        assert_eq!(update.planned_identity, prior);
        let destroy = server
            .plan_resource_change("test_widget", request(&Value::Null, &prior))
            .await;
        assert_eq!(destroy.planned_identity, prior);
        let stored_without = server
            .plan_resource_change("test_widget", request(&tagged, &Value::Null))
            .await;
        assert_eq!(
            stored_without.planned_identity, prior,
            "a state stored without identity gets it from the plan"
        );
        let plain = server
            .plan_resource_change(
                "test_plain",
                PlanResourceChangeRequest {
                    prior_state: Value::Null,
                    proposed_state: object(&[("id", Value::Null)]),
                    config: object(&[("id", Value::Null)]),
                    prior_private: Vec::new(),
                    prior_identity: Value::Null,
                },
            )
            .await;
        assert_eq!(plain.planned_identity, Value::Null, "no identity schema");
    }

    /// Terraform's request to apply `planned` over `prior`, planned with `identity`.
    fn applying(prior: &Value, planned: &Value, identity: Value) -> ApplyResourceChangeRequest {
        ApplyResourceChangeRequest {
            prior_state: prior.clone(),
            planned_state: planned.clone(),
            config: planned.clone(),
            planned_private: Vec::new(),
            planned_identity: identity,
        }
    }

    #[tokio::test]
    async fn a_create_or_update_without_a_whole_identity_is_a_provider_bug() {
        let server = configured().await;
        let mut nameless = widget_config("w1", &[]);
        nameless.set("name", Value::Null);
        let created_nameless = server
            .apply_resource_change(
                "test_widget",
                applying(&Value::Null, &nameless, Value::Null),
            )
            .await;
        let (summary, detail) = only_error(&created_nameless.diagnostics);
        assert_eq!(summary, "Missing Resource Identity After Create");
        assert!(detail.contains("name is null"), "{detail}");
        assert_eq!(created_nameless.new_identity, Value::Null);

        let state = created(&server, "w1").await;
        let mut planned = state.clone();
        planned.set("name", Value::Null);
        let updated = server
            .apply_resource_change(
                "test_widget",
                applying(&state, &planned, widget_identity("w1")),
            )
            .await;
        let (summary, _) = only_error(&updated.diagnostics);
        assert_eq!(summary, "Missing Resource Identity After Update");
        assert_eq!(updated.new_identity, widget_identity("w1"), "kept");
    }

    #[tokio::test]
    async fn an_update_that_changes_the_identity_is_refused() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let mut planned = state.clone();
        planned.set("name", "w2");
        let updated = server
            .apply_resource_change(
                "test_widget",
                applying(&state, &planned, widget_identity("w1")),
            )
            .await;
        let (summary, detail) = only_error(&updated.diagnostics);
        assert_eq!(summary, "Unexpected Identity Change");
        assert!(
            detail.contains(r#"returned the identity {id = "w-w1", name = "w2"}"#)
                && detail.contains(r#"holds as {id = "w-w1", name = "w1"}"#),
            "{detail}"
        );
        assert_eq!(updated.new_identity, widget_identity("w1"));

        let deleted = apply(&server, &state, &Value::Null, &Value::Null).await;
        assert_eq!(deleted.new_identity, Value::Null);
    }

    #[tokio::test]
    async fn reads_answer_with_the_identity_terraform_holds_or_its_first_one() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let read = |current: Value, identity: Value| {
            server.read_resource("test_widget", current, Vec::new(), identity)
        };
        let first = read(state.clone(), Value::Null).await;
        assert!(first.diagnostics.is_empty(), "{:?}", first.diagnostics);
        assert_eq!(first.new_identity, widget_identity("w1"));
        let again = read(state.clone(), widget_identity("w1")).await;
        assert!(again.diagnostics.is_empty(), "{:?}", again.diagnostics);
        assert_eq!(again.new_identity, widget_identity("w1"));

        let changed = read(state.clone(), widget_identity("w0")).await;
        assert_eq!(
            only_error(&changed.diagnostics).0,
            "Unexpected Identity Change"
        );
        assert_eq!(changed.new_identity, widget_identity("w0"));

        let mut nameless = state;
        nameless.set("name", Value::Null);
        let missing = read(nameless, Value::Null).await;
        assert_eq!(
            only_error(&missing.diagnostics).0,
            "Missing Resource Identity After Read"
        );

        let gone = created(&server, "gone").await;
        let removed = read(gone, widget_identity("gone")).await;
        assert!(removed.diagnostics.is_empty());
        assert_eq!(removed.new_identity, Value::Null);
    }

    #[tokio::test]
    async fn a_failed_operation_is_not_blamed_for_its_identity_twice() {
        let server = configured_creating(CreateOutcome::FailsAfterCreating).await;
        let applied = create(&server, "w1").await;
        assert_eq!(applied.diagnostics.len(), 1, "{:?}", applied.diagnostics);
        assert_eq!(
            applied.new_identity,
            widget_identity("w1"),
            "the object exists: Terraform stores it tainted, with its identity"
        );
        let server = configured_creating(CreateOutcome::FailsBeforeCreating).await;
        let applied = create(&server, "w1").await;
        assert_eq!(applied.diagnostics.len(), 1, "{:?}", applied.diagnostics);
        assert_eq!(applied.new_identity, Value::Null);
    }
}
