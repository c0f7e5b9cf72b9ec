//! The time budget and cancellation of one logical operation.
//!
//! Every stage below an operation (retries, token requests, polls, the HTTP call itself) takes
//! a [`CallContext`] and stops at its deadline or when it is cancelled, so a Terraform timeout
//! or an interrupted run ends everything done on the operation's behalf. All waiting goes
//! through tokio's clock, which tests pause.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::{Error, Result};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
