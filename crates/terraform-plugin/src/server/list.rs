//! List resources (Terraform 1.14): ValidateListResourceConfig and ListResource.
//!
//! Terraform reads the results of a list as a stream it stops at the first error, and it
//! refuses a result without a whole identity. So the framework answers in that shape: the
//! results in the order found, each with the identity derived from its state (see
//! `identity`) and, when Terraform asked, the state itself, held to the resource's schema;
//! then the list's diagnostics. A result that breaks a rule ends the list there with an
//! error naming the provider's bug; the results before it stand.

use super::core::{Server, found_or_return, settle};
use super::validation::{NullRequired, validate_config};
use crate::codec;
use crate::diag::Diagnostics;
use crate::list::{ListRequest, ListResponse};
use crate::provider::Provider;
use crate::value::Value;

const INVALID: &str = "Provider produced an invalid list result";

/// ListResource input.
#[derive(Debug, Clone)]
pub struct ListResourceRequest {
    /// The `list` block's `config`, in the list resource's schema.
    pub config: Value,
    /// Whether to send each object's state.
    pub include_resource_object: bool,
    /// The most results Terraform takes; none when not positive.
    pub limit: i64,
}

/// One object found.
#[derive(Debug, Clone, PartialEq)]
pub struct ListResult {
    /// Its identity, whole.
    pub identity: Value,
    /// What `terraform query` prints for it.
    pub display_name: String,
    /// Its state, when Terraform asked for it.
    pub resource_object: Option<Value>,
}

/// ListResource output.
#[derive(Debug, Default)]
pub struct ListResourceResponse {
    /// The objects found, at most the limit.
    pub results: Vec<ListResult>,
    /// Problems found, after the results in Terraform's eyes.
    pub diagnostics: Diagnostics,
}

impl<P: Provider> Server<P> {
    /// ValidateListResourceConfig: the schema's validators, then the list resource's own
    /// checks.
    pub fn validate_list_resource_config(&self, type_name: &str, config: &Value) -> Diagnostics {
        match self.registered_list_resource(type_name) {
            Ok(list) => validate_config(&list.schema, config, NullRequired::Refused, |diags| {
                list.implementation.validate(config, diags);
            }),
            Err(diags) => diags,
        }
    }

