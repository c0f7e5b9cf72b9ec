//! Signing in as pipelines and platforms do, with the real Terraform CLI against the emulator.
//!
//! For each method the variables are set exactly as the CI system or platform sets them, a
//! connection is applied, planned (no changes) and destroyed, and the emulator's request log
//! shows which grant Entra ID saw. For each way of getting a method wrong, `terraform plan`
//! fails with an error that names the setting, and no token is requested by another method.

use base64::Engine as _;
use serde_json::{Value, json};
use test_support::terraform::Workspace;
use test_support::terraform::emulator::{Emulator, LoggedRequest};
use test_support::terraform::scenario::{
    APPLY, DESTROY, PLAN, PLAN_DETAILED, config, connection, connection_id, events_json_args,
};

/// The emulator's built-in application and its second tenant.
use kusto_emulator::{
    DEFAULT_AUXILIARY_TENANT_ID, DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN,
    DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID, DEFAULT_CLIENT_ID, DEFAULT_GITHUB_REQUEST_TOKEN,
    DEFAULT_GITHUB_SUBJECT, DEFAULT_TENANT_ID,
};

/// A workspace that reaches the emulator (metadata host, CA, subscription) and signs in only
/// as `env` says: no client secret, and never the Azure CLI.
fn signing_in_with(emulator: &Emulator, env: &[(&str, String)]) -> Workspace {
    let ready = emulator.ready();
    let base = [
        ("ARM_METADATA_HOSTNAME", ready.metadata_host.clone()),
        ("ARM_SUBSCRIPTION_ID", ready.subscription_id.clone()),
        ("SSL_CERT_FILE", ready.ca_cert.clone()),
        ("ARM_USE_CLI", "false".to_owned()),
    ];
    let workspace = base
        .iter()
        .chain(env)
        .fold(Workspace::new(), |w, (key, value)| {
            w.env(key, value.clone())
        });
    workspace.config(&config(""));
    workspace.init();
    workspace
}

fn the_connection() -> String {
    connection("signed_in", "signed-in", &events_json_args())
}

/// Apply, plan (no changes) and destroy one connection; returns the token requests and the
/// ARM requests the emulator saw.
fn round_trip(emulator: &Emulator, workspace: &Workspace) -> Vec<LoggedRequest> {
    workspace.config(&config(&the_connection()));
    workspace.terraform(&APPLY).success();
    assert!(
        emulator
            .data_connection(&connection_id("signed-in"))
            .is_some()
    );
    let plan = workspace.terraform(&PLAN_DETAILED);
    assert_eq!(plan.code(), Some(0), "{}", plan.output());
    workspace.terraform(&DESTROY).success();
    assert!(emulator.data_connections().is_empty());
    emulator.requests()
}

/// The grants of the token requests in `requests`.
fn grants(requests: &[LoggedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.kind == "token")
        .map(|r| r.grant.clone().unwrap_or_default())
        .collect()
}

#[track_caller]
fn assert_only_grant(requests: &[LoggedRequest], grant: &str) {
    let seen = grants(requests);
    assert!(!seen.is_empty(), "no token request");
    assert!(seen.iter().all(|g| g == grant), "{seen:?}");
    assert!(
        requests.iter().all(|r| !r.client_secret_seen),
        "no client secret was sent"
    );
}

/// An OIDC token as GitHub Actions issues it for the built-in application's federated
/// credential (the emulator checks its claims, not the issuer's signature).
fn github_token() -> String {
    let encode = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!(
        "{}.{}.",
        encode(json!({"alg": "none", "typ": "JWT"})),
        encode(json!({
            "iss": "https://token.actions.githubusercontent.com",
            "sub": DEFAULT_GITHUB_SUBJECT,
            "aud": "api://AzureADTokenExchange",
            "iat": now, "nbf": now, "exp": now + 600,
        }))
    )
}

fn service_principal() -> Vec<(&'static str, String)> {
    vec![
        ("ARM_TENANT_ID", DEFAULT_TENANT_ID.to_owned()),
        ("ARM_CLIENT_ID", DEFAULT_CLIENT_ID.to_owned()),
    ]
}

