//! A running `kusto-emulator` for one test, and its admin API (`/_emulator/...`).
//!
//! Each test starts its own emulator on its own port, so tests run in parallel and never see
//! each other's resources or requests. The handle reads the emulator's ready line (its
//! start-up contract), gives the environment a user exports to point the provider at it, and
//! stops the process when dropped.
//!
//! The process handle and the admin calls every layer shares are in [`crate::emulator`];
//! this module adds the typed views and world edits the Terraform tests need. Every admin call
//! carries the ready line's `admin_token` (the shared handle sends it); the world it reads has
//! no client secrets, and writing it back keeps them. The admin API is
//! async `reqwest`, driven here on a small current-thread tokio runtime owned by the handle and
//! wrapped in blocking methods: the Terraform tests are synchronous (they wait on `terraform`
//! processes), and `reqwest::blocking` would need an extra feature for this one use.

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::emulator as support;

use support::EmulatorProcess;
pub use support::Ready;

/// One entry of the emulator's request log (`GET /_emulator/requests`).
#[derive(Debug, Clone, Deserialize)]
pub struct LoggedRequest {
    pub seq: u64,
    #[serde(deserialize_with = "rfc3339")]
    pub time: OffsetDateTime,
    pub method: String,
    /// The path, percent-decoded.
    pub path: String,
    pub query: Option<String>,
    /// The response status; 0 when the fault plan dropped the connection.
    pub status: u16,
    /// Client TCP connection number, in accept order.
    pub connection: u64,
    /// `metadata`, `discovery`, `token`, `managed_identity`, `poll`, `poll_location`, `arm`
    /// or `other`.
    pub kind: String,
    /// Which fault-plan action answered the request, if any.
    pub fault: Option<String>,
    /// Whether a client secret of the world was in the request line, a header or the body.
    pub client_secret_seen: bool,
    /// For token requests, the grant Entra saw (`client_secret`,
    /// `client_assertion_federated`, `client_assertion_certificate`).
    pub grant: Option<String>,
    /// For token requests, the tenant asked for.
    pub tenant: Option<String>,
    /// The tenants of the `x-ms-authorization-auxiliary` tokens an ARM request carried.
    #[serde(default)]
    pub auxiliary_tenants: Vec<String>,
}

impl LoggedRequest {
    /// Whether this is a request on the data connection itself (not a list, not a validation).
    pub fn is_on(&self, method: &str, data_connection_id: &str) -> bool {
        self.method == method && self.path.eq_ignore_ascii_case(data_connection_id)
    }

    /// Whether this is an ARM request or an operation poll (anything past authentication).
    pub fn is_arm(&self) -> bool {
        matches!(self.kind.as_str(), "arm" | "poll" | "poll_location")
    }
}

/// The statuses of the requests `method` on data connection `id`, in the order sent.
pub fn statuses_on(requests: &[LoggedRequest], method: &str, id: &str) -> Vec<u16> {
    requests
        .iter()
        .filter(|r| r.is_on(method, id))
        .map(|r| r.status)
        .collect()
}

fn rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    let text = String::deserialize(d)?;
    OffsetDateTime::parse(&text, &Rfc3339).map_err(serde::de::Error::custom)
}

/// A long-running operation as the emulator tracks it (`GET /_emulator/operations`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub id: String,
    /// `Create`, `Update`, `Delete` or `Validate`.
    pub kind: String,
    pub resource_id: String,
    pub status: String,
    #[serde(deserialize_with = "rfc3339")]
    pub start_time: OffsetDateTime,
}

/// A running emulator; stopped (and its files removed) on drop.
pub struct Emulator {
    process: EmulatorProcess,
    runtime: tokio::runtime::Runtime,
}

impl Emulator {
    /// An emulator whose operations finish at once and ask for no wait between polls.
    pub fn fast() -> Emulator {
        Emulator::start(&["--lro-seconds", "0", "--retry-after", "0"])
    }

    /// Starts the emulator with `flags` and waits for its ready line.
    pub fn start(flags: &[&str]) -> Emulator {
        Emulator::on(EmulatorProcess::start(flags))
    }

    /// Starts the emulator `binary` (one from a release) with `flags`.
    pub fn start_binary(binary: &Path, flags: &[&str]) -> Emulator {
        Emulator::on(EmulatorProcess::start_binary(binary, flags))
    }

    fn on(process: EmulatorProcess) -> Emulator {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        Emulator { process, runtime }
    }

    /// What the emulator printed when it became ready.
    pub fn ready(&self) -> &Ready {
        self.process.ready()
    }

