//! The emulator's Entra side against a client we did not write: the Rust `azure_identity`
//! credentials (client secret, and workload identity with a federated token file), pointed
//! at the emulator only through their documented options.

mod emulator;

use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, RetryOptions, Transport};
use azure_identity::{
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use emulator::*;
use serde_json::json;

fn client_options(emu: &Emulator) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = emu.endpoint().to_owned();
    ClientOptions {
        cloud: Some(Arc::new(CloudConfiguration::from(cloud))),
        transport: Some(Transport::new(Arc::new(emu.client().clone()))),
        retry: RetryOptions::none(),
        ..Default::default()
    }
}

async fn token_works_against_arm(emu: &mut Emulator, credential: &dyn TokenCredential) {
    let token = credential
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .unwrap();
    emu.token = token.token.secret().to_owned();
    let (status, _) = emu.get_json(&format!("{DB}/dataConnections?{V2025}")).await;
    assert_eq!(status, 200);
    let tokens = emu
        .requests()
        .await
        .iter()
        .filter(|e| e["kind"] == "token")
        .count();
    assert_eq!(tokens, 1);
}

#[tokio::test]
async fn azure_identity_client_secret_credential() {
    let mut emu = Emulator::start(&[]).await;
    let options = ClientSecretCredentialOptions {
        client_options: client_options(&emu),
    };
    let credential = ClientSecretCredential::new(
        TENANT,
        CLIENT_ID.to_owned(),
        Secret::new(SECRET),
        Some(options),
    )
    .unwrap();
    token_works_against_arm(&mut emu, credential.as_ref()).await;

    let wrong = ClientSecretCredential::new(
        TENANT,
        CLIENT_ID.to_owned(),
        Secret::new("wrong"),
        Some(ClientSecretCredentialOptions {
            client_options: client_options(&emu),
        }),
    )
    .unwrap();
    let error = wrong
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("AADSTS7000215"), "{error}");
    assert!(
        !error.to_string().contains("wrong"),
        "the secret is not echoed: {error}"
    );
}

#[tokio::test]
async fn azure_identity_workload_identity_credential() {
    let mut emu = Emulator::start(&[]).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let payload = json!({"iss": "https://token.actions.githubusercontent.com",
        "sub": "repo:example/kusto:environment:emulator", "aud": "api://AzureADTokenExchange",
        "iat": now, "exp": now + 600});
    let jwt = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("federated-token");
    std::fs::write(&token_file, jwt).unwrap();
    let options = WorkloadIdentityCredentialOptions {
        credential_options: ClientAssertionCredentialOptions {
            client_options: client_options(&emu),
        },
        client_id: Some(CLIENT_ID.to_owned()),
        tenant_id: Some(TENANT.to_owned()),
        token_file_path: Some(token_file),
    };
    let credential = WorkloadIdentityCredential::new(Some(options)).unwrap();
    token_works_against_arm(&mut emu, credential.as_ref()).await;
}
