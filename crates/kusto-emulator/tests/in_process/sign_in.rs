//! The sign-in methods beyond a client secret, each played end to end as its client would:
//! a GitHub Actions job and an Azure Pipelines job fetching their OIDC token and exchanging
//! it at Entra, certificate credentials, and tokens of auxiliary tenants presented to ARM in
//! `x-ms-authorization-auxiliary`; with what the request log records of each.

use std::sync::OnceLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, RsaKeyPair};
use axum::body::Body;
use axum::http::Method;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kusto_emulator::{
    AZURE_DEVOPS_OIDC_TOKEN_PATH, DEFAULT_AUXILIARY_TENANT_ID, DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN,
    DEFAULT_AZURE_DEVOPS_ORGANIZATION, DEFAULT_AZURE_DEVOPS_ORGANIZATION_ID,
    DEFAULT_AZURE_DEVOPS_PROJECT, DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID,
    DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_NAME, DEFAULT_GITHUB_ISSUER, DEFAULT_GITHUB_REPOSITORY,
    DEFAULT_GITHUB_REQUEST_TOKEN, DEFAULT_GITHUB_SUBJECT, GITHUB_ID_TOKEN_PATH, Settings,
};
use rcgen::{CertificateParams, KeyPair, PKCS_RSA_SHA256};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::harness::*;

const EXCHANGE: &str = "api://AzureADTokenExchange";

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// `ACTIONS_ID_TOKEN_REQUEST_URL` as the ready line gives it.
fn github_url() -> String {
    format!("{ENDPOINT}{GITHUB_ID_TOKEN_PATH}?api-version=2.0")
}

/// Exchanges `assertion` for an ARM token and uses it to list data connections.
async fn exchange_and_list(emu: &mut Emulator, assertion: &str) {
    let answer = emu.assertion_token_request(assertion).await;
    assert_eq!(answer.status(), 200, "{}", answer.json());
    let token = answer.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&token)["appid"], CLIENT_ID);
    emu.use_arm_token(token).await;
}

