//! Test helpers that play Terraform's part of the go-plugin launch: a client certificate
//! made like Terraform's, the provider process with Terraform's environment, the
//! handshake line, and gRPC channels over the socket it names.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P521_SHA512, SerialNumber,
};
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::{TcpStream, UnixStream};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};
use tokio_rustls::TlsConnector;
use tokio_util::either::Either;
use tonic::codegen::Service;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// Upper bound for anything a test waits on; reaching it means the test failed.
pub const GUARD: Duration = Duration::from_secs(20);

pub const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Waits for `future`, failing the test if it takes longer than [`GUARD`].
pub async fn guarded<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(GUARD, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// A client certificate and key made the way Terraform (go-plugin AutoMTLS) makes them:
/// ECDSA P-521 signed with SHA-512, self-signed, CA:TRUE, SAN localhost.
pub struct ClientIdentity {
    pub pem: String,
    pub certificate: CertificateDer<'static>,
    pub key: PrivatePkcs8KeyDer<'static>,
}

impl ClientIdentity {
    pub fn like_terraform() -> Self {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::OrganizationName, "HashiCorp");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::seconds(30);
        params.not_after = now + time::Duration::hours(262_980);
        let mut serial = [0u8; 16];
        ::aws_lc_rs::rand::fill(&mut serial).unwrap();
        serial[0] &= 0x7f;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let certificate = params.self_signed(&key).unwrap();
        ClientIdentity {
            pem: certificate.pem(),
            certificate: certificate.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }
}

/// The provider binary, started with a clean environment and its own socket directory.
pub struct Provider {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stderr: ChildStderr,
    pub socket_dir: tempfile::TempDir,
}

/// What the provider printed and how it ended.
#[derive(Debug)]
pub struct Exit {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Provider {
    /// Starts the binary with `args` and `env` only (plus `TMPDIR`, a fresh directory).
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Self {
        let socket_dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_terraform-provider-kusto"))
            .args(args)
            .env_clear()
            .env("TMPDIR", socket_dir.path())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Provider {
            stdout: BufReader::new(child.stdout.take().unwrap()),
            stderr: child.stderr.take().unwrap(),
            child,
            socket_dir,
        }
    }

    /// Starts the binary as Terraform does, with `PLUGIN_CLIENT_CERT` when a client
    /// certificate is given, and `extra` variables on top.
    pub fn launch(client: Option<&ClientIdentity>, extra: &[(&str, &str)]) -> Self {
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
        Self::spawn(&[], &env)
    }

    /// Reads one line from stdout.
    pub async fn read_line(&mut self) -> String {
        let mut line = String::new();
        guarded("a line on stdout", self.stdout.read_line(&mut line))
            .await
            .unwrap();
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
            status: status.unwrap(),
            stdout,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// Sends a signal with the `kill` command (e.g. `"INT"`, `"TERM"`).
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} failed");
    }
}

/// The handshake line, split the way go-plugin's client splits it.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub line: String,
    pub fields: Vec<String>,
}

impl Handshake {
    pub fn parse(line: &str) -> Self {
        assert!(
            line.ends_with('\n'),
            "handshake line not terminated: {line:?}"
        );
        let fields: Vec<String> = line.trim().split('|').map(str::to_owned).collect();
        assert_eq!(fields.len(), 6, "handshake line: {line:?}");
        Handshake {
            line: line.to_owned(),
            fields,
        }
    }

    pub fn address(&self) -> Address {
        match self.fields[2].as_str() {
            "unix" => Address::Unix(self.fields[3].clone()),
            "tcp" => Address::Tcp(self.fields[3].clone()),
            other => panic!("unknown network {other:?}"),
        }
    }

    /// The server certificate, decoded as go-plugin does (base64 without padding).
    pub fn server_certificate(&self) -> Option<CertificateDer<'static>> {
        let field = &self.fields[5];
        if field.is_empty() {
            return None;
        }
        Some(CertificateDer::from(STANDARD_NO_PAD.decode(field).unwrap()))
    }
}

#[derive(Debug, Clone)]
pub enum Address {
    Unix(String),
    Tcp(String),
}

/// How the test client secures its connection.
pub enum Security<'a> {
    /// h2c, as a reattaching Terraform or a client without TLS does.
    Plaintext,
    /// TLS trusting only the server certificate from the handshake, presenting `client`.
    Tls {
        server: CertificateDer<'static>,
        client: Option<&'a ClientIdentity>,
    },
}

type ClientStream = Either<TcpStream, UnixStream>;
type Connected = Either<ClientStream, tokio_rustls::client::TlsStream<ClientStream>>;

/// Dials the provider like go-plugin does, as a tonic connector.
#[derive(Clone)]
struct Dialer {
    address: Address,
    tls: Option<Arc<ClientConfig>>,
}

impl Service<Uri> for Dialer {
    type Response = TokioIo<Connected>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let dialer = self.clone();
        Box::pin(async move {
            let stream = match &dialer.address {
                Address::Unix(path) => Either::Right(UnixStream::connect(path).await?),
                Address::Tcp(address) => Either::Left(TcpStream::connect(address).await?),
            };
            let connected = match dialer.tls {
                None => Either::Left(stream),
                Some(config) => {
                    let name = ServerName::try_from("localhost").unwrap();
                    Either::Right(TlsConnector::from(config).connect(name, stream).await?)
                }
            };
            Ok(TokioIo::new(connected))
        })
    }
}

fn client_config(security: &Security<'_>) -> Option<Arc<ClientConfig>> {
    let Security::Tls { server, client } = security else {
        return None;
    };
    let mut roots = RootCertStore::empty();
    roots.add(server.clone()).unwrap();
    let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match client {
        Some(identity) => builder
            .with_client_auth_cert(
                vec![identity.certificate.clone()],
                PrivateKeyDer::Pkcs8(identity.key.clone_key()),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Some(Arc::new(config))
}

/// A gRPC channel to the provider, or the error that prevented it.
pub async fn channel(address: &Address, security: Security<'_>) -> Result<Channel, String> {
    let dialer = Dialer {
        address: address.clone(),
        tls: client_config(&security),
    };
    guarded(
        "a connection",
        Endpoint::from_static("http://localhost").connect_with_connector(dialer),
    )
    .await
    .map_err(|e| format!("connect: {e:?}"))
}

/// Asks the gRPC health service about "plugin", go-plugin's service name.
pub async fn health(address: &Address, security: Security<'_>) -> Result<ServingStatus, String> {
    let channel = channel(address, security).await?;
    let request = HealthCheckRequest {
        service: "plugin".to_owned(),
    };
    let response = guarded("a health answer", HealthClient::new(channel).check(request))
        .await
        .map_err(|status| format!("call: {status:?}"))?;
    Ok(response.into_inner().status())
}
