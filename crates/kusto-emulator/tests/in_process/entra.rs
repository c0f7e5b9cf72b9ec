//! Cloud metadata, the Entra ID endpoints (discovery, client-secret and federated tokens,
//! managed identity) and ARM's checks of bearer tokens.

use axum::body::Body;
use axum::http::Method;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kusto_emulator::Settings;
use serde_json::{Value, json};

use super::harness::*;

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
async fn metadata_points_every_endpoint_at_the_emulator() {
    let emu = Emulator::start(Settings::default()).await;
    let (status, doc) = emu
        .get_json("/metadata/endpoints?api-version=2022-09-01")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        doc["authentication"]["loginEndpoint"], ENDPOINT,
        "no trailing slash"
    );
    assert_eq!(doc["authentication"]["tenant"], "common");
    assert_eq!(doc["authentication"]["identityProvider"], "AAD");
    assert_eq!(doc["resourceManager"], format!("{}/", ENDPOINT));
    assert!(
        doc["microsoftGraphResourceId"]
            .as_str()
            .unwrap()
            .starts_with(ENDPOINT)
    );
    assert!(doc["suffixes"]["keyVaultDns"].is_string() && doc["suffixes"]["storage"].is_string());
    assert!(doc["name"].as_str().is_some_and(|n| !n.is_empty()));
}

#[tokio::test]
async fn openid_configuration_and_client_secret_tokens() {
    let emu = Emulator::start(Settings::default()).await;
    let oidc = emu.openid_configuration(TENANT).await;
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
    let token: Value = response.json();
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
    let emu = Emulator::start(Settings::default()).await;
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
        let body: Value = response.json();
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
        .send(
            Method::POST,
            "/99999999-9999-9999-9999-999999999999/oauth2/v2.0/token",
            &[],
            Body::from(form(&[
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("grant_type", "client_credentials"),
                ("scope", "x/.default"),
            ])),
        )
        .await;
    assert_eq!(unknown_tenant.status(), 400);
    let body: Value = unknown_tenant.json();
    assert_eq!(body["error_codes"], json!([90002]));
}

#[tokio::test]
async fn federated_client_assertions_are_checked_against_the_world() {
    let emu = Emulator::start(Settings::default()).await;
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
    let request = |jwt: String| async move { emu.assertion_token_request(&jwt).await };
    let ok = request(assertion(
        "repo:example/kusto:environment:emulator",
        now + 600,
    ))
    .await;
    assert_eq!(ok.status(), 200);
    let token: Value = ok.json();
    assert_eq!(
        claims(token["access_token"].as_str().unwrap())["appid"],
        CLIENT_ID
    );

    let stranger: Value = request(assertion("repo:evil/repo:ref:main", now + 600))
        .await
        .json();
    assert_eq!(stranger["error_codes"], json!([70021]));
    let expired: Value = request(assertion(
        "repo:example/kusto:environment:emulator",
        now - 10,
    ))
    .await
    .json();
    assert_eq!(expired["error_codes"], json!([700024]));
    let garbage: Value = request("not-a-jwt".to_owned()).await.json();
    assert_eq!(garbage["error_codes"], json!([50027]));
}

#[tokio::test]
async fn managed_identity_endpoints_issue_tokens_for_the_identity() {
    let emu = Emulator::start(Settings::default()).await;
    let url = emu.url("/msi/token?api-version=2019-08-01&resource=https://management.azure.com");
    let refused = emu.anonymous(Method::GET, &url).await;
    assert_eq!(refused.status(), 401);
    let response = emu
        .send(
            Method::GET,
            &url,
            &[("X-IDENTITY-HEADER", "kusto-emulator-identity-header")],
            Body::empty(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json();
    assert!(body["expires_on"].is_string());
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["oid"], "00000000-0000-0000-0000-000000000007");
    assert_eq!(c["appid"], "00000000-0000-0000-0000-000000000006");

    let imds = emu.imds_token_request().await;
    assert_eq!(imds.status(), 200);
    let body: Value = imds.json();
    assert!(body["expires_in"].is_string() && body["expires_on"].is_string());
    // A managed-identity token works against ARM.
    let mut emu = emu;
    let token = body["access_token"].as_str().unwrap().to_owned();
    emu.use_arm_token(token).await;
}

#[tokio::test]
async fn arm_refuses_missing_malformed_expired_and_foreign_tokens() {
    let emu = Emulator::start(Settings {
        token_lifetime: 0,
        ..Settings::default()
    })
    .await;
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
        let response = emu.get_authorized(&url, authorization.as_deref()).await;
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert!(header(&response, "www-authenticate").starts_with("Bearer authorization_uri="));
        let body: Value = response.json();
        assert_eq!(body["error"]["code"], code, "{authorization:?}");
    }
    drop(emu);
    emu = Emulator::start(Settings::default()).await;
    emu.token = emu.token_for("https://graph.microsoft.com/.default").await;
    let response = emu.arm(Method::GET, &dc("x"), None).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_error_mentions(&body, "wrong audience");
    // A token for the emulator's own address (what the metadata advertises) is accepted.
    emu.token = emu.token_for(&format!("{}/.default", ENDPOINT)).await;
    assert_eq!(emu.dc_status(Method::GET, "x").await, 404);
}
