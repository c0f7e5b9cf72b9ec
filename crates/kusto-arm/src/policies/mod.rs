//! The stages of the request pipeline, one file each, and the contract they share: a stage
//! gets the request and the rest of the pipeline ([`Next`]), and decides whether, how often
//! and with which headers to hand it on. The order the stages run in, and why, is the
//! `pipeline` module's.

pub(crate) mod bearer;
pub(crate) mod logging;
pub(crate) mod request_id;
pub(crate) mod retry;
pub(crate) mod transport;

use std::sync::Arc;

use super::context::CallContext;
use super::error::{Error, Result};
use super::transport::{Request, Response};

/// One stage of the pipeline.
#[async_trait::async_trait]
pub(crate) trait Policy: Send + Sync + std::fmt::Debug {
    /// Handles `req`, calling [`Next::send`] to continue down the pipeline.
    async fn send(&self, ctx: &CallContext, req: &mut Request, next: Next<'_>) -> Result<Response>;
}

/// The stages after the current one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Next<'a>(pub &'a [Arc<dyn Policy>]);

impl Next<'_> {
    /// Passes `request` to the first remaining stage.
    pub async fn send(self, ctx: &CallContext, request: &mut Request) -> Result<Response> {
        match self.0.split_first() {
            Some((policy, rest)) => policy.send(ctx, request, Next(rest)).await,
            None => Err(Error::Transport(
                "the request pipeline has no transport".into(),
            )),
        }
    }
}
