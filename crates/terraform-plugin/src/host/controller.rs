//! go-plugin's own services: `GRPCController`, through which Terraform ends the process,
//! and `GRPCStdio`, which Terraform opens first on every connection.
//!
//! `GRPCBroker` is left out: providers never use it, and go-plugin ignores the
//! `Unimplemented` answer the router gives for it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio_stream::Stream;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::{Request, Response, Status};

use crate::proto::plugin::grpc_controller_server::GrpcController;
use crate::proto::plugin::grpc_stdio_server::GrpcStdio;
use crate::proto::plugin::{Empty, StdioData};

/// `GRPCController`: `Shutdown` stops the server. Terraform calls it when it is done with
/// the process and kills the process two seconds later if it is still running.
#[derive(Debug, Clone)]
pub struct Controller {
    shutdown: CancellationToken,
}

impl Controller {
    pub fn new(shutdown: CancellationToken) -> Self {
        Controller { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("Terraform asked the provider to shut down");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// `GRPCStdio`: the provider writes nothing to stdout or stderr that Terraform should show
/// as program output (logs go to stderr, which go-plugin reads directly), so the stream
/// stays open and silent until the server shuts down.
#[derive(Debug, Clone)]
pub struct Stdio {
    shutdown: CancellationToken,
}

impl Stdio {
    pub fn new(shutdown: CancellationToken) -> Self {
        Stdio { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<tonic::codegen::BoxStream<StdioData>>, Status> {
        let silence = SilentUntil(Box::pin(self.shutdown.clone().cancelled_owned()));
        Ok(Response::new(Box::pin(silence)))
    }
}

/// A stream that yields nothing and ends when the token is cancelled, so an open stdio
/// stream never holds up a graceful shutdown.
struct SilentUntil(Pin<Box<WaitForCancellationFutureOwned>>);

impl Stream for SilentUntil {
    type Item = Result<StdioData, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll(cx).map(|()| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_stream::StreamExt;

    #[tokio::test]
    async fn shutdown_cancels_the_token() {
        let token = CancellationToken::new();
        let controller = Controller::new(token.clone());
        controller.shutdown(Request::new(Empty {})).await.unwrap();
        assert!(token.is_cancelled());
    }

    #[tokio::test]
    async fn stdio_stream_is_silent_and_ends_on_shutdown() {
        let token = CancellationToken::new();
        let stdio = Stdio::new(token.clone());
        let mut stream = stdio
            .stream_stdio(Request::new(()))
            .await
            .unwrap()
            .into_inner();
        let pending = tokio::time::timeout(std::time::Duration::ZERO, stream.next()).await;
        assert!(
            pending.is_err(),
            "the stream must not yield before shutdown"
        );
        token.cancel();
        assert!(stream.next().await.is_none());
    }
}
