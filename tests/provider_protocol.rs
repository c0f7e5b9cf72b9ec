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
