//! Signing in as pipelines and platforms do, with the real Terraform CLI against the emulator.
//!
//! For each method the variables are set exactly as the CI system or platform sets them (the
//! values from the emulator's ready line), the quickstart is applied, planned (no changes) and
//! destroyed, and the emulator's request log shows which grant Entra ID saw. For each way of
//! getting a method wrong, Terraform fails with an error that names the setting, and no other
//! method signs in instead.

use base64::Engine as _;
use serde_json::{Value, json};
use test_support::terraform::Workspace;
use test_support::terraform::emulator::{Emulator, LoggedRequest};
use test_support::terraform::scenario::{
    APPLY, DESTROY, PLAN, PLAN_DETAILED, config, connection, connection_id, events_json_args,
};

use kusto_emulator::{DEFAULT_CLIENT_ID, DEFAULT_GITHUB_SUBJECT, DEFAULT_TENANT_ID};

/// Environment variables of a run.
type Vars = Vec<(&'static str, String)>;

/// The quickstart configuration (`examples/quickstart`), which every method applies.
const QUICKSTART: &str = include_str!("../examples/quickstart/main.tf");

/// The connection the quickstart creates.
const QUICKSTART_CONNECTION: &str = "events-from-eventhub";

/// A workspace holding the quickstart that reaches the emulator (metadata host, CA,
/// subscription) and signs in only as `vars` say: no client secret, and never the Azure CLI.
fn signing_in_with(emulator: &Emulator, vars: &[(&'static str, String)]) -> Workspace {
    let ready = emulator.ready();
    let base = [
        ("ARM_METADATA_HOSTNAME", ready.metadata_host.clone()),
        ("ARM_SUBSCRIPTION_ID", ready.subscription_id.clone()),
        ("TF_VAR_subscription_id", ready.subscription_id.clone()),
        ("SSL_CERT_FILE", ready.ca_cert.clone()),
        ("ARM_USE_CLI", "false".to_owned()),
    ];
    let workspace = base
        .iter()
        .chain(vars)
        .fold(Workspace::new(), |w, (key, value)| {
            w.env(key, value.clone())
        });
    workspace.config(QUICKSTART);
    workspace.init();
    workspace
}

/// Apply, plan (no changes) and destroy the quickstart; returns what the emulator saw.
fn round_trip(emulator: &Emulator, workspace: &Workspace) -> Vec<LoggedRequest> {
    workspace.terraform(&APPLY).success();
    assert!(
        emulator
            .data_connection(&connection_id(QUICKSTART_CONNECTION))
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

/// A round trip signed in with `vars`, every token request of which used `grant` and none a
/// client secret. Returns what the emulator saw.
#[track_caller]
fn round_trip_granted(
    emulator: &Emulator,
    vars: &[(&'static str, String)],
    grant: &str,
) -> Vec<LoggedRequest> {
    emulator.clear_requests();
    let requests = round_trip(emulator, &signing_in_with(emulator, vars));
    let seen = grants(&requests);
    assert!(
        !seen.is_empty() && seen.iter().all(|g| g == grant),
        "{seen:?}"
    );
    assert!(
        requests.iter().all(|r| !r.client_secret_seen),
        "no client secret was sent"
    );
    requests
}

/// An OIDC token as GitHub Actions issues it for the built-in application's federated
/// credential (the emulator checks its claims, not the issuer's signature).
fn github_token() -> String {
    let encode = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": "https://token.actions.githubusercontent.com",
        "sub": DEFAULT_GITHUB_SUBJECT,
        "aud": "api://AzureADTokenExchange",
        "iat": now, "nbf": now, "exp": now + 600,
    });
    format!(
        "{}.{}.",
        encode(json!({"alg": "none", "typ": "JWT"})),
        encode(claims)
    )
}

/// The built-in application, with `more`.
fn service_principal(more: &[(&'static str, String)]) -> Vars {
    let mut vars = vec![
        ("ARM_TENANT_ID", DEFAULT_TENANT_ID.to_owned()),
        ("ARM_CLIENT_ID", DEFAULT_CLIENT_ID.to_owned()),
    ];
    vars.extend(more.iter().cloned());
    vars
}

/// What a GitHub Actions job with `id-token: write` exports, with `request_token`.
fn github_actions(emulator: &Emulator, request_token: &str) -> Vars {
    service_principal(&[
        ("ARM_USE_OIDC", "true".to_owned()),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            emulator.ready().github_oidc_request_url.clone(),
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", request_token.to_owned()),
    ])
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
    emulator.edit_world(|world| world["applications"][0]["certificates"] = json!([pem]));
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
    let vars = [
        ("ARM_TENANT_ID", DEFAULT_TENANT_ID.to_owned()),
        ("ARM_CLIENT_ID_FILE_PATH", id.display().to_string()),
        ("ARM_CLIENT_SECRET_FILE_PATH", secret.display().to_string()),
    ];
    let requests = round_trip(&emulator, &signing_in_with(&emulator, &vars));
    let seen = grants(&requests);
    assert!(seen.iter().all(|g| g == "client_secret"), "{seen:?}");
}

#[test]
fn client_certificate_as_pkcs12_file_base64_and_pem() {
    let emulator = Emulator::fast();
    let (pfx, pem) = registered_certificate(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let (pfx_path, pem_path) = (dir.path().join("tf.pfx"), dir.path().join("tf.pem"));
    std::fs::write(&pfx_path, &pfx).unwrap();
    std::fs::write(&pem_path, pem).unwrap();
    let password = ("ARM_CLIENT_CERTIFICATE_PASSWORD", "pfx-password".to_owned());
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pfx);
    let (pfx_path, pem_path) = (
        pfx_path.display().to_string(),
        pem_path.display().to_string(),
    );
    for certificate in [
        vec![("ARM_CLIENT_CERTIFICATE_PATH", pfx_path), password.clone()],
        vec![("ARM_CLIENT_CERTIFICATE", encoded), password],
        vec![("ARM_CLIENT_CERTIFICATE_PATH", pem_path)],
    ] {
        let vars = service_principal(&certificate);
        round_trip_granted(&emulator, &vars, "client_assertion_certificate");
        assert!(!emulator.stderr().contains("pfx-password"));
    }
}

#[test]
fn oidc_token_inline_and_aks_workload_identity() {
    let emulator = Emulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("azure-identity-token");
    std::fs::write(&token_file, github_token()).unwrap();
    let inline = service_principal(&[
        ("ARM_USE_OIDC", "true".to_owned()),
        ("ARM_OIDC_TOKEN", github_token()),
    ]);
    round_trip_granted(&emulator, &inline, "client_assertion_federated");
    let file = service_principal(&[
        ("ARM_USE_OIDC", "true".to_owned()),
        ("ARM_OIDC_TOKEN_FILE_PATH", token_file.display().to_string()),
    ]);
    round_trip_granted(&emulator, &file, "client_assertion_federated");
    let aks = [
        ("ARM_USE_AKS_WORKLOAD_IDENTITY", "true".to_owned()),
        ("AZURE_TENANT_ID", DEFAULT_TENANT_ID.to_owned()),
        ("AZURE_CLIENT_ID", DEFAULT_CLIENT_ID.to_owned()),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            token_file.display().to_string(),
        ),
    ];
    round_trip_granted(&emulator, &aks, "client_assertion_federated");
}

#[test]
fn github_actions_and_azure_devops_oidc_as_their_jobs_export_it() {
    let emulator = Emulator::fast();
    let ready = emulator.ready().clone();
    let github = github_actions(&emulator, &ready.github_oidc_request_token);
    let requests = round_trip_granted(&emulator, &github, "client_assertion_federated");
    let asked = requests.iter().filter(|r| r.kind == "github_oidc").count();
    assert_eq!(asked, grants(&requests).len(), "one ID token per sign-in");

    let azure_devops = service_principal(&[
        ("ARM_USE_OIDC", "true".to_owned()),
        (
            "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
            ready.azure_devops_service_connection_id,
        ),
        ("SYSTEM_OIDCREQUESTURI", ready.azure_devops_oidc_request_uri),
        ("SYSTEM_ACCESSTOKEN", ready.azure_devops_access_token),
    ]);
    let requests = round_trip_granted(&emulator, &azure_devops, "client_assertion_federated");
    assert!(requests.iter().any(|r| r.kind == "azure_devops_oidc"));
}

#[test]
fn app_service_managed_identity() {
    let emulator = Emulator::fast();
    let endpoint = emulator.ready().endpoint.trim_end_matches('/').to_owned();
    let vars = [
        ("ARM_USE_MSI", "true".to_owned()),
        ("IDENTITY_ENDPOINT", format!("{endpoint}/msi/token")),
        (
            "IDENTITY_HEADER",
            "kusto-emulator-identity-header".to_owned(),
        ),
    ];
    let requests = round_trip(&emulator, &signing_in_with(&emulator, &vars));
    assert!(grants(&requests).is_empty(), "no Entra token request");
    assert!(requests.iter().any(|r| r.kind == "managed_identity"));
}

#[test]
fn auxiliary_tenant_tokens_go_with_every_request() {
    let emulator = Emulator::fast();
    let auxiliary = emulator.ready().auxiliary_tenant_ids[0].clone();
    let vars = service_principal(&[
        ("ARM_CLIENT_SECRET", emulator.ready().client_secret.clone()),
        ("ARM_AUXILIARY_TENANT_IDS", auxiliary.clone()),
    ]);
    let requests = round_trip(&emulator, &signing_in_with(&emulator, &vars));
    let tenants: Vec<&str> = requests
        .iter()
        .filter(|r| r.kind == "token")
        .filter_map(|r| r.tenant.as_deref())
        .collect();
    assert!(tenants.contains(&DEFAULT_TENANT_ID), "{tenants:?}");
    assert!(tenants.contains(&auxiliary.as_str()), "{tenants:?}");
    let arm: Vec<&LoggedRequest> = requests.iter().filter(|r| r.is_arm()).collect();
    assert!(!arm.is_empty());
    for request in arm {
        assert_eq!(
            request.auxiliary_tenants,
            [auxiliary.as_str()],
            "{request:?}"
        );
    }
}

#[test]
fn a_method_asked_for_is_never_swapped_for_another() {
    let emulator = Emulator::fast();
    let oidc_without_token = service_principal(&[("ARM_USE_OIDC", "true".to_owned())]);
    let request_without_token = service_principal(&[
        ("ARM_USE_OIDC", "true".to_owned()),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "https://x.example/t".to_owned(),
        ),
    ]);
    let no_certificate =
        service_principal(&[("ARM_CLIENT_CERTIFICATE_PATH", "/no/such.pfx".to_owned())]);
    let no_tenant = vec![
        ("ARM_CLIENT_ID", DEFAULT_CLIENT_ID.to_owned()),
        ("ARM_CLIENT_SECRET", "x".to_owned()),
    ];
    let no_subscription = service_principal(&[
        ("ARM_CLIENT_SECRET", "x".to_owned()),
        ("ARM_SUBSCRIPTION_ID", String::new()),
    ]);
    let aks_without_token_file = vec![
        ("ARM_USE_AKS_WORKLOAD_IDENTITY", "true".to_owned()),
        ("AZURE_TENANT_ID", DEFAULT_TENANT_ID.to_owned()),
        ("AZURE_CLIENT_ID", DEFAULT_CLIENT_ID.to_owned()),
    ];
    let cases: [(Vars, &[&str]); 7] = [
        (
            oidc_without_token,
            &[
                "ARM_USE_OIDC",
                "ARM_OIDC_TOKEN",
                "ARM_OIDC_TOKEN_FILE_PATH",
                "id-token: write",
            ],
        ),
        (
            request_without_token,
            &["`oidc_request_token` (ARM_OIDC_REQUEST_TOKEN"],
        ),
        (
            no_certificate,
            &["/no/such.pfx", "ARM_CLIENT_CERTIFICATE_PATH"],
        ),
        (
            service_principal(&[]),
            &["`client_id` (ARM_CLIENT_ID) is set, but nothing proves"],
        ),
        (no_tenant, &["needs `tenant_id` (ARM_TENANT_ID)"]),
        (no_subscription, &["No subscription", "ARM_SUBSCRIPTION_ID"]),
        (
            aks_without_token_file,
            &[
                "`use_aks_workload_identity` (ARM_USE_AKS_WORKLOAD_IDENTITY) is set, but no OIDC token",
            ],
        ),
    ];
    for (vars, expected) in cases {
        let plan = signing_in_with(&emulator, &vars).terraform(&PLAN).failure();
        for text in expected {
            plan.assert_says(text, "the setting to fix");
        }
    }
    let signed_in: Vec<LoggedRequest> = emulator.requests();
    assert!(
        signed_in.iter().all(|r| r.kind != "token"),
        "nothing signed in"
    );
}

#[test]
fn sign_in_refusals_read_once_without_parser_debris() {
    let emulator = Emulator::fast();
    let wrong_secret = service_principal(&[("ARM_CLIENT_SECRET", "definitely-wrong".to_owned())]);
    let two_connections = signing_in_with(&emulator, &wrong_secret);
    let both = ["first", "second"].map(|name| connection(name, name, &events_json_args()));
    two_connections.config(&config(&both.join("\n")));
    let apply = two_connections.terraform(&APPLY).failure();
    let said = apply.stderr_text();
    let token_requests = emulator
        .requests()
        .iter()
        .filter(|r| r.kind == "token")
        .count();
    assert_eq!(token_requests, 1, "a refused sign-in is not asked again");
    assert_eq!(said.matches("AADSTS7000215").count(), 1, "{said}");
    assert_eq!(
        said.matches("Invalid client secret provided").count(),
        1,
        "{said}"
    );
    apply.assert_says("Cannot sign in to Azure", "the summary");
    apply.assert_says("Check `client_secret` (ARM_CLIENT_SECRET)", "what to check");
    for debris in [
        "invalid type",
        "borrowed string",
        "\\r\\n",
        "definitely-wrong",
    ] {
        assert!(!said.contains(debris), "{debris}: {said}");
    }
    assert!(emulator.data_connections().is_empty());

    let (_, pem) = registered_certificate(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let unregistered = dir.path().join("unregistered.pem");
    std::fs::write(&unregistered, pem).unwrap();
    emulator.edit_world(|world| world["applications"][0]["certificates"] = json!([]));
    let vars = service_principal(&[(
        "ARM_CLIENT_CERTIFICATE_PATH",
        unregistered.display().to_string(),
    )]);
    let apply = signing_in_with(&emulator, &vars)
        .terraform(&APPLY)
        .failure();
    apply.assert_says("AADSTS700027", "Entra's code");
    apply.assert_says(
        "its certificate must be one registered on the application",
        "what to check",
    );

    let ready = emulator.ready().clone();
    let unknown_connection = service_principal(&[
        ("ARM_USE_OIDC", "true".to_owned()),
        (
            "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
            "not-a-connection".to_owned(),
        ),
        ("SYSTEM_OIDCREQUESTURI", ready.azure_devops_oidc_request_uri),
        ("SYSTEM_ACCESSTOKEN", ready.azure_devops_access_token),
    ]);
    let apply = signing_in_with(&emulator, &unknown_connection)
        .terraform(&APPLY)
        .failure();
    apply.assert_says(
        "could not get an OIDC token from Azure DevOps",
        "who refused",
    );
    apply.assert_says("HTTP 404", "the refusal");

    let wrong_request_token = github_actions(&emulator, "expired-request-token");
    let apply = signing_in_with(&emulator, &wrong_request_token)
        .terraform(&APPLY)
        .failure();
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
    let vars = service_principal(&[
        ("ARM_CLIENT_SECRET", emulator.ready().client_secret.clone()),
        ("SSL_CERT_FILE", String::new()),
    ]);
    let apply = signing_in_with(&emulator, &vars)
        .terraform(&APPLY)
        .failure();
    apply.assert_says("Cannot connect to Azure", "the summary");
    apply.assert_says("SSL_CERT_FILE", "how to trust the emulator's CA");
    assert!(emulator.data_connections().is_empty());
}

/// `az` on PATH: `tests/sign_in/fake_az.py`, which answers as the Azure CLI does, with tokens
/// the emulator issues to its built-in application. Returns the directory (keep it alive) and
/// the variables that point the stand-in at `emulator`.
fn azure_cli(emulator: &Emulator) -> (tempfile::TempDir, Vars) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let az = dir.path().join("az");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sign_in/fake_az.py"),
        &az,
    )
    .unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ready = emulator.ready();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let vars = vec![
        ("PATH", path),
        ("ARM_USE_CLI", String::new()),
        (
            "FAKE_AZ_AUTHORITY",
            ready.endpoint.trim_end_matches('/').to_owned(),
        ),
        ("FAKE_AZ_CA", ready.ca_cert.clone()),
        ("FAKE_AZ_TENANT", ready.tenant_id.clone()),
        ("FAKE_AZ_CLIENT_ID", ready.client_id.clone()),
        ("FAKE_AZ_CLIENT_SECRET", ready.client_secret.clone()),
        ("FAKE_AZ_SUBSCRIPTION", ready.subscription_id.clone()),
    ];
    (dir, vars)
}

#[test]
fn the_azure_cli_signs_in_and_gives_the_subscription_when_nothing_is_set() {
    let emulator = Emulator::fast();
    let (_az, mut vars) = azure_cli(&emulator);
    vars.push(("ARM_SUBSCRIPTION_ID", String::new()));
    let requests = round_trip(&emulator, &signing_in_with(&emulator, &vars));
    assert!(requests.iter().any(|r| r.is_arm()));
    assert!(grants(&requests).iter().all(|g| g == "client_secret"));
}

#[test]
fn a_failing_azure_cli_says_which_methods_were_not_tried() {
    let emulator = Emulator::fast();
    let (_az, mut vars) = azure_cli(&emulator);
    vars.push(("FAKE_AZ_LOGGED_OUT", "1".to_owned()));
    let apply = signing_in_with(&emulator, &vars)
        .terraform(&APPLY)
        .failure();
    for said in [
        "az login",
        "No sign-in method was configured, so the Azure CLI was tried",
        "client certificate: neither `client_certificate_path`",
        "client secret: neither `client_secret` (ARM_CLIENT_SECRET)",
        "OIDC: `use_oidc` (ARM_USE_OIDC) is not true",
        "managed identity: `use_msi` (ARM_USE_MSI) is not true",
    ] {
        apply.assert_says(said, "the methods not tried");
    }

    vars.push(("ARM_SUBSCRIPTION_ID", String::new()));
    let plan = signing_in_with(&emulator, &vars).terraform(&PLAN).failure();
    plan.assert_says("No subscription", "the missing subscription at plan time");
    plan.assert_says("ARM_SUBSCRIPTION_ID", "where to set it");
    assert!(emulator.data_connections().is_empty());
}
