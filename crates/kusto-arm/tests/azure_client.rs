//! The ARM client against the real emulator binary: authentication through a metadata host and
//! an extra CA, the data-connection life cycle with long-running operations, listing a
//! cluster's databases and connections page by page, the shared token cache, throttling,
//! failed operations, a busy cluster, one owner per name, and creates whose answer was lost
//! (looked up before they are sent again).

mod azure;

use std::time::{Duration, Instant};

use azure::{Emulator, ctx};
use kusto_arm::{
    AssertionSource, Client, ClientConfig, Cloud, Credential, DataConnection, DataConnectionId,
    Error, EventHubSettings, Secret,
};
use serde_json::json;

const CHILD_ENV: &str = "AZURE_CLIENT_TEST_CHILD_INFO";

/// Emulator flags: operations take a second, and Azure asks to be polled every second.
const POLLED_EVERY_SECOND: [&str; 4] = ["--lro-seconds", "1", "--retry-after", "1"];

#[tokio::test]
async fn client_secret_auth_through_metadata_host() {
    let emulator = Emulator::instant();
    let client = emulator.client().await;
    let found = client
        .data_connections()
        .get(&ctx(), &emulator.id("absent"))
        .await
        .unwrap();
    assert_eq!(found, None);

    let kinds: Vec<String> = emulator
        .requests()
        .await
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(kinds, ["metadata", "token", "arm"]);
    let token = &emulator.requests_of_kind("token").await[0];
    assert_eq!(
        token["client_secret_seen"], true,
        "signed in with the secret"
    );
}

#[tokio::test]
async fn every_data_connection_of_a_cluster_is_listed_page_by_page() {
    let emulator = Emulator::start(&[
        "--lro-seconds",
        "0",
        "--retry-after",
        "0",
        "--page-size",
        "1",
    ]);
    emulator.add_database("emptydb").await;
    for name in ["a", "b", "c"] {
        emulator.put(name).await.unwrap();
    }
    let client = emulator.client().await;
    let cluster = emulator.id("a").cluster().clone();

    let mut databases = client.databases().list(&cluster);
    let mut listed = Vec::new();
    while let Some(page) = databases.next_page(&ctx()).await.unwrap() {
        assert_eq!(page.len(), 1, "one entry a page");
        for database in page {
            assert_eq!(database.kind, "ReadWrite");
            let mut connections = client.data_connections().list(&database.id);
            while let Some(page) = connections.next_page(&ctx()).await.unwrap() {
                listed.extend(page.into_iter().map(|connection| match connection {
                    DataConnection::EventHub(hub) => {
                        format!("{}/{}", database.id.database, hub.name)
                    }
                    other => panic!("{other:?}"),
                }));
            }
        }
    }
    assert_eq!(listed, ["demodb/a", "demodb/b", "demodb/c"]);

    let lists: Vec<String> = emulator
        .requests_of_kind("arm")
        .await
        .iter()
        .filter(|r| r["method"] == "GET")
        .filter_map(|r| {
            let path = r["path"].as_str()?;
            let listed = path.rsplit('/').next()?;
            ["databases", "dataConnections"]
                .contains(&listed)
                .then(|| format!("{listed} {}", r["status"]))
        })
        .collect();
    // Two pages of databases; three of demodb's connections, one (empty) of emptydb's.
    let expected = [
        "databases 200",
        "dataConnections 200",
        "dataConnections 200",
        "dataConnections 200",
        "databases 200",
        "dataConnections 200",
    ];
    assert_eq!(lists, expected);
}

/// In a child run (see [`run_in_child`]), the emulator's start-up info.
fn child_info() -> Option<azure::Ready> {
    let info = std::env::var(CHILD_ENV).ok()?;
    Some(serde_json::from_str(&info).unwrap())
}

