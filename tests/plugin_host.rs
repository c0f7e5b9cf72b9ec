//! Black-box tests of the go-plugin host: the real binary, started the way Terraform
//! starts it, reached over the socket named in its handshake line.

use std::path::Path;
use std::time::{Duration, Instant};

use terraform_plugin::harness::{
    self, Address, ClientIdentity, Launched, PluginProcess, Security, guarded,
};
use terraform_plugin::proto::plugin::grpc_stdio_client::GrpcStdioClient;
use tonic_health::pb::health_check_response::ServingStatus;

/// The provider binary under test.
const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-kusto");

/// Terraform kills a provider that has not exited two seconds after `Shutdown`.
const TERRAFORM_KILL_DELAY: Duration = Duration::from_secs(2);

/// Calls `GRPCController.Shutdown` on a plaintext plugin, as a reattaching Terraform does.
async fn shutdown_plaintext(address: &Address) {
    harness::shutdown(
        harness::channel(address, Security::Plaintext)
            .await
            .unwrap(),
    )
    .await;
}

fn socket_path(address: &Address) -> &Path {
    match address {
        Address::Unix(path) => Path::new(path),
        Address::Tcp(_) => panic!("expected a unix socket"),
    }
}

fn hclog_lines(stderr: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

#[tokio::test]
async fn handshake_line_announces_protocol_6_on_a_unix_socket_with_tls() {
    let provider = Launched::new(PROVIDER, &[]).await;
    let handshake = &provider.handshake;

    assert_eq!(handshake.fields[0], "1");
    assert_eq!(handshake.fields[1], "6");
    assert_eq!(handshake.fields[2], "unix");
    assert_eq!(handshake.fields[4], "grpc");
    let socket = Path::new(&handshake.fields[3]);
    assert_eq!(socket.parent(), Some(provider.process.socket_dir.path()));
    let name = socket.file_name().unwrap().to_str().unwrap();
    assert!(
        name.strip_prefix("plugin")
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_digit())
    );
    assert!(socket.exists());
    // go-plugin only reads the certificate when the field is longer than 50 characters,
    // and decodes it without padding.
    assert!(handshake.fields[5].len() > 50);
    assert!(!handshake.fields[5].contains('='));
    assert!(handshake.server_certificate().is_some());

    provider.shutdown().await;
}

#[tokio::test]
async fn terraforms_certificate_gets_a_health_answer() {
    let provider = Launched::new(PROVIDER, &[]).await;
    assert_eq!(provider.health().await, Ok(ServingStatus::Serving));
    provider.shutdown().await;
}

#[tokio::test]
async fn clients_without_terraforms_certificate_are_refused_and_the_server_survives() {
    let stranger = ClientIdentity::like_terraform();
    let provider = Launched::new(PROVIDER, &[]).await;
    let handshake = &provider.handshake;
    let address = handshake.address();

    let no_certificate = harness::health(&address, handshake.tls(None)).await;
    assert!(
        no_certificate.is_err(),
        "no client certificate: {no_certificate:?}"
    );
    let other_certificate = harness::health(&address, handshake.tls(Some(&stranger))).await;
    assert!(
        other_certificate.is_err(),
        "other certificate: {other_certificate:?}"
    );
    let plaintext = harness::health(&address, Security::Plaintext).await;
    assert!(plaintext.is_err(), "plaintext: {plaintext:?}");

    // None of the failed handshakes took the server down.
    assert_eq!(provider.health().await, Ok(ServingStatus::Serving));

    let exit = provider.shutdown().await;
    assert!(exit.status.success());
    // The refusals happened in the server's TLS handshake, each for its own reason.
    let refusals: Vec<String> = hclog_lines(&exit.stderr)
        .iter()
        .filter(|l| l["@message"] == "refused a client: TLS handshake failed")
        .map(|l| l["error"].as_str().unwrap().to_owned())
        .collect();
    // tonic dials again after a failed connection, so a client may be refused twice.
    let reasons = [
        "peer sent no certificates",
        "invalid peer certificate: UnknownIssuer",
        "received corrupt message of type InvalidContentType",
    ];
    for reason in reasons {
        assert!(
            refusals.iter().any(|r| r == reason),
            "{reason}: {refusals:?}"
        );
    }
    assert!(
        refusals.iter().all(|r| reasons.contains(&r.as_str())),
        "{refusals:?}"
    );
}

