//! The headers ARM puts on every response: request, correlation and routing ids, the
//! client's own request id when it asks for it back, caching and security headers, and the
//! remaining-quota header the recorded Kusto traffic carries for each kind of call.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use time::OffsetDateTime;

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// The headers ARM puts on every response.
pub fn stamp(
    headers: &mut HeaderMap,
    method: &Method,
    kind: &str,
    correlation: &str,
    client_id: Option<String>,
    now: OffsetDateTime,
) {
    let request_id = uuid::Uuid::new_v4().to_string();
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
