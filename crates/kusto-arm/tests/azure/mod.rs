//! Test harness: runs the real `kusto-emulator` binary and builds ARM clients against it.

use std::path::PathBuf;
use std::time::Duration;

use kusto_arm::{
    CallContext, Client, ClientConfig, Cloud, Credential, DataConnectionId, EventHubDataConnection,
    EventHubSettings, Secret,
};
use serde_json::{Value, json};

use test_support::emulator as support;

use support::EmulatorProcess;
pub use support::Ready;

/// A running emulator, killed when dropped.
pub struct Emulator {
    process: EmulatorProcess,
}

impl Emulator {
    /// Starts the emulator with `args` and waits for its start-up line.
    pub fn start(args: &[&str]) -> Self {
        Self {
            process: EmulatorProcess::start(args),
        }
    }

    /// An emulator whose operations finish at once and which asks for no waits.
    pub fn instant() -> Self {
        Self::start(&["--lro-seconds", "0", "--retry-after", "0"])
    }

    /// An emulator with `flags` and the fault-plan `rules` installed.
    pub async fn with_faults(flags: &[&str], rules: Value) -> Self {
        let emulator = Self::start(flags);
        emulator.set_faults(json!({ "rules": rules })).await;
        emulator
    }

    /// What the emulator printed when it became ready.
    pub fn info(&self) -> &Ready {
        self.process.ready()
    }

    /// The ready line verbatim, to hand to a child process.
    pub fn ready_line(&self) -> &str {
        self.process.ready_line()
    }

    /// Where the emulator's CA certificate is stored.
    pub fn ca_file(&self) -> PathBuf {
        self.process.ca_file()
    }

    /// A client configuration: client secret, cloud from the metadata host, the emulator's CA,
    /// and short waits where the emulator does not ask for any (its `Retry-After` is obeyed):
    /// 50 ms before the first retry, 100 ms between polls and busy-cluster retries.
    pub fn config(&self) -> ClientConfig {
        let credential = Credential::ClientSecret {
            tenant_id: self.info().tenant_id.clone(),
            client_id: self.info().client_id.clone(),
            secret: Secret::new(self.info().client_secret.clone()),
        };
        let mut config = ClientConfig::new(
            credential,
            Cloud::MetadataHost(self.info().metadata_host.clone()),
        );
        config.extra_ca_file = Some(self.ca_file());
        config.poll_interval = Duration::from_millis(100);
        config.retry.initial_delay = Duration::from_millis(50);
        config
    }

    /// A connected client.
    pub async fn client(&self) -> Client {
        Client::connect(self.config(), &ctx()).await.unwrap()
    }

    /// Connects a client that signs in with `credential` and reads a data connection that
    /// does not exist.
    pub async fn read_absent_as(&self, credential: Credential) {
        let mut config = self.config();
        config.credential = credential;
        let client = Client::connect(config, &ctx()).await.unwrap();
        let ops = client.data_connections();
        assert_eq!(ops.get(&ctx(), &self.id("absent")).await.unwrap(), None);
    }

    /// Writes data connection `name` with the default settings through a new client, with
    /// the full PUT of an update.
    pub async fn put(&self, name: &str) -> kusto_arm::Result<EventHubDataConnection> {
        let client = self.client().await;
        let ops = client.data_connections();
        ops.create_or_update(&ctx(), &self.id(name), &self.settings())
            .await
    }

    /// The id of data connection `name` in the default world's database.
    pub fn id(&self, name: &str) -> DataConnectionId {
        DataConnectionId::new(
            &self.info().subscription_id,
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
                self.info().subscription_id
            ),
            consumer_group: "$Default".into(),
            table_name: Some("Events".into()),
            mapping_rule_name: Some("events_json".into()),
            data_format: Some("JSON".into()),
            ..Default::default()
        }
    }

    /// The emulator's request log.
    pub async fn requests(&self) -> Vec<Value> {
        self.process.requests().await
    }

    /// Log entries of one `kind` (`token`, `poll`, `arm`, ...).
    pub async fn requests_of_kind(&self, kind: &str) -> Vec<Value> {
        self.requests()
            .await
            .into_iter()
            .filter(|r| r["kind"] == kind)
            .collect()
    }

    /// Adds an empty database `name` to the default world's cluster.
    pub async fn add_database(&self, name: &str) {
        let (status, mut world) = self
            .process
            .admin_json(reqwest::Method::GET, "/world", None)
            .await;
        assert!(status.is_success(), "{status}: {world}");
        world["clusters"][0]["databases"]
            .as_array_mut()
            .expect("the default world's cluster has databases")
            .push(json!({ "name": name }));
        let (status, body) = self
            .process
            .admin_json(reqwest::Method::PUT, "/world", Some(&world))
            .await;
        assert!(status.is_success(), "{status}: {body}");
    }

    /// Installs a fault plan.
    pub async fn set_faults(&self, plan: Value) {
        self.process.set_faults(&plan).await;
    }

    /// A PUT sent outside the client under test (another writer on the same cluster).
    pub async fn raw_put(&self, id: &DataConnectionId, body: &Value) -> reqwest::StatusCode {
        let scope = self.process.url("/.default");
        let token = self.process.token(&scope).await;
        self.process
            .client()
            .put(self.process.url(&format!("{id}?api-version=2025-02-14")))
            .bearer_auth(token)
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
