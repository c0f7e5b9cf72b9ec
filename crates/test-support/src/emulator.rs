//! One running `kusto-emulator` for one test: the harness every integration test layer builds on.
//!
//! Each test starts its own emulator on its own port (the emulator's default listen address is
//! `127.0.0.1:0`), so tests run in parallel and never see each other's resources or requests. The
//! handle waits for the emulator's JSON ready line (its start-up contract), trusts the CA that
//! line names, captures stderr to explain failures, and kills the process when dropped.
//!
//! Process control is blocking (`std::process`): starting takes one line of output and stopping
//! one `wait`, so async tests can call it too. The HTTP calls (admin API, tokens) are async on
//! `reqwest`, which every layer already uses; the synchronous Terraform tests drive them on a
//! runtime of their own.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use reqwest::{Certificate, Client, Method, Response, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use tempfile::TempDir;

/// How long the emulator may take to print its ready line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The JSON line the emulator prints on stdout once it serves requests.
#[derive(Debug, Clone, Deserialize)]
pub struct Ready {
    pub endpoint: String,
    pub metadata_host: String,
    /// Path of the CA certificate the emulator's TLS certificate chains to.
    pub ca_cert: String,
    pub tenant_id: String,
    pub subscription_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// The credential of the admin API (`Authorization: Bearer <admin_token>`).
    pub admin_token: String,
    /// What a GitHub Actions job exports as `ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`.
    pub github_oidc_request_url: String,
    pub github_oidc_request_token: String,
    /// What an Azure Pipelines job exports as `SYSTEM_OIDCREQUESTURI` and `SYSTEM_ACCESSTOKEN`,
    /// and its service connection.
    pub azure_devops_oidc_request_uri: String,
    pub azure_devops_access_token: String,
    pub azure_devops_service_connection_id: String,
    /// Tenants the world's applications may also sign in to.
    pub auxiliary_tenant_ids: Vec<String>,
}

/// A running emulator; killed on drop.
pub struct EmulatorProcess {
    child: Child,
    ready_line: String,
    ready: Ready,
    ca_pem: Vec<u8>,
    client: Client,
    /// The emulator's working and temporary directory: its stderr log and, by default, its CA.
    dir: TempDir,
}

impl EmulatorProcess {
    /// Starts the `kusto-emulator` of this build with `flags` and waits for its ready line.
    pub fn start(flags: &[&str]) -> EmulatorProcess {
        EmulatorProcess::start_binary(&emulator_binary(), flags)
    }

