//! Retrying transient failures: which ones, and how long to wait.
//!
//! ARM asks clients to retry throttling (429), timeouts (408) and server errors (5xx except
//! 501 Not Implemented), and says how long to wait in `Retry-After` (seconds or an HTTP date)
//! or the millisecond variants `retry-after-ms` / `x-ms-retry-after-ms`. When it says nothing,
//! the wait grows exponentially with jitter (so parallel Terraform resources do not retry in
//! lock step), capped. Connection failures are retried only for idempotent methods: a POST that
//! may have reached the server is not repeated blindly. Every wait is bounded by the operation's
//! deadline and goes through tokio's clock, so tests run it with a paused clock.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};

use super::error::{Error, Result};
use super::pipeline::{CallContext, Policy};
use super::transport::{Request, Response};

/// How transient failures are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryOptions {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Wait before the first retry when the service gives no `Retry-After`.
    pub initial_delay: Duration,
    /// Upper bound of the exponential wait (a `Retry-After` from the service is obeyed as is).
    pub max_delay: Duration,
}

impl Default for RetryOptions {
    /// 10 retries starting at 1 s, doubling up to 60 s (the operation's deadline still wins).
    fn default() -> Self {
        Self {
            max_retries: 10,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryOptions {
    /// The exponential wait before retry number `attempt` (0-based), with ±20 % jitter, capped
    /// at `max_delay`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(31)))
            .min(self.max_delay);
        base.mul_f64(0.8 + 0.4 * random_fraction())
            .min(self.max_delay)
    }
}

/// A fraction in [0, 1) from the operating system's randomness (via a v4 UUID, which the crate
/// already depends on), good enough to spread retries.
fn random_fraction() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// Statuses worth retrying: 408, 429 and 5xx except 501.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || (status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED)
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// The wait the service asked for, if any: `retry-after-ms`, then `x-ms-retry-after-ms`, then
/// `Retry-After` as delta-seconds or as an HTTP date (relative to `now`; a past date means 0).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = text(name).and_then(|v| v.parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = text("retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

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
    async fn send(
        &self,
        ctx: &CallContext,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> Result<Response> {
        let mut attempt = 0;
        loop {
            let mut this_try = request.clone();
            let result = super::pipeline::send_next(ctx, &mut this_try, next).await;
            let delay = match &result {
                Ok(response) if is_retryable_status(response.status) => {
                    retry_after(&response.headers, SystemTime::now())
                        .unwrap_or_else(|| self.options.backoff(attempt))
                }
                Err(Error::Transport(_)) if is_idempotent(&request.method) => {
                    self.options.backoff(attempt)
                }
                _ => return result,
            };
            if attempt >= self.options.max_retries || !ctx.has_time_for(delay) {
                return result;
            }
            let reason = match &result {
                Ok(response) => response.status.to_string(),
                Err(err) => err.to_string(),
            };
            tracing::warn!(
                method = %request.method,
                path = request.url.path(),
                attempt = attempt + 1,
                delay_ms = delay.as_millis() as u64,
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
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retryable_statuses() {
        for code in [408, 429, 500, 502, 503, 504, 505, 599] {
            assert!(
                is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [200, 201, 202, 204, 400, 401, 403, 404, 409, 412, 501] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "0")]), now),
            Some(Duration::ZERO)
        );
        let in_90s = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &in_90s)]), now),
            Some(Duration::from_secs(90))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "9"), ("retry-after-ms", "250")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("x-ms-retry-after-ms", "1500")]), now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn rfc850_and_asctime_dates_are_understood() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777 - 10);
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                retry_after(&headers(&[("retry-after", date)]), now),
                Some(Duration::from_secs(10)),
                "{date}"
            );
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let options = RetryOptions {
            max_retries: 10,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
        };
        for _ in 0..50 {
            let first = options.backoff(0);
            assert!(first >= Duration::from_millis(800) && first <= Duration::from_millis(1200));
            let third = options.backoff(2);
            assert!(third >= Duration::from_millis(3200) && third <= Duration::from_millis(4800));
            assert!(options.backoff(30) <= Duration::from_secs(20));
            assert!(options.backoff(u32::MAX) <= Duration::from_secs(20));
        }
    }
}
