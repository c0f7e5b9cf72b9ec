//! `kusto-emulator`: serves the local Azure emulator over HTTPS.
//!
//! Start-up contract (scripts and tests rely on it): when ready, exactly one JSON line on
//! stdout, its first line, with `endpoint`, `metadata_host`, `ca_cert`, `tenant_id`,
//! `subscription_id`, `client_id`, `client_secret` and `admin_token` (random per start; every
//! `/_emulator/` call must send it as `Authorization: Bearer <admin_token>`), then what a
//! CI job would be given to sign in with OIDC and the auxiliary tenants (see `AFTER_HELP`);
//! errors and the request log (one line per served request, unless `--quiet`) go to stderr;
//! SIGTERM or SIGINT stops it cleanly, after the state file is up to date.
//!
//! The command line follows the usual conventions (clap): `--flag value` and `--flag=value`,
//! the last of a repeated flag wins, `--help` and `--version` answer on stdout with exit code
//! 0, and a usage error is explained on stderr with exit code 2. See `--help` for the flags.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use kusto_emulator::{AppState, Config, Error, FaultPlan, Settings, SystemClock, World, tls};
use serde::Serialize;
use tokio::net::TcpListener;

const AFTER_HELP: &str = "\
When ready, prints one JSON line on stdout: endpoint, metadata_host, ca_cert, tenant_id,
subscription_id, client_id, client_secret and admin_token (the credential of the admin API
under /_emulator/, new at every start), then what CI jobs are given to sign in with OIDC,
and the auxiliary tenants:
  github_oidc_request_url             ACTIONS_ID_TOKEN_REQUEST_URL or ARM_OIDC_REQUEST_URL
  github_oidc_request_token           ACTIONS_ID_TOKEN_REQUEST_TOKEN or ARM_OIDC_REQUEST_TOKEN
  azure_devops_oidc_request_uri       SYSTEM_OIDCREQUESTURI (or ARM_OIDC_REQUEST_URL)
  azure_devops_access_token           SYSTEM_ACCESSTOKEN (or ARM_OIDC_REQUEST_TOKEN)
  azure_devops_service_connection_id  ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID
  auxiliary_tenant_ids                ARM_AUXILIARY_TENANT_IDS (a JSON list here)
The application client_id trusts the tokens of both CI endpoints (federated credentials).
Then, on stderr, one line per served request: time, method, path (with api-version, the
only part of the query shown), status, duration and the fault-plan action if one answered;
admin API calls are not listed. SIGTERM or SIGINT stops it after the state file is up to
date.";

// clap wraps no help text (its `wrap_help` feature would pull in a terminal crate), so the
// flag descriptions are broken into lines by hand and shown below each flag.

/// A local Azure (Entra ID, ARM cloud metadata and Kusto data connections) over HTTPS, for
/// the Kusto Terraform provider's examples and tests.
#[derive(Debug, Parser)]
#[command(
    name = "kusto-emulator",
    version,
    verbatim_doc_comment,
    args_override_self = true,
    next_line_help = true,
    after_help = AFTER_HELP
)]
struct Args {
    /// Address to serve HTTPS on: a name or an IP address (IPv6 in brackets, [::1]:8443) and
    /// a port, 0 for a free one
    #[arg(
        long,
        value_name = "HOST:PORT",
        default_value = "127.0.0.1:0",
        value_parser = Listen::parse,
        verbatim_doc_comment
    )]
    listen: Listen,
    /// Start from this world (JSON) instead of the built-in one
    #[arg(long, value_name = "FILE")]
    world: Option<PathBuf>,
    /// Persist resources and operations here across restarts (written in the background,
    /// complete after a clean stop); the CA is kept beside it (FILE.ca.pem, FILE.ca-key.pem)
    #[arg(long, value_name = "FILE", verbatim_doc_comment)]
    state: Option<PathBuf>,
    /// How long every operation runs, in seconds (0 = done at the first poll)
    #[arg(long, value_name = "N", default_value_t = Settings::default().lro_seconds)]
    lro_seconds: u64,
    /// Retry-After, in seconds, on asynchronous responses
    #[arg(long, value_name = "N", default_value_t = Settings::default().retry_after)]
    retry_after: u64,
    /// Lifetime of issued access tokens
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = Settings::default().token_lifetime
    )]
    token_lifetime: u64,
    /// A fault plan (JSON) to start with: throttling, outages, lost responses, rejected
    /// tokens, failed operations
    #[arg(long, value_name = "FILE", verbatim_doc_comment)]
    faults: Option<PathBuf>,
    /// Entries per list page (data connections, databases)
    #[arg(
        long,
        value_name = "N",
        default_value_t = Settings::default().page_size,
        value_parser = positive
    )]
    page_size: usize,
    /// Where to write the CA certificate
    /// [default: FILE.ca.pem with --state FILE, else a temporary directory removed on exit]
    #[arg(long, value_name = "FILE", verbatim_doc_comment)]
    ca_file: Option<PathBuf>,
    /// Print no line per served request on stderr
    #[arg(long)]
    quiet: bool,
}

