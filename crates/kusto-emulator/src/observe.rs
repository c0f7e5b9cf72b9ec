//! The middleware every request passes through: it applies the fault plan, stamps the
//! headers ARM puts on every response, and records the request in the log tests read
//! from `/_emulator/requests`.
//!
//! The same record, with the time the answer took, becomes one line on stderr (unless the
//! emulator runs `--quiet`), so that a person running the emulator by hand sees what it
//! serves. That line holds no secret: no header, no body, and of the query only
//! `api-version`.
//!
//! Requests under `/_emulator/` are neither logged nor subject to faults, so that a test's
//! own inspection does not disturb what it counts; they only pass the admin token check.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::Notify;

use axum::body::Body;

use super::clock::arm_timestamp;
use super::entra;
use super::error::ApiError;
use super::faults::{Action, LroOutcome, default_code, default_message, http_date_after};
use super::{AppState, BODY_LIMIT, admin, base_url, leak};

/// The connection a request arrived on, inserted by the accept loop.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub id: u64,
    /// Notified to close the connection without answering.
    pub drop: Arc<Notify>,
}

/// An operation outcome forced by the fault plan, for the handler that starts the operation.
#[derive(Debug, Clone)]
pub struct ForcedOutcome {
    pub outcome: LroOutcome,
    pub code: Option<String>,
    pub message: Option<String>,
}

/// One served request.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub seq: u64,
    pub time: String,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The response status; 0 when the connection was dropped.
    pub status: u16,
    /// Client connection number (1, 2, ... in accept order; 0 outside a real connection).
    pub connection: u64,
    /// `metadata`, `discovery`, `token`, `managed_identity`, `poll` (Azure-AsyncOperation),
    /// `poll_location` (Location), `arm` or `other`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    /// The fault-plan action applied: `status`, `status_after_processing`, `drop`,
    /// `drop_after_processing`, `delay`, `set_header` or `lro`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
    /// Whether a client secret of the world occurs anywhere in the request.
    pub client_secret_seen: bool,
}

/// How many entries the log keeps; older ones are dropped (their `seq` numbers stay unique).
const LOG_CAPACITY: usize = 10_000;

/// The request log.
#[derive(Debug, Default)]
pub struct RequestLog {
    pub entries: VecDeque<LogEntry>,
    next_seq: u64,
}

impl RequestLog {
    fn push(&mut self, mut entry: LogEntry) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
}

