//! Test doubles shared by the unit tests of this layer: a scripted HTTP client, a token
//! source that counts its requests, and a capture of the log events.

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

/// Collects every tracing event as text: `message field=value ...`.
#[derive(Clone, Default)]
pub(crate) struct Capture(pub Arc<Mutex<Vec<String>>>);

impl Capture {
    /// Captures the events of the current thread until the guard is dropped.
    pub fn start() -> (Self, tracing::subscriber::DefaultGuard) {
        use tracing_subscriber::layer::SubscriberExt;
        let capture = Self::default();
        let guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
        tracing::callsite::rebuild_interest_cache();
        (capture, guard)
    }

    /// Everything captured so far, one event a line.
    pub fn text(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Text(String);
        impl tracing::field::Visit for Text {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!(" {}={value:?}", field.name()));
            }
        }
        let mut text = Text(format!("{}", event.metadata().level()));
        event.record(&mut text);
        self.0.lock().unwrap().push(text.0);
    }
}

/// A token source that takes `delay` (on tokio's clock) per request, issues tokens valid for
/// `lifetime` (`test-token`, then `test-token-2`, `test-token-3`, ...), and counts requests.
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
        let earlier = self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        let token = match earlier {
            0 => "test-token".to_string(),
            n => format!("test-token-{}", n + 1),
        };
        Ok(AccessToken::new(
            token,
            azure_core::time::OffsetDateTime::now_utc() + self.lifetime,
        ))
    }
}

/// A pipeline over `http` with the default retry options and a [`CountingTokens`] source;
/// returns it with that source's request counter.
pub(crate) fn pipeline_over(http: Arc<MockHttp>) -> (super::pipeline::Pipeline, Arc<AtomicUsize>) {
    pipeline_with_tokens(http, CountingTokens::default())
}

/// A pipeline over `http` with the default retry options and `tokens`; returns it with the
/// token source's request counter.
pub(crate) fn pipeline_with_tokens(
    http: Arc<dyn HttpClient>,
    tokens: CountingTokens,
) -> (super::pipeline::Pipeline, Arc<AtomicUsize>) {
    let calls = tokens.calls.clone();
    let cache = Arc::new(super::credential::cache::TokenCache::new(
        Arc::new(tokens),
        "scope".into(),
    ));
    let pipeline = super::pipeline::Pipeline::new(
        super::policies::request_id::RequestIdPolicy::new("corr", "test-agent").unwrap(),
        super::retry::RetryOptions::default(),
        cache,
        Vec::new(),
        http,
    );
    (pipeline, calls)
}
