//! The plugin process, started with a clean environment and its own socket directory, and
//! what it prints.

use std::ffi::OsStr;
use std::process::{ExitStatus, Stdio};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

use super::guard::guarded;
use super::handshake::Handshake;
use super::identity::ClientIdentity;

/// The cookie Terraform passes in `TF_PLUGIN_MAGIC_COOKIE`.
pub const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A plugin binary, started with a clean environment and its own socket directory.
pub struct PluginProcess {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stderr: ChildStderr,
    /// The `TMPDIR` it was given, where go-plugin puts its socket.
    pub socket_dir: tempfile::TempDir,
}

/// What the plugin printed and how it ended.
#[derive(Debug)]
pub struct Exit {
    /// How it ended.
    pub status: ExitStatus,
    /// Everything after the lines already read.
    pub stdout: String,
    /// Everything it logged.
    pub stderr: String,
}

impl PluginProcess {
    /// Starts `binary` with `args` and `env` only (plus `TMPDIR`, a fresh directory).
    pub fn spawn(binary: impl AsRef<OsStr>, args: &[&str], env: &[(&str, &str)]) -> Self {
        let socket_dir = tempfile::tempdir().expect("a socket directory");
        let mut child = Command::new(binary)
            .args(args)
            .env_clear()
            .env("TMPDIR", socket_dir.path())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the plugin starts");
        PluginProcess {
            stdout: BufReader::new(child.stdout.take().expect("piped stdout")),
            stderr: child.stderr.take().expect("piped stderr"),
            child,
            socket_dir,
        }
    }

    /// Starts `binary` as Terraform does, with `PLUGIN_CLIENT_CERT` when a client
    /// certificate is given, and `extra` variables on top.
    pub fn launch(
        binary: impl AsRef<OsStr>,
        client: Option<&ClientIdentity>,
        extra: &[(&str, &str)],
    ) -> Self {
        let mut env = vec![
            ("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE),
            ("PLUGIN_PROTOCOL_VERSIONS", "5,6"),
            ("PLUGIN_MIN_PORT", "10000"),
            ("PLUGIN_MAX_PORT", "25000"),
        ];
        if let Some(client) = client {
            env.push(("PLUGIN_CLIENT_CERT", &client.pem));
        }
        env.extend_from_slice(extra);
        Self::spawn(binary, &[], &env)
    }

    /// Reads one line from stdout.
    pub async fn read_line(&mut self) -> String {
        let mut line = String::new();
        guarded("a line on stdout", self.stdout.read_line(&mut line))
            .await
            .expect("stdout is readable");
        line
    }

    /// Reads and parses the handshake line.
    pub async fn handshake(&mut self) -> Handshake {
        let line = self.read_line().await;
        Handshake::parse(&line)
    }

    /// Waits for the process to exit and collects the rest of its output.
    pub async fn wait(mut self) -> Exit {
        let mut stdout = String::new();
        let mut stderr = String::new();
        let (status, _, _) = guarded("the provider to exit", async {
            tokio::join!(
                self.child.wait(),
                self.stdout.read_to_string(&mut stdout),
                self.stderr.read_to_string(&mut stderr),
            )
        })
        .await;
        Exit {
            status: status.expect("the plugin's exit status"),
            stdout,
            stderr,
        }
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the plugin is running")
    }

    /// Sends a signal with the `kill` command (e.g. `"INT"`, `"TERM"`).
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }
}