fn classify(path: &str, query: Option<&str>) -> &'static str {
    let lower = path.to_ascii_lowercase();
    if lower == "/metadata/endpoints" {
        "metadata"
    } else if lower.ends_with("/openid-configuration") {
        "discovery"
    } else if lower == "/msi/token" || lower == "/metadata/identity/oauth2/token" {
        "managed_identity"
    } else if lower.ends_with("/oauth2/v2.0/token") || lower.ends_with("/oauth2/token") {
        "token"
    } else if lower.contains("/operationresults/") {
        let location = query.is_some_and(|q| {
            q.to_ascii_lowercase()
                .contains("operationresultresponsetype=location")
        });
        if location { "poll_location" } else { "poll" }
    } else if lower.starts_with("/subscriptions/") {
        "arm"
    } else {
        "other"
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The observing middleware (see the module documentation).
pub async fn observe(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        return match admin::authorize(&app, req.headers()) {
            Ok(()) => next.run(req).await,
            Err(e) => e.into_response(),
        };
    }
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("The request content exceeds the limit of {BODY_LIMIT} bytes."),
        )
        .into_response();
    };
    let client_secret_seen =
        leak::secret_seen(&parts.uri, &parts.headers, &body, &app.client_secrets());
    let mut req = Request::from_parts(parts, Body::from(body));
    let method = req.method().clone();
    let query = req.uri().query().map(str::to_owned);
    let connection = req.extensions().get::<ConnectionInfo>().cloned();
    let kind = classify(&path, query.as_deref());
    let decoded = percent_decode(&path);
    let mut entry = LogEntry {
        seq: 0,
        time: arm_timestamp(app.now()),
        method: method.to_string(),
        path: decoded.clone(),
        query: query.clone(),
        status: 0,
        connection: connection.as_ref().map_or(0, |c| c.id),
        kind,
        client_request_id: header_text(req.headers(), "x-ms-client-request-id"),
        fault: None,
        client_secret_seen,
    };
    let correlation = header_text(req.headers(), "x-ms-correlation-request-id")
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let echo_client_id = header_text(req.headers(), "x-ms-return-client-request-id")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        .then(|| entry.client_request_id.clone())
        .flatten();

    let action = app
        .faults()
        .next(method.as_str(), &decoded, query.as_deref());
    let base = base_url(req.uri(), req.headers());
    let mut extra_header = None;
    let mut response = match action {
        Some(Action::Drop { after_processing }) => {
            if after_processing {
                entry.fault = Some("drop_after_processing");
                drop(next.run(req).await);
            } else {
                entry.fault = Some("drop");
            }
            record(&app, entry, &path, started.elapsed());
            return drop_connection(connection).await;
        }
        Some(Action::Status {
            status,
            code,
            message,
            retry_after,
            retry_after_http_date,
            after_processing,
        }) => {
            if after_processing {
                entry.fault = Some("status_after_processing");
                drop(next.run(req).await);
            } else {
                entry.fault = Some("status");
            }
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let retry_after = match (retry_after, retry_after_http_date) {
                (Some(value), _) => Some(value.header()),
                (None, Some(seconds)) => Some(http_date_after(app.now(), seconds)),
                // A throttled client is always told when to come back.
                (None, None) => (status == StatusCode::TOO_MANY_REQUESTS).then(|| "1".to_owned()),
            };
            let mut response = if kind == "token" {
                entra::fault_response(status, code.as_deref(), message.as_deref(), app.now())
            } else {
                let code = code.unwrap_or_else(|| default_code(status).to_owned());
                let message = message.unwrap_or_else(|| {
                    default_message(
                        status,
                        method.as_str(),
                        &decoded,
                        retry_after.as_deref().unwrap_or("1"),
                    )
                });
                if status == StatusCode::UNAUTHORIZED
                    && matches!(kind, "arm" | "poll" | "poll_location")
                {
                    entra::rejected_token(&code, message, &base, &app.tenant_id()).into_response()
                } else {
                    ApiError::new(status, &code, message).into_response()
                }
            };
            if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Some(Action::Delay { ms }) => {
            entry.fault = Some("delay");
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            next.run(req).await
        }
        Some(Action::SetHeader { name, value }) => {
            entry.fault = Some("set_header");
            extra_header = HeaderName::from_bytes(name.as_bytes())
                .ok()
                .zip(HeaderValue::from_str(&value).ok());
            next.run(req).await
        }
        Some(Action::Lro {
            outcome,
            code,
            message,
        }) => {
            entry.fault = Some("lro");
            req.extensions_mut().insert(ForcedOutcome {
                outcome,
                code,
                message,
            });
            next.run(req).await
        }
        None => next.run(req).await,
    };
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && response.headers().get(header::CONTENT_TYPE).is_none()
    {
        response = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested method '{method}' is not allowed for '{decoded}'."),
        )
        .into_response();
    }
    stamp(
        response.headers_mut(),
        &method,
        kind,
        &correlation,
        echo_client_id,
        &app,
    );
    if let Some((name, value)) = extra_header {
        response.headers_mut().insert(name, value);
    }
    entry.status = response.status().as_u16();
    record(&app, entry, &path, started.elapsed());
    response
}

