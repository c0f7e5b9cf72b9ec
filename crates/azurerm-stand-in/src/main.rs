//! `terraform-provider-azurerm`, a stand-in for HashiCorp's azurerm provider in the tests of
//! a `moved` block from `azurerm_kusto_eventhub_data_connection`.
//!
//! Terraform loads the schema of every provider a state mentions, so a state written by
//! azurerm needs a provider installed at azurerm's address before it can be moved. This one
//! serves, for that one resource type, the schema azurerm 5.2.0 has (read from its
//! `terraform providers schema -json` output in `testdata/azurerm/`), and holds state
//! without managing anything: it is built from our framework by the tests, never shipped.

use std::process::ExitCode;

use serde_json::Value as Json;
use terraform_plugin::diag::Diagnostics;
use terraform_plugin::host::{self, Mode};
use terraform_plugin::proto6;
use terraform_plugin::provider::{ConfigureRequest, Provider};
use terraform_plugin::resource::{
    CreateRequest, CreateResponse, DeleteRequest, DeleteResponse, ReadRequest, ReadResponse,
    Resource, ResourceHandle, UpdateRequest, UpdateResponse,
};
use terraform_plugin::schema::{Attribute, Block, NestedBlock, Schema};
use terraform_plugin::value::Type;

/// azurerm 5.2.0's schema for the resource, as `terraform providers schema -json` prints it.
const SCHEMA_JSON: &str =
    include_str!("../../../testdata/azurerm/azurerm-5.2.0-eventhub-data-connection-schema.json");

/// The provider: no settings.
struct AzurermStandIn;

impl Provider for AzurermStandIn {
    type Data = ();

    fn type_name(&self) -> &'static str {
        "azurerm"
    }

    fn schema(&self) -> Schema {
        Schema::new(0)
    }

    async fn configure(&self, _req: ConfigureRequest) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn resources(&self) -> Vec<ResourceHandle<()>> {
        vec![ResourceHandle::new(DataConnection)]
    }
}

/// `azurerm_kusto_eventhub_data_connection`: its state is kept as it is; anything that
/// would change an object is refused.
struct DataConnection;

impl DataConnection {
    fn refuse(diags: &mut Diagnostics) {
        diags.add_error(
            "A stand-in provider",
            "This azurerm is a test stand-in that only holds state for a move; it manages nothing.",
        );
    }
}

impl Resource<()> for DataConnection {
    fn type_name(&self) -> &'static str {
        "azurerm_kusto_eventhub_data_connection"
    }

    fn schema(&self) -> Schema {
        let json: Json = serde_json::from_str(SCHEMA_JSON).expect("the schema fixture is JSON");
        let body = &json["schema"]["block"];
        let mut schema = Schema::new(json["schema"]["version"].as_i64().unwrap_or(0));
        for (name, attribute) in entries(&body["attributes"]) {
            schema = schema.attribute(self::attribute(name, attribute));
        }
        for (name, nested) in entries(&body["block_types"]) {
            let mut block = Block::new();
            for (name, attribute) in entries(&nested["block"]["attributes"]) {
                block = block.attribute(self::attribute(name, attribute));
            }
            schema = schema.block(NestedBlock::single(name, block));
        }
        schema
    }

    async fn create(&self, _req: CreateRequest<()>, resp: &mut CreateResponse) {
        resp.state = terraform_plugin::value::Value::Null;
        Self::refuse(&mut resp.diagnostics);
    }

    async fn read(&self, _req: ReadRequest<()>, _resp: &mut ReadResponse) {}

    async fn update(&self, req: UpdateRequest<()>, resp: &mut UpdateResponse) {
        resp.state = req.state;
        Self::refuse(&mut resp.diagnostics);
    }

    async fn delete(&self, _req: DeleteRequest<()>, resp: &mut DeleteResponse) {
        Self::refuse(&mut resp.diagnostics);
    }
}

/// The members of a JSON object (none for anything else).
fn entries(json: &Json) -> impl Iterator<Item = (&String, &Json)> {
    json.as_object().into_iter().flatten()
}

/// An attribute in Terraform's JSON schema format: a string or a list of strings (all this
/// resource has), required, optional, computed or both of the last two.
fn attribute(name: &str, json: &Json) -> Attribute {
    let ty = match json["type"].as_str() {
        Some("string") => Type::String,
        _ => Type::List(Box::new(Type::String)),
    };
    let flag = |key: &str| json[key].as_bool().unwrap_or(false);
    let attribute = Attribute::new(name, ty);
    match (flag("required"), flag("optional"), flag("computed")) {
        (true, _, _) => attribute.required(),
        (_, true, true) => attribute.optional_computed(),
        (_, false, true) => attribute.computed(),
        _ => attribute,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    host::logging::init("azurerm", &[]);
    match host::serve(proto6::provider_routes(AzurermStandIn), Mode::Managed).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use terraform_plugin::schema::Mode as AttributeMode;

    #[test]
    fn the_schema_is_azurerms() {
        let schema = DataConnection.schema();
        assert_eq!(schema.version(), 1);
        let body = schema.body();
        assert_eq!(body.attributes().len(), 16);
        let mode = |name: &str| body.attribute_named(name).expect(name).mode();
        assert_eq!(mode("eventhub_id"), AttributeMode::Required);
        assert_eq!(mode("identity_id"), AttributeMode::Optional);
        assert_eq!(
            mode("event_system_properties"),
            AttributeMode::OptionalComputed
        );
        assert_eq!(body.blocks()[0].name(), "timeouts");
        assert!(schema.check_resource().is_ok());
    }
}
