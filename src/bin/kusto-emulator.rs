//! `kusto-emulator`: serves the local Azure emulator over HTTPS.
//!
//! Start-up contract (scripts and tests rely on it): when ready, exactly one JSON line on
//! stdout with `endpoint`, `metadata_host`, `ca_cert`, `tenant_id`, `subscription_id`,
//! `client_id`, `client_secret` and `admin_token` (random per start; every `/_emulator/`
//! call must send it as `Authorization: Bearer <admin_token>`); logs and errors go to
//! stderr; SIGTERM or SIGINT stops it cleanly, after the state file is up to date. See
//! `--help` for the flags.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use serde::Serialize;
use terraform_provider_kusto::emulator::{
    self, AppState, Config, Error, FaultPlan, Settings, SystemClock, World, tls,
};

const USAGE: &str = "\
usage: kusto-emulator [--listen ADDR] [--world FILE] [--state FILE] [--lro-seconds N]
                      [--retry-after N] [--token-lifetime SECONDS] [--faults FILE]
                      [--page-size N] [--ca-file FILE]

  --listen ADDR             address to serve HTTPS on (default 127.0.0.1:0)
  --world FILE              start from this world (JSON) instead of the built-in one
  --state FILE              persist resources and operations here across restarts
                            (written in the background, complete after a clean stop)
  --lro-seconds N           how long every operation runs (default 1; 0 = done at once)
  --retry-after N           Retry-After on asynchronous responses (default 1)
  --token-lifetime SECONDS  lifetime of issued access tokens (default 3599)
  --faults FILE             fault plan (JSON) to start with
  --page-size N             data connections per list page (default 2)
  --ca-file FILE            where to write the CA certificate (default: STATE.ca.pem with
                            --state, else a temporary directory removed on exit)";

struct Args {
    listen: SocketAddr,
    world: Option<PathBuf>,
    state: Option<PathBuf>,
    faults: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    settings: Settings,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        world: None,
        state: None,
        faults: None,
        ca_file: None,
        settings: Settings::default(),
    };
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} needs a non-negative integer, got '{v}'"))
        };
        match flag.as_str() {
            "--listen" => {
                parsed.listen = value.parse().map_err(|_| {
                    format!("--listen needs an address like 127.0.0.1:8443, got '{value}'")
                })?;
            }
            "--world" => parsed.world = Some(value.into()),
            "--state" => parsed.state = Some(value.into()),
            "--faults" => parsed.faults = Some(value.into()),
            "--ca-file" => parsed.ca_file = Some(value.into()),
            "--lro-seconds" => parsed.settings.lro_seconds = number(&value)?,
            "--retry-after" => parsed.settings.retry_after = number(&value)?,
            "--token-lifetime" => parsed.settings.token_lifetime = number(&value)?,
            "--page-size" => {
                parsed.settings.page_size = usize::try_from(number(&value)?)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        format!("--page-size needs a positive integer, got '{value}'")
                    })?;
            }
            other => return Err(format!("unknown flag '{other}'")),
        }
    }
    Ok(parsed)
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
        Some(path) => emulator::load_state(path)?,
        None => None,
    };
    let (ca, ca_path, temp_dir) = certificate_authority(&args)?;
    let server_config = ca.server_config()?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Error::io(format!("binding {}", args.listen), e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::io("reading the bound address", e))?;
    let host_port = reachable_address(bound);

    let state = AppState::new(Config {
        settings: args.settings,
        world: world.clone(),
        restored,
        state_file: args.state.clone(),
        faults,
        clock: Arc::new(SystemClock::default()),
        print_requests: true,
    })?;
    let snapshot = state.snapshot();
    if let Some(path) = &args.state {
        emulator::save_state(path, &snapshot)?;
    }
    let current = &snapshot.world;
    let application = current.applications.first();
    let ready = Ready {
        endpoint: format!("https://{host_port}"),
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

    emulator::run(
        listener,
        server_config,
        emulator::app(state.clone()),
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
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("kusto-emulator: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
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

    #[test]
    fn flags_parse_and_addresses_are_reachable() {
        let args = [
            "--listen",
            "0.0.0.0:8443",
            "--lro-seconds",
            "0",
            "--page-size",
            "5",
        ];
        let parsed = parse_args(args.iter().map(|a| (*a).to_owned())).unwrap();
        assert_eq!(reachable_address(parsed.listen), "127.0.0.1:8443");
        assert_eq!(parsed.settings.lro_seconds, 0);
        assert_eq!(parsed.settings.page_size, 5);
        assert_eq!(reachable_address("[::1]:9".parse().unwrap()), "[::1]:9");
        assert!(parse_args(["--page-size", "0"].iter().map(|a| (*a).to_owned())).is_err());
        assert!(parse_args(["--bogus", "1"].iter().map(|a| (*a).to_owned())).is_err());
        assert!(parse_args(["--state"].iter().map(|a| (*a).to_owned())).is_err());
    }
}
