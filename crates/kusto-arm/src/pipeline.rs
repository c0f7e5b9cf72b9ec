//! The request pipeline: an ordered list of policies, each handing the request to the next.
//!
//! The order is fixed because each stage depends on the ones before it:
//!
//! 1. [`RequestIdPolicy`] (once per call): `x-ms-client-request-id`, `x-ms-correlation-request-id`
//!    and `User-Agent`, so every retry of a call carries the same ids.
//! 2. [`RetryPolicy`](super::retry::RetryPolicy): repeats everything below on transient failures,
//!    as far as the request's [`RetryClass`](super::retry::RetryClass) allows: a create PUT is
//!    repeated only when Azure cannot have processed it (see the `retry` module).
//! 3. [`BearerPolicy`] (per try): a token from the shared cache, so a retry after expiry
//!    re-authorises. When ARM rejects the token anyway (401 with a `WWW-Authenticate: Bearer`
//!    challenge: revoked, clock skew), it drops that token, fetches a fresh one and sends the
//!    request once more; a second 401 is the caller's error. A rejected request was not
//!    processed, so this is safe for every request, creates included.
//! 4. [`LoggingPolicy`] (per try): one line per attempt with method, path, ids, status and
//!    duration; never headers or bodies, so never a token.
//! 5. [`TransportPolicy`]: the HTTP client, raced against the deadline and cancellation.
//!
//! [`CallContext`] carries an operation's deadline and cancellation token through every stage.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::credential::TokenCache;
use super::error::{Error, Result};
use super::transport::{HttpClient, Request, Response};

/// The longest time budget an operation can have. Timeouts come from the user's configuration
/// (`timeouts { create = "..." }`); a larger one is clamped to this, so the deadline is always a
/// representable instant and `Instant + Duration` can never overflow.
pub(crate) const MAX_BUDGET: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// The time budget and cancellation of one logical operation (a Terraform create, read, ...).
/// Everything done on its behalf (retries, token requests, polls) stops at its deadline.
#[derive(Debug, Clone)]
pub struct CallContext {
    deadline: Instant,
    budget: Duration,
    cancel: CancellationToken,
}

impl CallContext {
    /// An operation that must finish within `timeout` (at most `MAX_BUDGET`, ten years) and stops early
    /// when `cancel` fires.
    pub fn new(timeout: Duration, cancel: CancellationToken) -> Self {
        let now = Instant::now();
        let budget = timeout.min(MAX_BUDGET);
        Self {
            deadline: now.checked_add(budget).unwrap_or(now),
            budget,
            cancel,
        }
    }

    /// An operation that must finish within `timeout` and cannot be cancelled otherwise.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self::new(timeout, CancellationToken::new())
    }

    /// The instant the operation gives up.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether waiting `delay` still ends before the deadline.
    pub(crate) fn has_time_for(&self, delay: Duration) -> bool {
        Instant::now()
            .checked_add(delay)
            .is_some_and(|wake| wake < self.deadline)
    }

    /// The time left before the deadline (zero once it has passed).
    pub(crate) fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    fn timeout_error(&self, waiting_for: &str) -> Error {
        Error::Timeout {
            waiting_for: waiting_for.to_string(),
            after: self.budget,
        }
    }

    /// Sleeps `delay` on tokio's clock; fails with `Cancelled` or `Timeout` instead if the
    /// operation is cancelled or its deadline comes first.
    pub(crate) async fn sleep(&self, delay: Duration, waiting_for: &str) -> Result<()> {
        let wake = Instant::now().checked_add(delay).unwrap_or(self.deadline);
        if wake >= self.deadline {
            tokio::select! {
                _ = self.cancel.cancelled() => Err(Error::Cancelled),
                _ = tokio::time::sleep_until(self.deadline) => Err(self.timeout_error(waiting_for)),
            }
        } else {
            tokio::select! {
                _ = self.cancel.cancelled() => Err(Error::Cancelled),
                _ = tokio::time::sleep_until(wake) => Ok(()),
            }
        }
    }

    /// Runs `work` unless cancellation or the deadline comes first.
    pub(crate) async fn run<T>(
        &self,
        waiting_for: &str,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::select! {
            _ = self.cancel.cancelled() => Err(Error::Cancelled),
            _ = tokio::time::sleep_until(self.deadline) => Err(self.timeout_error(waiting_for)),
            result = work => result,
        }
    }
}

