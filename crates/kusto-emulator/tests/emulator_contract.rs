//! What only the running binary can show, driven over HTTPS: the start-up contract and the
//! command line, SIGTERM, persistence across a restart, the request log on stderr, and the
//! fault plan's actions that need a real connection (a dropped answer, a new connection
//! after a drop) or a file (`--faults`). The API's logic is tested in process
//! (`tests/in_process`).

mod emulator;

use emulator::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn ready_line_follows_the_contract_and_sigterm_stops_cleanly() {
    let emu = Emulator::start(&[]).await;
    let ready = emu.ready.as_object().unwrap();
    let mut keys: Vec<&str> = ready.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "admin_token",
            "auxiliary_tenant_ids",
            "azure_devops_access_token",
            "azure_devops_oidc_request_uri",
            "azure_devops_service_connection_id",
            "ca_cert",
            "client_id",
            "client_secret",
            "endpoint",
            "github_oidc_request_token",
            "github_oidc_request_url",
            "metadata_host",
            "subscription_id",
            "tenant_id"
        ]
    );
    assert!(
        emu.ready_line().starts_with("{\"endpoint\":"),
        "endpoint stays the first key"
    );
    let port = emu.endpoint().rsplit(':').next().unwrap().to_owned();
    assert_eq!(emu.ready["metadata_host"], format!("127.0.0.1:{port}"));
    assert_eq!(emu.ready["tenant_id"], TENANT);
    assert_eq!(emu.ready["subscription_id"], SUB);
    assert_eq!(emu.ready["client_id"], CLIENT_ID);
    assert_eq!(emu.ready["client_secret"], SECRET);
    let admin_token = emu.ready["admin_token"].as_str().unwrap();
    assert!(admin_token.len() >= 32, "a long random admin token");
    let again = Emulator::start(&[]).await;
    assert_ne!(
        again.ready["admin_token"], emu.ready["admin_token"],
        "random per start"
    );
    // The certificate is valid for "localhost" as well as 127.0.0.1.
    let via_name = emu
        .client()
        .get(format!(
            "https://localhost:{port}/metadata/endpoints?api-version=2022-09-01"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(via_name.status(), 200);
    let ca_path = emu.ready["ca_cert"].as_str().unwrap().to_owned();
    assert!(
        emu.terminate().await,
        "SIGTERM must end the process with success"
    );
    assert!(
        !std::path::Path::new(&ca_path).exists(),
        "temporary CA removed on stop"
    );
}

/// What the ready line gives a CI job works as the job's variables: the GitHub ID-token URL
/// and request token, the Azure Pipelines OIDC URI, access token and service connection,
/// each token exchanged at Entra for an ARM token; and the auxiliary tenants.
#[tokio::test]
async fn the_ready_line_tells_ci_jobs_where_to_get_oidc_tokens() {
    let emu = Emulator::start(&[]).await;
    let expected = [
        (
            "github_oidc_request_url",
            json!(format!("{}/github/idtoken?api-version=2.0", emu.endpoint())),
        ),
        (
            "github_oidc_request_token",
            json!(kusto_emulator::DEFAULT_GITHUB_REQUEST_TOKEN),
        ),
        (
            "azure_devops_oidc_request_uri",
            json!(format!("{}/azure-devops/oidctoken", emu.endpoint())),
        ),
        (
            "azure_devops_access_token",
            json!(kusto_emulator::DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN),
        ),
        (
            "azure_devops_service_connection_id",
            json!(kusto_emulator::DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID),
        ),
        (
            "auxiliary_tenant_ids",
            json!([kusto_emulator::DEFAULT_AUXILIARY_TENANT_ID]),
        ),
    ];
    for (key, value) in expected {
        assert_eq!(emu.ready[key], value, "{key}");
    }

    let text = |key: &str| emu.ready[key].as_str().unwrap().to_owned();
    let github = json_answer(
        emu.client()
            .get(format!(
                "{}&audience=api%3A%2F%2FAzureADTokenExchange",
                text("github_oidc_request_url")
            ))
            .bearer_auth(text("github_oidc_request_token"))
            .header("accept", "application/json"),
    )
    .await;
    let devops = json_answer(
        emu.client()
            .post(format!(
                "{}?api-version=7.1&serviceConnectionId={}",
                text("azure_devops_oidc_request_uri"),
                text("azure_devops_service_connection_id")
            ))
            .bearer_auth(text("azure_devops_access_token"))
            .json(&json!({})),
    )
    .await;
    for assertion in [&github["value"], &devops["oidcToken"]] {
        let response = emu
            .token_request(&client_assertion(assertion.as_str().unwrap()))
            .await;
        assert_eq!(response.status(), 200, "{assertion}");
    }
    let kinds: Vec<Value> = emu
        .requests()
        .await
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        ["github_oidc", "azure_devops_oidc", "token", "token"]
    );
    let log = emu.stderr();
    assert!(
        !log.contains(kusto_emulator::DEFAULT_GITHUB_REQUEST_TOKEN)
            && !log.contains(kusto_emulator::DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN),
        "{log}"
    );
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state_arg = state.to_str().unwrap();
    let emu = Emulator::start(&["--state", state_arg, "--lro-seconds", "0"]).await;
    let done = emu
        .create("persisted", &body("Events", "events_json", "JSON"))
        .await;
    assert_eq!(done["status"], "Succeeded");
    // Writes answered just before the stop are on disk after it (the writer is flushed).
    for i in 0..20 {
        let response = emu
            .put_dc(
                &format!("burst-{i}"),
                &body("Events", "events_json", "JSON"),
            )
            .await;
        assert_eq!(response.status(), 201);
        let aao = header(&response, "azure-asyncoperation");
        assert_eq!(emu.get_json(&aao).await.1["status"], "Succeeded");
    }
    let old_token = emu.token.clone();
    let old_admin_token = emu.ready["admin_token"].clone();
    let first_ca = emu.ca_pem().to_vec();
    assert!(emu.terminate().await);
    assert!(
        !dir.path().join("state.json.tmp").exists(),
        "atomic write leaves no temporary file"
    );
    {
        use std::os::unix::fs::PermissionsExt as _;
        for private in ["state.json", "state.json.ca-key.pem"] {
            let mode = std::fs::metadata(dir.path().join(private))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{private} holds secrets");
        }
    }

    let mut emu = Emulator::start(&["--state", state_arg]).await;
    assert_eq!(emu.ready["ca_cert"], format!("{state_arg}.ca.pem"));
    assert_eq!(
        emu.ca_pem(),
        first_ca,
        "the CA is kept, so clients keep trusting the emulator"
    );
    assert_ne!(
        emu.ready["admin_token"], old_admin_token,
        "a new admin token per start, also with --state"
    );
    emu.token = old_token;
    for i in 0..20 {
        assert_eq!(
            emu.get_json(&dc(&format!("burst-{i}"))).await.1["properties"]["provisioningState"],
            "Succeeded",
            "burst-{i} survives the restart"
        );
    }
    let (status, dc) = emu.get_json(&dc("persisted")).await;
    assert_eq!(
        status, 200,
        "the resource and the token signing key survive: {dc}"
    );
    assert_eq!(dc["properties"]["provisioningState"], "Succeeded");
}