/// The request log's entries of `kind`.
async fn logged(emu: &Emulator, kind: &str) -> Vec<Value> {
    emu.requests()
        .await
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

#[tokio::test]
async fn a_github_actions_job_gets_an_id_token_and_exchanges_it() {
    let mut emu = Emulator::start(Settings::default()).await;
    let bearer = format!("Bearer {DEFAULT_GITHUB_REQUEST_TOKEN}");
    let url = format!("{}&audience=api%3A%2F%2FAzureADTokenExchange", github_url());
    let answer = emu
        .send(
            Method::GET,
            &url,
            &[("authorization", &bearer), ("accept", "application/json")],
            Body::empty(),
        )
        .await;
    assert_eq!(answer.status(), 200);
    let body = answer.json();
    let value = body["value"].as_str().unwrap();
    assert_eq!(body["count"], value.len());
    let id = claims(value);
    assert_eq!(id["iss"], DEFAULT_GITHUB_ISSUER);
    assert_eq!(id["sub"], DEFAULT_GITHUB_SUBJECT);
    assert_eq!(id["aud"], EXCHANGE);
    assert_eq!(id["repository"], DEFAULT_GITHUB_REPOSITORY);
    assert_eq!(id["environment"], "emulator");
    assert!(id["jti"].is_string() && id["ref"].is_string());
    let lifetime = id["exp"].as_i64().unwrap() - id["iat"].as_i64().unwrap();
    assert!((300..=600).contains(&lifetime), "{lifetime}");
    assert!(id["nbf"].as_i64().unwrap() <= id["iat"].as_i64().unwrap());

    let default = emu.get_authorized(&github_url(), Some(&bearer)).await;
    assert_eq!(
        claims(default.json()["value"].as_str().unwrap())["aud"],
        "https://github.com/example",
        "without an audience, GitHub's default: the repository owner"
    );
    for authorization in [None, Some("Bearer wrong"), Some("Basic abc")] {
        let refused = emu.get_authorized(&url, authorization).await;
        assert_eq!(refused.status(), 401, "{authorization:?}");
        assert!(
            refused.json()["message"]
                .as_str()
                .unwrap()
                .contains("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        );
    }

    emu.clear_log().await;
    let answer = emu.get_authorized(&url, Some(&bearer)).await;
    exchange_and_list(&mut emu, answer.json()["value"].as_str().unwrap()).await;
    let requests = emu.requests().await;
    let kinds: Vec<&str> = requests
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["github_oidc", "token", "arm"]);
    assert_eq!(requests[0]["ci_token_seen"], true);
    assert_eq!(requests[1]["grant"], "client_assertion_federated");
    assert_eq!(requests[1]["tenant"], TENANT);
    for entry in &requests {
        assert_eq!(entry["client_secret_seen"], false, "{entry}");
        let text = entry.to_string();
        assert!(!text.contains(DEFAULT_GITHUB_REQUEST_TOKEN), "{text}");
        assert!(!text.contains("eyJ"), "no token in the log: {text}");
    }
    assert_eq!(requests[1]["ci_token_seen"], false);
}

/// `POST {SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId={id}` as a pipeline
/// task sends it.
async fn devops_request(emu: &Emulator, access_token: &str, connection: Option<&str>) -> Answer {
    let mut url = format!("{AZURE_DEVOPS_OIDC_TOKEN_PATH}?api-version=7.1");
    if let Some(id) = connection {
        url.push_str(&format!("&serviceConnectionId={id}"));
    }
    let bearer = format!("Bearer {access_token}");
    emu.send(
        Method::POST,
        &url,
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
            ("x-tfs-fedauthredirect", "Suppress"),
        ],
        Body::from("{}"),
    )
    .await
}

#[tokio::test]
async fn an_azure_pipelines_job_gets_an_oidc_token_and_exchanges_it() {
    let mut emu = Emulator::start(Settings::default()).await;
    let answer = devops_request(
        &emu,
        DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN,
        Some(&DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID.to_uppercase()),
    )
    .await;
    assert_eq!(answer.status(), 200, "{}", answer.json());
    let token = answer.json()["oidcToken"].as_str().unwrap().to_owned();
    let oidc = claims(&token);
    assert_eq!(
        oidc["iss"],
        format!("https://vstoken.dev.azure.com/{DEFAULT_AZURE_DEVOPS_ORGANIZATION_ID}")
    );
    assert_eq!(
        oidc["sub"],
        format!(
            "sc://{DEFAULT_AZURE_DEVOPS_ORGANIZATION}/{DEFAULT_AZURE_DEVOPS_PROJECT}/\
             {DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_NAME}"
        )
    );
    assert_eq!(oidc["aud"], EXCHANGE);
    assert!(oidc["exp"].as_i64().unwrap() > oidc["iat"].as_i64().unwrap());
    exchange_and_list(&mut emu, &token).await;
    let token_request = &logged(&emu, "token").await[0];
    assert_eq!(token_request["grant"], "client_assertion_federated");
    let oidc_request = &logged(&emu, "azure_devops_oidc").await[0];
    assert_eq!(oidc_request["ci_token_seen"], true);

    // An empty body does as well as `{}`.
    let bearer = format!("Bearer {DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN}");
    let empty = emu
        .send(
            Method::POST,
            &format!(
                "{AZURE_DEVOPS_OIDC_TOKEN_PATH}?api-version=7.1&serviceConnectionId=\
                 {DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID}"
            ),
            &[("authorization", &bearer)],
            Body::empty(),
        )
        .await;
    assert_eq!(empty.status(), 200);
}

#[tokio::test]
async fn azure_devops_refusals_have_its_error_shape() {
    let emu = Emulator::start(Settings::default()).await;
    let id = DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID;
    let unknown = "11111111-2222-3333-4444-555555555555";
    let cases = [
        ("wrong", Some(id), 401, "UnauthorizedRequestException"),
        (
            DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN,
            None,
            400,
            "ArgumentNullException",
        ),
        (
            DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN,
            Some(unknown),
            404,
            "ServiceEndpointNotFoundException",
        ),
    ];
    for (access_token, connection, status, type_key) in cases {
        let answer = devops_request(&emu, access_token, connection).await;
        assert_eq!(answer.status(), status, "{type_key}");
        let body = answer.json();
        assert_eq!(body["typeKey"], type_key);
        assert_eq!(body["$id"], "1");
        assert_eq!(body["errorCode"], 0);
        assert_eq!(body["eventId"], 3000);
        assert!(body["typeName"].as_str().unwrap().contains(type_key));
        assert!(body["message"].is_string());
        assert!(!body.to_string().contains(DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN));
    }
    let get = emu
        .get_authorized(
            AZURE_DEVOPS_OIDC_TOKEN_PATH,
            Some(&format!("Bearer {DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN}")),
        )
        .await;
    assert_eq!(get.status(), 405);
}

/// The key of the application's certificates. RSA keys are slow to make, so the tests share
/// two: this one and [`stranger_key`].
fn client_key() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap())
}