/// One stage of the pipeline.
#[async_trait::async_trait]
pub(crate) trait Policy: Send + Sync + std::fmt::Debug {
    /// Handles `request`, calling [`send_next`] with `next` to continue down the pipeline.
    async fn send(
        &self,
        ctx: &CallContext,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> Result<Response>;
}

/// Passes `request` to the first of `next`.
pub(crate) async fn send_next(
    ctx: &CallContext,
    request: &mut Request,
    next: &[Arc<dyn Policy>],
) -> Result<Response> {
    match next.split_first() {
        Some((policy, rest)) => policy.send(ctx, request, rest).await,
        None => Err(Error::Transport(
            "the request pipeline has no transport".into(),
        )),
    }
}

/// The assembled pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    policies: Arc<[Arc<dyn Policy>]>,
}

impl Pipeline {
    /// Builds the pipeline in the fixed order documented at the top of this module.
    pub fn new(
        ids: RequestIdPolicy,
        retry: super::retry::RetryPolicy,
        tokens: Arc<TokenCache>,
        http: Arc<dyn HttpClient>,
    ) -> Self {
        let policies: Vec<Arc<dyn Policy>> = vec![
            Arc::new(ids),
            Arc::new(retry),
            Arc::new(BearerPolicy { tokens }),
            Arc::new(LoggingPolicy),
            Arc::new(TransportPolicy { http }),
        ];
        Self {
            policies: policies.into(),
        }
    }

    /// Sends `request` through every policy.
    pub async fn send(&self, ctx: &CallContext, mut request: Request) -> Result<Response> {
        send_next(ctx, &mut request, &self.policies).await
    }
}

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
    async fn send(
        &self,
        ctx: &CallContext,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> Result<Response> {
        let headers = &mut request.headers;
        if !headers.contains_key(CLIENT_REQUEST_ID) {
            headers.insert(CLIENT_REQUEST_ID, new_request_id());
        }
        headers.insert(CORRELATION_REQUEST_ID, self.correlation_id.clone());
        headers.insert(http::header::USER_AGENT, self.user_agent.clone());
        headers
            .entry(http::header::ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        send_next(ctx, request, next).await
    }
}

/// Adds `Authorization: Bearer …` from the process-wide token cache, on every try.
#[derive(Debug)]
struct BearerPolicy {
    tokens: Arc<TokenCache>,
}

#[async_trait::async_trait]
impl Policy for BearerPolicy {
    async fn send(
        &self,
        ctx: &CallContext,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> Result<Response> {
        let token = self.tokens.token(ctx).await?;
        authorize(request, &token)?;
        let response = send_next(ctx, request, next).await?;
        if !is_bearer_challenge(&response) {
            return Ok(response);
        }
        tracing::info!(
            request = %describe_request(request),
            arm_request_id = response.header("x-ms-request-id").unwrap_or("-"),
            "Azure Resource Manager rejected the access token; fetching a new one and sending the request once more"
        );
        self.tokens.invalidate(&token).await;
        let fresh = self.tokens.token(ctx).await?;
        authorize(request, &fresh)?;
        send_next(ctx, request, next).await
    }
}

/// Sets `Authorization: Bearer <token>`, marked sensitive so no debug output shows it.
fn authorize(request: &mut Request, token: &azure_core::credentials::Secret) -> Result<()> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.secret()))
        .map_err(|_| Error::Credential("the access token is not a valid header value".into()))?;
    value.set_sensitive(true);
    request.headers.insert(http::header::AUTHORIZATION, value);
    Ok(())
}

