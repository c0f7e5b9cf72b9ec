//! The stage that repeats the rest of the pipeline on transient failures, as far as the
//! request's retry class allows, waiting what Azure asks for (the rules are the `retry`
//! module's).

use super::{Next, Policy};
use crate::context::CallContext;
use crate::error::Result;
use crate::retry::{RetryOptions, next_wait, warn_past_deadline};
use crate::transport::{Request, Response};

/// The pipeline stage that repeats the rest of the pipeline on transient failures.
#[derive(Debug)]
pub(crate) struct RetryPolicy {
    options: RetryOptions,
}

impl RetryPolicy {
    pub fn new(options: RetryOptions) -> Self {
        Self { options }
    }
}

#[async_trait::async_trait]
impl Policy for RetryPolicy {
    async fn send(&self, ctx: &CallContext, req: &mut Request, next: Next<'_>) -> Result<Response> {
        let mut attempt = 0;
        loop {
            let mut this_try = req.clone();
            let result = next.send(ctx, &mut this_try).await;
            if !req.retry.may_retry(&result) || attempt >= self.options.max_retries {
                return result;
            }
            let backoff = self.options.backoff(attempt);
            let delay = match &result {
                Ok(response) => next_wait(response, backoff, "retrying the request"),
                Err(_) => backoff,
            };
            if !ctx.has_time_for(delay) {
                warn_past_deadline(
                    delay,
                    ctx.remaining(),
                    "retrying the request",
                    "not retrying; returning the last answer",
                );
                return result;
            }
            let reason = match &result {
                Ok(response) => response.status.to_string(),
                Err(err) => err.to_string(),
            };
            tracing::warn!(
                method = %req.method,
                path = req.url.path(),
                attempt = attempt + 1,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                %reason,
                "retrying Azure request"
            );
            ctx.sleep(delay, "a retry of an Azure request").await?;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::retry::{MAX_WAIT, RetryClass};
    use http::{Method, StatusCode};
    use std::sync::Arc;
    use std::time::Duration;

    fn answer(status: u16, retry_after: &str) -> Response {
        crate::testing::response(status, &[("retry-after", retry_after)], "").unwrap()
    }

    fn transport(
        class: RetryClass,
        results: Vec<Result<Response>>,
    ) -> (
        Arc<crate::testing::MockHttp>,
        crate::pipeline::Pipeline,
        Request,
    ) {
        let http = Arc::new(crate::testing::MockHttp::new(results));
        let (pipeline, _) = crate::testing::pipeline_over(http.clone());
        let url = url::Url::parse("https://arm.example/subscriptions/s/x?api-version=1").unwrap();
        (
            http,
            pipeline,
            Request::new(Method::PUT, url).retried_as(class),
        )
    }

    /// How many requests one call of `class` makes when the transport answers `first` and
    /// then 200.
    async fn tries(class: RetryClass, first: Result<Response>) -> usize {
        let ok = crate::testing::response(200, &[], "{}");
        let (http, pipeline, request) = transport(class, vec![first, ok]);
        let ctx = CallContext::with_timeout(Duration::from_secs(600));
        let _ = pipeline.send(&ctx, request).await;
        http.requests().len()
    }

    #[tokio::test(start_paused = true)]
    async fn each_retry_class_repeats_only_what_it_may() {
        let dropped = || {
            Err(Error::Transport(
                "connection closed before message completed".into(),
            ))
        };
        let refused = || {
            Err(Error::Connect(
                "tcp connect error: Connection refused".into(),
            ))
        };
        let status = |code| Ok(answer(code, "1"));
        use RetryClass::*;
        // Idempotent: everything transient.
        assert_eq!(tries(Idempotent, dropped()).await, 2);
        assert_eq!(tries(Idempotent, refused()).await, 2);
        assert_eq!(tries(Idempotent, status(504)).await, 2);
        // A create: only what Azure cannot have processed.
        assert_eq!(tries(Create, status(429)).await, 2);
        assert_eq!(tries(Create, refused()).await, 2);
        assert_eq!(tries(Create, dropped()).await, 1);
        assert_eq!(tries(Create, status(504)).await, 1);
        assert_eq!(tries(Create, status(500)).await, 1);
        // Not idempotent: error statuses and refused connections, never a dropped one.
        assert_eq!(tries(NotIdempotent, status(503)).await, 2);
        assert_eq!(tries(NotIdempotent, refused()).await, 2);
        assert_eq!(tries(NotIdempotent, dropped()).await, 1);
        // Requests get their method's class unless told otherwise.
        let url = url::Url::parse("https://arm.example/").unwrap();
        assert_eq!(Request::new(Method::PUT, url.clone()).retry, Idempotent);
        assert_eq!(Request::new(Method::POST, url.clone()).retry, NotIdempotent);
        assert_eq!(Request::new(Method::PATCH, url).retry, NotIdempotent);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hostile_retry_after_waits_the_cap_and_never_past_the_deadline() {
        let (http, pipeline, request) = transport(
            RetryClass::Idempotent,
            vec![
                Ok(answer(503, "18446744073709551615")),
                Ok(answer(200, "0")),
            ],
        );
        let start = tokio::time::Instant::now();
        let ctx = CallContext::with_timeout(Duration::from_secs(600));
        let response = pipeline.send(&ctx, request.clone()).await.unwrap();
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(start.elapsed(), MAX_WAIT);
        assert_eq!(http.requests().len(), 2);

        // With less time left than the (capped) wait, the answer is returned at once.
        let (http, pipeline, request) = transport(
            RetryClass::Idempotent,
            vec![Ok(answer(503, "1800")), Ok(answer(200, "0"))],
        );
        let start = tokio::time::Instant::now();
        let ctx = CallContext::with_timeout(Duration::from_secs(30));
        let response = pipeline.send(&ctx, request).await.unwrap();
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(http.requests().len(), 1);
    }
}
