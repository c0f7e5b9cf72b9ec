//! Retrying transient failures: which ones, and how long to wait.
//!
//! ARM asks clients to retry throttling (429), timeouts (408) and server errors (5xx except
//! 501 Not Implemented), and says how long to wait in `Retry-After` (seconds or an HTTP date)
//! or the millisecond variants `retry-after-ms` / `x-ms-retry-after-ms`. When it says nothing,
//! the wait grows exponentially with jitter (so parallel Terraform resources do not retry in
//! lock step), capped. Every wait is bounded by the operation's deadline and goes through
//! tokio's clock, so tests run it with a paused clock.
//!
//! # What the service asks for, and what the client does
//!
//! `Retry-After` comes from the network, so it is parsed without any panicking arithmetic: a
//! number too large for the clock, garbage or a date in the past are all just values. No wait
//! is longer than [`MAX_WAIT`]; when Azure asks for more, or for more than the operation has
//! left, a WARN log says what Azure asked for and what the client does instead (waits the cap,
//! or gives up at the deadline). A 30-minute `Retry-After` never stalls a create silently.
//!
//! # Retry classes
//!
//! Whether a failure may be retried depends on whether the request may already have had its
//! effect. Each request carries a [`RetryClass`]:
//!
//! - [`RetryClass::Idempotent`]: GET, DELETE, the full PUT of an update, and side-effect-free
//!   POSTs (`dataConnectionValidation`). Sending them twice ends in the same state as sending
//!   them once, so every transient failure is retried, dropped connections included.
//! - [`RetryClass::Create`]: the PUT that creates a data connection. If a first try was
//!   processed and its answer lost, a second try would be answered 200 ("updated") and look
//!   like somebody else's object, or be refused because the first is still running. So it is
//!   repeated only when Azure certainly did not process it: a 429 refusal, or a connection
//!   that could not be established (nothing was sent). Every other failure goes back to the
//!   data-connection layer, which finds out what happened with a GET (see `kusto`).
//! - [`RetryClass::NotIdempotent`]: PATCH and other POSTs: retried on an error status (the
//!   service answered, refusing), never after a dropped connection.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use super::error::{Error, Result};
use super::transport::Response;
pub(crate) use super::transport::RetryClass;

/// How transient failures are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryOptions {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Wait before the first retry when the service gives no `Retry-After`.
    pub initial_delay: Duration,
    /// Upper bound of the exponential wait (a `Retry-After` from the service is obeyed up to
    /// `MAX_WAIT`, one minute).
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
        Duration::try_from_secs_f64(base.as_secs_f64() * (0.8 + 0.4 * random_fraction()))
            .unwrap_or(base)
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

impl RetryClass {
    /// Whether a request of this class may be sent again after `result`.
    pub(crate) fn may_retry(self, result: &Result<Response>) -> bool {
        match (self, result) {
            (Self::Create, Ok(response)) => response.status == StatusCode::TOO_MANY_REQUESTS,
            (_, Ok(response)) => is_retryable_status(response.status),
            (_, Err(Error::Connect(_))) => true,
            (Self::Idempotent, Err(Error::Transport(_))) => true,
            _ => false,
        }
    }
}

/// The longest single wait between two tries of a request or two polls of an operation.
///
/// `Retry-After` is the service's hint, not a contract the provider must follow to the end: a
/// Terraform run that sleeps 30 minutes on one header looks hung, and a hostile or broken
/// value (`18446744073709551615`) must not become a wait at all. One minute is the ceiling
/// azure-sdk and go-azure-sdk use for their backoff, long enough for ARM's throttling windows
/// and for Kusto's cluster operations to make progress between polls.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(60);

