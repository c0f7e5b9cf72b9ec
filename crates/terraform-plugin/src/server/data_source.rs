//! Data sources: ValidateDataResourceConfig and ReadDataSource.

use super::blocks::{block_elements, matching};
use super::core::{Server, found_or_return, settle};
use super::state::StateResponse;
use super::validation::{NullRequired, validate_config};
use crate::datasource;
use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::provider::Provider;
use crate::schema::Block;
use crate::value::Value;

impl<P: Provider> Server<P> {
    /// ValidateDataResourceConfig.
    pub fn validate_data_source_config(&self, type_name: &str, config: &Value) -> Diagnostics {
        match self.data_source(type_name) {
            Ok(data_source) => validate_config(
                &data_source.schema,
                config,
                NullRequired::Refused,
                |diags| data_source.implementation.validate(config, diags),
            ),
            Err(diags) => diags,
        }
    }

    /// ReadDataSource: the data source fills in every computed attribute.
    pub async fn read_data_source(&self, type_name: &str, config: Value) -> StateResponse {
        let mut resp = StateResponse::default();
        let (data_source, provider) =
            found_or_return!(self.configured_data_source(type_name), resp);
        let mut state = config.clone();
        mark_computed_unknown(data_source.schema.body(), &config, &mut state);
        let mut out = datasource::ReadResponse {
            state,
            diagnostics: Diagnostics::new(),
        };
        let request = datasource::ReadRequest {
            config,
            provider,
            cancel: self.cancellation(),
        };
        data_source.implementation.read(request, &mut out).await;
        resp.diagnostics = out.diagnostics;
        resp.state = settle(
            &data_source.schema,
            out.state,
            &mut resp.diagnostics,
            "read",
        );
        resp
    }
}

/// Marks computed attributes that the configuration leaves null as unknown.
fn mark_computed_unknown(block: &Block, config: &Value, value: &mut Value) {
    if let Value::Object(attrs) = value {
        for attribute in block.attributes() {
            if attribute.mode().is_computed() && config.attr(attribute.name()).is_null() {
                attrs.insert(attribute.name().to_owned(), Value::Unknown);
            }
        }
    }
    for nested in block.blocks() {
        let Value::Object(attrs) = value else { return };
        let Some(current) = attrs.get_mut(nested.name()) else {
            continue;
        };
        let config = config.attr(nested.name());
        for (_, step, element) in block_elements(nested.nesting(), current, &AttributePath::root())
        {
            mark_computed_unknown(nested.block(), matching(config, &step), element);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::fixtures::configured;
    use crate::testing::object;

    #[tokio::test]
    async fn data_sources_fill_computed_attributes() {
        let server = configured().await;
        let config = object(&[("name", "abcd".into()), ("length", Value::Null)]);
        assert!(
            server
                .validate_data_source_config("test_widget_info", &config)
                .is_empty()
        );
        let read = server.read_data_source("test_widget_info", config).await;
        assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
        assert_eq!(read.state.get_i64("length"), Some(4));
    }
}
