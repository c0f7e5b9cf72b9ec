//! The go-plugin host: everything between a process started by Terraform and the
//! `tfplugin6.Provider` gRPC service.
//!
//! Terraform starts the provider binary, checks the line it prints on stdout, dials the
//! socket named there over mutual TLS and speaks gRPC until it calls
//! `GRPCController.Shutdown`. This module does that part and nothing of Terraform's
//! semantics: it takes the provider as ready-built gRPC routes.
//!
//! - `handshake`: magic cookie, protocol version negotiation, the handshake line.
//! - `listener`: the unix socket (or loopback TCP port) and its removal.
//! - `tls`: AutoMTLS, with a per-process server certificate and the client's pinned.
//! - `incoming`: TLS handshakes in front of tonic.
//! - `controller`: go-plugin's `GRPCController` and `GRPCStdio` services.
//! - `rpc_trace`: TRACE logging of every call.
//! - `signals`: which signals stop the server.
//! - [`logging`]: hclog JSON lines on stderr.
//!
//! [`serve`] runs the whole sequence. Its serving loop, `run`, has the shape of
//! mini-redis's `server::run`: it is handed a bound listener and a shutdown signal.

mod controller;
mod handshake;
mod incoming;
mod listener;
pub mod logging;
mod rpc_trace;
mod signals;
mod tls;

use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic_health::ServingStatus;

use crate::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use controller::{Controller, Stdio};
use handshake::HandshakeLine;
use listener::{Listener, PortRange};
use rpc_trace::RpcTrace;
use signals::StopSignals;
use tls::ServerTls;

pub use listener::PortRangeError;
pub use tls::TlsError;

/// How long open connections may take to finish after a shutdown request before the
/// server stops anyway. Terraform closes its connection right after `Shutdown` and kills
/// the process two seconds later.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

/// How the process was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Started by Terraform (go-plugin): magic cookie, AutoMTLS, handshake line, SIGINT
    /// ignored, stopped by `GRPCController.Shutdown`.
    Managed,
    /// Started by hand with `--debug` for Terraform to reattach to: no cookie, plaintext,
    /// a `TF_REATTACH_PROVIDERS` value on stdout, stopped by Ctrl-C or SIGTERM.
    Debug {
        /// The provider's source address, the key of `TF_REATTACH_PROVIDERS`, e.g.
        /// `registry.terraform.io/kusto-tf/kusto`.
        provider_address: &'static str,
    },
}

/// Why the provider could not serve.
#[derive(Debug)]
pub enum PluginError {
    /// The magic cookie is missing or wrong: the binary was run by hand. Its message is
    /// go-plugin's explanation for the user.
    NotLaunchedByTerraform,
    /// `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT` are unusable.
    PortRange(PortRangeError),
    /// Neither a unix socket nor a TCP port could be bound.
    Bind(io::Error),
    /// AutoMTLS could not be set up.
    Tls(TlsError),
    /// Signal handlers could not be installed.
    Signals(io::Error),
    /// The handshake could not be written to stdout.
    Stdout(io::Error),
    /// The listener kept failing to accept connections.
    Accept(io::Error),
    /// The gRPC server failed.
    Serve(tonic::transport::Error),
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginError::NotLaunchedByTerraform => {
                f.write_str(handshake::NOT_LAUNCHED_BY_TERRAFORM)
            }
            PluginError::PortRange(e) => write!(f, "invalid plugin port range: {e}"),
            PluginError::Bind(e) => write!(f, "cannot listen for Terraform: {e}"),
            PluginError::Tls(e) => write!(f, "cannot set up mutual TLS: {e}"),
            PluginError::Signals(e) => write!(f, "cannot install signal handlers: {e}"),
            PluginError::Stdout(e) => write!(f, "cannot write the handshake to stdout: {e}"),
            PluginError::Accept(e) => write!(f, "cannot accept connections: {e}"),
            PluginError::Serve(e) => write!(f, "gRPC server failed: {e}"),
        }
    }
}