/// Records a served request in the log the admin API serves and, unless the emulator is
/// quiet, as a line on stderr. `raw_path` is the path as the request line carries it.
fn record(app: &AppState, entry: LogEntry, raw_path: &str, elapsed: Duration) {
    let line = app.prints_requests().then(|| {
        // Only a request that carries a client secret somewhere can carry one in its path.
        let secrets = if entry.client_secret_seen {
            app.client_secrets()
        } else {
            Vec::new()
        };
        request_line(&entry, raw_path, elapsed, &secrets)
    });
    app.log().push(entry);
    if let Some(line) = line {
        // A closed stderr must not take the emulator down; the admin log still has the entry.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// One line of the stderr request log:
/// `TIME METHOD PATH[?api-version=V] STATUS DURATIONms[ fault=ACTION]`, with STATUS
/// `dropped` when the fault plan closed the connection instead of answering.
///
/// The path stays percent-encoded as on the request line, so that the line is one line of
/// space-separated fields whatever the client sent. Only `api-version` of the query is kept;
/// a path or api-version that holds one of `secrets` is shown as `<redacted>`.
fn request_line(entry: &LogEntry, raw_path: &str, elapsed: Duration, secrets: &[String]) -> String {
    let mut target = raw_path.to_owned();
    if let Some(version) = entry.query.as_deref().and_then(api_version) {
        target.push_str("?api-version=");
        target.push_str(version);
    }
    // A target that does not even parse back is not shown, rather than checked partly.
    let holds_secret = !secrets.is_empty()
        && target.parse::<Uri>().map_or(true, |uri| {
            leak::secret_seen(&uri, &HeaderMap::new(), &[], secrets)
        });
    if holds_secret {
        target = "<redacted>".to_owned();
    }
    let mut line = format!("{} {} {target}", entry.time, entry.method);
    match entry.status {
        0 => line.push_str(" dropped"),
        status => {
            let _ = write!(line, " {status}");
        }
    }
    let _ = write!(line, " {:.1}ms", elapsed.as_secs_f64() * 1000.0);
    if let Some(fault) = entry.fault {
        let _ = write!(line, " fault={fault}");
    }
    line
}

/// The `api-version` value of a raw query string, as sent (the name compared
/// case-insensitively, as ARM does).
fn api_version(query: &str) -> Option<&str> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.eq_ignore_ascii_case("api-version").then_some(value)
    })
}