/// The lines of the request log on stderr that are about `target` (path and api-version).
fn request_lines<'a>(stderr: &'a str, target: &str) -> Vec<Vec<&'a str>> {
    stderr
        .lines()
        .map(|line| line.split(' ').collect::<Vec<_>>())
        .filter(|fields| fields.get(2) == Some(&target))
        .collect()
}

#[test]
fn version_and_help_answer_on_stdout() {
    let version = support::run_to_exit(&["--version"]);
    assert!(version.status.success(), "{version:?}");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        format!("kusto-emulator {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert!(version.stderr.is_empty(), "{version:?}");

    let help = support::run_to_exit(&["--help"]);
    assert!(help.status.success(), "{help:?}");
    assert!(help.stderr.is_empty(), "{help:?}");
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("Usage: kusto-emulator [OPTIONS]"), "{text}");
    for flag in [
        "--listen <HOST:PORT>",
        "--world <FILE>",
        "--state <FILE>",
        "--lro-seconds <N>",
        "--retry-after <N>",
        "--token-lifetime <SECONDS>",
        "--faults <FILE>",
        "--page-size <N>",
        "--ca-file <FILE>",
        "--quiet",
        "--version",
    ] {
        assert!(text.contains(flag), "{flag} not in the help:\n{text}");
    }
    for default in [
        "[default: 127.0.0.1:0]",
        "[default: 1]",
        "[default: 3599]",
        "[default: 2]",
    ] {
        assert!(text.contains(default), "{default} not in the help:\n{text}");
    }
}

#[test]
fn bad_arguments_are_explained_on_stderr_with_exit_code_2() {
    for (flags, named) in [
        (&["--bogus"][..], "'--bogus'"),
        (&["--lro-seconds"], "'--lro-seconds <N>'"),
        (&["--lro-seconds=soon"], "'soon'"),
        (&["--page-size", "0"], "positive integer"),
        (&["--listen", "localhost"], "HOST:PORT"),
        (&["--listen=::1:8443"], "[::1]:8443"),
    ] {
        let output = support::run_to_exit(flags);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(named), "{flags:?}: {named} not in {stderr}");
        assert!(output.stdout.is_empty(), "{flags:?}: no ready line");
    }
}

