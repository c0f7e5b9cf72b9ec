//! The provider's tfplugin6 service over the real binary, spoken to the way Terraform speaks
//! to it: schema, provider-configuration validation and configuration, with the
//! environment fallbacks, functions, generated configuration, and resource identity (the
//! RPCs of Terraform 1.12, which no Terraform on these machines speaks) and list resources
//! (Terraform 1.14's, against an emulator process), all through go-plugin's mTLS socket.

use std::collections::BTreeMap;

use pb::provider_client::ProviderClient;
use terraform_plugin::codec;
use terraform_plugin::harness::{Launched, guarded};
use terraform_plugin::proto::tfplugin6 as pb;
use terraform_plugin::value::{Type, Value};
use terraform_provider_kusto::config;
use test_support::emulator::EmulatorProcess;
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
    let ty = resource_type(&schema);
    let config = codec::from_msgpack(&generated.config.unwrap().msgpack, &ty).unwrap();
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

const DATA_CONNECTION: &str = "kusto_eventhub_data_connection";

/// The value type of a block as GetProviderSchema describes it.
fn block_type(block: &pb::schema::Block) -> Type {
    use pb::schema::nested_block::NestingMode;
    let attributes = block.attributes.iter().map(|a| {
        let ty: serde_json::Value = serde_json::from_slice(&a.r#type).unwrap();
        (a.name.clone(), Type::from_json(&ty).unwrap())
    });
    let blocks = block.block_types.iter().map(|nested| {
        let inner = block_type(nested.block.as_ref().unwrap());
        let ty = match NestingMode::try_from(nested.nesting).unwrap() {
            NestingMode::List => Type::list(inner),
            NestingMode::Set => Type::set(inner),
            NestingMode::Map => Type::map(inner),
            NestingMode::Single | NestingMode::Group | NestingMode::Invalid => inner,
        };
        (nested.type_name.clone(), ty)
    });
    Type::Object(attributes.chain(blocks).collect())
}

/// The data connection's value type, from GetProviderSchema's answer.
fn resource_type(schema: &pb::get_provider_schema::Response) -> Type {
    block_type(
        schema.resource_schemas[DATA_CONNECTION]
            .block
            .as_ref()
            .unwrap(),
    )
}

/// The identity type GetResourceIdentitySchemas describes.
fn identity_type(schema: &pb::ResourceIdentitySchema) -> Type {
    Type::Object(
        schema
            .identity_attributes
            .iter()
            .map(|a| {
                let ty: serde_json::Value = serde_json::from_slice(&a.r#type).unwrap();
                (a.name.clone(), Type::from_json(&ty).unwrap())
            })
            .collect(),
    )
}

/// An identity of the data connection `dc1`, with `changes` made to it.
fn identity(changes: &[(&str, &str)]) -> Value {
    let mut names = BTreeMap::from([
        ("subscription_id", "00000000-0000-0000-0000-000000000001"),
        ("resource_group_name", "rg-demo"),
        ("cluster_name", "democluster"),
        ("database_name", "demodb"),
        ("name", "dc1"),
    ]);
    names.extend(changes.iter().copied());
    Value::Object(
        names
            .into_iter()
            .map(|(name, text)| (name.to_owned(), Value::from(text)))
            .collect(),
    )
}

/// `value` as Terraform sends it, typed `ty`.
fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: codec::to_msgpack(value, ty).unwrap(),
        json: Vec::new(),
    })
}

