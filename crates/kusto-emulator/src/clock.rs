//! Time as the emulator sees it.
//!
//! Operations finish after `--lro-seconds`; tests must be able to observe the Running state
//! and then the end without sleeping. The clock is therefore a trait object in the
//! application state: the binary uses the system time plus an offset that the admin API can
//! advance (`POST /_emulator/clock/advance`), unit tests use a manual clock.

use std::sync::Mutex;
use std::sync::PoisonError;

use time::{Duration, OffsetDateTime};

/// A source of the current time that can be moved forward.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
    /// Moves the clock forward by `by`.
    fn advance(&self, by: Duration);
}

/// The system time plus an adjustable offset.
#[derive(Debug, Default)]
pub struct SystemClock {
    offset: Mutex<Duration>,
}

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
            .saturating_add(*self.offset.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.saturating_add(by);
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        ManualClock {
            now: Mutex::new(start),
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.saturating_add(by);
    }
}

/// Formats a timestamp the way ARM does: UTC, seven fractional digits, `Z`.
pub fn arm_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let c = ManualClock::new(datetime!(2026-01-02 03:04:05.123456789 UTC));
        assert_eq!(arm_timestamp(c.now()), "2026-01-02T03:04:05.1234567Z");
        c.advance(Duration::seconds(60));
        assert_eq!(arm_timestamp(c.now()), "2026-01-02T03:05:05.1234567Z");
    }

    #[test]
    fn system_clock_offset_is_added() {
        let c = SystemClock::default();
        let before = OffsetDateTime::now_utc();
        c.advance(Duration::hours(1));
        assert!(c.now() - before >= Duration::minutes(59));
        c.advance(Duration::MAX);
        c.advance(Duration::MAX);
        assert_eq!(c.now().year(), 9999, "a huge advance saturates");
    }
}
