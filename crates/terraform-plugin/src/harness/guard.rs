//! The bound on every wait: a test that waits on a plugin never hangs.

use std::future::Future;
use std::time::Duration;

/// Upper bound for anything a test waits on; reaching it means the test failed.
pub const GUARD: Duration = Duration::from_secs(20);

/// Waits for `future`, failing the test if it takes longer than [`GUARD`].
pub async fn guarded<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(GUARD, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}