/// A key no certificate of the world holds.
fn stranger_key() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap())
}

/// A client certificate of the world's application and a signer of assertions with its key.
struct ClientCertificate {
    key: RsaKeyPair,
    pem: String,
    sha1: String,
    sha256: String,
}

impl ClientCertificate {
    fn new(key: &KeyPair, not_after: OffsetDateTime) -> ClientCertificate {
        let mut params = CertificateParams::new(vec!["kusto-client".to_owned()]).unwrap();
        params.not_before = OffsetDateTime::now_utc() - time::Duration::days(1);
        params.not_after = not_after;
        let cert = params.self_signed(key).unwrap();
        let digest =
            |algorithm| URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(algorithm, cert.der()));
        ClientCertificate {
            key: RsaKeyPair::from_pkcs8(&key.serialize_der()).unwrap(),
            pem: cert.pem(),
            sha1: digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY),
            sha256: digest(&aws_lc_rs::digest::SHA256),
        }
    }

    /// Registers the certificate on the world's application through the admin API.
    async fn register(&self, emu: &Emulator) {
        let mut world = emu.admin_json("/world").await;
        world["applications"][0]["certificates"] = json!([self.pem]);
        let answer = emu.admin(Method::PUT, "/world", Some(&world)).await;
        assert_eq!(answer.status(), 200, "{}", answer.json());
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let padding: &'static dyn signature::RsaEncoding = if header["alg"] == "PS256" {
            &signature::RSA_PSS_SHA256
        } else {
            &signature::RSA_PKCS1_SHA256
        };
        let mut out = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(padding, &SystemRandom::new(), input.as_bytes(), &mut out)
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// The claims MSAL puts in an assertion for the token endpoint `audience`.
    fn claims(audience: &str) -> Value {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        json!({"aud": audience, "iss": CLIENT_ID, "sub": CLIENT_ID, "jti": "5f0b0f4e",
               "nbf": now, "exp": now + 600})
    }
}

#[tokio::test]
async fn certificate_credentials_sign_in_with_rs256_or_ps256() {
    let mut emu = Emulator::start(Settings::default()).await;
    let cert = ClientCertificate::new(
        client_key(),
        OffsetDateTime::now_utc() + time::Duration::days(30),
    );
    cert.register(&emu).await;
    let v2 = emu.url(&token_path());
    let rs256 = cert.sign(
        &json!({"alg": "RS256", "typ": "JWT", "x5t": cert.sha1}),
        &ClientCertificate::claims(&v2),
    );
    exchange_and_list(&mut emu, &rs256).await;
    let token_request = &logged(&emu, "token").await[0];
    assert_eq!(token_request["grant"], "client_assertion_certificate");
    assert_eq!(token_request["client_secret_seen"], false);

    let ps256 = cert.sign(
        &json!({"alg": "PS256", "typ": "JWT", "x5t#S256": cert.sha256}),
        // Entra compares the audience without regard to case or a trailing slash.
        &ClientCertificate::claims(&format!("{}/", v2.replace("localhost", "LOCALHOST"))),
    );
    assert_eq!(emu.assertion_token_request(&ps256).await.status(), 200);

    // The v1 endpoint, with the v1 endpoint as audience and a resource.
    let v1 = format!("/{TENANT}/oauth2/token");
    let assertion = cert.sign(
        &json!({"alg": "RS256", "x5t": cert.sha1}),
        &ClientCertificate::claims(&emu.url(&v1)),
    );
    let answer = emu
        .send(
            Method::POST,
            &v1,
            &[("content-type", "application/x-www-form-urlencoded")],
            Body::from(form(&[
                ("client_id", CLIENT_ID),
                ("grant_type", "client_credentials"),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &assertion),
                ("resource", "https://management.azure.com/"),
            ])),
        )
        .await;
    assert_eq!(answer.status(), 200, "{}", answer.json());
}

