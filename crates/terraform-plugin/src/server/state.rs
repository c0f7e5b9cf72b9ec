//! The RPCs on stored state: ReadResource (refresh), ImportResourceState (by id, or by
//! identity with Terraform 1.12) and UpgradeResourceState. Private state is echoed unless
//! the resource changes it; the identity of every state is the framework's (see `identity`).

use super::core::{RegisteredResource, Server, found_or_return, settle, time_limits};
use super::identity::{Answer, identity_of};
use crate::codec;
use crate::diag::Diagnostics;
use crate::identity::describe;
use crate::provider::Provider;
use crate::resource::{
    ImportIdentityRequest, ImportRequest, ImportResponse, ReadRequest, ReadResponse,
    UpgradeStateRequest, UpgradeStateResponse,
};
use crate::value::Value;

/// ReadResource output.
#[derive(Debug, Clone, Default)]
pub struct ReadResourceResponse {
    /// The refreshed state; null if the object is gone.
    pub new_state: Value,
    /// Private data to store with it.
    pub private: Vec<u8>,
    /// Its identity; null without an object or an identity schema.
    pub new_identity: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// ImportResourceState output.
#[derive(Debug, Clone, Default)]
pub struct ImportResourceStateResponse {
    /// The imported state, if the import succeeded.
    pub state: Option<Value>,
    /// Private data for it.
    pub private: Vec<u8>,
    /// Its identity, when the imported state already tells it; else null, and the read
    /// that follows gives it.
    pub identity: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// UpgradeResourceState and ReadDataSource output: one value plus diagnostics.
#[derive(Debug, Clone, Default)]
pub struct StateResponse {
    /// The resulting value.
    pub state: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

impl<P: Provider> Server<P> {
    /// UpgradeResourceState: a state of the current version is decoded as is (attributes
    /// missing from it become null, attributes the schema no longer has are dropped);
    /// older versions go through the resource's upgrade.
    pub fn upgrade_resource_state(
        &self,
        type_name: &str,
        version: i64,
        raw_json: &[u8],
        has_flatmap: bool,
    ) -> StateResponse {
        let mut resp = StateResponse::default();
        let resource = found_or_return!(self.resource(type_name), resp);
        let current = resource.schema.version();
        if raw_json.is_empty() {
            let detail = if has_flatmap {
                "The state was written by Terraform before 0.12 (flatmap format), which this \
                 provider cannot read. Upgrade it with an older Terraform release first."
            } else {
                "Terraform sent no stored state to upgrade."
            };
            resp.diagnostics
                .add_error("Unable to Upgrade Resource State", detail);
            return resp;
        }
        if version > current {
            resp.diagnostics.add_error(
                "Unable to Upgrade Resource State",
                format!(
                    "The state was written by schema version {version}, newer than this \
                     provider's version {current}. Use a newer provider release."
                ),
            );
            return resp;
        }
        let state = if version == current {
            match codec::from_json(raw_json, &resource.value_type) {
                Ok(state) => state,
                Err(error) => {
                    resp.diagnostics.add_error(
                        "Unable to Read Stored State",
                        format!("The stored state does not match the schema: {error}."),
                    );
                    return resp;
                }
            }
        } else {
            let mut out = UpgradeStateResponse {
                state: Value::Null,
                diagnostics: Diagnostics::new(),
            };
            let request = UpgradeStateRequest { version, raw_json };
            resource.implementation.upgrade_state(request, &mut out);
            resp.diagnostics = out.diagnostics;
            out.state
        };
        if resp.diagnostics.has_error() {
            return resp;
        }
        if state.is_null() || !state.is_wholly_known() {
            resp.diagnostics.add_error(
                "Unable to Upgrade Resource State",
                "The upgraded state is null or holds unknown values. This is a bug in the provider.",
            );
            return resp;
        }
        resp.state = resource.schema.body().normalize(state);
        resp
    }