/// The wait the service asked for, if any: `retry-after-ms`, then `x-ms-retry-after-ms`, then
/// `Retry-After` as delta-seconds or as an HTTP date (relative to `now`; a past date means 0).
/// A number too large for a `u64` is read as "as long as possible" ([`Duration::MAX`]), so it
/// is capped like any other long wait rather than ignored; text that is neither a number nor
/// a date is ignored. Never panics, whatever the header holds.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = text(name).and_then(whole_number) {
            return Some(ms.map_or(Duration::MAX, Duration::from_millis));
        }
    }
    let value = text("retry-after")?;
    if let Some(seconds) = whole_number(value) {
        return Some(seconds.map_or(Duration::MAX, Duration::from_secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A run of ASCII digits: `Some(Some(n))`, or `Some(None)` when it does not fit a `u64`.
/// Anything else (sign, fraction, text) is `None`.
fn whole_number(text: &str) -> Option<Option<u64>> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())
}

/// The wait before the next try or poll: what the response's `Retry-After` asks for, else
/// `fallback`, at most [`MAX_WAIT`]. A longer request is logged at WARN with what Azure asked
/// for and what the client does instead; `waiting_for` says what the wait is for.
pub(crate) fn next_wait(response: &Response, fallback: Duration, waiting_for: &str) -> Duration {
    let asked = retry_after(&response.headers, SystemTime::now());
    let wait = asked.unwrap_or(fallback);
    if wait <= MAX_WAIT {
        return wait;
    }
    tracing::warn!(
        retry_after = response.header("retry-after").unwrap_or("-"),
        asked_secs = wait.as_secs(),
        waiting_secs = MAX_WAIT.as_secs(),
        "Azure asked to wait longer than {}s before {waiting_for}; waiting {}s instead",
        MAX_WAIT.as_secs(),
        MAX_WAIT.as_secs()
    );
    MAX_WAIT
}

/// Logs at WARN that `wait`, asked for by Azure before `waiting_for`, does not fit in what is
/// left of the operation (`remaining`), and what the client does instead (`instead`).
pub(crate) fn warn_past_deadline(
    wait: Duration,
    remaining: Duration,
    waiting_for: &str,
    instead: &str,
) {
    tracing::warn!(
        asked_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
        remaining_ms = u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX),
        "the wait before {waiting_for} would end after the operation's timeout; {instead}"
    );
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
    fn hostile_retry_after_values_are_values_not_panics() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let after = |v: &str| retry_after(&headers(&[("retry-after", v)]), now);
        assert_eq!(
            after("18446744073709551615"),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(after("99999999999999999999999999"), Some(Duration::MAX));
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "99999999999999999999999999")]),
                now
            ),
            Some(Duration::MAX)
        );
        for ignored in [
            "-5",
            "1.5",
            "+3",
            "",
            "soon",
            "0x10",
            "Fri, 99 Foo 9999 99:99:99 GMT",
        ] {
            assert_eq!(after(ignored), None, "{ignored:?}");
        }
        let far =
            httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799));
        assert!(after(&far).unwrap() > Duration::from_secs(200 * 365 * 86_400));
    }

    fn answer(status: u16, retry_after: &str) -> Response {
        crate::testing::response(status, &[("retry-after", retry_after)], "").unwrap()
    }

    #[test]
    fn waits_are_capped_and_the_cap_is_logged_with_what_azure_asked_for() {
        let (logs, _guard) = crate::testing::Capture::start();
        let fallback = Duration::from_secs(3);
        assert_eq!(
            next_wait(&answer(429, "7"), fallback, "x"),
            Duration::from_secs(7)
        );
        assert_eq!(next_wait(&answer(429, "soon"), fallback, "x"), fallback);
        assert!(!logs.text().contains("WARN"), "{}", logs.text());
        assert_eq!(
            next_wait(&answer(429, "1800"), fallback, "retrying"),
            MAX_WAIT
        );
        assert_eq!(
            next_wait(&answer(429, "18446744073709551615"), fallback, "retrying"),
            MAX_WAIT
        );
        let text = logs.text();
        assert!(
            text.contains("WARN")
                && text.contains("retry_after=\"1800\"")
                && text.contains("asked_secs=1800")
                && text.contains("waiting_secs=60"),
            "{text}"
        );
        assert!(
            text.contains("retry_after=\"18446744073709551615\""),
            "{text}"
        );
    }

    proptest::proptest! {
        #[test]
        fn retry_after_never_panics_on_any_header_bytes(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            name in proptest::sample::select(vec!["retry-after", "retry-after-ms", "x-ms-retry-after-ms"]),
            now in 0u64..=u64::MAX,
        ) {
            let now = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(now)).unwrap_or(SystemTime::UNIX_EPOCH);
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                let mut map = HeaderMap::new();
                map.insert(name, value);
                let _ = retry_after(&map, now);
            }
        }

        #[test]
        fn retry_after_reads_any_digit_run_and_any_text_without_panicking(
            digits in "[0-9]{1,40}",
            text in "\\PC{0,40}",
        ) {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let parsed = retry_after(&headers(&[("retry-after", &digits)]), now).unwrap();
            let expected = digits.parse::<u64>().map_or(Duration::MAX, Duration::from_secs);
            proptest::prop_assert_eq!(parsed, expected);
            if let Ok(value) = HeaderValue::from_str(&text) {
                let mut map = HeaderMap::new();
                map.insert("retry-after", value);
                let _ = retry_after(&map, now);
            }
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
        let unbounded = RetryOptions {
            max_retries: u32::MAX,
            initial_delay: Duration::MAX,
            max_delay: Duration::MAX,
        };
        assert!(unbounded.backoff(u32::MAX) > Duration::from_secs(u64::MAX / 2));
    }
}
