//! Test harness: runs the real `kusto-emulator` binary and builds ARM clients against it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use terraform_provider_kusto::azure::{
    CallContext, Client, ClientConfig, Cloud, Credentials, DataConnectionId, EventHubSettings,
    Secret,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The start-up line the emulator prints on stdout.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Info {
    pub endpoint: String,
    pub metadata_host: String,
    pub ca_cert: String,
    pub tenant_id: String,
    pub subscription_id: String,
    pub client_id: String,
    pub client_secret: String,
}

/// A running emulator, killed when dropped.
pub struct Emulator {
    _child: Child,
    _dir: tempfile::TempDir,
    pub info: Info,
    pub ca_file: PathBuf,
    admin: reqwest::Client,
}

impl Emulator {
    /// Starts the emulator with `args` and waits for its start-up line.
    pub async fn start(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kusto-emulator"))
            .args(args)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the kusto-emulator binary starts");
        let stdout = child.stdout.take().unwrap();
        let line = BufReader::new(stdout)
            .lines()
            .next_line()
            .await
            .unwrap()
            .expect("the emulator prints its start-up line");
        let info: Info = serde_json::from_str(&line).expect("the start-up line is JSON");
        let ca_file = if info.ca_cert.starts_with("-----BEGIN") {
            let path = dir.path().join("ca.pem");
            std::fs::write(&path, &info.ca_cert).unwrap();
            path
        } else {
            PathBuf::from(&info.ca_cert)
        };
        let pem = std::fs::read(&ca_file).unwrap();
        let admin = reqwest::Client::builder()
            .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
            .build()
            .unwrap();
        Self {
            _child: child,
            _dir: dir,
            info,
            ca_file,
            admin,
        }
    }

    /// A client configuration: client secret, cloud from the metadata host, the emulator's CA.
    pub fn config(&self) -> ClientConfig {
        let credentials = Credentials {
            tenant_id: Some(self.info.tenant_id.clone()),
            client_id: Some(self.info.client_id.clone()),
            client_secret: Some(Secret::new(self.info.client_secret.clone())),
            ..Default::default()
        };
        let mut config = ClientConfig::new(
            credentials,
            Cloud::MetadataHost(self.info.metadata_host.clone()),
        );
        config.subscription_id = Some(self.info.subscription_id.clone());
        config.extra_ca_file = Some(self.ca_file.clone());
        config.poll_interval = Duration::from_secs(1);
        config
    }

    /// A connected client.
    pub async fn client(&self) -> Client {
        Client::connect(self.config(), &ctx()).await.unwrap()
    }

    /// The id of data connection `name` in the default world's database.
    pub fn id(&self, name: &str) -> DataConnectionId {
        DataConnectionId::new(
            &self.info.subscription_id,
            "rg-demo",
            "democluster",
            "demodb",
            name,
        )
    }

    /// Valid settings for the default world (table Events, mapping events_json).
    pub fn settings(&self) -> EventHubSettings {
        EventHubSettings {
            location: "westeurope".into(),
            event_hub_resource_id: format!(
                "/subscriptions/{}/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events",
                self.info.subscription_id
            ),
            consumer_group: "$Default".into(),
            table_name: Some("Events".into()),
            mapping_rule_name: Some("events_json".into()),
            data_format: Some("JSON".into()),
            ..Default::default()
        }
    }

    fn admin_url(&self, path: &str) -> String {
        format!(
            "{}/_emulator/{path}",
            self.info.endpoint.trim_end_matches('/')
        )
    }

    /// The emulator's request log.
    pub async fn requests(&self) -> Vec<Value> {
        let body: Value = self
            .admin
            .get(self.admin_url("requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Log entries of one `kind` (`token`, `poll`, `arm`, ...).
    pub async fn requests_of_kind(&self, kind: &str) -> Vec<Value> {
        self.requests()
            .await
            .into_iter()
            .filter(|r| r["kind"] == kind)
            .collect()
    }

    /// Installs a fault plan.
    pub async fn set_faults(&self, plan: Value) {
        let response = self
            .admin
            .post(self.admin_url("faults"))
            .json(&plan)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "fault plan refused: {response:?}"
        );
    }

    /// An ARM token obtained directly from the emulator's token endpoint, for a second,
    /// independent writer.
    pub async fn raw_token(&self) -> String {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.info.endpoint.trim_end_matches('/'),
            self.info.tenant_id
        );
        let scope = format!("{}/.default", self.info.endpoint.trim_end_matches('/'));
        let body: Value = self
            .admin
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("client_id", &self.info.client_id)
                    .append_pair("client_secret", &self.info.client_secret)
                    .append_pair("grant_type", "client_credentials")
                    .append_pair("scope", &scope)
                    .finish(),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// A PUT sent outside the client under test (another writer on the same cluster).
    pub async fn raw_put(&self, id: &DataConnectionId, body: &Value) -> reqwest::StatusCode {
        let url = format!(
            "{}{id}?api-version=2025-02-14",
            self.info.endpoint.trim_end_matches('/')
        );
        self.admin
            .put(url)
            .bearer_auth(self.raw_token().await)
            .json(body)
            .send()
            .await
            .unwrap()
            .status()
    }
}

/// A generous operation budget for tests.
pub fn ctx() -> CallContext {
    CallContext::with_timeout(Duration::from_secs(120))
}
