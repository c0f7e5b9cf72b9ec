//! Turns accepted sockets into connections for tonic: plain for h2c, or after a TLS
//! handshake when AutoMTLS is on.
//!
//! tonic's own TLS support uses webpki's client verifier, which refuses Terraform's
//! certificate, so the handshake happens here. Each handshake runs in its own task: a
//! client that stalls or presents the wrong certificate is dropped without holding up
//! other connections or taking the server down.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::either::Either;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use super::listener::{Listener, Stream};

/// How long a client may take to complete the TLS handshake. Terraform needs about 12 ms.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait before accepting again after the listener failed, at first and at
/// most. Failures such as running out of file descriptors usually pass; the wait doubles
/// up to the maximum.
const ACCEPT_BACKOFF_START: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// How many accept failures in a row end the server.
const ACCEPT_FAILURES_TOLERATED: u32 = 12;

/// One client connection, ready for HTTP/2.
pub struct Connection(Either<Stream, Box<TlsStream<Stream>>>);

impl Connected for Connection {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

/// Accepts connections until `shutdown` is cancelled (then returns `Ok`) or the listener
/// keeps failing (then returns the last error), and sends each ready connection to
/// `connections`.
pub async fn accept_loop(
    listener: Listener,
    tls: Option<TlsAcceptor>,
    connections: mpsc::Sender<Connection>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let mut failures = 0;
    let mut backoff = ACCEPT_BACKOFF_START;
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok(stream) => {
                failures = 0;
                backoff = ACCEPT_BACKOFF_START;
                stream
            }
            Err(error) => {
                failures += 1;
                if failures >= ACCEPT_FAILURES_TOLERATED {
                    return Err(error);
                }
                tracing::warn!(%error, "accepting a connection failed; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                continue;
            }
        };
        match &tls {
            None => {
                // The receiver is gone only once the server has stopped accepting.
                if connections
                    .send(Connection(Either::Left(stream)))
                    .await
                    .is_err()
                {
                    return Ok(());
                }
            }
            Some(acceptor) => {
                tokio::spawn(handshake(acceptor.clone(), stream, connections.clone()));
            }
        }
    }
}

async fn handshake(acceptor: TlsAcceptor, stream: Stream, connections: mpsc::Sender<Connection>) {
    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => {
            // An error means the server has stopped; the connection is simply dropped.
            let _ = connections
                .send(Connection(Either::Right(Box::new(tls))))
                .await;
        }
        Ok(Err(error)) => tracing::warn!(%error, "refused a client: TLS handshake failed"),
        Err(_) => tracing::warn!("refused a client: TLS handshake timed out"),
    }
}
