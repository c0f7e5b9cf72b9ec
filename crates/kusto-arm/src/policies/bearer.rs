//! The bearer token, on every try: taken from the client's shared token cache, so a retry
//! after the token expired re-authorises. When ARM rejects the token anyway (401 with a
//! `WWW-Authenticate: Bearer` challenge: revoked, clock skew), the stage drops that token,
//! fetches a fresh one and sends the request once more; a second 401 is the caller's error.
//! A rejected request was not processed, so this is safe for every request, creates included.
//!
//! With auxiliary tenants, their tokens go along in `x-ms-authorization-auxiliary`
//! (`Bearer a, Bearer b`): ARM checks them when a request links resources across tenants.

use std::sync::Arc;

use http::HeaderValue;

use super::logging::describe_request;
use super::{Next, Policy};
use crate::context::CallContext;
use crate::credential::cache::TokenCache;
use crate::error::{Error, Result};
use crate::transport::{Request, Response};

/// Adds `Authorization: Bearer …` from the process-wide token cache, on every try.
#[derive(Debug)]
pub(crate) struct BearerPolicy {
    pub tokens: Arc<TokenCache>,
    /// One cache per auxiliary tenant.
    pub auxiliary: Vec<Arc<TokenCache>>,
}

/// The header carrying the auxiliary tenants' tokens.
const AUXILIARY: &str = "x-ms-authorization-auxiliary";

impl BearerPolicy {
    async fn authorize_auxiliary(&self, ctx: &CallContext, req: &mut Request) -> Result<()> {
        if self.auxiliary.is_empty() {
            return Ok(());
        }
        let mut tokens = Vec::with_capacity(self.auxiliary.len());
        for cache in &self.auxiliary {
            tokens.push(format!("Bearer {}", cache.token(ctx).await?.secret()));
        }
        let mut value = HeaderValue::from_str(&tokens.join(", ")).map_err(|_| {
            Error::Credential("an auxiliary access token is not a valid header value".into())
        })?;
        value.set_sensitive(true);
        req.headers.insert(AUXILIARY, value);
        Ok(())
    }
}

#[async_trait::async_trait]
impl Policy for BearerPolicy {
    async fn send(&self, ctx: &CallContext, req: &mut Request, next: Next<'_>) -> Result<Response> {
        let token = self.tokens.token(ctx).await?;
        authorize(req, &token)?;
        self.authorize_auxiliary(ctx, req).await?;
        let response = next.send(ctx, req).await?;
        if !is_bearer_challenge(&response) {
            return Ok(response);
        }
        tracing::info!(
            request = %describe_request(req),
            arm_request_id = response.header("x-ms-request-id").unwrap_or("-"),
            "Azure Resource Manager rejected the access token; fetching a new one and sending the request once more"
        );
        self.tokens.invalidate(&token).await;
        let fresh = self.tokens.token(ctx).await?;
        authorize(req, &fresh)?;
        next.send(ctx, req).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::HttpClient;
    use http::Method;
    use std::time::Duration;

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
