//! The HTTP transport: one connection pool for the whole provider process.
//!
//! Requests and responses are small owned values (ARM bodies are a few KB), which keeps the
//! pipeline and poller free of streaming concerns and lets tests swap the network for a
//! scripted [`HttpClient`]. The real client is a single `reqwest::Client`; the same instance is
//! handed to azure_identity for token requests, so Entra and ARM calls share one pool and one
//! trust store: the platform roots plus the certificates of `ClientConfig::extra_ca_file` (the
//! provider fills it from `SSL_CERT_FILE`, the convention Go, OpenSSL and azurerm follow, and
//! how the local emulator's CA is trusted).

use std::fmt;
use std::path::Path;
use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};
use url::Url;

use super::error::{Error, Result, with_causes};

/// An HTTP request as the pipeline sees it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
    /// Which failures the retry policy may repeat it after.
    pub retry: RetryClass,
}

impl Request {
    /// A request with no body, retried as its method's semantics allow.
    pub fn new(method: Method, url: Url) -> Self {
        Self {
            retry: RetryClass::of(&method),
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
        }
    }

    /// Overrides the retry class (creates, side-effect-free POSTs).
    pub fn retried_as(mut self, class: RetryClass) -> Self {
        self.retry = class;
        self
    }

    /// Attaches a JSON body and its content type.
    pub fn with_json(mut self, body: Vec<u8>) -> Self {
        self.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        self.body = Some(body);
        self
    }
}

/// An HTTP response, body fully read.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    /// A header value as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// ARM's id for this response, quoted in errors and logs.
    pub fn request_id(&self) -> Option<String> {
        self.header("x-ms-request-id").map(str::to_string)
    }

    /// Turns an unexpected status into the typed HTTP error.
    pub fn into_error(self) -> Error {
        let request_id = self.request_id();
        Error::from_response(self.status.as_u16(), &self.body, request_id)
    }
}

/// Sends one request and reads the whole response. Implemented by reqwest and by test doubles.
#[async_trait::async_trait]
pub(crate) trait HttpClient: Send + Sync + fmt::Debug {
    async fn execute(&self, request: Request) -> Result<Response>;
}

#[async_trait::async_trait]
impl HttpClient for reqwest::Client {
    async fn execute(&self, request: Request) -> Result<Response> {
        let mut builder = self
            .request(request.method, request.url)
            .headers(request.headers);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(describe)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(describe)?.to_vec();
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Renders a reqwest error with its causes: "error sending request" alone hides the TLS or DNS
/// reason the user needs. A failure to establish the connection (DNS, TCP, TLS handshake) is
/// [`Error::Connect`]: nothing was sent, so even a create may be retried after it.
fn describe(err: reqwest::Error) -> Error {
    if err.is_connect() {
        Error::Connect(with_causes(&err))
    } else {
        Error::Transport(with_causes(&err))
    }
}

/// Builds the process-wide reqwest client: platform roots, plus every certificate of the PEM
/// file `extra_ca_file` when given; no redirects (ARM never redirects, and a redirect must
/// not carry a bearer token elsewhere).
pub(crate) fn build_reqwest_client(extra_ca_file: Option<&Path>) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(90))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(path) = extra_ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            Error::Config(format!(
                "cannot read the CA certificate file {} (SSL_CERT_FILE): {e}",
                path.display()
            ))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            Error::Config(format!(
                "the CA certificate file {} (SSL_CERT_FILE) is not valid PEM: {e}",
                path.display()
            ))
        })?;
        if certs.is_empty() {
            return Err(Error::Config(format!(
                "the CA certificate file {} (SSL_CERT_FILE) contains no certificate",
                path.display()
            )));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// Which failures of a request may be retried: a property of the request, judged by the
/// retry policy (see the `retry` module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryClass {
    /// Repeating it cannot change the outcome: every transient failure is retried.
    Idempotent,
    /// A create PUT: retried only when Azure certainly did not process it (429, no connection).
    Create,
    /// Retried on an error status only, never after the request may have been sent.
    NotIdempotent,
}

impl RetryClass {
    /// The class HTTP's semantics give `method`; callers override it for creates and for
    /// side-effect-free POSTs.
    pub fn of(method: &Method) -> Self {
        match *method {
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS => {
                Self::Idempotent
            }
            _ => Self::NotIdempotent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_or_empty_ca_files_are_config_errors() {
        let err = build_reqwest_client(Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let err = build_reqwest_client(Some(&empty)).unwrap_err();
        assert!(err.to_string().contains("contains no certificate"), "{err}");
    }

    #[test]
    fn a_pem_bundle_with_several_certificates_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("bundle.pem");
        let mut pem = String::new();
        for name in ["ca-one", "ca-two"] {
            let key = rcgen::KeyPair::generate().unwrap();
            let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            pem.push_str(&params.self_signed(&key).unwrap().pem());
        }
        std::fs::write(&bundle, pem).unwrap();
        build_reqwest_client(Some(&bundle)).unwrap();
    }
}