impl Args {
    fn settings(&self) -> Settings {
        Settings {
            lro_seconds: self.lro_seconds,
            retry_after: self.retry_after,
            token_lifetime: self.token_lifetime,
            page_size: self.page_size,
        }
    }
}

fn positive(text: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "needs a positive integer".to_owned())
}

/// `--listen HOST:PORT`. The host is kept as written and resolved when the emulator starts,
/// so that a name that does not resolve is reported as such.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listen {
    /// A name or an IP address; an IPv6 address without its brackets.
    host: String,
    port: u16,
}

impl Listen {
    fn parse(text: &str) -> Result<Listen, String> {
        const FORM: &str = "needs HOST:PORT, like 127.0.0.1:8443, localhost:8443 or [::1]:8443";
        let (host, port) = match text.strip_prefix('[') {
            Some(bracketed) => bracketed.split_once("]:").ok_or(FORM)?,
            None => {
                let (host, port) = text.rsplit_once(':').ok_or(FORM)?;
                if host.contains(':') {
                    return Err(format!(
                        "an IPv6 address goes in brackets, like [{host}]:{port}"
                    ));
                }
                (host, port)
            }
        };
        if host.is_empty() {
            return Err(FORM.to_owned());
        }
        let port = port
            .parse()
            .map_err(|_| format!("the port '{port}' is not a number from 0 to 65535"))?;
        Ok(Listen {
            host: host.to_owned(),
            port,
        })
    }
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Binds the first address `listen` resolves to that can be bound (a name may resolve to
/// several, such as `::1` and `127.0.0.1` for `localhost`).
async fn bind(listen: &Listen) -> Result<TcpListener, Error> {
    let addresses = tokio::net::lookup_host((listen.host.as_str(), listen.port))
        .await
        .map_err(|e| {
            Error::io(
                format!("--listen {listen}: cannot resolve '{}'", listen.host),
                e,
            )
        })?;
    let mut failure = None;
    for address in addresses {
        match TcpListener::bind(address).await {
            Ok(listener) => return Ok(listener),
            Err(e) => failure = Some(Error::io(format!("binding {address}"), e)),
        }
    }
    Err(failure.unwrap_or_else(|| {
        Error::io(
            format!("--listen {listen}"),
            std::io::Error::new(
                std::io::ErrorKind::AddrNotAvailable,
                format!("'{}' resolves to no address", listen.host),
            ),
        )
    }))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &PathBuf, what: &str) -> Result<T, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::io(format!("reading {what} {}", path.display()), e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::json(format!("{what} {}", path.display()), e))
}

/// `host:port` a local client should use: 127.0.0.1 when bound to all interfaces.
fn reachable_address(bound: SocketAddr) -> String {
    match bound.ip() {
        ip if ip.is_unspecified() => format!("127.0.0.1:{}", bound.port()),
        _ => bound.to_string(),
    }
}

/// The line printed on stdout once the emulator is ready.
#[derive(Serialize)]
struct Ready<'a> {
    endpoint: String,
    metadata_host: String,
    ca_cert: String,
    tenant_id: &'a str,
    subscription_id: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    admin_token: &'a str,
    /// A GitHub Actions job's `ACTIONS_ID_TOKEN_REQUEST_URL` (its query already started).
    github_oidc_request_url: String,
    /// A GitHub Actions job's `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    github_oidc_request_token: &'a str,
    /// An Azure Pipelines job's `SYSTEM_OIDCREQUESTURI`.
    azure_devops_oidc_request_uri: String,
    /// An Azure Pipelines job's `SYSTEM_ACCESSTOKEN`.
    azure_devops_access_token: &'a str,
    /// The first service connection of the Azure DevOps project ("" if it has none).
    azure_devops_service_connection_id: &'a str,
    auxiliary_tenant_ids: &'a [String],
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

fn with_suffix(path: &std::path::Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The CA, where its certificate is written, and a temporary directory to remove on exit.
/// With `--state` the CA is kept beside the state file (`STATE.ca.pem`, `STATE.ca-key.pem`)
/// and reused on restart; otherwise a new one goes to `--ca-file` or a temporary directory.
fn certificate_authority(args: &Args) -> Result<(tls::Ca, PathBuf, Option<PathBuf>), Error> {
    if let Some(state) = &args.state {
        let cert = args
            .ca_file
            .clone()
            .unwrap_or_else(|| with_suffix(state, ".ca.pem"));
        let key = with_suffix(state, ".ca-key.pem");
        let ca = match tls::Ca::load(&cert, &key)? {
            Some(ca) => ca,
            None => {
                let ca = tls::Ca::generate()?;
                ca.save(&cert, &key)?;
                ca
            }
        };
        return Ok((ca, cert, None));
    }
    let ca = tls::Ca::generate()?;
    let (path, temp_dir) = match &args.ca_file {
        Some(path) => (path.clone(), None),
        None => {
            let dir = std::env::temp_dir().join(format!("kusto-emulator-{}", std::process::id()));
            (dir.join("ca.pem"), Some(dir))
        }
    };
    tls::write_ca(&path, &ca.cert_pem)?;
    Ok((ca, path, temp_dir))
}

async fn serve(args: Args) -> Result<(), Error> {
    let world: World = match &args.world {
        Some(path) => read_json(path, "world file")?,
        None => World::default(),
    };
    let faults: FaultPlan = match &args.faults {
        Some(path) => read_json(path, "fault plan")?,
        None => FaultPlan::default(),
    };
    let restored = match &args.state {
        Some(path) => kusto_emulator::load_state(path)?,
        None => None,
    };
    // Bound before the CA is made, so that an address that cannot be served leaves no
    // temporary CA behind.
    let listener = bind(&args.listen).await?;
    let (ca, ca_path, temp_dir) = certificate_authority(&args)?;
    let server_config = ca.server_config()?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::io("reading the bound address", e))?;
    let host_port = reachable_address(bound);

    let state = AppState::new(Config {
        settings: args.settings(),
        world: world.clone(),
        restored,
        state_file: args.state.clone(),
        faults,
        clock: Arc::new(SystemClock::default()),
        print_requests: !args.quiet,
    })?;
    let snapshot = state.snapshot();
    if let Some(path) = &args.state {
        kusto_emulator::save_state(path, &snapshot)?;
    }
    let current = &snapshot.world;
    let application = current.applications.first();
    let endpoint = format!("https://{host_port}");
    let ready = Ready {
        github_oidc_request_url: format!(
            "{endpoint}{}?api-version=2.0",
            kusto_emulator::GITHUB_ID_TOKEN_PATH
        ),
        github_oidc_request_token: current.ci.github.request_token.expose(),
        azure_devops_oidc_request_uri: format!(
            "{endpoint}{}",
            kusto_emulator::AZURE_DEVOPS_OIDC_TOKEN_PATH
        ),
        azure_devops_access_token: current.ci.azure_devops.access_token.expose(),
        azure_devops_service_connection_id: current
            .ci
            .azure_devops
            .service_connections
            .first()
            .map_or("", |c| c.id.as_str()),
        auxiliary_tenant_ids: &current.auxiliary_tenants,
        endpoint,
        metadata_host: host_port.clone(),
        ca_cert: ca_path.display().to_string(),
        tenant_id: &current.tenant_id,
        subscription_id: current.subscriptions.first().map_or("", String::as_str),
        client_id: application.map_or("", |a| a.client_id.as_str()),
        client_secret: application.map_or("", |a| a.client_secret.as_str()),
        admin_token: state.admin_token(),
    };
    let line = serde_json::to_string(&ready).map_err(|e| Error::json("the ready line", e))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::io("writing the ready line", e))?;
    drop(stdout);