/// Resource identity (Terraform 1.12) as Terraform asks for it: the identity schema right after
/// GetProviderSchema, then (configured) an `import { identity = {...} }`, an import by id, a
/// refused identity, a plan and a stored identity to upgrade. No call reaches Azure.
#[tokio::test]
async fn serves_resource_identity() {
    let (provider, channel) = connect(&[]).await;
    let mut client = ProviderClient::new(channel.clone());
    let (_, schema) = metadata_and_schema(&mut client).await;
    let identities = client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(identities.diagnostics, []);
    let names: Vec<&String> = identities.identity_schemas.keys().collect();
    assert_eq!(names, [DATA_CONNECTION]);
    let identity_schema = &identities.identity_schemas[DATA_CONNECTION];
    assert_eq!(identity_schema.version, 0);
    let attributes: Vec<(&str, &[u8], bool, bool)> = identity_schema
        .identity_attributes
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.r#type.as_slice(),
                a.required_for_import,
                a.optional_for_import,
            )
        })
        .collect();
    let string = &br#""string""#[..];
    assert_eq!(
        attributes,
        [
            ("subscription_id", string, true, false),
            ("resource_group_name", string, true, false),
            ("cluster_name", string, true, false),
            ("database_name", string, true, false),
            ("name", string, true, false),
        ]
    );
    assert!(
        identity_schema
            .identity_attributes
            .iter()
            .all(|a| !a.description.is_empty())
    );
    let identity_ty = identity_type(identity_schema);
    let identity_data = |value: &Value| {
        Some(pb::ResourceIdentityData {
            identity_data: dynamic(value, &identity_ty),
        })
    };
    let identity_in = |data: Option<pb::ResourceIdentityData>| {
        let value = data.and_then(|d| d.identity_data).expect("an identity");
        codec::from_msgpack(&value.msgpack, &identity_ty).unwrap()
    };

    let configured = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.12.0".to_owned(),
            config: provider_block(&[("subscription_id", "00000000-0000-0000-0000-000000000001")]),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(configured.diagnostics, []);
    let ty = resource_type(&schema);
    let import = |id: &str, identity| pb::import_resource_state::Request {
        type_name: DATA_CONNECTION.to_owned(),
        id: id.to_owned(),
        identity,
        ..Default::default()
    };

    let other = identity(&[("subscription_id", "00000000-0000-0000-0000-000000000002")]);
    let by_identity = client
        .import_resource_state(import("", identity_data(&other)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_identity.diagnostics, []);
    let imported = &by_identity.imported_resources[0];
    let state = codec::from_msgpack(&imported.state.as_ref().unwrap().msgpack, &ty).unwrap();
    assert_eq!(
        state.get_str("id"),
        Some(
            "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/dc1"
        )
    );
    assert_eq!(identity_in(imported.identity.clone()), other);

    let by_id = client
        .import_resource_state(import(
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-demo/providers/microsoft.kusto/Clusters/democluster/Databases/demodb/DataConnections/dc1",
            None,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_id.diagnostics, []);
    assert_eq!(
        identity_in(by_id.imported_resources[0].identity.clone()),
        identity(&[])
    );

    let refused = client
        .import_resource_state(import(
            "",
            identity_data(&identity(&[("cluster_name", "")])),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(refused.imported_resources.is_empty());
    assert_eq!(refused.diagnostics.len(), 1);
    assert!(
        refused.diagnostics[0]
            .detail
            .contains(r#"attribute "cluster_name" is empty"#),
        "{:?}",
        refused.diagnostics
    );

    let config = codec::from_json(
        serde_json::json!({
            "name": "dc1",
            "resource_group_name": "rg-demo",
            "location": "westeurope",
            "cluster_name": "democluster",
            "database_name": "demodb",
            "eventhub_id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events",
            "consumer_group": "$Default",
            // Planned without Azure: no preflight validation.
            "skip_preflight_validation": true,
        })
        .to_string()
        .as_bytes(),
        &ty,
    )
    .unwrap();
    let planned = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: DATA_CONNECTION.to_owned(),
            proposed_new_state: dynamic(&config, &ty),
            config: dynamic(&config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(planned.diagnostics, []);
    assert_eq!(identity_in(planned.planned_identity), identity(&[]));

    let upgrade = |json: &str| pb::upgrade_resource_identity::Request {
        type_name: DATA_CONNECTION.to_owned(),
        version: 0,
        raw_identity: Some(pb::RawState {
            json: json.as_bytes().to_vec(),
            flatmap: Default::default(),
        }),
    };
    let stored = serde_json::to_string(&serde_json::json!({
        "subscription_id": "00000000-0000-0000-0000-000000000001",
        "resource_group_name": "rg-demo",
        "cluster_name": "democluster",
        "database_name": "demodb",
        "name": "dc1",
    }))
    .unwrap();
    let upgraded = client
        .upgrade_resource_identity(upgrade(&stored))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(upgraded.diagnostics, []);
    assert_eq!(identity_in(upgraded.upgraded_identity), identity(&[]));
    let none_stored = client
        .upgrade_resource_identity(upgrade(""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(none_stored.diagnostics, []);
    assert_eq!(none_stored.upgraded_identity, None);
    finish(provider).await;
}

/// List resources (Terraform 1.14's `terraform query`) as Terraform asks for them, against
/// an emulator process that pages lists two entries at a time: the list schema, a refused
/// configuration, then more connections than fit a page, streamed with their identities and
/// states.
#[tokio::test]
async fn lists_data_connections_across_pages() {
    let emulator = EmulatorProcess::start(&[
        "--page-size",
        "2",
        "--lro-seconds",
        "0",
        "--retry-after",
        "0",
    ]);
    let ready = emulator.ready();
    let mut connections = serde_json::Map::new();
    for name in ["dc1", "dc2", "dc3", "dc4", "dc5"] {
        let key = format!(
            "/subscriptions/{}/resourcegroups/rg-demo/providers/microsoft.kusto/clusters/democluster/databases/demodb/dataconnections/{name}",
            ready.subscription_id
        );
        connections.insert(
            key,
            serde_json::json!({
                "names": {"subscriptionId": ready.subscription_id, "resourceGroup": "rg-demo",
                          "cluster": "democluster", "database": "demodb",
                          "name": name},
                "location": "West Europe",
                "kind": "EventHub",
                "provisioningState": "Succeeded",
                "properties": {
                    "eventHubResourceId": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events",
                    "consumerGroup": "$Default",
                    "tableName": "Events",
                    "dataFormat": "JSON",
                    "eventSystemProperties": [],
                    "compression": "None"
                }
            }),
        );
    }
    let patch = serde_json::json!({ "data_connections": connections });
    let (status, body) = emulator
        .admin_json(reqwest::Method::PATCH, "/world", Some(&patch))
        .await;
    assert!(status.is_success(), "{status}: {body}");

    let env = [
        ("ARM_METADATA_HOSTNAME", ready.metadata_host.as_str()),
        ("ARM_TENANT_ID", ready.tenant_id.as_str()),
        ("ARM_SUBSCRIPTION_ID", ready.subscription_id.as_str()),
        ("ARM_CLIENT_ID", ready.client_id.as_str()),
        ("ARM_CLIENT_SECRET", ready.client_secret.as_str()),
        ("SSL_CERT_FILE", ready.ca_cert.as_str()),
    ];
    let (provider, channel) = connect(&env).await;
    let mut client = ProviderClient::new(channel.clone());
    let (metadata, schema) = metadata_and_schema(&mut client).await;
    assert_eq!(metadata.list_resources[0].type_name, DATA_CONNECTION);
    let list_ty = block_type(
        schema.list_resource_schemas[DATA_CONNECTION]
            .block
            .as_ref()
            .unwrap(),
    );
    let identities = client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    let identity_ty = identity_type(&identities.identity_schemas[DATA_CONNECTION]);
    let list_config = |database: &str| {
        let mut config = Value::Object(
            [
                "resource_group_name",
                "cluster_name",
                "database_name",
                "subscription_id",
            ]
            .into_iter()
            .map(|name| (name.to_owned(), Value::Null))
            .collect(),
        );
        config.set("resource_group_name", "rg-demo");
        config.set("cluster_name", "democluster");
        config.set("database_name", database);
        dynamic(&config, &list_ty)
    };

    let refused = client
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: DATA_CONNECTION.to_owned(),
            config: list_config(" demodb"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.diagnostics.len(), 1, "{:?}", refused.diagnostics);
    assert_eq!(
        attribute_name(&refused.diagnostics[0]),
        Some("database_name")
    );

    let configured = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.14.0".to_owned(),
            config: provider_block(&[]),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(configured.diagnostics, []);
    let mut stream = client
        .list_resource(pb::list_resource::Request {
            type_name: DATA_CONNECTION.to_owned(),
            config: list_config("demodb"),
            include_resource_object: true,
            limit: 4,
        })
        .await
        .unwrap()
        .into_inner();
    let ty = resource_type(&schema);
    let mut found = Vec::new();
    while let Some(event) = stream.message().await.unwrap() {
        assert_eq!(event.diagnostic, [], "{}", event.display_name);
        let identity = event.identity.and_then(|i| i.identity_data).unwrap();
        let identity = codec::from_msgpack(&identity.msgpack, &identity_ty).unwrap();
        let state = codec::from_msgpack(&event.resource_object.unwrap().msgpack, &ty).unwrap();
        assert_eq!(identity.get_str("name"), state.get_str("name"));
        assert_eq!(state.get_str("location"), Some("westeurope"));
        found.push(event.display_name);
    }
    assert_eq!(
        found,
        [
            "democluster/demodb/dc1",
            "democluster/demodb/dc2",
            "democluster/demodb/dc3",
            "democluster/demodb/dc4",
        ],
        "the limit of 4, over two pages"
    );
    let listed_pages = emulator
        .requests()
        .await
        .iter()
        .filter(|r| r["method"] == "GET" && r["kind"] == "arm")
        .count();
    assert_eq!(listed_pages, 2, "the third page is not asked for");
    finish(provider).await;
}
