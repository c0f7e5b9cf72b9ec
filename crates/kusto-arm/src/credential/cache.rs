//! The token cache every request of a client shares: single-flight, so twenty resources
//! created in parallel cause one token request, and refreshed five minutes before expiry.

use std::sync::Arc;

use azure_core::credentials::AccessToken;
use azure_core::time::{Duration as AzDuration, OffsetDateTime};
use tokio::sync::Mutex;

use super::TokenSource;
use crate::context::CallContext;
use crate::error::Result;

/// The token cache shared by every request of a client: single-flight, refreshed five minutes
/// before expiry.
#[derive(Debug)]
pub(crate) struct TokenCache {
    source: Arc<dyn TokenSource>,
    scope: String,
    slot: Mutex<Option<AccessToken>>,
}

const REFRESH_MARGIN: AzDuration = AzDuration::minutes(5);

impl TokenCache {
    pub fn new(source: Arc<dyn TokenSource>, scope: String) -> Self {
        Self {
            source,
            scope,
            slot: Mutex::new(None),
        }
    }

    /// A valid token, fetching one only if the cache has none fresh. Concurrent callers queue
    /// on the lock and then find the token the first one fetched.
    pub async fn token(&self, ctx: &CallContext) -> Result<azure_core::credentials::Secret> {
        let mut slot = ctx
            .run("an access token", async { Ok(self.slot.lock().await) })
            .await?;
        if let Some(token) = slot.as_ref()
            && token.expires_on > OffsetDateTime::now_utc().saturating_add(REFRESH_MARGIN)
        {
            return Ok(token.token.clone());
        }
        let fresh = ctx
            .run("an access token", self.source.fetch(&self.scope))
            .await?;
        let secret = fresh.token.clone();
        *slot = Some(fresh);
        Ok(secret)
    }

    /// Forgets `rejected` if it is still the cached token, so the next [`Self::token`] fetches
    /// a fresh one. A token already replaced (by a concurrent request that was refused too) is
    /// left alone: many requests refused at once cause one new token request, not a storm.
    pub async fn invalidate(&self, rejected: &azure_core::credentials::Secret) {
        let mut slot = self.slot.lock().await;
        if slot
            .as_ref()
            .is_some_and(|cached| cached.token.secret() == rejected.secret())
        {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::CountingTokens;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    /// A cache over `tokens`, with the counter of its token requests.
    fn cache_over(tokens: CountingTokens) -> (TokenCache, Arc<std::sync::atomic::AtomicUsize>) {
        let calls = tokens.calls.clone();
        (TokenCache::new(Arc::new(tokens), "scope".into()), calls)
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_token_request() {
        let (cache, calls) = cache_over(CountingTokens {
            delay: Duration::from_millis(300),
            ..Default::default()
        });
        let cache = Arc::new(cache);
        let ctx = CallContext::with_timeout(Duration::from_secs(60));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let cache = cache.clone();
                let ctx = ctx.clone();
                tokio::spawn(async move { cache.token(&ctx).await.unwrap().secret().to_string() })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), "test-token");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_close_to_expiry_are_refreshed() {
        let (cache, calls) = cache_over(CountingTokens {
            lifetime: AzDuration::minutes(4),
            ..Default::default()
        });
        let ctx = CallContext::with_timeout(Duration::from_secs(60));
        cache.token(&ctx).await.unwrap();
        cache.token(&ctx).await.unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "a token expiring within 5 minutes is not reused"
        );
    }
}