    kusto_emulator::run(
        listener,
        server_config,
        kusto_emulator::app(state.clone()),
        shutdown_signal(),
    )
    .await;
    if let Some(dir) = temp_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    // Every answered change reaches the state file before the process ends.
    tokio::task::spawn_blocking(move || state.flush())
        .await
        .map_err(|e| Error::State(format!("the final state write did not finish: {e}")))?
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("kusto-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kusto-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;
    use clap::error::ErrorKind;

    fn parse(flags: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("kusto-emulator").chain(flags.iter().copied()))
    }

    fn listen(host: &str, port: u16) -> Listen {
        Listen {
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.listen, listen("127.0.0.1", 0));
        assert_eq!(args.settings(), Settings::default());
        assert_eq!(
            (
                args.world,
                args.state,
                args.faults,
                args.ca_file,
                args.quiet
            ),
            (None, None, None, None, false)
        );
    }

    #[test]
    fn values_follow_the_flag_or_an_equals_sign() {
        let spaced = parse(&[
            "--listen",
            "localhost:8443",
            "--lro-seconds",
            "0",
            "--retry-after",
            "7",
            "--token-lifetime",
            "60",
            "--page-size",
            "5",
            "--state",
            "s.json",
            "--quiet",
        ])
        .unwrap();
        let joined = parse(&[
            "--listen=localhost:8443",
            "--lro-seconds=0",
            "--retry-after=7",
            "--token-lifetime=60",
            "--page-size=5",
            "--state=s.json",
            "--quiet",
        ])
        .unwrap();
        for args in [spaced, joined] {
            assert_eq!(args.listen, listen("localhost", 8443));
            assert_eq!(
                args.settings(),
                Settings {
                    lro_seconds: 0,
                    retry_after: 7,
                    token_lifetime: 60,
                    page_size: 5,
                }
            );
            assert_eq!(args.state, Some(PathBuf::from("s.json")));
            assert!(args.quiet);
        }
    }

