//! Shared helpers for the black-box emulator tests: spawn the real `kusto-emulator` binary,
//! read its ready line, and talk to it over HTTPS trusting only its CA.

#![allow(dead_code)]

use std::process::Stdio;

use reqwest::{Certificate, Client, Method, Response};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const SUB: &str = "00000000-0000-0000-0000-000000000001";
pub const TENANT: &str = "00000000-0000-0000-0000-000000000002";
pub const CLIENT_ID: &str = "00000000-0000-0000-0000-000000000003";
pub const SECRET: &str = "kusto-emulator-secret";
pub const DB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb";
pub const HUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events";
pub const V2024: &str = "api-version=2024-04-13";
pub const V2025: &str = "api-version=2025-02-14";

pub struct Emulator {
    pub child: Child,
    pub ready: Value,
    pub endpoint: String,
    pub ca_pem: Vec<u8>,
    pub client: Client,
    pub token: String,
}

/// `{DB}/dataConnections/{name}?api-version=2024-04-13`.
pub fn dc(name: &str) -> String {
    format!("{DB}/dataConnections/{name}?{V2024}")
}

/// A valid create body for the default world.
pub fn body(table: &str, mapping: &str, format: &str) -> Value {
    json!({"kind": "EventHub", "location": "westeurope", "properties": {
        "eventHubResourceId": HUB, "consumerGroup": "$Default",
        "tableName": table, "mappingRuleName": mapping, "dataFormat": format}})
}

pub fn client_trusting(ca_pem: &[u8]) -> Client {
    Client::builder()
        .add_root_certificate(Certificate::from_pem(ca_pem).unwrap())
        .build()
        .unwrap()
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

impl Emulator {
    /// Spawns the emulator with `args` and waits for its ready line.
    pub async fn start(args: &[&str]) -> Emulator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kusto-emulator"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let line = BufReader::new(stdout)
            .lines()
            .next_line()
            .await
            .unwrap()
            .unwrap();
        let ready: Value = serde_json::from_str(&line).unwrap();
        let endpoint = ready["endpoint"].as_str().unwrap().to_owned();
        let ca_pem = std::fs::read(ready["ca_cert"].as_str().unwrap()).unwrap();
        let client = client_trusting(&ca_pem);
        let mut emulator = Emulator {
            child,
            ready,
            endpoint,
            ca_pem,
            client,
            token: String::new(),
        };
        emulator.token = emulator
            .token_for("https://management.azure.com/.default")
            .await;
        emulator.clear_log().await;
        emulator
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }

    pub async fn token_request(&self, pairs: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(&format!("/{TENANT}/oauth2/v2.0/token")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .await
            .unwrap()
    }

    pub async fn token_for(&self, scope: &str) -> String {
        let response = self
            .token_request(&[
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("grant_type", "client_credentials"),
                ("scope", scope),
            ])
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// An authenticated ARM request; `path` may be absolute (an operation URL) or a path.
    pub async fn arm(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let url = if path.starts_with("https://") {
            path.to_owned()
        } else {
            self.url(path)
        };
        let mut request = self.client.request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.arm(Method::GET, path, None).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Creates a data connection and waits for its operation (needs `--lro-seconds 0`).
    pub async fn create(&self, name: &str, body: &Value) -> Value {
        let response = self.arm(Method::PUT, &dc(name), Some(body)).await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        let aao = header(&response, "azure-asyncoperation");
        self.get_json(&aao).await.1
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut request = self
            .client
            .request(method, self.url(&format!("/_emulator{path}")));
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    pub async fn requests(&self) -> Vec<Value> {
        let body: Value = self
            .admin(Method::GET, "/requests", None)
            .await
            .json()
            .await
            .unwrap();
        body["requests"].as_array().unwrap().clone()
    }

    pub async fn clear_log(&self) {
        assert_eq!(
            self.admin(Method::DELETE, "/requests", None).await.status(),
            204
        );
    }

    /// Sends SIGTERM and returns whether the process exited successfully.
    pub async fn terminate(mut self) -> bool {
        let pid = self.child.id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        self.child.wait().await.unwrap().success()
    }
}

pub fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
        .to_owned()
}
