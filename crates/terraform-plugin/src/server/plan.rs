//! A resource's configuration and plan: ValidateResourceConfig and PlanResourceChange.
//!
//! Planning does the chores every resource would otherwise get wrong: unconfigured
//! attributes take their schema default, other unconfigured computed attributes become
//! unknown (unless nothing changed), plan modifiers run, the resource's own hook runs last,
//! and `timeouts` never forces a replacement. The planned identity is the framework's (see
//! `identity`).

use super::blocks::{block_elements, matching};
use super::core::{Server, found_or_return, time_limits};
use super::identity::planned_identity;
use super::validation::{NullRequired, validate_config};
use crate::diag::Diagnostics;
use crate::path::{AttributePath, PathStep};
use crate::planmod::{AttributePlanRequest, AttributePlanResponse};
use crate::provider::Provider;
use crate::resource::{ModifyPlanRequest, ModifyPlanResponse};
use crate::schema::Block;
use crate::timeouts;
use crate::value::Value;

/// PlanResourceChange input.
#[derive(Debug, Clone)]
pub struct PlanResourceChangeRequest {
    /// Null when creating.
    pub prior_state: Value,
    /// Terraform's merge of prior state and configuration; null when destroying.
    pub proposed_state: Value,
    /// The configuration; null when destroying.
    pub config: Value,
    /// Private data stored with the prior state.
    pub prior_private: Vec<u8>,
    /// The identity Terraform holds for the prior state; null when creating, and for a
    /// state stored before the resource had an identity.
    pub prior_identity: Value,
}

/// PlanResourceChange output.
#[derive(Debug, Clone, Default)]
pub struct PlanResourceChangeResponse {
    /// The plan; unknowns mean "known after apply".
    pub planned_state: Value,
    /// Attributes whose change forces a replacement, sorted.
    pub requires_replace: Vec<AttributePath>,
    /// Private data handed to apply.
    pub planned_private: Vec<u8>,
    /// The identity after apply: the prior identity of an existing object; for a new
    /// object, its identity when the plan already tells it whole, else null.
    pub planned_identity: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

impl<P: Provider> Server<P> {
    /// ValidateResourceConfig: schema validators (unknown values skipped), deprecation
    /// warnings, then the resource's own checks.
    pub fn validate_resource_config(&self, type_name: &str, config: &Value) -> Diagnostics {
        match self.resource(type_name) {
            Ok(resource) => validate_config(&resource.schema, config, NullRequired::Refused, |d| {
                resource.implementation.validate(config, d)
            }),
            Err(diags) => diags,
        }
    }