    #[test]
    fn the_last_of_a_repeated_flag_wins() {
        let args = parse(&["--lro-seconds", "3", "--lro-seconds=4"]).unwrap();
        assert_eq!(args.lro_seconds, 4);
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        let kind = |flags: &[&str]| parse(flags).map(|_| ()).unwrap_err().kind();
        assert_eq!(kind(&["--bogus"]), ErrorKind::UnknownArgument);
        assert_eq!(kind(&["stray"]), ErrorKind::UnknownArgument);
        assert_eq!(kind(&["--state"]), ErrorKind::InvalidValue);
        assert_eq!(kind(&["--page-size", "0"]), ErrorKind::ValueValidation);
        assert_eq!(kind(&["--lro-seconds=-1"]), ErrorKind::ValueValidation);
        assert_eq!(kind(&["--listen", "localhost"]), ErrorKind::ValueValidation);
        assert_eq!(kind(&["--version"]), ErrorKind::DisplayVersion);
        assert_eq!(kind(&["--help"]), ErrorKind::DisplayHelp);
        let message = parse(&["--page-size=x"])
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(message.contains("--page-size"), "{message}");
        assert!(message.contains("positive integer"), "{message}");
    }

    #[test]
    fn listen_takes_names_and_addresses_with_a_port() {
        assert_eq!(
            Listen::parse("localhost:8443"),
            Ok(listen("localhost", 8443))
        );
        assert_eq!(Listen::parse("127.0.0.1:0"), Ok(listen("127.0.0.1", 0)));
        assert_eq!(Listen::parse("0.0.0.0:65535"), Ok(listen("0.0.0.0", 65535)));
        assert_eq!(Listen::parse("[::1]:0"), Ok(listen("::1", 0)));
        assert_eq!(Listen::parse("[::]:443"), Ok(listen("::", 443)));
        assert_eq!(listen("::1", 0).to_string(), "[::1]:0");
        assert_eq!(listen("localhost", 1).to_string(), "localhost:1");
        for bad in ["localhost", "[::1]", "[::1]8443", ":8443", "[]:1", ""] {
            let message = Listen::parse(bad).unwrap_err();
            assert!(message.contains("HOST:PORT"), "{bad}: {message}");
        }
        assert!(
            Listen::parse("::1:8443")
                .unwrap_err()
                .contains("[::1]:8443")
        );
        for port in ["65536", "-1", "x", ""] {
            let message = Listen::parse(&format!("localhost:{port}")).unwrap_err();
            assert!(message.contains("0 to 65535"), "{port}: {message}");
        }
    }

    #[tokio::test]
    async fn listen_resolves_names_and_binds_a_free_port() {
        let by_name = bind(&listen("localhost", 0)).await.unwrap();
        assert!(by_name.local_addr().unwrap().ip().is_loopback());
        let by_address = bind(&listen("127.0.0.1", 0)).await.unwrap();
        assert_ne!(by_address.local_addr().unwrap().port(), 0);
    }

    #[test]
    fn addresses_are_reachable() {
        assert_eq!(
            reachable_address("0.0.0.0:8443".parse().unwrap()),
            "127.0.0.1:8443"
        );
        assert_eq!(reachable_address("[::1]:9".parse().unwrap()), "[::1]:9");
    }
}
