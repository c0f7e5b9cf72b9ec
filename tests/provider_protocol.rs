//! The provider's tfplugin6 service over the real binary, spoken to the way Terraform speaks
//! to it: schema, provider-configuration validation and configuration, with the
//! environment fallbacks, all through go-plugin's mTLS socket.

use pb::provider_client::ProviderClient;
use terraform_plugin::codec;
use terraform_plugin::harness::{Launched, guarded};
use terraform_plugin::proto::tfplugin6 as pb;
use terraform_provider_kusto::config;
use tonic::transport::Channel;

/// Starts the provider with `env` and connects like Terraform.
async fn connect(env: &[(&str, &str)]) -> (Launched, Channel) {
    let provider = Launched::new(env!("CARGO_BIN_EXE_terraform-provider-kusto"), env).await;
    let channel = provider.channel().await;
    (provider, channel)
}

async fn finish(provider: Launched) {
    assert!(provider.shutdown().await.status.success());
}

/// The provider block with `attrs` set, as Terraform encodes it.
fn provider_block(attrs: &[(&str, &str)]) -> Option<pb::DynamicValue> {
    let schema = config::schema();
    let mut value = schema.body().empty_value();
    for (name, text) in attrs {
        value.set(name, *text);
    }
    let msgpack = codec::to_msgpack(&value, &schema.value_type()).unwrap();
    Some(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

fn attribute_name(diagnostic: &pb::Diagnostic) -> Option<&str> {
    let step = diagnostic.attribute.as_ref()?.steps.first()?;
    match step.selector.as_ref()? {
        pb::attribute_path::step::Selector::AttributeName(name) => Some(name),
        _ => None,
    }
}

#[tokio::test]
async fn serves_the_provider_schema() {
    let (provider, channel) = connect(&[]).await;
    let schema = guarded(
        "GetProviderSchema",
        ProviderClient::new(channel.clone())
            .get_provider_schema(pb::get_provider_schema::Request {}),
    )
    .await
    .unwrap()
    .into_inner();
    assert!(schema.diagnostics.is_empty());
    let block = schema.provider.unwrap().block.unwrap();
    assert_eq!(block.attributes.len(), 23);
    let secret = block
        .attributes
        .iter()
        .find(|a| a.name == "client_secret")
        .unwrap();
    assert!(secret.sensitive && secret.optional);
    assert!(secret.description.contains("ARM_CLIENT_SECRET"));
    finish(provider).await;
}

#[tokio::test]
async fn rejects_invalid_arguments_at_their_attribute() {
    let (provider, channel) = connect(&[]).await;
    let mut client = ProviderClient::new(channel.clone());
    let request = pb::validate_provider_config::Request {
        config: provider_block(&[
            ("environment", "mars"),
            ("client_secret", "not-used"),
            ("client_secret_file_path", "/dev/null"),
        ]),
    };
    let diagnostics = guarded(
        "ValidateProviderConfig",
        client.validate_provider_config(request),
    )
    .await
    .unwrap()
    .into_inner()
    .diagnostics;
    let mut names: Vec<&str> = diagnostics.iter().filter_map(attribute_name).collect();
    names.sort();
    assert_eq!(names, ["client_secret_file_path", "environment"]);
    assert!(diagnostics.iter().all(|d| !d.detail.contains("not-used")));
    finish(provider).await;
}

#[tokio::test]
async fn configures_from_arm_environment_variables() {
    let (provider, channel) = connect(&[("ARM_SUBSCRIPTION_ID", "not-a-uuid")]).await;
    let mut client = ProviderClient::new(channel.clone());
    let configure = |config| pb::configure_provider::Request {
        terraform_version: "1.0.3".to_owned(),
        config,
        client_capabilities: None,
    };
    let rejected = guarded(
        "ConfigureProvider",
        client.configure_provider(configure(provider_block(&[]))),
    )
    .await
    .unwrap()
    .into_inner();
    assert_eq!(rejected.diagnostics.len(), 1);
    assert!(
        rejected.diagnostics[0]
            .summary
            .contains("ARM_SUBSCRIPTION_ID")
    );

    let overridden = provider_block(&[("subscription_id", "00000000-0000-0000-0000-000000000001")]);
    let accepted = guarded(
        "ConfigureProvider",
        client.configure_provider(configure(overridden)),
    )
    .await
    .unwrap()
    .into_inner();
    assert!(
        accepted.diagnostics.is_empty(),
        "{:?}",
        accepted.diagnostics
    );
    finish(provider).await;
}

/// A string argument as Terraform encodes it.
fn string_argument(text: &str) -> pb::DynamicValue {
    let value = terraform_plugin::value::Value::String(text.to_owned());
    pb::DynamicValue {
        msgpack: codec::to_msgpack(&value, &terraform_plugin::value::Type::String).unwrap(),
        json: Vec::new(),
    }
}

/// The functions of Terraform 1.8+, before and without ConfigureProvider, as Terraform calls
/// them: listed in GetProviderSchema, GetMetadata and GetFunctions, called by CallFunction.
#[tokio::test]
async fn functions_are_listed_and_called_without_configuring() {
    let (provider, channel) = connect(&[]).await;
    let mut client = ProviderClient::new(channel.clone());
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<&String> = schema.functions.keys().collect();
    names.sort();
    assert_eq!(names, ["data_connection_id", "parse_data_connection_id"]);
    let parse = &schema.functions["parse_data_connection_id"];
    assert_eq!(parse.parameters[0].r#type, br#""string""#);
    let returns: serde_json::Value =
        serde_json::from_slice(&parse.r#return.as_ref().unwrap().r#type).unwrap();
    assert_eq!(returns[0], "object");
    let listed = client
        .get_functions(pb::get_functions::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.functions, schema.functions);
    let metadata = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(metadata.functions.len(), 2);

    let id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-demo/providers/microsoft.kusto/clusters/democluster/databases/demodb/dataconnections/dc1";
    let call = |name: &str, arguments: Vec<pb::DynamicValue>| pb::call_function::Request {
        name: name.to_owned(),
        arguments,
    };
    let parsed = client
        .call_function(call("parse_data_connection_id", vec![string_argument(id)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(parsed.error, None);
    let ty = terraform_plugin::value::Type::from_json(&returns).unwrap();
    let value = codec::from_msgpack(&parsed.result.unwrap().msgpack, &ty).unwrap();
    assert_eq!(value.get_str("resource_group_name"), Some("rg-demo"));
    assert_eq!(value.get_str("name"), Some("dc1"));

    let built = client
        .call_function(call(
            "data_connection_id",
            [
                "00000000-0000-0000-0000-000000000001",
                "rg-demo",
                "democluster",
                "demodb",
                "dc1",
            ]
            .map(string_argument)
            .to_vec(),
        ))
        .await
        .unwrap()
        .into_inner();
    let canonical = codec::from_msgpack(
        &built.result.unwrap().msgpack,
        &terraform_plugin::value::Type::String,
    )
    .unwrap();
    assert_eq!(
        canonical.as_str(),
        Some(
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/dc1"
        )
    );

    let refused = client
        .call_function(call(
            "parse_data_connection_id",
            vec![string_argument("/subscriptions/x")],
        ))
        .await
        .unwrap()
        .into_inner();
    let error = refused.error.unwrap();
    assert_eq!(error.function_argument, Some(0));
    assert!(
        error.text.contains("invalid Kusto data connection ID"),
        "{}",
        error.text
    );
    finish(provider).await;
}
