//! Dialing a plugin as go-plugin does: the socket from the handshake, h2c or TLS trusting
//! only the announced server certificate, and the calls every test makes (health,
//! shutdown).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::TlsConnector;
use tokio_util::either::Either;
use tonic::codegen::Service;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::guard::guarded;
use super::identity::ClientIdentity;
use crate::proto::plugin::Empty;
use crate::proto::plugin::grpc_controller_client::GrpcControllerClient;

/// Where a plugin listens, from its handshake line.
#[derive(Debug, Clone)]
pub enum Address {
    /// A unix socket path.
    Unix(String),
    /// A TCP `host:port`.
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
                    let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
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
    roots
        .add(server.clone())
        .expect("the server certificate is usable");
    let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions supported")
        .with_root_certificates(roots);
    let mut config = match client {
        Some(identity) => builder
            .with_client_auth_cert(
                vec![identity.certificate.clone()],
                PrivateKeyDer::Pkcs8(identity.key.clone_key()),
            )
            .expect("the client identity is usable"),
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

/// Calls `GRPCController.Shutdown`, as Terraform does when it is done with a process.
pub async fn shutdown(channel: Channel) {
    guarded(
        "Shutdown",
        GrpcControllerClient::new(channel).shutdown(Empty {}),
    )
    .await
    .expect("Shutdown answered");
}
