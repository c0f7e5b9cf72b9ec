//! The emulator's start-up contract, persistence, cloud metadata and Entra ID endpoints,
//! and ARM's token checks, driven over HTTPS against the real binary.

mod emulator;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use emulator::*;
use reqwest::Method;
use serde_json::{Value, json};

fn claims(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

fn unsigned_jwt(payload: &Value) -> String {
    let head = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    format!(
        "{head}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(payload.to_string())
    )
}

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
            "ca_cert",
            "client_id",
            "client_secret",
            "endpoint",
            "metadata_host",
            "subscription_id",
            "tenant_id"
        ]
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

#[tokio::test]
async fn metadata_points_every_endpoint_at_the_emulator() {
    let emu = Emulator::start(&[]).await;
    let (status, doc) = emu
        .get_json("/metadata/endpoints?api-version=2022-09-01")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        doc["authentication"]["loginEndpoint"],
        emu.endpoint(),
        "no trailing slash"
    );
    assert_eq!(doc["authentication"]["tenant"], "common");
    assert_eq!(doc["authentication"]["identityProvider"], "AAD");
    assert_eq!(doc["resourceManager"], format!("{}/", emu.endpoint()));
    assert!(
        doc["microsoftGraphResourceId"]
            .as_str()
            .unwrap()
            .starts_with(emu.endpoint())
    );
    assert!(doc["suffixes"]["keyVaultDns"].is_string() && doc["suffixes"]["storage"].is_string());
    assert!(doc["name"].as_str().is_some_and(|n| !n.is_empty()));
}

#[tokio::test]
async fn openid_configuration_and_client_secret_tokens() {
    let emu = Emulator::start(&[]).await;
    let response = emu
        .client()
        .get(emu.url(&format!("/{TENANT}/v2.0/.well-known/openid-configuration")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let oidc: Value = response.json().await.unwrap();
    assert_eq!(
        oidc["token_endpoint"],
        emu.url(&format!("/{TENANT}/oauth2/v2.0/token"))
    );
    assert!(oidc["authorization_endpoint"].is_string() && oidc["issuer"].is_string());

    let response = emu
        .token_request(&[
            ("client_id", CLIENT_ID),
            ("grant_type", "client_credentials"),
            ("client_info", "1"),
            ("client_secret", SECRET),
            ("scope", "https://management.azure.com/.default"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), "no-store, no-cache");
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 3599);
    let c = claims(token["access_token"].as_str().unwrap());
    assert_eq!(c["tid"], TENANT);
    assert_eq!(c["appid"], CLIENT_ID);
    assert_eq!(c["oid"], "00000000-0000-0000-0000-000000000004");
    assert_eq!(c["aud"], "https://management.azure.com/");
    assert!(c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap());
    assert!(c.get("scp").is_none());
}

/// Form fields, expected status, OAuth error, AADSTS code.
type TokenCase<'a> = (&'a [(&'a str, &'a str)], u16, &'a str, u64);

#[tokio::test]
async fn token_errors_use_real_aadsts_codes() {
    let emu = Emulator::start(&[]).await;
    let cases: [TokenCase; 4] = [
        (
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", "wrong"),
                ("grant_type", "client_credentials"),
                ("scope", "https://management.azure.com/.default"),
            ],
            401,
            "invalid_client",
            7000215,
        ),
        (
            &[
                ("client_id", "11111111-1111-1111-1111-111111111111"),
                ("client_secret", SECRET),
                ("grant_type", "client_credentials"),
                ("scope", "https://management.azure.com/.default"),
            ],
            400,
            "unauthorized_client",
            700016,
        ),
        (
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("grant_type", "client_credentials"),
                ("scope", "https://management.azure.com/user_impersonation"),
            ],
            400,
            "invalid_scope",
            1002012,
        ),
        (
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("grant_type", "password"),
                ("scope", "https://management.azure.com/.default"),
            ],
            400,
            "unsupported_grant_type",
            70003,
        ),
    ];
    for (pairs, status, error, code) in cases {
        let response = emu.token_request(pairs).await;
        assert_eq!(response.status(), status, "{error}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error);
        assert_eq!(body["error_codes"], json!([code]));
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("AADSTS{code}: "))
        );
        assert!(body["trace_id"].is_string() && body["correlation_id"].is_string());
    }
    let unknown_tenant = emu
        .client()
        .post(emu.url("/99999999-9999-9999-9999-999999999999/oauth2/v2.0/token"))
        .body(form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "x/.default"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_tenant.status(), 400);
    let body: Value = unknown_tenant.json().await.unwrap();
    assert_eq!(body["error_codes"], json!([90002]));
}