impl std::error::Error for PluginError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PluginError::NotLaunchedByTerraform => None,
            PluginError::PortRange(e) => Some(e),
            PluginError::Bind(e)
            | PluginError::Signals(e)
            | PluginError::Stdout(e)
            | PluginError::Accept(e) => Some(e),
            PluginError::Tls(e) => Some(e),
            PluginError::Serve(e) => Some(e),
        }
    }
}

/// Serves `provider` (the `tfplugin6.Provider` routes) to Terraform until Terraform calls
/// `GRPCController.Shutdown`, or, in debug mode, until Ctrl-C.
///
/// Follows go-plugin's start-up order: cookie, signals, protocol version, listener, TLS,
/// then the handshake on stdout, after which stdout is never written again. The socket
/// file is removed before this returns.
pub async fn serve(provider: Routes, mode: Mode) -> Result<(), PluginError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());

    if mode == Mode::Managed
        && !handshake::cookie_is_valid(env(handshake::MAGIC_COOKIE_KEY).as_deref())
    {
        return Err(PluginError::NotLaunchedByTerraform);
    }
    let stop_signals =
        StopSignals::install(matches!(mode, Mode::Debug { .. })).map_err(PluginError::Signals)?;

    let protocol_version = negotiate_protocol(mode, env("PLUGIN_PROTOCOL_VERSIONS"));
    let (listener, address) = bind_listener(
        env("PLUGIN_UNIX_SOCKET_DIR"),
        env("PLUGIN_MIN_PORT"),
        env("PLUGIN_MAX_PORT"),
    )?;

    // Terraform sends its certificate unless TF_DISABLE_PLUGIN_TLS is set; reattaching
    // Terraform has none to offer, so debug mode is always plaintext.
    let tls = match (mode, env("PLUGIN_CLIENT_CERT")) {
        (Mode::Managed, Some(pem)) => Some(tls::server_tls(&pem).map_err(PluginError::Tls)?),
        _ => None,
    };

    let shutdown = CancellationToken::new();
    let routes = with_plugin_services(provider, &shutdown).await;

    let announcement = match mode {
        Mode::Managed => HandshakeLine {
            protocol_version,
            network: listener.network(),
            address: &address,
            server_certificate: tls.as_ref().map(|tls| tls.certificate.as_ref()),
        }
        .to_string(),
        Mode::Debug { provider_address } => {
            reattach_instructions(provider_address, listener.network().as_str(), &address)
        }
    };
    announce(&announcement).map_err(PluginError::Stdout)?;
    tracing::debug!(
        network = listener.network().as_str(),
        address,
        tls = tls.is_some(),
        "serving"
    );

    let acceptor = tls.map(|ServerTls { acceptor, .. }| acceptor);
    let signal_watcher = tokio::spawn(cancel_on_signal(stop_signals, shutdown.clone()));
    let served = run(listener, acceptor, routes, shutdown).await;
    signal_watcher.abort();
    served
}

/// Picks the protocol version to announce, warning about what Terraform offered when it
/// is not what we speak.
fn negotiate_protocol(mode: Mode, offered: Option<String>) -> u32 {
    let negotiation = handshake::negotiate(offered.as_deref());
    if mode == Mode::Managed {
        for entry in &negotiation.ignored {
            tracing::warn!(
                entry,
                "ignoring a PLUGIN_PROTOCOL_VERSIONS entry that is not a number"
            );
        }
        if !negotiation.client_accepts {
            tracing::warn!(
                offered = offered.unwrap_or_default(),
                "Terraform does not offer plugin protocol 6; announcing it anyway so that Terraform explains the mismatch"
            );
        }
    }
    negotiation.version
}

/// Binds a unix socket in `socket_dir` (`PLUGIN_UNIX_SOCKET_DIR`, default: the temporary
/// directory) and returns it with its address. When no socket can be created there, falls
/// back to a loopback port from `PLUGIN_MIN_PORT`..`PLUGIN_MAX_PORT`, which Terraform
/// accepts too; the range is only read then.
fn bind_listener(
    socket_dir: Option<String>,
    min_port: Option<String>,
    max_port: Option<String>,
) -> Result<(Listener, String), PluginError> {
    let socket_dir = socket_dir.map_or_else(std::env::temp_dir, PathBuf::from);
    let listener = match Listener::bind_unix(&socket_dir) {
        Ok(listener) => listener,
        Err(error) => {
            tracing::debug!(%error, dir = %socket_dir.display(), "no unix socket; listening on TCP");
            let ports = PortRange::parse(min_port.as_deref(), max_port.as_deref())
                .map_err(PluginError::PortRange)?;
            Listener::bind_tcp(ports).map_err(PluginError::Bind)?
        }
    };
    let address = listener.address().map_err(PluginError::Bind)?;
    Ok((listener, address))
}

