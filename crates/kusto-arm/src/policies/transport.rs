//! The last stage: the HTTP client, raced against the operation's deadline and cancellation.

use std::sync::Arc;

use super::{Next, Policy};
use crate::context::CallContext;
use crate::error::Result;
use crate::transport::{HttpClient, Request, Response};

/// Sends the request over the process's HTTP client; nothing comes after it.
#[derive(Debug)]
pub(crate) struct TransportPolicy {
    pub http: Arc<dyn HttpClient>,
}

#[async_trait::async_trait]
impl Policy for TransportPolicy {
    async fn send(&self, ctx: &CallContext, req: &mut Request, _: Next<'_>) -> Result<Response> {
        ctx.run("an Azure response", self.http.execute(req.clone()))
            .await
    }
}