/// A 401 whose `WWW-Authenticate` challenge is `Bearer`: ARM refused the token itself
/// (`ExpiredAuthenticationToken`, `InvalidAuthenticationToken`), so a fresh one may succeed.
fn is_bearer_challenge(response: &Response) -> bool {
    response.status == http::StatusCode::UNAUTHORIZED
        && response
            .headers
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split_whitespace()
                    .next()
                    .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer"))
            })
}

/// Logs each attempt at debug level (failures at warn) through `tracing`, which the provider
/// routes to stderr. Only the method, path, `api-version`, ids, status and timing are logged.
#[derive(Debug)]
struct LoggingPolicy;

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
    async fn send(
        &self,
        ctx: &CallContext,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> Result<Response> {
        let started = Instant::now();
        let what = describe_request(request);
        let client_request_id = header_text(request, CLIENT_REQUEST_ID).to_string();
        let correlation_id = header_text(request, CORRELATION_REQUEST_ID).to_string();
        let result = send_next(ctx, request, next).await;
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

/// The last stage: the HTTP client, bounded by the operation's deadline and cancellation.
#[derive(Debug)]
struct TransportPolicy {
    http: Arc<dyn HttpClient>,
}

#[async_trait::async_trait]
impl Policy for TransportPolicy {
    async fn send(
        &self,
        ctx: &CallContext,
        request: &mut Request,
        _next: &[Arc<dyn Policy>],
    ) -> Result<Response> {
        ctx.run("an Azure response", self.http.execute(request.clone()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
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

    #[tokio::test]
    async fn logs_carry_request_ids_but_never_the_token() {
        use crate::retry::{RetryOptions, RetryPolicy};
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
            RetryPolicy::new(retry),
            tokens,
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

    #[tokio::test(start_paused = true)]
    async fn sleep_stops_at_deadline_and_on_cancel() {
        let ctx = CallContext::with_timeout(Duration::from_secs(5));
        let start = Instant::now();
        ctx.sleep(Duration::from_secs(2), "x").await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        let err = ctx
            .sleep(Duration::from_secs(60), "the thing")
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Timeout { ref waiting_for, .. } if waiting_for == "the thing")
        );
        assert_eq!(start.elapsed(), Duration::from_secs(5));

        let cancel = CancellationToken::new();
        let ctx = CallContext::new(Duration::from_secs(600), cancel.clone());
        cancel.cancel();
        assert_eq!(
            ctx.sleep(Duration::from_secs(1), "x").await.unwrap_err(),
            Error::Cancelled
        );
    }

    #[tokio::test(start_paused = true)]
    async fn huge_budgets_and_delays_never_overflow_the_clock() {
        let ctx = CallContext::with_timeout(Duration::MAX);
        assert!(ctx.deadline() > Instant::now());
        assert!(ctx.remaining() >= Duration::from_secs(9 * 365 * 24 * 3600));
        assert!(!ctx.has_time_for(Duration::MAX));
        assert!(ctx.has_time_for(Duration::from_secs(3600)));

        let ctx = CallContext::with_timeout(Duration::from_secs(5));
        let start = Instant::now();
        let err = ctx.sleep(Duration::MAX, "forever").await.unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        assert_eq!(ctx.remaining(), Duration::ZERO);
        assert!(!ctx.has_time_for(Duration::ZERO));
    }

    fn challenge() -> Result<Response> {
        crate::testing::response(
            401,
            &[(
                "www-authenticate",
                r#"Bearer authorization_uri="https://login.example/t", error="invalid_token", error_description="The access token expiry UTC time is earlier than current UTC time.""#,
            )],
            r#"{"error":{"code":"ExpiredAuthenticationToken","message":"The access token expiry UTC time is earlier than current UTC time."}}"#,
        )
    }

    fn arm_url() -> url::Url {
        url::Url::parse("https://arm.example/subscriptions/s?api-version=1").unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_token_is_replaced_once() {
        use crate::testing::{MockHttp, pipeline_over, response};
        use std::sync::atomic::Ordering;

        let http = Arc::new(MockHttp::new(vec![challenge(), response(200, &[], "{}")]));
        let (pipeline, fetches) = pipeline_over(http.clone());
        let ctx = CallContext::with_timeout(Duration::from_secs(60));
        let request =
            Request::new(Method::PUT, arm_url()).retried_as(crate::retry::RetryClass::Create);
        let answer = pipeline.send(&ctx, request).await.unwrap();
        assert_eq!(answer.status, http::StatusCode::OK);
        assert_eq!(fetches.load(Ordering::SeqCst), 2, "exactly one extra token");
        let sent = http.requests();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].headers["authorization"], "Bearer test-token");
        assert_eq!(sent[1].headers["authorization"], "Bearer test-token-2");

        // A second refusal is the answer: no loop, no third token.
        let http = Arc::new(MockHttp::new(vec![challenge(), challenge()]));
        let (pipeline, fetches) = pipeline_over(http.clone());
        let answer = pipeline
            .send(&ctx, Request::new(Method::GET, arm_url()))
            .await
            .unwrap();
        assert_eq!(answer.status, http::StatusCode::UNAUTHORIZED);
        assert!(
            answer
                .into_error()
                .to_string()
                .contains("ExpiredAuthenticationToken")
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        assert_eq!(http.requests().len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_401_without_a_bearer_challenge_is_not_retried() {
        use crate::testing::{MockHttp, pipeline_over, response};
        use std::sync::atomic::Ordering;

        let http = Arc::new(MockHttp::new(vec![response(
            401,
            &[("www-authenticate", "Basic realm=\"x\"")],
            "",
        )]));
        let (pipeline, fetches) = pipeline_over(http.clone());
        let ctx = CallContext::with_timeout(Duration::from_secs(60));
        let answer = pipeline
            .send(&ctx, Request::new(Method::GET, arm_url()))
            .await
            .unwrap();
        assert_eq!(answer.status, http::StatusCode::UNAUTHORIZED);
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!(http.requests().len(), 1);
    }

    /// Refuses the first token; a request to a path ending in `slow` takes 5 s to answer.
    #[derive(Debug, Default)]
    struct RefusesFirstToken {
        seen: std::sync::Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl HttpClient for RefusesFirstToken {
        async fn execute(&self, request: Request) -> Result<Response> {
            let token = request.headers["authorization"]
                .to_str()
                .unwrap()
                .to_string();
            self.seen.lock().unwrap().push(token.clone());
            if request.url.path().ends_with("slow") {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            if token == "Bearer test-token" {
                challenge()
            } else {
                crate::testing::response(200, &[], "{}")
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_refusals_of_one_token_fetch_one_new_token() {
        use crate::testing::{CountingTokens, pipeline_with_tokens};
        use std::sync::atomic::Ordering;

        let http = Arc::new(RefusesFirstToken::default());
        // Token requests take a second, so both requests wait for, and use, the first token.
        let tokens = CountingTokens {
            delay: Duration::from_secs(1),
            ..CountingTokens::default()
        };
        let (pipeline, fetches) = pipeline_with_tokens(http.clone(), tokens);
        let ctx = CallContext::with_timeout(Duration::from_secs(60));
        // Both go out with the first token; the slow one's refusal arrives after the fast one
        // has already replaced it, and must not throw the replacement away.
        let url = |path: &str| {
            url::Url::parse(&format!("https://arm.example/subscriptions/s/{path}")).unwrap()
        };
        let (fast, slow) = tokio::join!(
            pipeline.send(&ctx, Request::new(Method::GET, url("fast"))),
            pipeline.send(&ctx, Request::new(Method::GET, url("slow"))),
        );
        assert_eq!(fast.unwrap().status, http::StatusCode::OK);
        assert_eq!(slow.unwrap().status, http::StatusCode::OK);
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            2,
            "one token, one replacement"
        );
        assert_eq!(
            *http.seen.lock().unwrap(),
            [
                "Bearer test-token",
                "Bearer test-token",
                "Bearer test-token-2",
                "Bearer test-token-2"
            ]
        );
    }
}