/// Cancels `shutdown` when a stop signal arrives.
async fn cancel_on_signal(mut signals: StopSignals, shutdown: CancellationToken) {
    tokio::select! {
        () = signals.recv() => shutdown.cancel(),
        () = shutdown.cancelled() => {}
    }
}

/// Serves `routes` on `listener` (over TLS when `tls` is given) until `shutdown` is
/// cancelled, then lets open connections finish for up to a second. The listener, and
/// with it the socket file, is dropped before this returns.
async fn run(
    listener: Listener,
    tls: Option<TlsAcceptor>,
    routes: Routes,
    shutdown: CancellationToken,
) -> Result<(), PluginError> {
    let (sender, receiver) = mpsc::channel(16);
    let connections = ReceiverStream::new(receiver).map(Ok::<_, std::convert::Infallible>);
    let server = Server::builder().serve_with_incoming_shutdown(
        RpcTrace::new(routes.prepare()),
        connections,
        shutdown.clone().cancelled_owned(),
    );
    let accept = incoming::accept_loop(listener, tls, sender, shutdown.clone());
    let drain_deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(DRAIN_TIMEOUT).await;
    };

    tokio::select! {
        served = server => served.map_err(PluginError::Serve),
        Err(error) = accept => Err(PluginError::Accept(error)),
        () = drain_deadline => {
            tracing::debug!("connections still open after shutdown; stopping anyway");
            Ok(())
        }
    }
}

/// Adds go-plugin's services and gRPC health to the provider's routes.
async fn with_plugin_services(provider: Routes, shutdown: &CancellationToken) -> Routes {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    // go-plugin's health check asks for the service named "plugin".
    health_reporter
        .set_service_status("plugin", ServingStatus::Serving)
        .await;
    provider
        .add_service(GrpcControllerServer::new(Controller::new(shutdown.clone())))
        .add_service(GrpcStdioServer::new(Stdio::new(shutdown.clone())))
        .add_service(health)
}

/// Writes the handshake (or the debug instructions) to stdout in one flushed write.
fn announce(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// What `--debug` prints, in terraform-plugin-go's words, for the user to paste into the
/// shell that runs Terraform.
fn reattach_instructions(provider_address: &str, network: &str, address: &str) -> String {
    // "Test": true is required for protocol 6: without it Terraform 1.0 treats the
    // provider as protocol 5.
    let reattach = serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": network, "String": address },
        }
    });
    let quoted = reattach.to_string().replace('\'', r#"'"'"'"#);
    format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{quoted}'\n\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reattach_instructions_name_the_provider_and_socket() {
        let text = reattach_instructions(
            "registry.terraform.io/kusto-tf/kusto",
            "unix",
            "/tmp/plugin42",
        );
        let (intro, rest) = text.split_once("\n\n\tTF_REATTACH_PROVIDERS='").unwrap();
        assert!(intro.starts_with("Provider started."));
        let json = rest.strip_suffix("'\n\n").unwrap();
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        let entry = &value["registry.terraform.io/kusto-tf/kusto"];
        assert_eq!(entry["Protocol"], "grpc");
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Test"], true);
        assert_eq!(entry["Pid"], std::process::id());
        assert_eq!(entry["Addr"]["Network"], "unix");
        assert_eq!(entry["Addr"]["String"], "/tmp/plugin42");
    }

    #[test]
    fn reattach_instructions_survive_quotes_in_the_path() {
        let text = reattach_instructions("example.com/a/b", "unix", "/tmp/it's/plugin1");
        assert!(text.contains(r#"/tmp/it'"'"'s/plugin1"#));
    }
}
