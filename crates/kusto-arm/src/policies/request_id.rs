//! The first stage: the ids and `User-Agent` of a call, stamped once, so every retry of the
//! call carries the same `x-ms-client-request-id` and ARM's logs tie the tries together.

use http::HeaderValue;

use super::{Next, Policy};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::transport::{Request, Response};

pub(crate) const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";
pub(crate) const CORRELATION_REQUEST_ID: &str = "x-ms-correlation-request-id";

/// Stamps the ids and user agent once per call. A caller that already set
/// `x-ms-client-request-id` (the poller, re-using its operation's id) keeps it.
#[derive(Debug)]
pub(crate) struct RequestIdPolicy {
    correlation_id: HeaderValue,
    user_agent: HeaderValue,
}

impl RequestIdPolicy {
    pub fn new(correlation_id: &str, user_agent: &str) -> Result<Self> {
        let value = |what: &str, v: &str| {
            HeaderValue::from_str(v).map_err(|_| {
                Error::Config(format!("{what} {v:?} is not a valid HTTP header value"))
            })
        };
        Ok(Self {
            correlation_id: value("correlation request id", correlation_id)?,
            user_agent: value("user agent", user_agent)?,
        })
    }
}

/// A fresh client request id.
pub(crate) fn new_request_id() -> HeaderValue {
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("00000000-0000-0000-0000-000000000000"))
}

#[async_trait::async_trait]
impl Policy for RequestIdPolicy {
    async fn send(&self, ctx: &CallContext, req: &mut Request, next: Next<'_>) -> Result<Response> {
        let headers = &mut req.headers;
        if !headers.contains_key(CLIENT_REQUEST_ID) {
            headers.insert(CLIENT_REQUEST_ID, new_request_id());
        }
        headers.insert(CORRELATION_REQUEST_ID, self.correlation_id.clone());
        headers.insert(http::header::USER_AGENT, self.user_agent.clone());
        headers
            .entry(http::header::ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        next.send(ctx, req).await
    }
}
