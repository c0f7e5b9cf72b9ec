//! The in-process emulator: `kusto_emulator::app` driven as a tower service with
//! `ServiceExt::oneshot`, on a manual clock, with the default world. No process, socket or
//! TLS handshake, so a test costs microseconds; what needs those stays in the black-box
//! tier (`emulator_contract.rs` and friends).
//!
//! Requests carry `Host: localhost:1`, so URLs the emulator hands back start with
//! [`ENDPOINT`]; [`Emulator::arm`] takes such a URL as well as a path.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use kusto_emulator::{AppState, Clock as _, Config, FaultPlan, ManualClock, Settings, World, app};
use serde_json::Value;
use time::OffsetDateTime;
use tower::ServiceExt as _;

#[path = "../default_world/mod.rs"]
mod default_world;

pub use default_world::*;

/// The address every request names in its `Host` header.
pub const HOST: &str = "localhost:1";
/// The endpoint as the emulator sees it, the start of every URL it hands back.
pub const ENDPOINT: &str = "https://localhost:1";

/// Settings with operations lasting `seconds`, the rest as the binary's defaults.
pub fn lro(seconds: u64) -> Settings {
    Settings {
        lro_seconds: seconds,
        ..Settings::default()
    }
}

/// A whole answer: status, headers and body.
#[derive(Debug)]
pub struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The body as JSON (null when empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl default_world::ResponseHeaders for Answer {
    fn header_map(&self) -> &HeaderMap {
        &self.headers
    }
}

/// The ARM or operation error in `body` has a message that mentions `text`.
pub fn assert_error_mentions(body: &Value, text: &str) {
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(text), "{text:?} not in {body}");
}

pub struct Emulator {
    app: Router,
    state: AppState,
    pub clock: Arc<ManualClock>,
    /// The bearer token [`Emulator::arm`] sends.
    pub token: String,
}

impl Emulator {
    /// An emulator with `settings` and the default world; takes an ARM token and empties
    /// the request log.
    pub async fn start(settings: Settings) -> Emulator {
        let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        let state = AppState::new(Config {
            settings,
            world: World::default(),
            restored: None,
            state_file: None,
            faults: FaultPlan::default(),
            clock: clock.clone(),
            print_requests: false,
        })
        .expect("in-process state");
        let mut emu = Emulator {
            app: app(state.clone()),
            state,
            clock,
            token: String::new(),
        };
        emu.token = emu.token_for(ARM_SCOPE).await;
        emu.clear_log().await;
        emu
    }

    /// The credential of the admin API.
    pub fn admin_token(&self) -> &str {
        self.state.admin_token()
    }

    /// `path` on the emulator's endpoint, as the URLs it hands back spell it.
    pub fn url(&self, path: &str) -> String {
        format!("{ENDPOINT}{path}")
    }