    /// The environment that points the provider at this emulator, as scripts/quickstart.py
    /// exports it.
    pub fn provider_env(&self) -> Vec<(&'static str, String)> {
        let r = self.process.ready();
        vec![
            ("ARM_METADATA_HOSTNAME", r.metadata_host.clone()),
            ("ARM_TENANT_ID", r.tenant_id.clone()),
            ("ARM_SUBSCRIPTION_ID", r.subscription_id.clone()),
            ("ARM_CLIENT_ID", r.client_id.clone()),
            ("ARM_CLIENT_SECRET", r.client_secret.clone()),
            ("SSL_CERT_FILE", r.ca_cert.clone()),
        ]
    }

    /// What the emulator wrote on stderr so far, to explain a failure.
    pub fn stderr(&self) -> String {
        self.process.stderr()
    }

    /// Calls the admin API; panics unless the status is a success.
    fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let (status, value) = self.admin_status(method.clone(), path, body);
        assert!(
            status.is_success(),
            "admin {method} {path} answered {status}: {value}"
        );
        value
    }

    /// Calls the admin API and returns the status with the JSON body (null when empty).
    fn admin_status(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.runtime
            .block_on(self.process.admin_json(method, path, body))
    }

    /// The whole world (`GET /world`).
    pub fn world(&self) -> Value {
        self.admin(Method::GET, "/world", None)
    }

    /// Replaces the world (`PUT /world`).
    pub fn set_world(&self, world: &Value) {
        self.admin(Method::PUT, "/world", Some(world));
    }

    /// Changes the world with `edit` (read, edit, replace).
    pub fn edit_world(&self, edit: impl FnOnce(&mut Value)) {
        let mut world = self.world();
        edit(&mut world);
        self.set_world(&world);
    }

    /// The stored data connections, keyed by lower-cased id.
    pub fn data_connections(&self) -> Map<String, Value> {
        match self.admin(Method::GET, "/data-connections", None) {
            Value::Object(map) => map,
            other => panic!("data connections are not an object: {other}"),
        }
    }

    /// The stored data connection with this id (any casing), if there is one.
    pub fn data_connection(&self, id: &str) -> Option<Value> {
        let (status, value) = self.admin_status(
            Method::GET,
            &format!("/data-connection?id={}", encode(id)),
            None,
        );
        match status {
            StatusCode::NOT_FOUND => None,
            s if s.is_success() => Some(value),
            s => panic!("admin GET data-connection answered {s}: {value}"),
        }
    }

    /// Merge-patches a stored connection, as a change made outside Terraform.
    pub fn patch_data_connection(&self, id: &str, patch: &Value) {
        self.admin(
            Method::PATCH,
            &format!("/data-connection?id={}", encode(id)),
            Some(patch),
        );
    }

    /// Removes a stored connection, as a deletion made outside Terraform.
    pub fn delete_data_connection(&self, id: &str) {
        self.admin(
            Method::DELETE,
            &format!("/data-connection?id={}", encode(id)),
            None,
        );
    }

    /// Stores a connection directly (no checks, no operation), as one created outside
    /// Terraform. `connection` has the stored shape: `names`, `location`, `kind`,
    /// `provisioningState`, `properties`.
    pub fn insert_data_connection(&self, id: &str, connection: Value) {
        let mut entries = Map::new();
        entries.insert(id.to_ascii_lowercase(), connection);
        let patch = serde_json::json!({ "data_connections": entries });
        self.admin(Method::PATCH, "/world", Some(&patch));
    }

    /// Every operation the emulator started.
    pub fn operations(&self) -> Vec<Operation> {
        let body = self.admin(Method::GET, "/operations", None);
        serde_json::from_value(body["operations"].clone()).expect("operations JSON")
    }

    /// The request log.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        let entries = self.runtime.block_on(self.process.requests());
        serde_json::from_value(Value::Array(entries)).expect("request log JSON")
    }

    /// The logged requests `method` on data connection `id`, in the order sent.
    pub fn requests_on(&self, method: &str, id: &str) -> Vec<LoggedRequest> {
        let mut requests = self.requests();
        requests.retain(|r| r.is_on(method, id));
        requests
    }

    /// How many operations of `kind` (`Create`, `Delete`, ...) the emulator started.
    pub fn operations_of(&self, kind: &str) -> usize {
        self.operations().iter().filter(|o| o.kind == kind).count()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.runtime.block_on(self.process.clear_requests());
    }

    /// Replaces the fault plan (see `crates/kusto-emulator/src/faults.rs` for its JSON).
    pub fn set_faults(&self, plan: &Value) {
        self.runtime.block_on(self.process.set_faults(plan));
    }

    /// The fault plan with each rule's hit count.
    pub fn faults(&self) -> Value {
        self.admin(Method::GET, "/faults", None)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.admin(Method::DELETE, "/faults", None);
    }
}

/// Percent-encodes a query parameter value.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
