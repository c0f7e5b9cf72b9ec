//! MoveResourceState (Terraform 1.8): a `moved` block whose `from` is another resource type,
//! perhaps of another provider. Terraform hands the target resource the source's stored
//! state as JSON; the resource converts it, and Terraform then reads the object and plans.
//!
//! The framework finds which of the resource's [`MoveSource`]s the state comes from (and
//! refuses any other, naming those there are), reads the source state with the target's
//! schema so that same-named attributes carry over, and holds the result to the rules of
//! any state: not null, wholly known. The moved object's identity is the framework's (see
//! `identity`); an identity the source provider stored is of no use to the target.
//!
//! [`MoveSource`]: crate::resource::MoveSource

use super::core::{Server, found_or_return};
use super::identity::{Answer, identity_of};
use crate::codec;
use crate::diag::Diagnostics;
use crate::provider::Provider;
use crate::resource::{MoveSource, MoveStateRequest, MoveStateResponse};
use crate::value::Value;

const UNABLE: &str = "Unable to Move Resource State";

/// MoveResourceState input.
#[derive(Debug)]
pub struct MoveResourceStateRequest<'a> {
    /// The source provider's address, `registry.terraform.io/hashicorp/azurerm`.
    pub source_provider_address: &'a str,
    /// The source resource type.
    pub source_type_name: &'a str,
    /// The source schema version that wrote the state.
    pub source_schema_version: i64,
    /// The source state as JSON.
    pub source_state_json: &'a [u8],
    /// The resource type to move to.
    pub target_type_name: &'a str,
}

/// MoveResourceState output.
#[derive(Debug, Default)]
pub struct MoveResourceStateResponse {
    /// The converted state; null when there are errors.
    pub target_state: Value,
    /// Private data for it.
    pub target_private: Vec<u8>,
    /// Its identity, when the converted state already tells it; else null, and the read
    /// that follows gives it.
    pub target_identity: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

impl<P: Provider> Server<P> {
    /// Converts a state of another resource type into one of `req.target_type_name`.
    pub fn move_resource_state(
        &self,
        req: &MoveResourceStateRequest<'_>,
    ) -> MoveResourceStateResponse {
        let mut resp = MoveResourceStateResponse::default();
        let resource = found_or_return!(self.resource(req.target_type_name), resp);
        let sources = resource.implementation.move_sources();
        let Some(source) = sources
            .iter()
            .find(|s| s.matches(req.source_provider_address, req.source_type_name))
        else {
            resp.diagnostics.add_error(UNABLE, refusal(req, sources));
            return resp;
        };
        if !source.versions.contains(&req.source_schema_version) {
            resp.diagnostics.add_error(
                UNABLE,
                format!(
                    "{} cannot read {} state written by schema version {} (it reads {}). Move \
                     the object with `terraform import` instead.",
                    req.target_type_name,
                    req.source_type_name,
                    req.source_schema_version,
                    versions(source.versions)
                ),
            );
            return resp;
        }
        let carried = match codec::from_json(req.source_state_json, &resource.value_type) {
            Ok(state) if !state.is_null() => state,
            Ok(_) => {
                resp.diagnostics.add_error(
                    UNABLE,
                    format!("Terraform sent no {} state to move.", req.source_type_name),
                );
                return resp;
            }
            Err(error) => {
                resp.diagnostics.add_error(
                    UNABLE,
                    format!(
                        "The {} state does not fit {}: {error}.",
                        req.source_type_name, req.target_type_name
                    ),
                );
                return resp;
            }
        };
        let mut out = MoveStateResponse {
            state: resource.schema.body().normalize(carried),
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
        let request = MoveStateRequest {
            source,
            version: req.source_schema_version,
            raw_json: req.source_state_json,
        };
        resource.implementation.move_state(request, &mut out);
        resp.diagnostics = out.diagnostics;
        if resp.diagnostics.has_error() {
            return resp;
        }
        if out.state.is_null() || !out.state.is_wholly_known() {
            resp.diagnostics.add_error(
                UNABLE,
                "The moved state is null or holds unknown values. This is a bug in the provider.",
            );
            return resp;
        }
        resp.target_state = resource.schema.body().normalize(out.state);
        resp.target_identity = identity_of(
            resource,
            &resp.target_state,
            &Value::Null,
            Answer::Move,
            &mut resp.diagnostics,
        );
        resp.target_private = out.private;
        resp
    }
}

/// Why a move from a source the resource does not list is refused, and what it does take.
fn refusal(req: &MoveResourceStateRequest<'_>, sources: &[MoveSource]) -> String {
    let asked = format!(
        "{} cannot take over {} of {}.",
        req.target_type_name, req.source_type_name, req.source_provider_address
    );
    if sources.is_empty() {
        return format!(
            "{asked} It takes over no other resource type: remove the `moved` block, and \
             `terraform import` the object instead."
        );
    }
    let listed: Vec<String> = sources
        .iter()
        .map(|s| format!("{} of {}", s.type_name, s.provider))
        .collect();
    format!("{asked} It takes over only {}.", listed.join(", "))
}

/// Schema versions in words: `0 and 1`.
fn versions(versions: &[i64]) -> String {
    let words: Vec<String> = versions.iter().map(i64::to_string).collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => words.concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestProvider, widget_identity};