    /// PlanResourceChange.
    pub async fn plan_resource_change(
        &self,
        type_name: &str,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse {
        let mut resp = PlanResourceChangeResponse {
            planned_state: Value::Null,
            requires_replace: Vec::new(),
            planned_private: req.prior_private.clone(),
            planned_identity: Value::Null,
            diagnostics: Diagnostics::new(),
        };
        let resource = found_or_return!(self.resource(type_name), resp);
        if req.proposed_state.is_null() {
            resp.planned_identity = planned_identity(resource, &req.prior_identity, &Value::Null);
            return resp;
        }
        let creating = req.prior_state.is_null();
        let provider = found_or_return!(self.provider_data(), resp);
        let mut plan = req.proposed_state;
        apply_defaults(resource.schema.body(), &req.config, &mut plan);
        // Terraform proposes the prior value for an unconfigured computed attribute; when
        // nothing else differs either, no value is "known after apply". Modifiers and the
        // resource still run: a prior state may need a fix that no attribute shows.
        let unchanged = !creating && plan == req.prior_state;
        let mut replace = Vec::new();
        let mut walk = PlanWalk {
            creating,
            unchanged,
            requires_replace: &mut replace,
            diagnostics: &mut resp.diagnostics,
        };
        walk.block(
            resource.schema.body(),
            &AttributePath::root(),
            &req.config,
            &req.prior_state,
            &mut plan,
        );
        let mut hook = ModifyPlanResponse {
            plan,
            requires_replace: Vec::new(),
            private: req.prior_private,
            diagnostics: Diagnostics::new(),
        };
        let limits = time_limits(&*resource.implementation, &hook.plan);
        let request = ModifyPlanRequest {
            config: &req.config,
            state: &req.prior_state,
            provider: &*provider,
            cancel: self.cancellation(),
            timeout: if creating {
                limits.create
            } else {
                limits.update
            },
        };
        resource
            .implementation
            .modify_plan(request, &mut hook)
            .await;
        resp.diagnostics.extend(hook.diagnostics);
        resp.planned_private = hook.private;
        resp.planned_state = resource.schema.body().normalize(hook.plan);
        resp.planned_identity =
            planned_identity(resource, &req.prior_identity, &resp.planned_state);
        if !creating {
            replace.extend(hook.requires_replace);
            replace.retain(|path| {
                path.steps().first() != Some(&PathStep::Attribute(timeouts::BLOCK_NAME.to_owned()))
            });
            replace.sort();
            replace.dedup();
            resp.requires_replace = replace;
        }
        resp
    }
}

/// Puts each attribute's schema default where the configuration leaves it null.
fn apply_defaults(block: &Block, config: &Value, value: &mut Value) {
    let Value::Object(attrs) = value else { return };
    for attribute in block.attributes() {
        if let Some(default) = attribute.default_value()
            && config.attr(attribute.name()).is_null()
        {
            attrs.insert(attribute.name().to_owned(), default.clone());
        }
    }
    for nested in block.blocks() {
        let Some(current) = attrs.get_mut(nested.name()) else {
            continue;
        };
        let config = config.attr(nested.name());
        for (_, step, element) in block_elements(nested.nesting(), current, &AttributePath::root())
        {
            apply_defaults(nested.block(), matching(config, &step), element);
        }
    }
}

/// One planning pass over a resource's blocks.
struct PlanWalk<'a> {
    creating: bool,
    /// The proposed state (with defaults) equals the prior state.
    unchanged: bool,
    requires_replace: &'a mut Vec<AttributePath>,
    diagnostics: &'a mut Diagnostics,
}

impl PlanWalk<'_> {
    fn block(
        &mut self,
        block: &Block,
        path: &AttributePath,
        config: &Value,
        prior: &Value,
        plan: &mut Value,
    ) {
        let Value::Object(attrs) = plan else { return };
        for attribute in block.attributes() {
            let name = attribute.name();
            let config_value = config.attr(name);
            let current = attrs.entry(name.to_owned()).or_insert(Value::Null);
            if attribute.mode().is_computed()
                && config_value.is_null()
                && attribute.default_value().is_none()
                && !self.unchanged
            {
                *current = Value::Unknown;
            }
            if attribute.plan_modifiers().is_empty() {
                continue;
            }
            let at = path.clone().attribute(name);
            let request = AttributePlanRequest {
                path: &at,
                config: config_value,
                state: prior.attr(name),
                creating: self.creating,
            };
            let mut response = AttributePlanResponse {
                plan: std::mem::replace(current, Value::Null),
                requires_replace: false,
                diagnostics: Diagnostics::new(),
            };
            for modifier in attribute.plan_modifiers() {
                modifier.modify(&request, &mut response);
            }
            *current = response.plan;
            if response.requires_replace {
                self.requires_replace.push(at);
            }
            self.diagnostics.extend(response.diagnostics);
        }
        for nested in block.blocks() {
            let Some(current) = attrs.get_mut(nested.name()) else {
                continue;
            };
            let at = path.clone().attribute(nested.name());
            let config = config.attr(nested.name());
            let prior = prior.attr(nested.name());
            let is_set = matches!(current, Value::Set(_));
            for (element_path, step, element) in block_elements(nested.nesting(), current, &at) {
                self.block(
                    nested.block(),
                    &element_path,
                    matching(config, &step),
                    matching(prior, &step),
                    element,
                );
            }
            if is_set && let Value::Set(items) = current {
                *current = Value::set_of(std::mem::take(items));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;
    use crate::diag::Severity;
    use crate::server::fixtures::{apply, configured, created, plan};
    use crate::testing::{object, widget_config};

    #[tokio::test]
    async fn create_plan_marks_unconfigured_computed_attributes_unknown() {
        let server = configured().await;
        let config = widget_config("w1", &[("size", 5i64.into())]);
        let resp = plan(&server, &Value::Null, &config).await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let planned = &resp.planned_state;
        assert!(planned.is_unknown_attr("id"));
        assert!(planned.is_unknown_attr("etag"));
        assert_eq!(
            planned.get_i64("size"),
            Some(5),
            "configured values stay as configured"
        );
        assert_eq!(
            planned.get_str("tier"),
            Some("basic"),
            "static default planned"
        );
        assert_eq!(
            planned.get_str("url"),
            Some("https://x/w1"),
            "modify_plan sees provider data"
        );
        assert!(planned.is_null_attr("tags"));
        assert!(planned.is_null_attr("timeouts"));
        assert!(resp.requires_replace.is_empty());
        assert_eq!(resp.planned_private, b"prior");
    }

    #[tokio::test]
    async fn planning_is_deterministic() {
        let server = configured().await;
        let config = widget_config("w1", &[("tags", Value::strings(["b", "a"]))]);
        let first = plan(&server, &Value::Null, &config).await.planned_state;
        let second = plan(&server, &Value::Null, &config).await.planned_state;
        let ty = server.resource_type("test_widget").unwrap();
        assert_eq!(
            codec::to_msgpack(&first, ty),
            codec::to_msgpack(&second, ty)
        );
    }

    #[tokio::test]
    async fn unchanged_update_returns_prior_state_untouched() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let resp = plan(&server, &state, &widget_config("w1", &[])).await;
        assert_eq!(resp.planned_state, state);
        assert!(resp.requires_replace.is_empty());
        assert_eq!(resp.planned_private, b"prior");
    }

    /// A default is planned whenever the attribute is unconfigured, also when the prior state
    /// drifted away from it and Terraform proposes the drifted value: the plan shows the drift
    /// and sets it back, without making other computed values unknown.
    #[tokio::test]
    async fn defaults_are_planned_over_drifted_state() {
        let server = configured().await;
        let mut state = created(&server, "w1").await;
        assert_eq!(state.get_str("tier"), Some("basic"));
        state.set("tier", "gold");
        let resp = plan(&server, &state, &widget_config("w1", &[])).await;
        assert_eq!(resp.planned_state.get_str("tier"), Some("basic"));
        assert_eq!(resp.planned_state.get_str("id"), Some("w-w1"));
        assert!(resp.planned_state.is_unknown_attr("etag"));
        let configured = plan(
            &server,
            &state,
            &widget_config("w1", &[("tier", "gold".into())]),
        )
        .await;
        assert_eq!(configured.planned_state, state, "a configured value wins");
    }

    /// With nothing to change, the resource's own plan logic still runs (it may plan a fix
    /// that no attribute shows), but no computed value turns unknown.
    #[tokio::test]
    async fn an_unchanged_plan_still_runs_the_resource_without_unknowns() {
        let server = configured().await;
        let mut state = created(&server, "w1").await;
        state.set("url", "https://stale/w1");
        let resp = plan(&server, &state, &widget_config("w1", &[])).await;
        assert_eq!(resp.planned_state.get_str("url"), Some("https://x/w1"));
        assert!(resp.planned_state.is_wholly_known());
    }

    #[tokio::test]
    async fn required_attributes_set_to_null_are_refused_with_their_path() {
        let server = configured().await;
        let mut config = widget_config("w1", &[]);
        config.set("name", Value::Null);
        let diags = server.validate_resource_config("test_widget", &config);
        let found: Vec<_> = diags
            .errors()
            .map(|d| (d.path.clone(), d.summary.as_str()))
            .collect();
        assert_eq!(
            found,
            [(
                Some(AttributePath::attr("name")),
                "Missing Configuration for Required Attribute"
            )]
        );
        let mut unknown = widget_config("w1", &[]);
        unknown.set("name", Value::Unknown);
        assert!(
            server
                .validate_resource_config("test_widget", &unknown)
                .is_empty()
        );
        let data = object(&[("name", Value::Null), ("length", Value::Null)]);
        let diags = server.validate_data_source_config("test_widget_info", &data);
        assert_eq!(diags.errors().count(), 1, "{diags:?}");
        let provider = object(&[("endpoint", Value::Null)]);
        assert!(
            server.validate_provider_config(&provider).is_empty(),
            "a provider block may be left out"
        );
    }

    #[tokio::test]
    async fn update_keeps_stable_computed_values_and_unknowns_the_rest() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let config = widget_config("w1", &[("tags", Value::strings(["t"]))]);
        let resp = plan(&server, &state, &config).await;
        let planned = &resp.planned_state;
        assert_eq!(
            planned.get_str("id"),
            Some("w-w1"),
            "UseStateForUnknown keeps the id"
        );
        for unknown in ["etag", "size"] {
            assert!(planned.is_unknown_attr(unknown), "{unknown}");
        }
        assert_eq!(planned.get_strings("tags"), Some(vec!["t".to_owned()]));
        assert!(resp.requires_replace.is_empty());
        assert_eq!(resp.planned_private, b"prior");

        let applied = apply(&server, &state, planned, &config).await;
        assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
        assert_eq!(applied.new_state.get_str("etag"), Some("2"));
        assert_eq!(applied.new_state.get_i64("size"), Some(3));
        assert_eq!(
            applied.private, b"planned",
            "private state echoed through apply"
        );
    }

    #[tokio::test]
    async fn requires_replace_is_sorted_deduplicated_and_never_timeouts() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let renamed = plan(&server, &state, &widget_config("w2", &[])).await;
        assert_eq!(renamed.requires_replace, vec![AttributePath::attr("name")]);

        let timeouts = object(&[
            ("create", "5m".into()),
            ("read", Value::Null),
            ("update", Value::Null),
            ("delete", Value::Null),
        ]);
        let resp = plan(
            &server,
            &state,
            &widget_config("w1", &[("timeouts", timeouts.clone())]),
        )
        .await;
        assert!(resp.requires_replace.is_empty());
        assert_eq!(resp.planned_state.attr("timeouts"), &timeouts);
    }