#[tokio::test]
async fn shutdown_ends_the_process_promptly_and_removes_the_socket() {
    let provider = Launched::new(PROVIDER, &[]).await;
    let address = provider.handshake.address();

    // Terraform opens the stdio stream first and keeps it open; it must not hold up exit.
    let channel = provider.channel().await;
    let mut stdio = GrpcStdioClient::new(channel.clone())
        .stream_stdio(())
        .await
        .unwrap()
        .into_inner();

    let asked = Instant::now();
    harness::shutdown(channel).await;
    // The stream ends without ever carrying data.
    assert!(
        guarded("the stdio stream to end", stdio.message())
            .await
            .unwrap()
            .is_none()
    );
    drop(stdio);

    let exit = provider.process.wait().await;
    assert!(
        asked.elapsed() < TERRAFORM_KILL_DELAY,
        "took {:?}",
        asked.elapsed()
    );
    assert_eq!(exit.status.code(), Some(0));
    assert!(!socket_path(&address).exists(), "socket file left behind");
    assert_eq!(exit.stdout, "", "stdout after the handshake");
}

#[tokio::test]
async fn sigint_is_ignored_when_managed_by_terraform() {
    let provider = Launched::new(PROVIDER, &[]).await;
    provider.process.signal("INT");
    // The answer needs the provider's threads to run, so the signal has been delivered.
    assert_eq!(provider.health().await, Ok(ServingStatus::Serving));

    let exit = provider.shutdown().await;
    assert_eq!(exit.status.code(), Some(0));
}

#[tokio::test]
async fn sigterm_stops_the_server_and_removes_the_socket() {
    let provider = Launched::new(PROVIDER, &[]).await;
    let address = provider.handshake.address();

    provider.process.signal("TERM");
    let exit = provider.process.wait().await;
    assert_eq!(exit.status.code(), Some(0));
    assert!(!socket_path(&address).exists());
}

#[tokio::test]
async fn without_the_magic_cookie_it_explains_and_exits_1() {
    let provider = PluginProcess::spawn(PROVIDER, &[], &[("PLUGIN_PROTOCOL_VERSIONS", "5,6")]);
    let exit = provider.wait().await;
    assert_eq!(exit.status.code(), Some(1));
    assert_eq!(exit.stdout, "");
    assert!(
        exit.stderr
            .starts_with("This binary is a plugin. These are not meant to be executed directly."),
        "{}",
        exit.stderr
    );

    let wrong = PluginProcess::spawn(
        PROVIDER,
        &[],
        &[("TF_PLUGIN_MAGIC_COOKIE", "chocolate-chip")],
    );
    let exit = wrong.wait().await;
    assert_eq!(exit.status.code(), Some(1));
    assert_eq!(exit.stdout, "");
}

#[tokio::test]
async fn protocol_versions_are_split_not_compared() {
    for offered in ["6,5", "6", " 5 , 6 ", "7,6,5"] {
        let mut provider =
            PluginProcess::launch(PROVIDER, None, &[("PLUGIN_PROTOCOL_VERSIONS", offered)]);
        let handshake = provider.handshake().await;
        assert_eq!(handshake.fields[1], "6", "offered {offered:?}");
        shutdown_plaintext(&handshake.address()).await;
        let exit = provider.wait().await;
        assert_eq!(exit.stderr, "", "offered {offered:?}");
    }
}

#[tokio::test]
async fn without_protocol_6_on_offer_it_still_announces_6_and_warns() {
    let mut provider = PluginProcess::launch(PROVIDER, None, &[("PLUGIN_PROTOCOL_VERSIONS", "5")]);
    let handshake = provider.handshake().await;
    // As go-plugin servers do: Terraform then reports the incompatible versions itself.
    assert_eq!(handshake.fields[1], "6");
    shutdown_plaintext(&handshake.address()).await;
    let exit = provider.wait().await;
    let lines = hclog_lines(&exit.stderr);
    assert!(
        lines
            .iter()
            .any(|l| l["@level"] == "warn" && l["offered"] == "5"),
        "{}",
        exit.stderr
    );
}

#[tokio::test]
async fn without_a_client_certificate_it_serves_plaintext() {
    let mut provider = PluginProcess::launch(PROVIDER, None, &[]);
    let handshake = provider.handshake().await;
    assert_eq!(handshake.fields[5], "");
    assert!(handshake.line.ends_with("|grpc|\n"));
    let address = handshake.address();

    let status = harness::health(&address, Security::Plaintext).await;
    assert_eq!(status, Ok(ServingStatus::Serving));

    shutdown_plaintext(&address).await;
    assert!(provider.wait().await.status.success());
}