    /// Sends one request to the application; `path` may be a URL the emulator handed back.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Body,
    ) -> Answer {
        let path = path
            .strip_prefix(ENDPOINT)
            .unwrap_or(path)
            .replace(' ', "%20");
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", HOST);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).expect("request"))
            .await
            .expect("the router never fails");
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("response body");
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn send_json(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut headers = Vec::new();
        if let Some(value) = authorization {
            headers.push(("authorization", value));
        }
        let body = match body {
            Some(value) => {
                headers.push(("content-type", "application/json"));
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        self.send(method, path, &headers, body).await
    }

    /// An authenticated ARM request.
    pub async fn arm(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let bearer = format!("Bearer {}", self.token);
        self.send_json(method, path, Some(&bearer), body).await
    }

    /// A POST of `body` to `action` on the default database (`checkNameAvailability`,
    /// `dataConnectionValidation`), with api-version 2025-02-14.
    pub async fn database_action(&self, action: &str, body: &Value) -> Answer {
        let path = format!("{DB}/{action}?{V2025}");
        self.arm(Method::POST, &path, Some(body)).await
    }

    /// The status of a request without a body on data connection `name`.
    pub async fn dc_status(&self, method: Method, name: &str) -> StatusCode {
        self.arm(method, &dc(name), None).await.status()
    }

    /// A GET of `path` with `authorization` as the `Authorization` header, if any.
    pub async fn get_authorized(&self, path: &str, authorization: Option<&str>) -> Answer {
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("authorization", *value))
            .collect();
        self.send(Method::GET, path, &headers, Body::empty()).await
    }

    /// A request to `path` without any credential.
    pub async fn anonymous(&self, method: Method, path: &str) -> Answer {
        self.send(method, path, &[], Body::empty()).await
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let answer = self.arm(Method::GET, path, None).await;
        (answer.status().as_u16(), answer.json())
    }

    /// PUT of data connection `name` in the default database.
    pub async fn put_dc(&self, name: &str, body: &Value) -> Answer {
        self.arm(Method::PUT, &dc(name), Some(body)).await
    }

    /// Creates a data connection and returns its operation's status (with operations that
    /// end at once, `lro(0)`).
    pub async fn create(&self, name: &str, body: &Value) -> Value {
        let answer = self.put_dc(name, body).await;
        assert_eq!(answer.status(), 201, "{}", answer.json());
        self.operation_of(&answer).await
    }

    /// The operation status behind a write's `Azure-AsyncOperation` header.
    pub async fn operation_of(&self, write: &Answer) -> Value {
        self.get_json(&header(write, "azure-asyncoperation"))
            .await
            .1
    }

    /// A request to the default tenant's v2 token endpoint with the form `pairs`.
    pub async fn token_request(&self, pairs: &[(&str, &str)]) -> Answer {
        self.token_request_in(TENANT, pairs).await
    }

    /// A request to `tenant`'s v2 token endpoint with the form `pairs`.
    pub async fn token_request_in(&self, tenant: &str, pairs: &[(&str, &str)]) -> Answer {
        self.send(
            Method::POST,
            &format!("/{tenant}/oauth2/v2.0/token"),
            &[("content-type", "application/x-www-form-urlencoded")],
            Body::from(form(pairs)),
        )
        .await
    }

    /// A token request for ARM by the world's application with the client assertion
    /// `assertion`.
    pub async fn assertion_token_request(&self, assertion: &str) -> Answer {
        self.token_request(&client_assertion(assertion)).await
    }

    /// `tenant`'s v2 OpenID configuration, which must name the tenant's token endpoint on
    /// the emulator.
    pub async fn openid_configuration(&self, tenant: &str) -> Value {
        let path = format!("/{tenant}/v2.0/.well-known/openid-configuration");
        let answer = self.anonymous(Method::GET, &path).await;
        assert_eq!(answer.status(), 200, "{path}");
        let configuration = answer.json();
        assert_eq!(
            configuration["token_endpoint"],
            self.url(&format!("/{tenant}/oauth2/v2.0/token"))
        );
        configuration
    }

    /// A token request to the IMDS managed-identity endpoint for ARM, as a VM sends it.
    pub async fn imds_token_request(&self) -> Answer {
        let path = "/metadata/identity/oauth2/token?api-version=2018-02-01\
                    &resource=https://management.azure.com";
        self.send(Method::GET, path, &[("Metadata", "true")], Body::empty())
            .await
    }

    /// Makes `token` the ARM bearer and checks that ARM accepts it (a list of the default
    /// database's data connections).
    pub async fn use_arm_token(&mut self, token: String) {
        self.token = token;
        let (status, body) = self
            .get_json(&format!("{DB}/dataConnections?{V2025}"))
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// A client-credentials token request for ARM with the world's application and `secret`.
    pub async fn arm_token_request(&self, secret: &str) -> Answer {
        self.token_request(&client_credentials(secret, ARM_SCOPE))
            .await
    }

    /// A token for `scope` with the world's client secret.
    pub async fn token_for(&self, scope: &str) -> String {
        let answer = self.token_request(&client_credentials(SECRET, scope)).await;
        assert_eq!(answer.status(), 200, "token request");
        answer.json()["access_token"]
            .as_str()
            .expect("access_token in the token response")
            .to_owned()
    }

    /// Calls the admin API (`/_emulator{path}`) with the admin token.
    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let bearer = format!("Bearer {}", self.admin_token());
        self.send_json(method, &format!("/_emulator{path}"), Some(&bearer), body)
            .await
    }

    /// A GET of the admin API at `path`, as JSON.
    pub async fn admin_json(&self, path: &str) -> Value {
        self.admin(Method::GET, path, None).await.json()
    }

    /// Replaces the fault plan through the admin API.
    pub async fn set_faults(&self, plan: Value) {
        let answer = self.admin(Method::POST, "/faults", Some(&plan)).await;
        assert_eq!(answer.status(), 204, "{}", answer.json());
    }

    /// Moves the emulator's clock `seconds` ahead.
    pub fn advance(&self, seconds: i64) {
        self.clock.advance(time::Duration::seconds(seconds));
    }

    /// The request log (`GET /_emulator/requests`).
    pub async fn requests(&self) -> Vec<Value> {
        self.admin_json("/requests").await["requests"]
            .as_array()
            .unwrap()
            .clone()
    }

    pub async fn clear_log(&self) {
        let answer = self.admin(Method::DELETE, "/requests", None).await;
        assert_eq!(answer.status(), 204, "clearing the request log");
    }
}