    /// ListResource: validates the configuration, runs the list and holds each result to
    /// the rules (see the module documentation).
    pub async fn list_resource(
        &self,
        type_name: &str,
        req: ListResourceRequest,
    ) -> ListResourceResponse {
        let mut resp = ListResourceResponse::default();
        let list = found_or_return!(self.registered_list_resource(type_name), resp);
        let resource = found_or_return!(self.resource(type_name), resp);
        let Some(identity_schema) = &resource.identity else {
            resp.diagnostics.add_error(
                INVALID,
                format!("The resource type {type_name} has no identity to list objects by."),
            );
            return resp;
        };
        let provider = found_or_return!(self.provider_data(), resp);
        if !req.config.is_wholly_known() {
            resp.diagnostics.add_error(
                "Invalid list configuration",
                "The list configuration holds values not known yet; list with known values.",
            );
            return resp;
        }
        resp.diagnostics = self.validate_list_resource_config(type_name, &req.config);
        let Ok(limit @ 1..) = usize::try_from(req.limit) else {
            return resp;
        };
        if resp.diagnostics.has_error() {
            return resp;
        }
        let mut out = ListResponse::new(limit);
        let request = ListRequest {
            config: req.config,
            include_resource_object: req.include_resource_object,
            limit,
            provider,
            cancel: self.cancellation(),
        };
        list.implementation.list(request, &mut out).await;
        let (found, diagnostics) = out.into_parts();
        for found in found {
            let identity =
                match identity_schema.complete(resource.implementation.identity(&found.state)) {
                    Ok(identity) => identity,
                    Err(problem) => {
                        resp.diagnostics.add_error(
                            INVALID,
                            format!(
                                "{type_name} found {:?} without a whole identity: {problem}. This \
                             is a bug in the provider.",
                                found.display_name
                            ),
                        );
                        return resp;
                    }
                };
            let resource_object = if req.include_resource_object {
                let mut problems = Diagnostics::new();
                let state = settle(&resource.schema, found.state, &mut problems, "listing");
                if let Err(error) = codec::to_msgpack(&state, &resource.value_type) {
                    problems.add_error(
                        INVALID,
                        format!(
                            "The state of {:?} does not match the schema of {type_name}: \
                             {error}. This is a bug in the provider.",
                            found.display_name
                        ),
                    );
                }
                if problems.has_error() {
                    resp.diagnostics.extend(problems);
                    return resp;
                }
                Some(state)
            } else {
                None
            };
            resp.results.push(ListResult {
                identity,
                display_name: found.display_name,
                resource_object,
            });
        }
        resp.diagnostics.extend(diagnostics);
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::ListResourceHandle;
    use crate::path::AttributePath;
    use crate::provider::ConfigureRequest;
    use crate::resource::ResourceHandle;
    use crate::schema::Schema;
    use crate::server::fixtures::configured;
    use crate::testing::{Listing, TestData, TestProvider, object, widget_identity};

    fn config(prefix: &str, count: i64) -> Value {
        object(&[("prefix", prefix.into()), ("count", count.into())])
    }

    fn request(config: Value, include_resource_object: bool, limit: i64) -> ListResourceRequest {
        ListResourceRequest {
            config,
            include_resource_object,
            limit,
        }
    }

    fn names(resp: &ListResourceResponse) -> Vec<&str> {
        resp.results
            .iter()
            .map(|r| r.display_name.as_str())
            .collect()
    }

    #[tokio::test]
    async fn each_result_carries_the_identity_its_state_tells_and_the_state_when_asked() {
        let server = configured().await;
        let without = server
            .list_resource("test_widget", request(config("w", 2), false, 100))
            .await;
        assert!(without.diagnostics.is_empty(), "{:?}", without.diagnostics);
        assert_eq!(names(&without), ["widget w0", "widget w1"]);
        assert_eq!(without.results[0].identity, widget_identity("w0"));
        assert_eq!(without.results[1].resource_object, None);

        let with = server
            .list_resource("test_widget", request(config("w", 2), true, 100))
            .await;
        assert!(with.diagnostics.is_empty(), "{:?}", with.diagnostics);
        let state = with.results[1].resource_object.as_ref().expect("a state");
        assert_eq!(state.get_str("id"), Some("w-w1"));
        assert_eq!(state.get_str("tier"), Some("basic"));
        assert!(state.attr("timeouts").is_null());
    }

    #[tokio::test]
    async fn the_list_stops_at_the_limit() {
        let server = configured().await;
        let limited = server
            .list_resource("test_widget", request(config("w", 5), false, 3))
            .await;
        assert_eq!(names(&limited), ["widget w0", "widget w1", "widget w2"]);
        let nothing = server
            .list_resource("test_widget", request(config("w", 5), false, 0))
            .await;
        assert!(nothing.results.is_empty() && nothing.diagnostics.is_empty());
    }

    #[tokio::test]
    async fn a_result_without_a_whole_identity_ends_the_list_as_a_provider_bug() {
        let server = configured().await;
        let broken = server
            .list_resource("test_widget", request(config("nameless", 3), false, 100))
            .await;
        assert_eq!(
            names(&broken),
            ["widget nameless0"],
            "the results before it stand"
        );
        let error = broken.diagnostics.iter().next().expect("an error");
        assert_eq!(error.summary, INVALID);
        assert!(
            error
                .detail
                .contains("\"widget nameless1\" without a whole identity"),
            "{}",
            error.detail
        );
    }

    #[tokio::test]
    async fn a_state_that_does_not_fit_the_schema_is_a_provider_bug_only_when_sent() {
        let server = configured().await;
        let without = server
            .list_resource("test_widget", request(config("misfit", 1), false, 100))
            .await;
        assert!(without.diagnostics.is_empty(), "{:?}", without.diagnostics);
        let with = server
            .list_resource("test_widget", request(config("misfit", 1), true, 100))
            .await;
        assert!(with.results.is_empty());
        let error = with.diagnostics.iter().next().expect("an error");
        assert!(
            error.detail.contains("does not match the schema"),
            "{}",
            error.detail
        );
    }

    #[tokio::test]
    async fn configurations_are_validated_before_listing_and_by_themselves() {
        let server = configured().await;
        let diags = server.validate_list_resource_config("test_widget", &config("", -1));
        let paths: Vec<_> = diags.iter().map(|d| d.path.clone()).collect();
        assert_eq!(
            paths,
            [
                Some(AttributePath::attr("prefix")),
                Some(AttributePath::attr("count"))
            ]
        );
        let refused = server
            .list_resource("test_widget", request(config("", 1), false, 100))
            .await;
        assert!(refused.results.is_empty());
        assert!(refused.diagnostics.has_error());
        let unknown = server
            .list_resource(
                "test_widget",
                request(
                    object(&[("prefix", Value::Unknown), ("count", 1i64.into())]),
                    false,
                    1,
                ),
            )
            .await;
        assert!(unknown.diagnostics.has_error());
        assert!(
            server
                .validate_list_resource_config("test_plain", &config("w", 1))
                .has_error(),
            "no list resource of that name"
        );
    }

    #[tokio::test]
    async fn the_list_warnings_follow_the_results_and_an_unconfigured_provider_lists_nothing() {
        let server = configured().await;
        let warned = server
            .list_resource("test_widget", request(config("w", 0), false, 100))
            .await;
        assert!(warned.results.is_empty());
        let warning = warned.diagnostics.iter().next().expect("a warning");
        assert_eq!(warning.summary, "No widgets");
        assert!(!warned.diagnostics.has_error());

        let unconfigured = Server::new(TestProvider::default())
            .list_resource("test_widget", request(config("w", 1), false, 100))
            .await;
        assert!(unconfigured.results.is_empty());
        assert!(unconfigured.diagnostics.has_error());
    }

    /// The test provider, listing `test_plain` too, which has no identity.
    struct Misdeclared(TestProvider);

    impl Provider for Misdeclared {
        type Data = TestData;

        fn type_name(&self) -> &'static str {
            "test"
        }

        fn schema(&self) -> Schema {
            self.0.schema()
        }

        async fn configure(&self, req: ConfigureRequest) -> Result<TestData, Diagnostics> {
            self.0.configure(req).await
        }

        fn resources(&self) -> Vec<ResourceHandle<TestData>> {
            self.0.resources()
        }

        fn list_resources(&self) -> Vec<ListResourceHandle<TestData>> {
            vec![ListResourceHandle::new(Listing("test_plain"))]
        }
    }

    #[test]
    fn a_list_resource_needs_a_managed_resource_with_an_identity() {
        let server = Server::new(TestProvider::default());
        let schemas: Vec<&str> = server.list_resource_schemas().map(|(n, _)| n).collect();
        assert_eq!(schemas, ["test_widget"]);
        assert!(server.schema_diagnostics().is_empty());

        let server = Server::new(Misdeclared(TestProvider::default()));
        let problems: Vec<&str> = server
            .schema_diagnostics()
            .iter()
            .map(|d| d.summary.as_str())
            .collect();
        assert_eq!(problems, ["Invalid list resource test_plain"]);
    }
}