#[tokio::test]
async fn falls_back_to_tcp_in_the_port_range_when_no_socket_can_be_made() {
    let missing = tempfile::tempdir().unwrap().path().join("gone");
    let provider = Launched::new(
        PROVIDER,
        &[("PLUGIN_UNIX_SOCKET_DIR", missing.to_str().unwrap())],
    )
    .await;
    let handshake = &provider.handshake;
    assert_eq!(handshake.fields[2], "tcp");
    let (host, port) = handshake.fields[3].rsplit_once(':').unwrap();
    assert_eq!(host, "127.0.0.1");
    assert!((10000..=25000).contains(&port.parse::<u16>().unwrap()));

    assert_eq!(provider.health().await, Ok(ServingStatus::Serving));
    assert!(provider.shutdown().await.status.success());
}

#[tokio::test]
async fn the_port_range_is_only_read_when_falling_back_to_tcp() {
    let inverted = [("PLUGIN_MIN_PORT", "25000"), ("PLUGIN_MAX_PORT", "10000")];
    let mut provider = PluginProcess::launch(PROVIDER, None, &inverted);
    let handshake = provider.handshake().await;
    assert_eq!(handshake.fields[2], "unix");
    shutdown_plaintext(&handshake.address()).await;
    assert!(provider.wait().await.status.success());

    let missing = tempfile::tempdir().unwrap().path().join("gone");
    let socket_dir = ("PLUGIN_UNIX_SOCKET_DIR", missing.to_str().unwrap());
    let provider = PluginProcess::launch(PROVIDER, None, &[inverted[0], inverted[1], socket_dir]);
    let exit = provider.wait().await;
    assert_eq!(exit.status.code(), Some(1));
    assert_eq!(exit.stdout, "");
    assert!(
        exit.stderr.contains("greater than the PLUGIN_MAX_PORT"),
        "{}",
        exit.stderr
    );
}

#[tokio::test]
async fn with_tf_log_stderr_is_hclog_json_and_every_call_is_traced() {
    let provider = Launched::new(PROVIDER, &[("TF_LOG", "TRACE")]).await;
    assert_eq!(provider.health().await, Ok(ServingStatus::Serving));
    let exit = provider.shutdown().await;

    let lines = hclog_lines(&exit.stderr);
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(
            line["@level"].is_string() && line["@message"].is_string(),
            "{line:?}"
        );
        if let Some(timestamp) = line.get("@timestamp") {
            let fraction = timestamp.as_str().unwrap().rsplit_once('.').unwrap().1;
            assert_eq!(fraction.len(), 7, "{timestamp}");
        }
    }
    let check = lines
        .iter()
        .find(|l| l["@message"] == "served gRPC request" && l["tf_rpc"] == "Check")
        .unwrap_or_else(|| panic!("no trace of the health check in {}", exit.stderr));
    assert_eq!(check["@level"], "trace");
    assert_eq!(check["grpc_method"], "/grpc.health.v1.Health/Check");
    assert!(check["duration_ms"].is_f64());
}

#[tokio::test]
async fn the_provider_specific_level_wins_over_tf_log() {
    let mut provider = PluginProcess::launch(
        PROVIDER,
        None,
        &[("TF_LOG", "TRACE"), ("TF_LOG_PROVIDER_KUSTO", "off")],
    );
    let handshake = provider.handshake().await;
    shutdown_plaintext(&handshake.address()).await;
    assert_eq!(provider.wait().await.stderr, "");
}

#[tokio::test]
async fn debug_mode_prints_a_reattach_value_naming_a_live_socket() {
    // No cookie, no client certificate: a user starts it by hand.
    let mut provider = PluginProcess::spawn(PROVIDER, &["--debug"], &[]);
    let intro = provider.read_line().await;
    assert!(
        intro.starts_with(
            "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS"
        )
    );
    assert_eq!(provider.read_line().await, "\n");
    let export = provider.read_line().await;
    let json = export
        .strip_prefix("\tTF_REATTACH_PROVIDERS='")
        .and_then(|rest| rest.strip_suffix("'\n"))
        .unwrap_or_else(|| panic!("unexpected line {export:?}"));
    let reattach: serde_json::Value = serde_json::from_str(json).unwrap();
    let entry = &reattach["registry.terraform.io/kusto-tf/kusto"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Pid"], provider.pid());
    assert_eq!(entry["Addr"]["Network"], "unix");
    let address = Address::Unix(entry["Addr"]["String"].as_str().unwrap().to_owned());

    // Reattaching Terraform speaks plaintext.
    let status = harness::health(&address, Security::Plaintext).await;
    assert_eq!(status, Ok(ServingStatus::Serving));

    // Ctrl-C stops a provider in debug mode.
    provider.signal("INT");
    let exit = provider.wait().await;
    assert_eq!(exit.status.code(), Some(0));
    assert!(!socket_path(&address).exists());
}