    #[tokio::test]
    async fn destroy_plan_is_null_and_echoes_private() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let resp = server
            .plan_resource_change(
                "test_widget",
                PlanResourceChangeRequest {
                    prior_state: state,
                    proposed_state: Value::Null,
                    config: Value::Null,
                    prior_private: b"prior".to_vec(),
                    prior_identity: Value::Null,
                },
            )
            .await;
        assert_eq!(resp.planned_state, Value::Null);
        assert_eq!(resp.planned_private, b"prior");
        assert!(resp.diagnostics.is_empty());
    }

    #[tokio::test]
    async fn validation_skips_unknowns_and_reports_paths() {
        let server = configured().await;
        let unknown = widget_config(
            "w1",
            &[
                ("shape", Value::Unknown),
                ("tags", Value::List(vec![Value::Unknown, "ok".into()])),
            ],
        );
        let mut unknown = unknown;
        unknown.set("name", Value::Unknown);
        assert!(
            server
                .validate_resource_config("test_widget", &unknown)
                .is_empty()
        );

        let bad = widget_config(
            "much-too-long",
            &[
                ("shape", "explode".into()),
                ("tags", Value::strings(["", "x"])),
                ("legacy", "x".into()),
            ],
        );
        let diags = server.validate_resource_config("test_widget", &bad);
        let mut paths: Vec<String> = diags
            .errors()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        paths.sort();
        assert_eq!(paths, ["name", "shape", "tags[0]"]);
        let warning = diags
            .iter()
            .find(|d| d.severity == Severity::Warning)
            .unwrap();
        assert_eq!(warning.path, Some(AttributePath::attr("legacy")));

        let bad_timeout = widget_config(
            "w1",
            &[(
                "timeouts",
                object(&[
                    ("create", "soon".into()),
                    ("read", Value::Null),
                    ("update", Value::Null),
                    ("delete", Value::Null),
                ]),
            )],
        );
        let diags = server.validate_resource_config("test_widget", &bad_timeout);
        assert_eq!(
            diags.iter().next().unwrap().path,
            Some(AttributePath::attr("timeouts").attribute("create"))
        );
    }
}
