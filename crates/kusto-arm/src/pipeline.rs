//! The request pipeline: an ordered list of policies, each handing the request to the next.
//!
//! The order is fixed because each stage depends on the ones before it:
//!
//! 1. [`RequestIdPolicy`] (once per call): `x-ms-client-request-id`, `x-ms-correlation-request-id`
//!    and `User-Agent`, so every retry of a call carries the same ids.
//! 2. [`RetryPolicy`]: repeats everything below on transient failures, as far as the request's
//!    [`RetryClass`](crate::retry::RetryClass) allows: a create PUT is repeated only when Azure
//!    cannot have processed it (see the `retry` module).
//! 3. [`BearerPolicy`] (per try): a token from the shared cache, so a retry after expiry
//!    re-authorises, and one fresh token when ARM rejects the cached one; the auxiliary
//!    tenants' tokens likewise.
//! 4. [`LoggingPolicy`] (per try): one line per attempt, never a header or body.
//! 5. [`TransportPolicy`]: the HTTP client, raced against the deadline and cancellation.
//!
//! The [`CallContext`] carries an operation's deadline and cancellation token through every stage.

use std::sync::Arc;

use super::context::CallContext;
use super::credential::cache::TokenCache;
use super::error::Result;
use super::policies::bearer::BearerPolicy;
use super::policies::logging::LoggingPolicy;
use super::policies::request_id::RequestIdPolicy;
use super::policies::retry::RetryPolicy;
use super::policies::transport::TransportPolicy;
use super::policies::{Next, Policy};
use super::retry::RetryOptions;
use super::transport::{HttpClient, Request, Response};

/// The assembled pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    policies: Arc<[Arc<dyn Policy>]>,
}

impl Pipeline {
    /// Builds the pipeline in the fixed order documented at the top of this module.
    pub fn new(
        ids: RequestIdPolicy,
        retry: RetryOptions,
        tokens: Arc<TokenCache>,
        auxiliary: Vec<Arc<TokenCache>>,
        http: Arc<dyn HttpClient>,
    ) -> Self {
        let policies: Vec<Arc<dyn Policy>> = vec![
            Arc::new(ids),
            Arc::new(RetryPolicy::new(retry)),
            Arc::new(BearerPolicy { tokens, auxiliary }),
            Arc::new(LoggingPolicy),
            Arc::new(TransportPolicy { http }),
        ];
        Self {
            policies: policies.into(),
        }
    }

    /// Sends `request` through every policy.
    pub async fn send(&self, ctx: &CallContext, mut request: Request) -> Result<Response> {
        Next(&self.policies).send(ctx, &mut request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policies::request_id::CLIENT_REQUEST_ID;
    use http::Method;
    use std::time::Duration;
    use url::Url;

    #[tokio::test(start_paused = true)]
    async fn logs_carry_request_ids_but_never_the_token() {
        use crate::testing::{Capture, MockHttp, response};
        use tracing_subscriber::layer::SubscriberExt;

        let capture = Capture::default();
        let _guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
        let http = Arc::new(MockHttp::new(vec![
            response(503, &[("x-ms-request-id", "arm-0")], ""),
            response(200, &[("x-ms-request-id", "arm-0")], "{}"),
            response(503, &[("x-ms-request-id", "arm-1")], ""),
            response(200, &[("x-ms-request-id", "arm-2")], "{}"),
        ]));
        let tokens = Arc::new(TokenCache::new(
            Arc::new(crate::testing::CountingTokens::default()),
            "scope".into(),
        ));
        let retry = RetryOptions {
            initial_delay: Duration::from_millis(1),
            ..RetryOptions::default()
        };
        let pipeline = Pipeline::new(
            RequestIdPolicy::new("corr-42", "agent").unwrap(),
            retry,
            tokens,
            Vec::new(),
            http.clone(),
        );
        let url = Url::parse("https://arm.example/subscriptions/s?api-version=1").unwrap();
        let ctx = CallContext::with_timeout(Duration::from_secs(10));
        // tracing caches per call site whether anyone listens; a site first reached by another
        // test thread may have been cached as silent. Reach every site once, then recompute.
        pipeline
            .send(&ctx, Request::new(Method::GET, url.clone()))
            .await
            .unwrap();
        tracing::callsite::rebuild_interest_cache();
        capture.0.lock().unwrap().clear();

        pipeline
            .send(&ctx, Request::new(Method::GET, url))
            .await
            .unwrap();
        let sent = http.requests();
        assert_eq!(sent[2].headers["authorization"], "Bearer test-token");
        let client_id = sent[2].headers[CLIENT_REQUEST_ID]
            .to_str()
            .unwrap()
            .to_string();
        let logs = capture.0.lock().unwrap().join("\n");
        assert!(logs.contains(&client_id), "{logs}");
        assert!(logs.contains("corr-42") && logs.contains("arm-2"), "{logs}");
        assert!(logs.contains("retrying Azure request"), "{logs}");
        assert!(!logs.contains("test-token"), "{logs}");
    }
}
