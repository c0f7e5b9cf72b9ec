//! GenerateResourceConfig (Terraform 1.14): the configuration `terraform plan
//! -generate-config-out` writes for an imported object, as a person would write it.
//!
//! From the state, the framework leaves out (nulls) what no configuration sets or what
//! would only repeat a default: attributes only the provider sets, deprecated and sensitive
//! attributes (a secret is never written to a file), an optional-and-computed `id`, empty
//! optional strings, values equal to the schema's default, and nested blocks such as
//! `timeouts`. The resource then refines the result ([`Resource::generate_config`]). Terraform
//! omits null optional-and-computed attributes from the file, and the plan after the import
//! stays empty because those attributes keep their state.
//!
//! [`Resource::generate_config`]: crate::resource::Resource::generate_config

use super::core::{Server, found_or_return};
use crate::diag::Diagnostics;
use crate::provider::Provider;
use crate::schema::Mode;
use crate::value::Value;

/// The generated configuration.
#[derive(Debug, Default)]
pub struct GenerateResourceConfigResponse {
    /// The configuration; null when there are errors.
    pub config: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

impl<P: Provider> Server<P> {
    /// The configuration for an object of `type_name` in `state`.
    pub fn generate_resource_config(
        &self,
        type_name: &str,
        state: &Value,
    ) -> GenerateResourceConfigResponse {
        let mut resp = GenerateResourceConfigResponse::default();
        let resource = found_or_return!(self.resource(type_name), resp);
        let body = resource.schema.body();
        let mut config = body.empty_value();
        for attribute in body.attributes() {
            let value = state.attr(attribute.name());
            let left_out = attribute.mode() == Mode::Computed
                || attribute.deprecation().is_some()
                || attribute.is_sensitive()
                || (attribute.name() == "id" && attribute.mode() == Mode::OptionalComputed)
                || value.as_str() == Some("")
                || attribute.default_value() == Some(value);
            if !left_out {
                config.set(attribute.name(), value.clone());
            }
        }
        resource.implementation.generate_config(&mut config);
        resp.config = config;
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestProvider, object};

    #[test]
    fn the_configuration_holds_what_a_person_would_write() {
        let server = Server::new(TestProvider::default());
        let texts = [
            ("id", "w-1"),
            ("name", "first"),
            ("tier", "basic"),
            ("etag", "e-1"),
            ("legacy", "old"),
            ("pin", "1234"),
            ("shape", "round"),
        ];
        let state = object(&texts.map(|(name, text)| (name, Value::from(text))));
        let generated = server.generate_resource_config("test_widget", &state);
        assert!(
            generated.diagnostics.is_empty(),
            "{:?}",
            generated.diagnostics
        );
        let config = generated.config;
        assert_eq!(config.attr("name"), &Value::from("first"));
        assert_eq!(config.attr("shape"), &Value::from("round"));
        for left_out in ["id", "etag", "tier", "legacy", "pin", "timeouts"] {
            assert!(config.attr(left_out).is_null(), "{left_out}: {config:?}");
        }
        let empty = object(&[("name", "first".into()), ("shape", "".into())]);
        let generated = server.generate_resource_config("test_widget", &empty);
        assert!(generated.config.attr("shape").is_null());
        let unknown = server.generate_resource_config("test_gadget", &state);
        assert!(unknown.diagnostics.has_error());
    }
}