#[tokio::test]
async fn certificate_assertions_are_refused_with_entra_s_codes() {
    let emu = Emulator::start(Settings::default()).await;
    let month = OffsetDateTime::now_utc() + time::Duration::days(30);
    let cert = ClientCertificate::new(client_key(), month);
    cert.register(&emu).await;
    let stranger = ClientCertificate::new(stranger_key(), month);
    let v2 = emu.url(&token_path());
    let header = json!({"alg": "RS256", "x5t": cert.sha1});
    let good_claims = ClientCertificate::claims(&v2);
    let good = cert.sign(&header, &good_claims);
    let (head, _) = good.rsplit_once('.').unwrap();
    let mut expired = good_claims.clone();
    expired["exp"] = json!(OffsetDateTime::now_utc().unix_timestamp() - 60);
    let cases: [(&str, String, u16, &str, u64); 6] = [
        (
            "unknown thumbprint",
            stranger.sign(&json!({"alg": "RS256", "x5t": stranger.sha1}), &good_claims),
            401,
            "invalid_client",
            700027,
        ),
        (
            "signed by another key",
            format!(
                "{head}.{}",
                stranger
                    .sign(&header, &good_claims)
                    .rsplit_once('.')
                    .unwrap()
                    .1
            ),
            401,
            "invalid_client",
            700027,
        ),
        (
            "expired",
            cert.sign(&header, &expired),
            401,
            "invalid_client",
            700024,
        ),
        (
            "for another endpoint",
            cert.sign(
                &header,
                &ClientCertificate::claims("https://login.microsoftonline.com/x/oauth2/v2.0/token"),
            ),
            401,
            "invalid_client",
            700023,
        ),
        (
            "malformed",
            format!("{head}.%%%"),
            400,
            "invalid_request",
            50027,
        ),
        (
            "no thumbprint",
            cert.sign(&json!({"alg": "RS256"}), &good_claims),
            400,
            "invalid_request",
            50027,
        ),
    ];
    for (what, assertion, status, error, code) in cases {
        let answer = emu.assertion_token_request(&assertion).await;
        assert_eq!(answer.status(), status, "{what}: {}", answer.json());
        let body = answer.json();
        assert_eq!(body["error"], error, "{what}");
        assert_eq!(body["error_codes"], json!([code]), "{what}");
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with(&format!("AADSTS{code}: ")),
            "{what}: {description}"
        );
    }
    let expired_key = ClientCertificate::new(
        client_key(),
        OffsetDateTime::now_utc() - time::Duration::hours(1),
    );
    expired_key.register(&emu).await;
    let answer = emu
        .assertion_token_request(&expired_key.sign(
            &json!({"alg": "RS256", "x5t": expired_key.sha1}),
            &good_claims,
        ))
        .await;
    assert_eq!(answer.json()["error_codes"], json!([700027]));
    assert!(
        answer.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("The key used is expired")
    );
}