    /// ReadResource: refreshes a state; private data is echoed unless the resource
    /// changes it. `current_identity` is the identity Terraform holds (null if none): the
    /// refreshed object's must be the same.
    pub async fn read_resource(
        &self,
        type_name: &str,
        state: Value,
        private: Vec<u8>,
        current_identity: Value,
    ) -> ReadResourceResponse {
        let mut resp = ReadResourceResponse {
            new_state: state.clone(),
            private: private.clone(),
            new_identity: current_identity.clone(),
            diagnostics: Diagnostics::new(),
        };
        if state.is_null() {
            return resp;
        }
        let (resource, provider) = found_or_return!(self.configured_resource(type_name), resp);
        let mut out = ReadResponse {
            state: state.clone(),
            private: private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let request = ReadRequest {
            timeout: time_limits(&*resource.implementation, &state).read,
            state,
            private,
            provider,
            cancel: self.cancellation(),
        };
        resource.implementation.read(request, &mut out).await;
        resp.diagnostics = out.diagnostics;
        resp.private = out.private;
        resp.new_state = if out.state.is_null() {
            Value::Null
        } else {
            settle(&resource.schema, out.state, &mut resp.diagnostics, "read")
        };
        resp.new_identity = identity_of(
            resource,
            &resp.new_state,
            &current_identity,
            Answer::Read,
            &mut resp.diagnostics,
        );
        resp
    }

    /// ImportResourceState by id: the resource turns the id into the identifying state
    /// that Terraform then reads.
    pub fn import_resource_state(&self, type_name: &str, id: &str) -> ImportResourceStateResponse {
        let mut resp = ImportResourceStateResponse::default();
        let (resource, provider) = found_or_return!(self.configured_resource(type_name), resp);
        let mut out = empty_import(resource);
        resource.implementation.import(
            ImportRequest {
                id,
                provider: &*provider,
            },
            &mut out,
        );
        imported(resource, out, resp)
    }

    /// ImportResourceState by identity (`import { identity = {...} }`, Terraform 1.12): the
    /// identity is checked against the identity schema, the resource turns it into the
    /// identifying state, and that state's identity must agree with every value given.
    pub fn import_resource_by_identity(
        &self,
        type_name: &str,
        identity: &Value,
    ) -> ImportResourceStateResponse {
        const INVALID: &str = "Invalid Import Identity";
        let mut resp = ImportResourceStateResponse::default();
        let (resource, provider) = found_or_return!(self.configured_resource(type_name), resp);
        let Some(schema) = &resource.identity else {
            resp.diagnostics.add_error(
                INVALID,
                format!("The resource type {type_name} has no identity: import it by id instead."),
            );
            return resp;
        };
        for attribute in schema.attributes() {
            let value = identity.attr(attribute.name());
            if value.is_null() && attribute.is_required_for_import() {
                resp.diagnostics.add_error(
                    INVALID,
                    format!(
                        "The identity attribute {:?} is required to import a {type_name}.",
                        attribute.name()
                    ),
                );
            }
        }
        let given = match schema.complete(identity.clone()) {
            Ok(given) => given,
            Err(problem) if !resp.diagnostics.has_error() => {
                resp.diagnostics.add_error(
                    INVALID,
                    format!("The identity is not one of a {type_name}: {problem}."),
                );
                return resp;
            }
            Err(_) => return resp,
        };
        let mut out = empty_import(resource);
        resource.implementation.import_by_identity(
            ImportIdentityRequest {
                identity: &given,
                provider: &*provider,
            },
            &mut out,
        );
        let mut resp = imported(resource, out, resp);
        if resp.state.is_none() {
            return resp;
        }
        let differing: Vec<String> = schema
            .attributes()
            .iter()
            .map(|a| a.name())
            .filter(|&name| {
                let wanted = given.attr(name);
                !wanted.is_null() && resp.identity.attr(name) != wanted
            })
            .map(ToOwned::to_owned)
            .collect();
        if resp.identity.is_null() || !differing.is_empty() {
            resp.diagnostics.add_error(
                "Unexpected Identity Change",
                format!(
                    "Importing {type_name} by the identity {} produced an object whose identity \
                     is {}{}. This is a bug in the provider.",
                    describe(&given),
                    describe(&resp.identity),
                    if differing.is_empty() {
                        String::new()
                    } else {
                        format!(" (differing in {})", differing.join(", "))
                    }
                ),
            );
            resp.state = None;
            resp.identity = Value::Null;
        }
        resp
    }
}

/// What an import starts with: every attribute null.
fn empty_import<C>(resource: &RegisteredResource<C>) -> ImportResponse {
    ImportResponse {
        state: resource.schema.body().empty_value(),
        private: Vec::new(),
        diagnostics: Diagnostics::new(),
    }
}

/// `resp` answering with the import `out`, held to the rules of any state (not null, wholly
/// known), with its identity.
fn imported<C>(
    resource: &RegisteredResource<C>,
    out: ImportResponse,
    mut resp: ImportResourceStateResponse,
) -> ImportResourceStateResponse {
    resp.diagnostics = out.diagnostics;
    if resp.diagnostics.has_error() {
        return resp;
    }
    if out.state.is_null() || !out.state.is_wholly_known() {
        resp.diagnostics.add_error(
            "Import produced no usable state",
            "The imported state is null or holds unknown values. This is a bug in the provider.",
        );
        return resp;
    }
    let state = resource.schema.body().normalize(out.state);
    resp.identity = identity_of(
        resource,
        &state,
        &Value::Null,
        Answer::Import,
        &mut resp.diagnostics,
    );
    resp.state = Some(state);
    resp.private = out.private;
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::fixtures::{configured, created};
    use crate::testing::{object, widget_identity};

    /// The one error's detail, when the import failed.
    fn refused(resp: &ImportResourceStateResponse) -> String {
        assert!(resp.state.is_none());
        assert_eq!(resp.identity, Value::Null);
        assert_eq!(resp.diagnostics.len(), 1, "{:?}", resp.diagnostics);
        resp.diagnostics
            .iter()
            .next()
            .expect("an error")
            .detail
            .clone()
    }

    #[tokio::test]
    async fn import_by_identity_builds_the_state_of_that_identity() {
        let server = configured().await;
        for given in [
            object(&[("name", "w1".into())]),
            object(&[("id", "w-w1".into()), ("name", "w1".into())]),
        ] {
            let imported = server.import_resource_by_identity("test_widget", &given);
            assert!(
                imported.diagnostics.is_empty(),
                "{:?}",
                imported.diagnostics
            );
            let state = imported.state.unwrap();
            assert_eq!(state.get_str("id"), Some("w-w1"));
            assert_eq!(state.get_str("name"), Some("w1"));
            assert_eq!(imported.private, b"by identity");
            assert_eq!(imported.identity, widget_identity("w1"));
        }
    }

    #[tokio::test]
    async fn import_by_identity_refuses_identities_that_do_not_name_one_object() {
        let server = configured().await;
        let nameless =
            server.import_resource_by_identity("test_widget", &object(&[("id", "w-a".into())]));
        assert_eq!(
            refused(&nameless),
            r#"The identity attribute "name" is required to import a test_widget."#
        );
        let import = |identity: &[(&str, Value)]| {
            refused(&server.import_resource_by_identity("test_widget", &object(identity)))
        };
        let odd = import(&[("name", "w1".into()), ("colour", "red".into())]);
        assert!(odd.contains("colour is not declared"), "{odd}");
        let other = import(&[("id", "w-other".into()), ("name", "w1".into())]);
        assert!(
            other.contains(r#"whose identity is {id = "w-w1", name = "w1"} (differing in id)"#),
            "{other}"
        );
        assert_eq!(import(&[("name", "".into())]), "expected a name");
        let plain =
            server.import_resource_by_identity("test_plain", &object(&[("id", "x".into())]));
        let detail = refused(&plain);
        assert!(detail.contains("has no identity"), "{detail}");
    }

    #[tokio::test]
    async fn read_echoes_private_and_drops_vanished_objects() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let read = server
            .read_resource("test_widget", state.clone(), b"p".to_vec(), Value::Null)
            .await;
        assert_eq!(read.new_state, state);
        assert_eq!(read.private, b"p");

        let gone = created(&server, "gone").await;
        let read = server
            .read_resource("test_widget", gone, Vec::new(), Value::Null)
            .await;
        assert!(read.diagnostics.is_empty());
        assert_eq!(read.new_state, Value::Null);
    }

    #[tokio::test]
    async fn import_uses_the_resource_or_explains_it_is_unsupported() {
        let server = configured().await;
        let imported = server.import_resource_state("test_widget", "w-w1");
        let state = imported.state.unwrap();
        assert_eq!(state.get_str("name"), Some("w1"));
        assert!(state.is_null_attr("timeouts"));
        assert!(state.is_null_attr("etag"));
        assert_eq!(imported.identity, widget_identity("w1"));

        let bad = server.import_resource_state("test_widget", "nope");
        assert!(bad.state.is_none() && bad.diagnostics.has_error());

        let unsupported = server.import_resource_state("test_plain", "x");
        assert!(unsupported.state.is_none());
        assert_eq!(
            unsupported.diagnostics.iter().next().unwrap().summary,
            "Resource Import Not Implemented"
        );
    }

    #[tokio::test]
    async fn upgrade_decodes_current_states_and_upgrades_old_ones() {
        let server = configured().await;
        let current = server.upgrade_resource_state(
            "test_widget",
            1,
            br#"{"id":"w-a","name":"a","size":3,"dropped_attribute":true}"#,
            false,
        );
        assert!(current.diagnostics.is_empty(), "{:?}", current.diagnostics);
        assert_eq!(current.state.get_str("id"), Some("w-a"));
        assert!(
            current.state.is_null_attr("etag"),
            "missing attributes become null"
        );

        let old =
            server.upgrade_resource_state("test_widget", 0, br#"{"id":"w-a","title":"a"}"#, false);
        assert!(old.diagnostics.is_empty(), "{:?}", old.diagnostics);
        assert_eq!(old.state.get_str("name"), Some("a"));

        let newer = server.upgrade_resource_state("test_widget", 2, b"{}", false);
        assert!(newer.diagnostics.has_error());
        let flatmap = server.upgrade_resource_state("test_widget", 1, b"", true);
        assert!(
            flatmap
                .diagnostics
                .iter()
                .next()
                .unwrap()
                .detail
                .contains("flatmap")
        );
        let unsupported = server.upgrade_resource_state("test_plain", 0, br#"{"id":"x"}"#, false);
        assert!(unsupported.diagnostics.is_empty());
    }
}