#[tokio::test]
async fn federated_client_assertions_are_checked_against_the_world() {
    let emu = Emulator::start(&[]).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let assertion = |sub: &str, exp: u64| {
        unsigned_jwt(
            &json!({"iss": "https://token.actions.githubusercontent.com", "sub": sub,
            "aud": "api://AzureADTokenExchange", "exp": exp, "iat": now}),
        )
    };
    let emu = &emu;
    let request = |jwt: String| async move {
        emu.token_request(&[
            ("client_id", CLIENT_ID),
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &jwt),
            ("scope", "https://management.azure.com/.default"),
        ])
        .await
    };
    let ok = request(assertion(
        "repo:example/kusto:environment:emulator",
        now + 600,
    ))
    .await;
    assert_eq!(ok.status(), 200);
    let token: Value = ok.json().await.unwrap();
    assert_eq!(
        claims(token["access_token"].as_str().unwrap())["appid"],
        CLIENT_ID
    );

    let stranger: Value = request(assertion("repo:evil/repo:ref:main", now + 600))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stranger["error_codes"], json!([70021]));
    let expired: Value = request(assertion(
        "repo:example/kusto:environment:emulator",
        now - 10,
    ))
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(expired["error_codes"], json!([700024]));
    let garbage: Value = request("not-a-jwt".to_owned()).await.json().await.unwrap();
    assert_eq!(garbage["error_codes"], json!([50027]));
}

#[tokio::test]
async fn managed_identity_endpoints_issue_tokens_for_the_identity() {
    let emu = Emulator::start(&[]).await;
    let url = emu.url("/msi/token?api-version=2019-08-01&resource=https://management.azure.com");
    let refused = emu.client().get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let response = emu
        .client()
        .get(&url)
        .header("X-IDENTITY-HEADER", "kusto-emulator-identity-header")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["expires_on"].is_string());
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["oid"], "00000000-0000-0000-0000-000000000007");
    assert_eq!(c["appid"], "00000000-0000-0000-0000-000000000006");

    let imds = emu
        .client()
        .get(emu.url("/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com"))
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(imds.status(), 200);
    let body: Value = imds.json().await.unwrap();
    assert!(body["expires_in"].is_string() && body["expires_on"].is_string());
    // A managed-identity token works against ARM.
    let mut emu = emu;
    emu.token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        emu.get_json(&format!("{DB}/dataConnections?{V2024}"))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn arm_refuses_missing_malformed_expired_and_foreign_tokens() {
    let emu = Emulator::start(&["--token-lifetime", "0"]).await;
    let expired = emu.token.clone();
    let mut emu = emu;
    let url = emu.url(&dc("x"));
    let cases = [
        (None, "AuthenticationFailed"),
        (Some("Basic abc".to_owned()), "AuthenticationFailed"),
        (
            Some("Bearer not.a-token".to_owned()),
            "InvalidAuthenticationToken",
        ),
        (
            Some(format!("Bearer {}", unsigned_jwt(&claims(&expired)))),
            "InvalidAuthenticationToken",
        ),
        (
            Some(format!("Bearer {expired}")),
            "ExpiredAuthenticationToken",
        ),
    ];
    for (authorization, code) in cases {
        let mut request = emu.client().get(&url);
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert!(header(&response, "www-authenticate").starts_with("Bearer authorization_uri="));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{authorization:?}");
    }
    drop(emu);
    emu = Emulator::start(&[]).await;
    emu.token = emu.token_for("https://graph.microsoft.com/.default").await;
    let response = emu.arm(Method::GET, &dc("x"), None).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_error_mentions(&body, "wrong audience");
    // A token for the emulator's own address (what the metadata advertises) is accepted.
    emu.token = emu.token_for(&format!("{}/.default", emu.endpoint())).await;
    assert_eq!(emu.arm(Method::GET, &dc("x"), None).await.status(), 404);
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
