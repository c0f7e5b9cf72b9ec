//! Helpers for the black-box emulator tests: the default world's ids, valid request bodies, and
//! raw ARM and Entra calls with a token, on top of the shared process handle in
//! the `test-support` crate.

#![allow(dead_code)]

#[path = "../default_world/mod.rs"]
mod default_world;

pub use default_world::*;
pub use test_support::emulator as support;

use reqwest::{Client, Method, Response};
use serde_json::{Value, json};
use support::EmulatorProcess;

pub struct Emulator {
    process: EmulatorProcess,
    /// The ready line as JSON, to check the contract key by key.
    pub ready: Value,
    /// An ARM token for the world's application.
    pub token: String,
}

impl Emulator {
    /// Spawns the emulator with `args`, takes an ARM token and empties the request log.
    pub async fn start(args: &[&str]) -> Emulator {
        let process = EmulatorProcess::start(args);
        let ready = serde_json::from_str(process.ready_line()).unwrap();
        let token = process.token(ARM_SCOPE).await;
        process.clear_requests().await;
        Emulator {
            process,
            ready,
            token,
        }
    }

    /// The ready line as printed.
    pub fn ready_line(&self) -> &str {
        self.process.ready_line()
    }

    /// `https://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.process.ready().endpoint
    }

    /// The emulator's CA certificate (PEM).
    pub fn ca_pem(&self) -> &[u8] {
        self.process.ca_pem()
    }

    /// A client trusting the emulator's CA.
    pub fn client(&self) -> &Client {
        self.process.client()
    }

    pub fn url(&self, path: &str) -> String {
        self.process.url(path)
    }

    pub async fn token_request(&self, pairs: &[(&str, &str)]) -> Response {
        self.client()
            .post(self.url(&token_path()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .await
            .unwrap()
    }

    /// A client-credentials token request for ARM with the world's application and `secret`.
    pub async fn arm_token_request(&self, secret: &str) -> Response {
        self.token_request(&client_credentials(secret, ARM_SCOPE))
            .await
    }

    pub async fn token_for(&self, scope: &str) -> String {
        self.process.token(scope).await
    }

    /// An authenticated ARM request; `path` may be absolute (an operation URL) or a path.
    pub async fn arm(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let url = if path.starts_with("https://") {
            path.to_owned()
        } else {
            self.url(path)
        };
        let mut request = self.client().request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// A request to `path` without any credential.
    pub async fn anonymous(&self, method: Method, path: &str) -> Response {
        self.client()
            .request(method, self.url(path))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.arm(Method::GET, path, None).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// PUT of data connection `name` in the default database.
    pub async fn put_dc(&self, name: &str, body: &Value) -> Response {
        self.arm(Method::PUT, &dc(name), Some(body)).await
    }

    /// PUT of data connection `name` whose answer may not arrive: the transport's outcome.
    pub async fn try_put_dc(&self, name: &str, body: &Value) -> reqwest::Result<Response> {
        self.client()
            .put(self.url(&dc(name)))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
    }

    /// Creates a data connection and waits for its operation (needs `--lro-seconds 0`).
    pub async fn create(&self, name: &str, body: &Value) -> Value {
        let response = self.put_dc(name, body).await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        let aao = header(&response, "azure-asyncoperation");
        self.get_json(&aao).await.1
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        self.process.admin(method, path, body).await
    }

    /// A GET of the admin API at `path`, as JSON.
    pub async fn admin_json(&self, path: &str) -> Value {
        self.admin(Method::GET, path, None)
            .await
            .json()
            .await
            .unwrap()
    }

    /// Replaces the fault plan through the admin API.
    pub async fn set_faults(&self, plan: Value) {
        self.process.set_faults(&plan).await;
    }

    /// Moves the emulator's clock `seconds` ahead.
    pub async fn advance(&self, seconds: i64) {
        let response = self
            .admin(
                Method::POST,
                "/clock/advance",
                Some(&json!({"seconds": seconds})),
            )
            .await;
        assert_eq!(response.status(), 200);
    }

    /// The long-running operations the admin API lists.
    pub async fn operations(&self) -> Vec<Value> {
        self.admin_json("/operations").await["operations"]
            .as_array()
            .unwrap()
            .clone()
    }

    pub async fn requests(&self) -> Vec<Value> {
        self.process.requests().await
    }

    /// What the emulator wrote on stderr so far (its request log and any error).
    pub fn stderr(&self) -> String {
        self.process.stderr()
    }

    /// Sends SIGTERM and returns whether the process exited successfully.
    pub async fn terminate(mut self) -> bool {
        self.process.terminate().success()
    }
}

/// The JSON answer to `request`, which must arrive.
pub async fn json_answer(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

impl default_world::ResponseHeaders for Response {
    fn header_map(&self) -> &reqwest::header::HeaderMap {
        self.headers()
    }
}