    /// Starts the emulator `binary` (one from a release, say) with `flags` and waits for its
    /// ready line.
    pub fn start_binary(binary: &Path, flags: &[&str]) -> EmulatorProcess {
        let dir = tempfile::tempdir().expect("emulator directory");
        let stderr = File::create(stderr_path(&dir)).expect("emulator stderr file");
        let mut child = Command::new(binary)
            .args(flags)
            .current_dir(dir.path())
            // A temporary CA (no `--state`, no `--ca-file`) goes here too, so it is removed
            // with the handle even when the emulator is killed before it can clean up.
            .env("TMPDIR", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start kusto-emulator");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = sender.send(reader.read_line(&mut line).map(|_| line));
            // Keep draining so the emulator never blocks on a full pipe.
            let _ = reader.read_to_end(&mut Vec::new());
        });
        let line = match receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Ok(line)) if !line.trim().is_empty() => line.trim().to_owned(),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "kusto-emulator printed no ready line ({other:?}); stderr:\n{}",
                    fs::read_to_string(stderr_path(&dir)).unwrap_or_default()
                )
            }
        };
        let ready: Ready = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!("emulator ready line {line:?} is not the documented JSON: {e}")
        });
        let ca_pem = fs::read(&ready.ca_cert).expect("emulator CA certificate");
        let client = client_trusting(&ca_pem);
        EmulatorProcess {
            child,
            ready_line: line,
            ready,
            ca_pem,
            client,
            dir,
        }
    }

    /// What the emulator printed when it became ready.
    pub fn ready(&self) -> &Ready {
        &self.ready
    }

    /// The ready line verbatim (trimmed), for consumers that parse it themselves.
    pub fn ready_line(&self) -> &str {
        &self.ready_line
    }

    /// The emulator's CA certificate (PEM).
    pub fn ca_pem(&self) -> &[u8] {
        &self.ca_pem
    }

    /// Where the emulator's CA certificate is stored.
    pub fn ca_file(&self) -> PathBuf {
        PathBuf::from(&self.ready.ca_cert)
    }

    /// An HTTP client that trusts the emulator's CA (and nothing else).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// `path` on the emulator's endpoint.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.ready.endpoint.trim_end_matches('/'))
    }

    /// What the emulator wrote on stderr so far, to explain a failure.
    pub fn stderr(&self) -> String {
        fs::read_to_string(stderr_path(&self.dir)).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(killed.success(), "kill -TERM failed");
        self.child.wait().expect("wait for kusto-emulator")
    }

    /// Calls the admin API (`/_emulator{path}`) with the admin token.
    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut request = self
            .client
            .request(method, self.url(&format!("/_emulator{path}")))
            .bearer_auth(&self.ready.admin_token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("admin request")
    }

    /// Calls the admin API and returns the status with the JSON body (null when empty).
    pub async fn admin_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let response = self.admin(method, path, body).await;
        let status = response.status();
        let bytes = response.bytes().await.expect("admin response body");
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("admin response JSON")
        };
        (status, value)
    }

    /// The request log (`GET /_emulator/requests`), as JSON entries.
    pub async fn requests(&self) -> Vec<Value> {
        let (status, body) = self.admin_json(Method::GET, "/requests", None).await;
        assert!(status.is_success(), "request log answered {status}: {body}");
        match body["requests"].as_array() {
            Some(entries) => entries.clone(),
            None => panic!("the request log has no `requests` array: {body}"),
        }
    }

    /// Empties the request log.
    pub async fn clear_requests(&self) {
        let status = self.admin(Method::DELETE, "/requests", None).await.status();
        assert_eq!(status, StatusCode::NO_CONTENT, "clearing the request log");
    }

    /// Replaces the fault plan (see `crates/kusto-emulator/src/faults.rs` for its JSON).
    pub async fn set_faults(&self, plan: &Value) {
        let (status, body) = self.admin_json(Method::POST, "/faults", Some(plan)).await;
        assert!(status.is_success(), "fault plan refused ({status}): {body}");
    }

    /// A token for `scope` from the emulator's token endpoint, with the world's client secret.
    pub async fn token(&self, scope: &str) -> String {
        let ready = &self.ready;
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &ready.client_id)
            .append_pair("client_secret", &ready.client_secret)
            .append_pair("grant_type", "client_credentials")
            .append_pair("scope", scope)
            .finish();
        let response = self
            .client
            .post(self.url(&format!("/{}/oauth2/v2.0/token", ready.tenant_id)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .expect("token request");
        assert_eq!(response.status(), StatusCode::OK, "token request");
        let body: Value = response.json().await.expect("token response JSON");
        body["access_token"]
            .as_str()
            .expect("access_token in the token response")
            .to_owned()
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        // Harmless after `terminate`: a reaped child is not signalled again.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `kusto-emulator` with `flags` that make it exit without serving (`--help`, a usage
/// error, an address it cannot serve) and returns what it printed; kills it and fails when it
/// is still running after the start-up timeout.
pub fn run_to_exit(flags: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("emulator directory");
    let child = Command::new(emulator_binary())
        .args(flags)
        .current_dir(dir.path())
        .env("TMPDIR", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kusto-emulator");
    let pid = child.id().to_string();
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(STARTUP_TIMEOUT) {
        Ok(output) => output.expect("kusto-emulator output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("kusto-emulator {flags:?} did not exit within {STARTUP_TIMEOUT:?}");
        }
    }
}

/// The `kusto-emulator` binary of this build.
fn emulator_binary() -> PathBuf {
    crate::binary("kusto-emulator", "kusto-emulator")
}

/// An HTTP client that trusts `ca_pem`.
pub fn client_trusting(ca_pem: &[u8]) -> Client {
    Client::builder()
        .add_root_certificate(Certificate::from_pem(ca_pem).expect("CA certificate PEM"))
        .build()
        .expect("HTTP client")
}

fn stderr_path(dir: &TempDir) -> PathBuf {
    dir.path().join("emulator.stderr")
}
