//! One ARM request being served, and what every operation's handler does with it: read
//! the JSON body, answer JSON, and add the headers of an asynchronous operation.

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::dataconn::request::{Request as WriteRequest, invalid_content, parse_request};
use crate::error::ApiError;
use crate::faults::ForcedOutcome;
use crate::lro::Operation;
use crate::state::AppState;

/// One ARM request being served.
pub struct Call<'a> {
    pub app: &'a AppState,
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    /// `https://host:port` as the client addressed the emulator.
    pub base: String,
    pub body: Bytes,
    /// The operation outcome the fault plan forces on this request, if any.
    pub forced: Option<ForcedOutcome>,
}

pub fn json_response(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// Sets a header whose value is known to be printable; a value that is not is left out.
pub fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

impl Call<'_> {
    pub fn json_body(&self) -> Result<Value, ApiError> {
        serde_json::from_slice(&self.body).map_err(invalid_content)
    }

    pub fn write_request(&self) -> Result<WriteRequest, ApiError> {
        parse_request(&self.json_body()?)
    }

    pub fn retry_after(&self) -> String {
        self.app.settings().retry_after.to_string()
    }

    /// Adds the asynchronous-operation headers to a response.
    pub fn async_headers(&self, response: &mut Response, op: &Operation, with_location: bool) {
        let headers = response.headers_mut();
        insert(
            headers,
            HeaderName::from_static("azure-asyncoperation"),
            &op.async_operation_url(&self.base),
        );
        if with_location {
            insert(headers, header::LOCATION, &op.location_url(&self.base));
        }
        insert(headers, header::RETRY_AFTER, &self.retry_after());
    }
}