/// Closes the request's connection without an answer (the fault plan's `drop`).
async fn drop_connection(connection: Option<ConnectionInfo>) -> Response {
    match connection {
        Some(c) => {
            c.drop.notify_one();
            std::future::pending::<()>().await;
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        None => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "The fault plan dropped this request, but it has no connection to drop.",
        )
        .into_response(),
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// The headers ARM puts on every response.
fn stamp(
    headers: &mut HeaderMap,
    method: &Method,
    kind: &str,
    correlation: &str,
    client_id: Option<String>,
    app: &AppState,
) {
    let request_id = uuid::Uuid::new_v4().to_string();
    let now = app.now();
    let routing = format!(
        "WESTEUROPE:{:04}{:02}{:02}T{:02}{:02}{:02}Z:{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        uuid::Uuid::new_v4()
    );
    set(headers, "x-ms-request-id", &request_id);
    set(headers, "x-ms-correlation-request-id", correlation);
    set(headers, "x-ms-routing-request-id", &routing);
    if let Some(id) = client_id {
        set(headers, "x-ms-client-request-id", &id);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        headers.insert(header::EXPIRES, HeaderValue::from_static("-1"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/json")
    {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    if matches!(kind, "arm" | "poll" | "poll_location") {
        // The quota headers the recorded Kusto traffic carries for each kind of call.
        let (name, remaining) = match *method {
            Method::GET => (
                "x-ms-ratelimit-remaining-subscription-resource-requests",
                "299",
            ),
            Method::PUT | Method::PATCH => (
                "x-ms-ratelimit-remaining-subscription-resource-requests",
                "199",
            ),
            Method::DELETE => ("x-ms-ratelimit-remaining-subscription-deletes", "14999"),
            _ => ("x-ms-ratelimit-remaining-subscription-writes", "1199"),
        };
        set(headers, name, remaining);
    }
}

/// Decodes `%XX` escapes in a path (invalid escapes are kept as they are).
pub fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_classified_for_counting() {
        assert_eq!(classify("/t/oauth2/v2.0/token", None), "token");
        assert_eq!(
            classify("/metadata/identity/oauth2/token", None),
            "managed_identity"
        );
        assert_eq!(
            classify(
                "/subscriptions/s/providers/Microsoft.Kusto/locations/x/operationResults/1",
                Some("api-version=1")
            ),
            "poll"
        );
        assert_eq!(
            classify(
                "/subscriptions/s/providers/Microsoft.Kusto/locations/x/operationResults/1",
                Some("a=1&operationResultResponseType=Location")
            ),
            "poll_location"
        );
        assert_eq!(classify("/subscriptions/s/resourceGroups/r", None), "arm");
    }

    #[test]
    fn the_log_keeps_the_latest_entries() {
        let mut log = RequestLog::default();
        for _ in 0..LOG_CAPACITY + 5 {
            log.push(LogEntry {
                seq: 0,
                time: String::new(),
                method: "GET".into(),
                path: "/".into(),
                query: None,
                status: 200,
                connection: 1,
                kind: "other",
                client_request_id: None,
                fault: None,
                client_secret_seen: false,
            });
        }
        assert_eq!(log.entries.len(), LOG_CAPACITY);
        assert_eq!(log.entries[0].seq, 6);
    }

    fn entry(
        method: &str,
        status: u16,
        fault: Option<&'static str>,
        query: Option<&str>,
    ) -> LogEntry {
        LogEntry {
            seq: 1,
            time: "2025-01-02T03:04:05.0000000Z".into(),
            method: method.into(),
            path: "/ignored/decoded path".into(),
            query: query.map(str::to_owned),
            status,
            connection: 1,
            kind: "arm",
            client_request_id: Some("client-request".into()),
            fault,
            client_secret_seen: false,
        }
    }

    #[test]
    fn a_request_line_names_the_request_and_its_answer() {
        let put = entry(
            "PUT",
            201,
            None,
            Some("client_secret=hush&API-Version=2024-04-13&x=y"),
        );
        assert_eq!(
            request_line(
                &put,
                "/subscriptions/s/locations/West%20Europe",
                Duration::from_micros(2340),
                &[]
            ),
            "2025-01-02T03:04:05.0000000Z PUT /subscriptions/s/locations/West%20Europe\
             ?api-version=2024-04-13 201 2.3ms"
        );
        let throttled = entry("GET", 429, Some("status"), Some("token=abc"));
        assert_eq!(
            request_line(&throttled, "/a", Duration::ZERO, &[]),
            "2025-01-02T03:04:05.0000000Z GET /a 429 0.0ms fault=status"
        );
        let dropped = entry("DELETE", 0, Some("drop"), None);
        assert_eq!(
            request_line(&dropped, "/a", Duration::from_secs(1), &[]),
            "2025-01-02T03:04:05.0000000Z DELETE /a dropped 1000.0ms fault=drop"
        );
    }

    #[test]
    fn a_request_line_withholds_a_path_that_holds_a_client_secret() {
        let secrets = ["s3cr+t/x".to_owned()];
        let get = entry("GET", 404, None, Some("api-version=s3cr%2Bt%2Fx"));
        for (path, query) in [("/a/s3cr+t%2Fx/b", None), ("/a", get.query.clone())] {
            let request = LogEntry {
                query,
                ..get.clone()
            };
            let line = request_line(&request, path, Duration::ZERO, &secrets);
            assert_eq!(
                line,
                "2025-01-02T03:04:05.0000000Z GET <redacted> 404 0.0ms"
            );
        }
        let clean = LogEntry {
            query: Some("api-version=1".into()),
            ..get
        };
        assert!(
            request_line(&clean, "/a", Duration::ZERO, &secrets).contains(" /a?api-version=1 ")
        );
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(
            percent_decode("/locations/West%20Europe/x"),
            "/locations/West Europe/x"
        );
        assert_eq!(percent_decode("/a%2"), "/a%2");
        assert_eq!(percent_decode("/a%zz"), "/a%zz");
        assert_eq!(percent_decode("%24Default"), "$Default");
    }
}