/// Re-runs test `name` of this binary in a child process with `envs` added, because some
/// settings are read from the environment and a test cannot change its own.
async fn run_in_child(name: &str, emulator: &Emulator, envs: &[(&str, &std::ffi::OsStr)]) {
    let output = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--quiet"])
        .env(CHILD_ENV, emulator.ready_line())
        .envs(envs.iter().copied())
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "the child run of {name} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A read through a client built from `credential` in a child process.
async fn child_reads_with(info: azure::Ready, credential: Credential) {
    let config = ClientConfig::new(credential, Cloud::MetadataHost(info.metadata_host));
    let client = Client::connect(config, &ctx()).await.unwrap();
    let id = DataConnectionId::new(
        info.subscription_id,
        "rg-demo",
        "democluster",
        "demodb",
        "absent",
    );
    assert_eq!(
        client.data_connections().get(&ctx(), &id).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn ssl_cert_file_is_trusted_on_top_of_platform_roots() {
    if let Some(info) = child_info() {
        let credential = Credential::ClientSecret {
            tenant_id: info.tenant_id.clone(),
            client_id: info.client_id.clone(),
            secret: Secret::new(info.client_secret.clone()),
        };
        child_reads_with(info, credential).await;
        return;
    }
    let emulator = Emulator::instant();

    // Without the CA the TLS failure is reported, naming the certificate problem.
    let mut untrusted = emulator.config();
    untrusted.extra_ca_file = None;
    let err = Client::connect(untrusted, &ctx()).await.unwrap_err();
    assert!(matches!(err, Error::Connect(_)), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );

    run_in_child(
        "ssl_cert_file_is_trusted_on_top_of_platform_roots",
        &emulator,
        &[("SSL_CERT_FILE", emulator.ca_file().as_os_str())],
    )
    .await;
}

#[tokio::test]
async fn app_service_managed_identity_from_the_environment() {
    if let Some(info) = child_info() {
        let credential = Credential::ManagedIdentity {
            client_id: None,
            endpoint: None,
        };
        child_reads_with(info, credential).await;
        return;
    }
    let emulator = Emulator::instant();
    let endpoint = format!(
        "{}/msi/token",
        emulator.info().endpoint.trim_end_matches('/')
    );
    run_in_child(
        "app_service_managed_identity_from_the_environment",
        &emulator,
        &[
            ("SSL_CERT_FILE", emulator.ca_file().as_os_str()),
            ("IDENTITY_ENDPOINT", endpoint.as_ref()),
            ("IDENTITY_HEADER", "kusto-emulator-identity-header".as_ref()),
        ],
    )
    .await;
    assert_eq!(emulator.requests_of_kind("managed_identity").await.len(), 1);
}

#[tokio::test]
async fn managed_identity_through_msi_endpoint() {
    let emulator = Emulator::instant();
    let endpoint = emulator.info().endpoint.trim_end_matches('/');
    emulator
        .read_absent_as(Credential::ManagedIdentity {
            client_id: None,
            endpoint: Some(
                format!("{endpoint}/metadata/identity/oauth2/token")
                    .parse()
                    .unwrap(),
            ),
        })
        .await;
    assert_eq!(emulator.requests_of_kind("managed_identity").await.len(), 1);
    assert!(emulator.requests_of_kind("token").await.is_empty());
}

/// An unsigned OIDC token as GitHub Actions would issue it for the emulator's federated
/// credential (the emulator checks claims, not the issuer's signature).
fn github_oidc_token() -> String {
    use base64::Engine;
    let encode = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    format!(
        "{}.{}.",
        encode(json!({"alg": "none", "typ": "JWT"})),
        encode(json!({"iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:example/kusto:environment:emulator",
            "aud": "api://AzureADTokenExchange", "exp": exp}))
    )
}

#[tokio::test]
async fn oidc_token_inline_and_from_a_file() {
    let emulator = Emulator::instant();
    let federated = |token| Credential::Federated {
        tenant_id: emulator.info().tenant_id.clone(),
        client_id: emulator.info().client_id.clone(),
        token,
    };
    emulator
        .read_absent_as(federated(AssertionSource::Token(Secret::new(
            github_oidc_token(),
        ))))
        .await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("oidc-token");
    std::fs::write(&file, github_oidc_token()).unwrap();
    emulator
        .read_absent_as(federated(AssertionSource::TokenFile(file)))
        .await;
    let tokens = emulator.requests_of_kind("token").await;
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens.iter().all(|t| t["client_secret_seen"] == false),
        "signed in with the OIDC token, not a secret: {tokens:?}"
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_reported_without_the_secret() {
    let emulator = Emulator::instant();
    let mut config = emulator.config();
    config.credential = Credential::ClientSecret {
        tenant_id: emulator.info().tenant_id.clone(),
        client_id: emulator.info().client_id.clone(),
        secret: Secret::new("definitely-wrong-secret"),
    };
    let client = Client::connect(config, &ctx()).await.unwrap();
    let err = client
        .data_connections()
        .get(&ctx(), &emulator.id("absent"))
        .await
        .unwrap_err();
    let Error::SignIn(refusal) = &err else {
        panic!("expected Entra's refusal, got {err}");
    };
    let answer = &refusal.answer;
    assert_eq!(answer.code.as_deref(), Some("AADSTS7000215"));
    assert!(
        answer
            .message
            .starts_with("Invalid client secret provided."),
        "{err}"
    );
    let said = err.to_string();
    assert!(!said.contains("definitely-wrong-secret"), "{said}");
    assert_eq!(said.matches("Invalid client secret").count(), 1, "{said}");
}

#[tokio::test]
async fn data_connection_life_cycle_with_long_running_operations() {
    let emulator = Emulator::start(&["--lro-seconds", "2", "--retry-after", "1"]);
    let client = emulator.client().await;
    let ops = client.data_connections();
    let id = emulator.id("lifecycle");

    let started = Instant::now();
    let created = ops
        .create_or_update(&ctx(), &id, &emulator.settings())
        .await
        .unwrap();
    let create_time = started.elapsed();
    assert!(
        create_time >= Duration::from_secs(2),
        "waited for the operation: {create_time:?}"
    );
    assert_eq!(created.provisioning_state.as_deref(), Some("Succeeded"));
    assert_eq!(created.id, id.to_string(), "canonical id despite re-casing");
    assert_eq!(created.settings.table_name.as_deref(), Some("Events"));

    let polls = emulator.requests_of_kind("poll").await.len() as u64;
    assert!(polls >= 1, "the create was polled");
    assert!(
        polls <= create_time.as_secs() + 1,
        "{polls} polls in {create_time:?} with Retry-After 1"
    );

    let Some(DataConnection::EventHub(read)) = ops.get(&ctx(), &id).await.unwrap() else {
        panic!("the connection exists");
    };
    assert_eq!(
        read.settings.mapping_rule_name.as_deref(),
        Some("events_json")
    );

    let mut changed = emulator.settings();
    changed.mapping_rule_name = Some("events_csv".into());
    changed.data_format = Some("CSV".into());
    changed.event_system_properties = vec!["x-opt-enqueued-time".into()];
    let updated = ops.create_or_update(&ctx(), &id, &changed).await.unwrap();
    assert_eq!(
        updated.settings.mapping_rule_name.as_deref(),
        Some("events_csv")
    );
    assert!(
        updated
            .settings
            .data_format
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case("CSV"))
    );
    assert_eq!(
        updated.settings.event_system_properties,
        ["x-opt-enqueued-time"]
    );

    ops.delete(&ctx(), &id).await.unwrap();
    assert_eq!(ops.get(&ctx(), &id).await.unwrap(), None);
    ops.delete(&ctx(), &id).await.unwrap();
    assert_eq!(emulator.requests_of_kind("token").await.len(), 1);
}

#[tokio::test]
async fn twenty_parallel_operations_make_one_token_request() {
    let emulator = Emulator::instant();
    let client = emulator.client().await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let client = client.clone();
            let id = emulator.id(&format!("parallel-{i}"));
            let settings = emulator.settings();
            tokio::spawn(async move {
                client
                    .data_connections()
                    .create_or_update(&ctx(), &id, &settings)
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(emulator.requests_of_kind("token").await.len(), 1);
}

#[tokio::test]
async fn throttling_is_retried_after_retry_after() {
    let throttled = first_put(json!({"type": "status", "status": 429, "retry_after": 1}));
    let instant = ["--lro-seconds", "0", "--retry-after", "0"];
    let emulator = Emulator::with_faults(&instant, json!([throttled])).await;
    let started = Instant::now();
    emulator.put("throttled").await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    let puts: Vec<u64> = emulator
        .requests()
        .await
        .iter()
        .filter(|r| r["method"] == "PUT")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(puts[0], 429);
    assert!(puts[1] == 200 || puts[1] == 201, "{puts:?}");
}

#[tokio::test]
async fn failed_operation_is_surfaced_verbatim() {
    let failing = json!([{"method": "PUT", "path": "*/dataConnections/*",
        "action": {"type": "lro", "outcome": "Failed", "code": "EventHubValidationErorFound",
                   "message": "[BadRequest] Validation Errors found: table does not exist"}}]);
    let emulator = Emulator::with_faults(&POLLED_EVERY_SECOND, failing).await;
    let err = emulator.put("doomed").await.unwrap_err();
    assert!(err.resource_may_exist(), "{err}");
    let Error::Accepted(inner) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        **inner,
        Error::Lro {
            status: "Failed".into(),
            code: "EventHubValidationErorFound".into(),
            message: "[BadRequest] Validation Errors found: table does not exist".into(),
        }
    );
}

/// Creates `name` with the default settings outside the client under test, as another writer
/// on the same cluster would.
async fn put_as_another_writer(emulator: &Emulator, name: &str) -> DataConnectionId {
    let id = emulator.id(name);
    let body = json!({"kind": "EventHub", "location": "westeurope", "properties": {
        "eventHubResourceId": emulator.settings().event_hub_resource_id,
        "consumerGroup": "$Default", "tableName": "Events", "mappingRuleName": "events_json",
        "dataFormat": "JSON"}});
    let status = emulator.raw_put(&id, &body).await;
    assert!(status.is_success(), "{status}");
    id
}

#[tokio::test]
async fn busy_cluster_conflict_is_waited_out() {
    let emulator = Emulator::start(&["--lro-seconds", "2", "--retry-after", "1"]);
    // Another writer (not the client below, so not serialised by it) starts an operation.
    put_as_another_writer(&emulator, "other-writer").await;

    let created = emulator.put("patient").await.unwrap();
    assert_eq!(created.provisioning_state.as_deref(), Some("Succeeded"));
    let statuses: Vec<u64> = emulator
        .requests()
        .await
        .iter()
        .filter(|r| r["method"] == "PUT" && r["path"].as_str().unwrap().ends_with("/patient"))
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses.first(), Some(&409), "{statuses:?}");
    assert!(
        statuses.last().is_some_and(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn validation_reports_missing_table() {
    let emulator = Emulator::instant();
    let client = emulator.client().await;
    let mut settings = emulator.settings();
    settings.table_name = Some("NoSuchTable".into());
    let errors = client
        .data_connections()
        .validate(&ctx(), &emulator.id("check"), &settings)
        .await
        .unwrap();
    assert!(
        errors.iter().any(|e| e.contains("table does not exist")),
        "{errors:?}"
    );
    let ok = client
        .data_connections()
        .validate(&ctx(), &emulator.id("check"), &emulator.settings())
        .await
        .unwrap();
    assert!(ok.is_empty(), "{ok:?}");
}

#[tokio::test]
async fn dropped_connections_and_token_outages_are_retried() {
    let outages = json!([
        {"path": "*/oauth2/v2.0/token", "times": 1, "action": {"type": "status", "status": 503}},
        {"method": "GET", "path": "*/operationResults/*", "times": 1, "action": {"type": "drop"}}
    ]);
    let emulator = Emulator::with_faults(&POLLED_EVERY_SECOND, outages).await;
    let created = emulator.put("resilient").await.unwrap();
    assert_eq!(created.provisioning_state.as_deref(), Some("Succeeded"));
    let log = emulator.requests().await;
    let statuses = |kind: &str| -> Vec<u64> {
        log.iter()
            .filter(|r| r["kind"] == kind)
            .map(|r| r["status"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(statuses("token"), [503, 200]);
    assert_eq!(
        statuses("poll").first(),
        Some(&0),
        "the first poll lost its connection"
    );
    assert_eq!(statuses("poll").last(), Some(&200));
}

/// The ARM requests to data connection `name` as `METHOD status` lines, in order.
async fn writes_to(emulator: &Emulator, name: &str) -> Vec<String> {
    emulator
        .requests_of_kind("arm")
        .await
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.to_ascii_lowercase().ends_with(&format!("/{name}")))
        })
        .map(|r| format!("{} {}", r["method"].as_str().unwrap(), r["status"]))
        .collect()
}

/// Creates `name` with fault `rule` installed; returns the writes the emulator saw and the
/// emulator.
async fn create_under(
    rule: serde_json::Value,
    name: &str,
    lro_seconds: &str,
) -> (Vec<String>, Emulator) {
    let flags = ["--lro-seconds", lro_seconds, "--retry-after", "1"];
    let emulator = Emulator::with_faults(&flags, json!([rule])).await;
    let client = emulator.client().await;
    let created = client
        .data_connections()
        .create(&ctx(), &emulator.id(name), &emulator.settings())
        .await
        .unwrap();
    assert_eq!(created.provisioning_state.as_deref(), Some("Succeeded"));
    (writes_to(&emulator, name).await, emulator)
}

/// How many of `writes` are PUTs.
fn puts(writes: &[String]) -> usize {
    writes.iter().filter(|w| w.starts_with("PUT")).count()
}

/// A fault rule for the first data-connection PUT only.
fn first_put(action: serde_json::Value) -> serde_json::Value {
    json!({"method": "PUT", "path": "*/dataConnections/*", "times": 1, "action": action})
}

/// The default settings with the CSV mapping instead of the JSON one.
fn csv_settings(emulator: &Emulator) -> EventHubSettings {
    let mut changed = emulator.settings();
    changed.mapping_rule_name = Some("events_csv".into());
    changed.data_format = Some("CSV".into());
    changed
}

/// Creates `name`, then with fault `rule` installed updates it to the CSV mapping and checks
/// the update took; returns the writes the emulator saw and the emulator.
async fn update_under(
    rule: serde_json::Value,
    name: &str,
    lro_seconds: &str,
) -> (Vec<String>, Emulator) {
    let emulator = Emulator::start(&["--lro-seconds", lro_seconds, "--retry-after", "1"]);
    let client = emulator.client().await;
    let ops = client.data_connections();
    let id = emulator.id(name);
    ops.create(&ctx(), &id, &emulator.settings()).await.unwrap();
    emulator.set_faults(json!({"rules": [rule]})).await;
    let updated = ops
        .create_or_update(&ctx(), &id, &csv_settings(&emulator))
        .await
        .unwrap();
    assert_eq!(
        updated.settings.mapping_rule_name.as_deref(),
        Some("events_csv")
    );
    (writes_to(&emulator, name).await, emulator)
}

/// `err` refuses a create because the connection already exists (not because a create raced
/// it), owned by this process or not as `by_this_process` says.
fn assert_refused_as_existing(err: &Error, by_this_process: bool) {
    assert!(
        matches!(
            err,
            Error::AlreadyExists {
                by_this_process: owned,
                created_concurrently: false,
                ..
            } if *owned == by_this_process
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn create_owns_each_name_once() {
    let emulator = Emulator::instant();
    let client = emulator.client().await;
    let ops = client.data_connections();
    let id = emulator.id("owned-once");
    ops.create(&ctx(), &id, &emulator.settings()).await.unwrap();
    let twice = ops
        .create(&ctx(), &id, &emulator.settings())
        .await
        .unwrap_err();
    assert_refused_as_existing(&twice, true);

    // One created by another writer is refused too, with the import hint.
    let other = put_as_another_writer(&emulator, "someone-elses").await;
    let theirs = ops
        .create(&ctx(), &other, &emulator.settings())
        .await
        .unwrap_err();
    assert_refused_as_existing(&theirs, false);
    assert!(theirs.to_string().contains("terraform import"), "{theirs}");
    assert_eq!(
        writes_to(&emulator, "someone-elses").await,
        ["PUT 201", "GET 200"],
        "nothing written over the other writer's connection"
    );
}

#[tokio::test]
async fn a_create_refused_with_504_is_looked_up_before_it_is_sent_again() {
    let (writes, _) = create_under(
        first_put(json!({"type": "status", "status": 504})),
        "after-504",
        "1",
    )
    .await;
    assert_eq!(
        writes[..4],
        ["GET 404", "PUT 504", "GET 404", "PUT 201"],
        "{writes:?}"
    );
}

#[tokio::test]
async fn a_create_whose_connection_dropped_is_looked_up_before_it_is_sent_again() {
    let (writes, _) = create_under(first_put(json!({"type": "drop"})), "after-drop", "1").await;
    assert_eq!(
        writes[..4],
        ["GET 404", "PUT 0", "GET 404", "PUT 201"],
        "{writes:?}"
    );
}

#[tokio::test]
async fn a_token_rejected_on_the_third_arm_call_is_replaced() {
    let (writes, emulator) = create_under(
        json!({"path": "/subscriptions/*", "skip": 2, "times": 1,
               "action": {"type": "status", "status": 401}}),
        "reauth",
        "1",
    )
    .await;
    let tokens = emulator.requests_of_kind("token").await.len();
    assert_eq!(tokens, 2, "{writes:?}");
}

#[tokio::test]
async fn an_update_answered_504_after_processing_converges() {
    let _ = update_under(
        first_put(json!({"type": "status", "status": 504, "after_processing": true})),
        "update-504",
        "2",
    )
    .await;
}

/// A test that writes `$name` (through `create_under` or `update_under`, operations lasting
/// `$lro` seconds) while the first data-connection PUT meets fault `$action`, and counts the
/// PUTs the emulator saw.
macro_rules! puts_under_first_put_fault {
    ($(#[$doc:meta])* $test:ident: $under:ident($name:literal, $lro:literal, $action:tt) => $puts:literal) => {
        $(#[$doc])*
        #[tokio::test]
        async fn $test() {
            let (writes, _) = $under(first_put(json!($action)), $name, $lro).await;
            assert_eq!(puts(&writes), $puts, "{writes:?}");
        }
    };
}

puts_under_first_put_fault! {
    /// The create, the update whose operation failed, the update again.
    a_busy_cluster_operation_failure_on_update_is_sent_again: update_under(
        "busy-update", "1",
        {"type": "lro", "outcome": "Failed", "code": "ServiceIsInMaintenance"}
    ) => 3
}

puts_under_first_put_fault! {
    a_create_whose_operation_failed_busy_is_sent_again: create_under(
        "busy-create", "1",
        {"type": "lro", "outcome": "Failed", "code": "ServiceIsInMaintenance"}
    ) => 2
}

puts_under_first_put_fault! {
    a_create_answered_504_after_processing_is_adopted: create_under(
        "adopted-504", "2",
        {"type": "status", "status": 504, "after_processing": true}
    ) => 1
}

puts_under_first_put_fault! {
    a_create_whose_response_was_lost_is_adopted: create_under(
        "adopted-drop", "2",
        {"type": "drop", "after_processing": true}
    ) => 1
}
