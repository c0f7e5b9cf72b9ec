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

/// GetMetadata's and GetProviderSchema's answers.
async fn metadata_and_schema(
    client: &mut ProviderClient<Channel>,
) -> (
    pb::get_metadata::Response,
    pb::get_provider_schema::Response,
) {
    let metadata = client.get_metadata(pb::get_metadata::Request {}).await;
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await;
    (metadata.unwrap().into_inner(), schema.unwrap().into_inner())
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
    let (metadata, schema) = metadata_and_schema(&mut client).await;
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

/// GenerateResourceConfig (Terraform 1.14): the configuration of an imported connection
/// leaves out what Azure sets and what repeats a default.
#[tokio::test]
async fn generated_configuration_leaves_out_what_azure_sets_and_defaults() {
    let (provider, channel) = connect(&[]).await;
    let mut client = ProviderClient::new(channel.clone());
    let (metadata, schema) = metadata_and_schema(&mut client).await;
    assert!(
        metadata
            .server_capabilities
            .unwrap()
            .generate_resource_config
    );
    let state = serde_json::json!({
        "id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/dc1",
        "name": "dc1",
        "resource_group_name": "rg-demo",
        "location": "West Europe",
        "cluster_name": "democluster",
        "database_name": "demodb",
        "eventhub_id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events",
        "consumer_group": "$Default",
        "table_name": "Events",
        "compression": "None",
        "database_routing_type": "Single",
        "event_system_properties": [],
        "retrieval_start_date": "2026-12-08T00:00:00Z",
        "provisioning_state": "Succeeded",
    });
    let generated = client
        .generate_resource_config(pb::generate_resource_config::Request {
            type_name: "kusto_eventhub_data_connection".to_owned(),
            state: Some(pb::DynamicValue {
                msgpack: Vec::new(),
                json: state.to_string().into_bytes(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(generated.diagnostics, []);
    let block = schema.resource_schemas["kusto_eventhub_data_connection"]
        .block
        .clone()
        .unwrap();
    let attributes = block.attributes.iter().map(|a| {
        let ty: serde_json::Value = serde_json::from_slice(&a.r#type).unwrap();
        (
            a.name.clone(),
            terraform_plugin::value::Type::from_json(&ty).unwrap(),
        )
    });
    let mut types: std::collections::BTreeMap<_, _> = attributes.collect();
    for nested in &block.block_types {
        let ty = match nested.nesting {
            n if n == pb::schema::nested_block::NestingMode::List as i32 => {
                terraform_plugin::value::Type::list(terraform_plugin::value::Type::Dynamic)
            }
            _ => terraform_plugin::value::Type::Dynamic,
        };
        types.insert(nested.type_name.clone(), ty);
    }
    let config = codec::from_msgpack(
        &generated.config.unwrap().msgpack,
        &terraform_plugin::value::Type::Object(types),
    )
    .unwrap();
    for kept in [
        "name",
        "location",
        "consumer_group",
        "table_name",
        "eventhub_id",
    ] {
        assert!(!config.attr(kept).is_null(), "{kept} is written");
    }
    for left_out in [
        "id",
        "provisioning_state",
        "compression",
        "database_routing_type",
        "event_system_properties",
        "retrieval_start_date",
        "skip_preflight_validation",
    ] {
        assert!(config.attr(left_out).is_null(), "{left_out} is left out");
    }
    finish(provider).await;
}
