//! Serving the application over TLS: one task per connection, a connection closed on the
//! fault plan's `drop`, and a graceful stop that lets answers in flight finish.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// The connection a request arrived on, inserted by the accept loop.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub id: u64,
    /// Notified to close the connection without answering.
    pub drop: Arc<Notify>,
}

/// How long in-flight requests may take to finish after shutdown was requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `app` over TLS on `listener` until `shutdown` completes, then lets open
/// connections finish (for at most five seconds).
pub async fn run(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let cancel = CancellationToken::new();
    let mut connections = JoinSet::new();
    let mut next_id: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let tcp = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        next_id += 1;
        connections.spawn(serve_connection(
            next_id,
            acceptor.clone(),
            tcp,
            app.clone(),
            cancel.clone(),
        ));
    }
    cancel.cancel();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, connections.join_all()).await;
}

async fn serve_connection(
    id: u64,
    acceptor: TlsAcceptor,
    tcp: tokio::net::TcpStream,
    app: Router,
    cancel: CancellationToken,
) {
    let stream = tokio::select! {
        () = cancel.cancelled() => return,
        accepted = acceptor.accept(tcp) => match accepted {
            Ok(stream) => stream,
            Err(e) => {
                tracing::debug!(error = %e, "TLS handshake failed");
                return;
            }
        },
    };
    let drop_signal = Arc::new(Notify::new());
    let info = ConnectionInfo {
        id,
        drop: drop_signal.clone(),
    };
    let service = TowerToHyperService::new(app);
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(info.clone());
            hyper::service::Service::call(&service, req)
        });
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = drop_signal.notified() => return,
            () = cancel.cancelled(), if !shutting_down => {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
