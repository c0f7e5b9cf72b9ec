//! One log line per attempt, through `tracing` (which the provider routes to stderr): method,
//! path, `api-version`, ids, status and duration, so a slow or failing run can be traced to
//! ARM's own request ids. Never headers or bodies, so never a token.

use tokio::time::Instant;

use super::request_id::{CLIENT_REQUEST_ID, CORRELATION_REQUEST_ID};
use super::{Next, Policy};
use crate::context::CallContext;
use crate::error::Result;
use crate::transport::{Request, Response};

/// Logs each attempt at debug level (failures at warn) through `tracing`, which the provider
/// routes to stderr. Only the method, path, `api-version`, ids, status and timing are logged.
#[derive(Debug)]
pub(crate) struct LoggingPolicy;

/// The loggable description of a request: path and api-version only (no other query values,
/// no headers, no body).
pub(crate) fn describe_request(request: &Request) -> String {
    let api_version = request
        .url
        .query_pairs()
        .find(|(k, _)| k == "api-version")
        .map(|(_, v)| format!("?api-version={v}"))
        .unwrap_or_default();
    format!("{} {}{api_version}", request.method, request.url.path())
}

fn header_text<'a>(request: &'a Request, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
}

#[async_trait::async_trait]
impl Policy for LoggingPolicy {
    async fn send(&self, ctx: &CallContext, req: &mut Request, next: Next<'_>) -> Result<Response> {
        let started = Instant::now();
        let what = describe_request(req);
        let client_request_id = header_text(req, CLIENT_REQUEST_ID).to_string();
        let correlation_id = header_text(req, CORRELATION_REQUEST_ID).to_string();
        let result = next.send(ctx, req).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(response) => tracing::debug!(
                request = %what,
                client_request_id,
                correlation_id,
                status = response.status.as_u16(),
                arm_request_id = response.header("x-ms-request-id").unwrap_or("-"),
                elapsed_ms,
                "Azure request"
            ),
            Err(err) => tracing::warn!(
                request = %what,
                client_request_id,
                correlation_id,
                error = %err,
                elapsed_ms,
                "Azure request failed"
            ),
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, Method};
    use url::Url;

    #[test]
    fn request_descriptions_hold_no_secrets() {
        let mut request = Request::new(
            Method::PUT,
            Url::parse("https://arm.example/subscriptions/s/x?api-version=2025-02-14&sig=secret")
                .unwrap(),
        );
        request.headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Bearer eyJhbGciOi.secret.token"),
        );
        request.body = Some(b"{\"password\":\"p\"}".to_vec());
        let text = describe_request(&request);
        assert_eq!(text, "PUT /subscriptions/s/x?api-version=2025-02-14");
    }
}