#[test]
fn a_listen_name_that_does_not_resolve_is_reported() {
    let output = support::run_to_exit(&["--listen", "no-such-host.invalid:0"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("kusto-emulator: --listen no-such-host.invalid:0: cannot resolve"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no ready line");
}

#[tokio::test]
async fn listen_takes_a_host_name_after_a_space_or_an_equals_sign() {
    for flags in [&["--listen=localhost:0"][..], &["--listen", "localhost:0"]] {
        let emu = Emulator::start(flags).await;
        let host: std::net::SocketAddr = emu.ready["metadata_host"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(host.ip().is_loopback(), "{flags:?}: {host}");
        assert_ne!(host.port(), 0, "{flags:?}: a free port was picked");
        let (status, _) = emu
            .get_json("/metadata/endpoints?api-version=2022-09-01")
            .await;
        assert_eq!(status, 200, "{flags:?}");
    }
}

#[tokio::test]
async fn numeric_flags_take_their_value_after_an_equals_sign() {
    let emu = Emulator::start(&[
        "--lro-seconds=60",
        "--retry-after=7",
        "--token-lifetime=3000",
        "--page-size=1",
    ])
    .await;
    let token: Value = emu.arm_token_request(SECRET).await.json().await.unwrap();
    assert_eq!(token["expires_in"], 3000);
    for name in ["a", "b"] {
        let put = emu
            .put_dc(name, &body("Events", "events_json", "JSON"))
            .await;
        assert_eq!(put.status(), 201);
        assert_eq!(header(&put, "retry-after"), "7");
        let aao = header(&put, "azure-asyncoperation");
        emu.advance(30).await;
        assert_eq!(emu.get_json(&aao).await.1["status"], "Running");
        emu.advance(30).await;
        assert_eq!(emu.get_json(&aao).await.1["status"], "Succeeded");
    }
    let (status, page) = emu.get_json(&format!("{DB}/dataConnections?{V2024}")).await;
    assert_eq!(status, 200);
    assert_eq!(page["value"].as_array().unwrap().len(), 1, "{page}");
    assert!(page["nextLink"].is_string(), "{page}");
}

#[tokio::test]
async fn stderr_logs_each_served_request_without_its_secrets() {
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
    let put = emu
        .put_dc("logged", &body("Events", "events_json", "JSON"))
        .await;
    assert_eq!(put.status(), 201);
    // A client secret where it does not belong, in the query and in the path.
    let misplaced = format!("/metadata/endpoints?api-version=2022-09-01&client_secret={SECRET}");
    let response = emu.client().get(emu.url(&misplaced)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let in_path = emu
        .anonymous(Method::GET, &format!("/subscriptions/{SECRET}?{V2024}"))
        .await;
    assert_eq!(in_path.status(), 401);
    emu.set_faults(
        json!({"rules": [{"method": "GET", "path": "*/dataConnections/logged",
        "times": 1, "action": {"type": "status", "status": 503}}]}),
    )
    .await;
    assert_eq!(emu.get_json(&dc("logged")).await.0, 503);

    let stderr = emu.stderr();
    let put_lines = request_lines(&stderr, &dc("logged"));
    assert_eq!(put_lines.len(), 2, "the PUT and the faulted GET:\n{stderr}");
    let (put, faulted) = (&put_lines[0], &put_lines[1]);
    assert_eq!(put[1..4], ["PUT", dc("logged").as_str(), "201"], "{stderr}");
    assert_eq!(put.len(), 5, "no fault on the PUT: {put:?}");
    assert!(put[0].ends_with('Z') && put[0].contains('T'), "{put:?}");
    assert!(
        put[4]
            .strip_suffix("ms")
            .is_some_and(|ms| ms.parse::<f64>().is_ok()),
        "{put:?}"
    );
    assert_eq!(faulted[1..4], ["GET", dc("logged").as_str(), "503"]);
    assert_eq!(faulted[5], "fault=status");
    assert_eq!(
        request_lines(&stderr, "/metadata/endpoints?api-version=2022-09-01").len(),
        1,
        "the query but api-version is left out:\n{stderr}"
    );
    assert_eq!(request_lines(&stderr, "<redacted>").len(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!(" POST /{TENANT}/oauth2/v2.0/token 200 ")),
        "the start-up token request:\n{stderr}"
    );
    for secret in [
        SECRET,
        emu.token.as_str(),
        emu.ready["admin_token"].as_str().unwrap(),
        "Bearer",
        "events_json",
        "/_emulator",
    ] {
        assert!(!stderr.contains(secret), "{secret} on stderr:\n{stderr}");
    }
}

#[tokio::test]
async fn quiet_prints_no_request_lines() {
    let emu = Emulator::start(&["--quiet", "--lro-seconds", "0"]).await;
    let done = emu
        .create("quiet", &body("Events", "events_json", "JSON"))
        .await;
    assert_eq!(done["status"], "Succeeded");
    assert_eq!(emu.stderr(), "");
    assert!(
        !emu.requests().await.is_empty(),
        "the admin API's request log still records them"
    );
}
#[tokio::test]
async fn a_lost_response_leaves_the_write_done_and_its_operation_running() {
    let emu = Emulator::start(&["--lro-seconds", "30"]).await;
    emu.set_faults(
        json!({"rules": [{"method": "PUT", "path": "*/dataConnections/*", "times": 1,
            "action": {"type": "drop", "after_processing": true}}]}),
    )
    .await;
    let sent = emu.try_put_dc("lost", &events()).await;
    assert!(sent.is_err(), "the answer is lost: {sent:?}");

    let (status, got) = emu.get_json(&dc("lost")).await;
    assert_eq!(status, 200, "the PUT was processed: {got}");
    assert_eq!(got["properties"]["provisioningState"], "Creating");
    let ops = emu.operations().await;
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_eq!(ops[0]["kind"], "Create");
    assert_eq!(ops[0]["status"], "Running");
    assert_eq!(ops[0]["resourceId"], got["id"]);
    let log = emu.requests().await;
    let put = log.iter().find(|e| e["method"] == "PUT").unwrap();
    assert_eq!(put["fault"], "drop_after_processing");
    assert_eq!(put["status"], 0);

    // Without the flag the request is not processed at all.
    emu.set_faults(
        json!({"rules": [{"method": "PUT", "path": "*", "times": 1, "action": {"type": "drop"}}]}),
    )
    .await;
    emu.advance(60).await;
    assert!(emu.try_put_dc("never", &events()).await.is_err());
    assert_eq!(emu.get_json(&dc("never")).await.0, 404);
}

#[tokio::test]
async fn dropped_connections_delays_and_the_request_log() {
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
    emu.set_faults(json!({"rules": [
        {"method": "GET", "path": "*/dataConnections/dropme*", "times": 1, "action": {"type": "drop"}},
        {"method": "GET", "path": "*/dataConnections/slowme*", "times": 1, "action": {"type": "delay", "ms": 50}}
    ]}))
    .await;
    let dropped = emu
        .client()
        .get(emu.url(&dc("dropme")))
        .bearer_auth(&emu.token)
        .send()
        .await;
    assert!(dropped.is_err(), "the connection closes without a response");
    let fresh = support::client_trusting(emu.ca_pem());
    let again = fresh
        .get(emu.url(&dc("dropme")))
        .bearer_auth(&emu.token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let delayed = emu.get_json(&dc("slowme")).await;
    assert_eq!(delayed.0, 404);
    let op = emu
        .create("logged", &body("Events", "events_json", "JSON"))
        .await;
    assert_eq!(op["status"], "Succeeded");
    emu.token_for(ARM_SCOPE).await;

    let leaky = emu
        .client()
        .get(emu.url(&dc("leaky")))
        .bearer_auth(&emu.token)
        .header("x-debug", SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(leaky.status(), 404);

    let log = emu.requests().await;
    for entry in &log {
        let leaked =
            entry["kind"] == "token" || entry["path"].as_str().unwrap().ends_with("/leaky");
        assert_eq!(entry["client_secret_seen"], leaked, "{entry}");
    }
    let dropped_entry = log.iter().find(|e| e["fault"] == "drop").unwrap();
    assert_eq!(dropped_entry["status"], 0);
    assert_eq!(log.iter().filter(|e| e["fault"] == "delay").count(), 1);
    assert_eq!(log.iter().filter(|e| e["kind"] == "token").count(), 1);
    assert_eq!(log.iter().filter(|e| e["kind"] == "poll").count(), 1);
    let connections: std::collections::BTreeSet<u64> = log
        .iter()
        .map(|e| e["connection"].as_u64().unwrap())
        .collect();
    assert!(
        connections.len() >= 2,
        "the drop forced a new connection: {connections:?}"
    );
    let put = log.iter().find(|e| e["method"] == "PUT").unwrap();
    assert_eq!(put["status"], 201);
    assert!(
        put["path"]
            .as_str()
            .unwrap()
            .ends_with("/dataConnections/logged")
    );
    assert!(put["time"].is_string());
}

#[tokio::test]
async fn faults_load_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("faults.json");
    std::fs::write(&path, r#"{"rules":[{"path":"/metadata/endpoints","times":1,"action":{"type":"status","status":500}}]}"#).unwrap();
    let emu = Emulator::start(&["--faults", path.to_str().unwrap()]).await;
    let url = "/metadata/endpoints?api-version=2022-09-01";
    assert_eq!(emu.get_json(url).await.0, 500);
    assert_eq!(emu.get_json(url).await.0, 200);
}