    fn moving(
        address: &str,
        type_name: &str,
        version: i64,
        json: &str,
    ) -> MoveResourceStateResponse {
        let server = Server::new(TestProvider::default());
        server.move_resource_state(&MoveResourceStateRequest {
            source_provider_address: address,
            source_type_name: type_name,
            source_schema_version: version,
            source_state_json: json.as_bytes(),
            target_type_name: "test_widget",
        })
    }

    const GADGET: &str = r#"{"id":"g-1","name":"first","size":3,"colour":"red","timeouts":null}"#;

    #[test]
    fn a_listed_source_carries_same_named_attributes_into_the_conversion() {
        for address in [
            "registry.terraform.io/acme/gadgets",
            "registry.opentofu.org/acme/gadgets",
        ] {
            let moved = moving(address, "gadgets_gadget", 2, GADGET);
            assert!(moved.diagnostics.is_empty(), "{:?}", moved.diagnostics);
            let state = moved.target_state;
            assert_eq!(state.get_str("id"), Some("w-first"), "converted");
            assert_eq!(state.get_str("name"), Some("first"), "carried");
            assert_eq!(state.attr("size"), &Value::from(3i64), "carried");
            assert!(state.is_null_attr("etag"), "not in the source");
            assert_eq!(moved.target_private, b"moved");
            assert_eq!(moved.target_identity, widget_identity("first"));
        }
    }

    #[test]
    fn other_sources_versions_and_states_are_refused_with_the_reason() {
        let detail = |moved: MoveResourceStateResponse| {
            assert!(moved.target_state.is_null());
            let diagnostic = moved.diagnostics.iter().next().cloned().expect("an error");
            assert_eq!(diagnostic.summary, UNABLE);
            diagnostic.detail
        };
        let other = detail(moving(
            "registry.terraform.io/acme/gadgets",
            "gadgets_doohickey",
            2,
            GADGET,
        ));
        assert!(
            other.contains("takes over only gadgets_gadget of acme/gadgets"),
            "{other}"
        );
        let other_provider = detail(moving(
            "registry.terraform.io/other/gadgets",
            "gadgets_gadget",
            2,
            GADGET,
        ));
        assert!(other_provider.contains("other/gadgets"), "{other_provider}");
        let old = detail(moving(
            "registry.terraform.io/acme/gadgets",
            "gadgets_gadget",
            0,
            GADGET,
        ));
        assert!(old.contains("version 0 (it reads 1 and 2)"), "{old}");
        let misfit = detail(moving(
            "registry.terraform.io/acme/gadgets",
            "gadgets_gadget",
            2,
            r#"{"name":["a"]}"#,
        ));
        assert!(misfit.contains("does not fit test_widget"), "{misfit}");
        let nameless = detail(moving(
            "registry.terraform.io/acme/gadgets",
            "gadgets_gadget",
            2,
            r#"{"id":"g-2"}"#,
        ));
        assert!(nameless.contains("has no name"), "{nameless}");
    }

    #[test]
    fn resources_without_sources_say_to_import_instead() {
        let server = Server::new(TestProvider::default());
        let moved = server.move_resource_state(&MoveResourceStateRequest {
            source_provider_address: "registry.terraform.io/acme/gadgets",
            source_type_name: "gadgets_gadget",
            source_schema_version: 2,
            source_state_json: GADGET.as_bytes(),
            target_type_name: "test_plain",
        });
        let detail = &moved.diagnostics.iter().next().expect("an error").detail;
        assert!(detail.contains("terraform import"), "{detail}");
        let unknown = server.move_resource_state(&MoveResourceStateRequest {
            target_type_name: "test_gizmo",
            source_provider_address: "registry.terraform.io/acme/gadgets",
            source_type_name: "gadgets_gadget",
            source_schema_version: 2,
            source_state_json: GADGET.as_bytes(),
        });
        assert!(unknown.diagnostics.has_error());
    }
}
