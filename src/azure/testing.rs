//! Test doubles shared by the unit tests of this layer: a scripted HTTP client and a token
//! source that counts its requests.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::AccessToken;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::credential::TokenSource;
use super::error::{Error, Result};
use super::transport::{HttpClient, Request, Response};

type Handler = dyn Fn(&Request) -> Result<Response> + Send + Sync;

/// An HTTP client answering from a script (or a function) and recording every request.
pub(crate) struct MockHttp {
    script: Mutex<VecDeque<Result<Response>>>,
    handler: Option<Box<Handler>>,
    seen: Mutex<Vec<Request>>,
}

impl std::fmt::Debug for MockHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MockHttp")
    }
}

impl MockHttp {
    pub fn new(script: Vec<Result<Response>>) -> Self {
        Self {
            script: Mutex::new(script.into()),
            handler: None,
            seen: Mutex::new(Vec::new()),
        }
    }

    pub fn with_handler(
        handler: impl Fn(&Request) -> Result<Response> + Send + Sync + 'static,
    ) -> Self {
        Self {
            script: Mutex::new(VecDeque::new()),
            handler: Some(Box::new(handler)),
            seen: Mutex::new(Vec::new()),
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl HttpClient for MockHttp {
    async fn execute(&self, request: Request) -> Result<Response> {
        self.seen.lock().unwrap().push(request.clone());
        if let Some(handler) = &self.handler {
            return handler(&request);
        }
        self.script.lock().unwrap().pop_front().unwrap_or_else(|| {
            Err(Error::Transport(format!(
                "unscripted request {}",
                request.url
            )))
        })
    }
}

/// A response with the given status, headers and body.
pub(crate) fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Result<Response> {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    Ok(Response {
        status: StatusCode::from_u16(status).unwrap(),
        headers: map,
        body: body.as_bytes().to_vec(),
    })
}

/// A token source that takes `delay` (on tokio's clock) per request, issues tokens valid for
/// `lifetime`, and counts requests.
#[derive(Debug)]
pub(crate) struct CountingTokens {
    pub calls: Arc<AtomicUsize>,
    pub delay: Duration,
    pub lifetime: azure_core::time::Duration,
}

impl Default for CountingTokens {
    fn default() -> Self {
        Self {
            calls: Arc::default(),
            delay: Duration::ZERO,
            lifetime: azure_core::time::Duration::hours(1),
        }
    }
}

#[async_trait::async_trait]
impl TokenSource for CountingTokens {
    async fn fetch(&self, _scope: &str) -> Result<AccessToken> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        Ok(AccessToken::new(
            "test-token",
            azure_core::time::OffsetDateTime::now_utc() + self.lifetime,
        ))
    }
}