#[tokio::test]
async fn applications_sign_in_to_auxiliary_tenants_too() {
    let emu = Emulator::start(Settings::default()).await;
    emu.openid_configuration(DEFAULT_AUXILIARY_TENANT_ID).await;
    let answer = emu
        .token_request_in(
            DEFAULT_AUXILIARY_TENANT_ID,
            &client_credentials(SECRET, ARM_SCOPE),
        )
        .await;
    assert_eq!(answer.status(), 200);
    let token = answer.json()["access_token"].as_str().unwrap().to_owned();
    let aux = claims(&token);
    assert_eq!(aux["tid"], DEFAULT_AUXILIARY_TENANT_ID);
    assert_eq!(
        aux["iss"],
        format!("https://sts.windows.net/{DEFAULT_AUXILIARY_TENANT_ID}/")
    );
    assert_eq!(aux["appid"], CLIENT_ID);
    let logged_request = &logged(&emu, "token").await[0];
    assert_eq!(logged_request["grant"], "client_secret");
    assert_eq!(logged_request["tenant"], DEFAULT_AUXILIARY_TENANT_ID);
    assert_eq!(logged_request["client_secret_seen"], true);

    // ARM: the primary token of the world's tenant, the auxiliary one beside it.
    emu.clear_log().await;
    let url = format!("{DB}/dataConnections?{V2025}");
    let primary = format!("Bearer {}", emu.token);
    let auxiliary = format!("Bearer {token}");
    let with = |value: String| {
        let primary = primary.clone();
        let emu = &emu;
        let url = url.clone();
        async move {
            emu.send(
                Method::GET,
                &url,
                &[
                    ("authorization", &primary),
                    ("x-ms-authorization-auxiliary", &value),
                ],
                Body::empty(),
            )
            .await
        }
    };
    assert_eq!(with(auxiliary.clone()).await.status(), 200);
    let arm_entries = logged(&emu, "arm").await;
    assert_eq!(
        arm_entries[0]["auxiliary_tenants"],
        json!([DEFAULT_AUXILIARY_TENANT_ID])
    );
    let four = [auxiliary.as_str(); 4].join(", ");
    let graph = emu.token_for("https://graph.microsoft.com/.default").await;
    for (value, code) in [
        (four, "AuthenticationFailed"),
        (token.clone(), "AuthenticationFailed"),
        (
            "Bearer not.a-token".to_owned(),
            "InvalidAuthenticationToken",
        ),
        (format!("Bearer {graph}"), "InvalidAuthenticationToken"),
    ] {
        let refused = with(value.clone()).await;
        assert_eq!(refused.status(), 401, "{value}");
        assert!(header(&refused, "www-authenticate").starts_with("Bearer authorization_uri="));
        let body = refused.json();
        assert_eq!(body["error"]["code"], code, "{value}");
        assert_error_mentions(&body, "x-ms-authorization-auxiliary");
    }
    // An auxiliary token that expires is refused once it has.
    emu.advance(3600);
    let mut emu = emu;
    emu.token = emu.token_for(ARM_SCOPE).await;
    let expired = emu
        .send(
            Method::GET,
            &url,
            &[
                ("authorization", &format!("Bearer {}", emu.token)),
                ("x-ms-authorization-auxiliary", &auxiliary),
            ],
            Body::empty(),
        )
        .await;
    assert_eq!(expired.status(), 401);
    assert_eq!(
        expired.json()["error"]["code"],
        "ExpiredAuthenticationToken"
    );
    assert_error_mentions(&expired.json(), DEFAULT_AUXILIARY_TENANT_ID);
}

#[tokio::test]
async fn managed_identity_requests_are_logged_with_their_grant_and_tenant() {
    let emu = Emulator::start(Settings::default()).await;
    assert_eq!(emu.imds_token_request().await.status(), 200);
    let entry = &logged(&emu, "managed_identity").await[0];
    assert_eq!(entry["grant"], "managed_identity");
    assert_eq!(entry["tenant"], TENANT);
}

#[tokio::test]
async fn world_reads_hide_the_ci_request_tokens() {
    let emu = Emulator::start(Settings::default()).await;
    let world = emu.admin_json("/world").await;
    let text = world.to_string();
    assert!(!text.contains(DEFAULT_GITHUB_REQUEST_TOKEN), "{text}");
    assert!(!text.contains(DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN), "{text}");
    assert_eq!(world["ci"]["github"]["subject"], DEFAULT_GITHUB_SUBJECT);
    assert_eq!(
        world["auxiliary_tenants"],
        json!([DEFAULT_AUXILIARY_TENANT_ID])
    );
    let trusted = &world["applications"][0]["federated_credentials"];
    assert_eq!(
        trusted.as_array().unwrap().len(),
        2,
        "GitHub and Azure DevOps"
    );
    // Written back without them, the world keeps them.
    let mut changed = world.clone();
    changed["ci"]["github"]["subject"] = json!("repo:example/kusto:ref:refs/heads/main");
    assert_eq!(
        emu.admin(Method::PUT, "/world", Some(&changed))
            .await
            .status(),
        200
    );
    let answer = emu
        .get_authorized(
            &github_url(),
            Some(&format!("Bearer {DEFAULT_GITHUB_REQUEST_TOKEN}")),
        )
        .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        claims(answer.json()["value"].as_str().unwrap())["sub"],
        "repo:example/kusto:ref:refs/heads/main"
    );
}
