//! Logs every gRPC call at TRACE level: which method, how long it took, and its gRPC
//! status when the handler failed before sending a message.
//!
//! Only the method path is read from the request: messages may carry secrets (provider
//! configuration, state), so payloads are never logged. Each call runs inside a span
//! named `rpc` with a `tf_rpc` field, so log lines written while handling it say which
//! call they belong to.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use tonic::body::Body;
use tonic::codegen::Service;
use tracing::Instrument;

/// Wraps the router so that each call is logged.
#[derive(Debug, Clone)]
pub struct RpcTrace<S> {
    inner: S,
}

impl<S> RpcTrace<S> {
    pub fn new(inner: S) -> Self {
        RpcTrace { inner }
    }
}

impl<S> Service<Request<Body>> for RpcTrace<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let path = request.uri().path().to_owned();
        // ERROR level: the span then exists whenever any logging is on, so that every line
        // logged during a call, warnings included, names the call.
        let span = tracing::error_span!("rpc", tf_rpc = method_name(&path));
        let call = self.inner.call(request);
        Box::pin(
            async move {
                tracing::trace!(grpc_method = %path, "received gRPC request");
                let started = Instant::now();
                let Ok(response) = call.await;
                // Whole microseconds, so the number reads as e.g. 0.106 rather than 0.10551.
                let duration_ms = started.elapsed().as_micros() as f64 / 1000.0;
                // Present only for calls that failed before sending a message ("trailers
                // only"); other calls send their status in trailers, after this point.
                match response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                {
                    Some(status) => tracing::trace!(
                        grpc_method = %path,
                        grpc_status = status,
                        duration_ms,
                        "served gRPC request"
                    ),
                    None => {
                        tracing::trace!(grpc_method = %path, duration_ms, "served gRPC request")
                    }
                }
                Ok(response)
            }
            .instrument(span),
        )
    }
}

/// The RPC name from a gRPC path: `/tfplugin6.Provider/PlanResourceChange` gives
/// `PlanResourceChange`.
fn method_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_name_is_the_last_path_segment() {
        for (path, method) in [
            (
                "/tfplugin6.Provider/PlanResourceChange",
                "PlanResourceChange",
            ),
            ("/plugin.GRPCController/Shutdown", "Shutdown"),
            ("odd", "odd"),
        ] {
            assert_eq!(method_name(path), method);
        }
    }
}