fn with(
    mut env: Vec<(&'static str, String)>,
    more: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    env.extend(more.iter().cloned());
    env
}

/// A client certificate registered on the built-in application: (PKCS#12 bytes with
/// password `pfx-password`, PEM certificate and key).
fn registered_certificate(emulator: &Emulator) -> (Vec<u8>, String) {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["terraform".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pem = certificate.pem();
    emulator.edit_world(|world| {
        world["applications"][0]["certificates"] = json!([pem]);
    });
    let chain = PrivateKeyChain::new(
        vec![1],
        PrivateKey::from_der(&key.serialize_der()).unwrap(),
        [Certificate::from_der(certificate.der()).unwrap()],
    );
    let mut store = KeyStore::new();
    store.add_entry("terraform", KeyStoreEntry::PrivateKeyChain(chain));
    let pfx = store.writer("pfx-password").write().unwrap();
    (pfx, format!("{}{}", certificate.pem(), key.serialize_pem()))
}

#[test]
fn client_secret_file_and_client_id_file() {
    let emulator = Emulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let (secret, id) = (dir.path().join("secret"), dir.path().join("client-id"));
    std::fs::write(&secret, format!("{}\n", emulator.ready().client_secret)).unwrap();
    std::fs::write(&id, format!("{DEFAULT_CLIENT_ID}\n")).unwrap();
    let workspace = signing_in_with(
        &emulator,
        &[
            ("ARM_TENANT_ID", DEFAULT_TENANT_ID.to_owned()),
            ("ARM_CLIENT_ID_FILE_PATH", id.display().to_string()),
            ("ARM_CLIENT_SECRET_FILE_PATH", secret.display().to_string()),
        ],
    );
    let requests = round_trip(&emulator, &workspace);
    let seen = grants(&requests);
    assert!(seen.iter().all(|g| g == "client_secret"), "{seen:?}");
}

#[test]
fn client_certificate_as_pkcs12_file_base64_and_pem() {
    let emulator = Emulator::fast();
    let (pfx, pem) = registered_certificate(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let (pfx_path, pem_path) = (
        dir.path().join("terraform.pfx"),
        dir.path().join("terraform.pem"),
    );
    std::fs::write(&pfx_path, &pfx).unwrap();
    std::fs::write(&pem_path, pem).unwrap();
    let password = ("ARM_CLIENT_CERTIFICATE_PASSWORD", "pfx-password".to_owned());
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pfx);
    for certificate in [
        vec![
            (
                "ARM_CLIENT_CERTIFICATE_PATH",
                pfx_path.display().to_string(),
            ),
            password.clone(),
        ],
        vec![("ARM_CLIENT_CERTIFICATE", encoded), password.clone()],
        vec![(
            "ARM_CLIENT_CERTIFICATE_PATH",
            pem_path.display().to_string(),
        )],
    ] {
        emulator.clear_requests();
        let workspace = signing_in_with(&emulator, &with(service_principal(), &certificate));
        let requests = round_trip(&emulator, &workspace);
        assert_only_grant(&requests, "client_assertion_certificate");
        for leaked in ["pfx-password", "PRIVATE KEY"] {
            assert!(!emulator.stderr().contains(leaked));
        }
    }
}

#[test]
fn oidc_token_inline_and_aks_workload_identity() {
    let emulator = Emulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("azure-identity-token");
    std::fs::write(&token_file, github_token()).unwrap();
    let inline = signing_in_with(
        &emulator,
        &with(
            service_principal(),
            &[
                ("ARM_USE_OIDC", "true".to_owned()),
                ("ARM_OIDC_TOKEN", github_token()),
            ],
        ),
    );
    assert_only_grant(
        &round_trip(&emulator, &inline),
        "client_assertion_federated",
    );

    emulator.clear_requests();
    let aks = signing_in_with(
        &emulator,
        &[
            ("ARM_USE_AKS_WORKLOAD_IDENTITY", "true".to_owned()),
            ("AZURE_TENANT_ID", DEFAULT_TENANT_ID.to_owned()),
            ("AZURE_CLIENT_ID", DEFAULT_CLIENT_ID.to_owned()),
            (
                "AZURE_FEDERATED_TOKEN_FILE",
                token_file.display().to_string(),
            ),
        ],
    );
    assert_only_grant(&round_trip(&emulator, &aks), "client_assertion_federated");
}

#[test]
fn github_actions_oidc_as_the_runner_exports_it() {
    let emulator = Emulator::fast();
    let endpoint = emulator.ready().endpoint.trim_end_matches('/').to_owned();
    let workspace = signing_in_with(
        &emulator,
        &with(
            service_principal(),
            &[
                ("ARM_USE_OIDC", "true".to_owned()),
                (
                    "ACTIONS_ID_TOKEN_REQUEST_URL",
                    format!("{endpoint}/github/idtoken?api-version=2.0"),
                ),
                (
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                    DEFAULT_GITHUB_REQUEST_TOKEN.to_owned(),
                ),
            ],
        ),
    );
    let requests = round_trip(&emulator, &workspace);
    assert_only_grant(&requests, "client_assertion_federated");
    let asked = requests.iter().filter(|r| r.kind == "github_oidc").count();
    assert_eq!(asked, grants(&requests).len(), "one ID token per sign-in");
}

#[test]
fn azure_devops_service_connection_as_the_pipeline_exports_it() {
    let emulator = Emulator::fast();
    let endpoint = emulator.ready().endpoint.trim_end_matches('/').to_owned();
    let workspace = signing_in_with(
        &emulator,
        &with(
            service_principal(),
            &[
                ("ARM_USE_OIDC", "true".to_owned()),
                (
                    "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
                    DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID.to_owned(),
                ),
                (
                    "SYSTEM_OIDCREQUESTURI",
                    format!("{endpoint}/azure-devops/oidctoken"),
                ),
                (
                    "SYSTEM_ACCESSTOKEN",
                    DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN.to_owned(),
                ),
            ],
        ),
    );
    let requests = round_trip(&emulator, &workspace);
    assert_only_grant(&requests, "client_assertion_federated");
    assert!(requests.iter().any(|r| r.kind == "azure_devops_oidc"));
}

#[test]
fn app_service_managed_identity() {
    let emulator = Emulator::fast();
    let endpoint = emulator.ready().endpoint.trim_end_matches('/').to_owned();
    let workspace = signing_in_with(
        &emulator,
        &[
            ("ARM_USE_MSI", "true".to_owned()),
            ("IDENTITY_ENDPOINT", format!("{endpoint}/msi/token")),
            (
                "IDENTITY_HEADER",
                "kusto-emulator-identity-header".to_owned(),
            ),
        ],
    );
    let requests = round_trip(&emulator, &workspace);
    assert!(grants(&requests).is_empty(), "no Entra token request");
    assert!(requests.iter().any(|r| r.kind == "managed_identity"));
}

#[test]
fn auxiliary_tenant_tokens_go_with_every_request() {
    let emulator = Emulator::fast();
    let workspace = signing_in_with(
        &emulator,
        &with(
            service_principal(),
            &[
                ("ARM_CLIENT_SECRET", emulator.ready().client_secret.clone()),
                (
                    "ARM_AUXILIARY_TENANT_IDS",
                    DEFAULT_AUXILIARY_TENANT_ID.to_owned(),
                ),
            ],
        ),
    );
    let requests = round_trip(&emulator, &workspace);
    let tenants: Vec<&str> = requests
        .iter()
        .filter(|r| r.kind == "token")
        .filter_map(|r| r.tenant.as_deref())
        .collect();
    assert!(
        tenants.contains(&DEFAULT_TENANT_ID) && tenants.contains(&DEFAULT_AUXILIARY_TENANT_ID),
        "{tenants:?}"
    );
    let arm: Vec<&LoggedRequest> = requests.iter().filter(|r| r.is_arm()).collect();
    assert!(!arm.is_empty());
    for request in arm {
        assert_eq!(
            request.auxiliary_tenants,
            [DEFAULT_AUXILIARY_TENANT_ID],
            "{request:?}"
        );
    }
}

/// Plans the connection with `env`, which must fail naming `expected`; nothing signs in.
#[track_caller]
fn refused_at_plan(emulator: &Emulator, env: &[(&str, String)], expected: &[&str]) -> String {
    let workspace = signing_in_with(emulator, env);
    workspace.config(&config(&the_connection()));
    let plan = workspace.terraform(&PLAN).failure();
    let said = plan.stderr_text();
    for text in expected {
        assert!(said.contains(text), "{text}:\n{said}");
    }
    said
}

#[test]
fn a_method_asked_for_is_never_swapped_for_another() {
    let emulator = Emulator::fast();
    refused_at_plan(
        &emulator,
        &with(service_principal(), &[("ARM_USE_OIDC", "true".to_owned())]),
        &[
            "ARM_USE_OIDC",
            "ARM_OIDC_TOKEN",
            "ARM_OIDC_TOKEN_FILE_PATH",
            "id-token: write",
        ],
    );
    refused_at_plan(
        &emulator,
        &service_principal(),
        &["`client_id` (ARM_CLIENT_ID) is set, but nothing proves"],
    );
    refused_at_plan(
        &emulator,
        &[
            ("ARM_CLIENT_ID", DEFAULT_CLIENT_ID.to_owned()),
            ("ARM_CLIENT_SECRET", "x".to_owned()),
        ],
        &["needs `tenant_id` (ARM_TENANT_ID)"],
    );
    refused_at_plan(
        &emulator,
        &with(
            service_principal(),
            &[
                ("ARM_USE_OIDC", "true".to_owned()),
                (
                    "ACTIONS_ID_TOKEN_REQUEST_URL",
                    "https://x.example/t".to_owned(),
                ),
            ],
        ),
        &["`oidc_request_token` (ARM_OIDC_REQUEST_TOKEN"],
    );
    refused_at_plan(
        &emulator,
        &with(
            service_principal(),
            &[("ARM_CLIENT_CERTIFICATE_PATH", "/no/such.pfx".to_owned())],
        ),
        &["/no/such.pfx", "ARM_CLIENT_CERTIFICATE_PATH"],
    );
    let no_subscription = signing_in_with(
        &emulator,
        &with(
            service_principal(),
            &[
                ("ARM_CLIENT_SECRET", "x".to_owned()),
                ("ARM_SUBSCRIPTION_ID", String::new()),
            ],
        ),
    );
    no_subscription.config(&config(&the_connection()));
    let plan = no_subscription.terraform(&PLAN).failure();
    plan.assert_says("ARM_SUBSCRIPTION_ID", "the missing subscription");
    assert!(
        emulator.requests().iter().all(|r| r.kind != "token"),
        "nothing signed in"
    );
}

#[test]
fn sign_in_refusals_read_once_without_parser_debris() {
    let emulator = Emulator::fast();
    let workspace = signing_in_with(
        &emulator,
        &with(
            service_principal(),
            &[("ARM_CLIENT_SECRET", "definitely-wrong".to_owned())],
        ),
    );
    workspace.config(&config(&the_connection()));
    let apply = workspace.terraform(&APPLY).failure();
    let said = apply.stderr_text();
    assert_eq!(said.matches("AADSTS7000215").count(), 1, "{said}");
    assert_eq!(
        said.matches("Invalid client secret provided").count(),
        1,
        "{said}"
    );
    assert!(
        said.contains("Check `client_secret` (ARM_CLIENT_SECRET)"),
        "{said}"
    );
    for debris in [
        "invalid type",
        "borrowed string",
        "\\r\\n",
        "definitely-wrong",
    ] {
        assert!(!said.contains(debris), "{debris}: {said}");
    }
    assert!(emulator.data_connections().is_empty());

    let endpoint = emulator.ready().endpoint.trim_end_matches('/').to_owned();
    let wrong_request_token = signing_in_with(
        &emulator,
        &with(
            service_principal(),
            &[
                ("ARM_USE_OIDC", "true".to_owned()),
                (
                    "ACTIONS_ID_TOKEN_REQUEST_URL",
                    format!("{endpoint}/github/idtoken?api-version=2.0"),
                ),
                (
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                    "expired-request-token".to_owned(),
                ),
            ],
        ),
    );
    wrong_request_token.config(&config(&the_connection()));
    let apply = wrong_request_token.terraform(&APPLY).failure();
    apply.assert_says(
        "could not get an OIDC token from GitHub Actions",
        "who refused",
    );
    apply.assert_says("HTTP 401", "the refusal");
    assert!(!apply.stderr_text().contains("expired-request-token"));
}

#[test]
fn an_untrusted_certificate_names_ssl_cert_file() {
    let emulator = Emulator::fast();
    let workspace = signing_in_with(
        &emulator,
        &with(
            service_principal(),
            &[
                ("ARM_CLIENT_SECRET", emulator.ready().client_secret.clone()),
                ("SSL_CERT_FILE", String::new()),
            ],
        ),
    );
    workspace.config(&config(&the_connection()));
    let apply = workspace.terraform(&APPLY).failure();
    apply.assert_says("SSL_CERT_FILE", "how to trust the emulator's CA");
}
