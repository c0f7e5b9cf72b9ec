//! Entra ID's OAuth error answer, as the token endpoint and the client-assertion checks give
//! it: `{"error", "error_description": "AADSTSnnn: ...\r\nTrace ID: ...", "error_codes", ...}`
//! with Entra's no-cache headers.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use time::OffsetDateTime;

/// An Entra ID OAuth error: `{"error", "error_description": "AADSTSnnn: ...", "error_codes", ...}`.
#[derive(Debug, Clone)]
pub struct AadError {
    pub status: StatusCode,
    pub error: String,
    pub code: u32,
    pub description: String,
    pub now: OffsetDateTime,
}

impl AadError {
    pub fn new(
        status: StatusCode,
        error: &str,
        code: u32,
        description: impl Into<String>,
        now: OffsetDateTime,
    ) -> Self {
        AadError {
            status,
            error: error.to_owned(),
            code,
            description: description.into(),
            now,
        }
    }
}

impl IntoResponse for AadError {
    fn into_response(self) -> Response {
        let trace = uuid::Uuid::new_v4();
        let correlation = uuid::Uuid::new_v4();
        let timestamp = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
            self.now.year(),
            u8::from(self.now.month()),
            self.now.day(),
            self.now.hour(),
            self.now.minute(),
            self.now.second()
        );
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        });
        let mut response = (self.status, Json(body)).into_response();
        no_store(response.headers_mut());
        response
    }
}

pub fn no_store(headers: &mut HeaderMap) {
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// The error a fault plan makes the token endpoint return.
pub fn fault_response(
    status: StatusCode,
    code: Option<&str>,
    message: Option<&str>,
    now: OffsetDateTime,
) -> Response {
    let error = code.unwrap_or(match status.as_u16() {
        429 | 500.. => "temporarily_unavailable",
        401 => "invalid_client",
        _ => "invalid_request",
    });
    let description = message.unwrap_or("A transient error has occurred. Please try again.");
    AadError::new(status, error, 90033, description, now).into_response()
}
