//! The middleware every request passes through: it applies the fault plan, stamps the
//! headers ARM puts on every response, and records the request in the log tests read
//! from `/_emulator/requests`.
//!
//! The same record, with the time the answer took, becomes one line on stderr (unless the
//! emulator runs `--quiet`), so that a person running the emulator by hand sees what it
//! serves (see `log` for what that line shows).
//!
//! Requests under `/_emulator/` are neither logged nor subject to faults, so that a test's
//! own inspection does not disturb what it counts; they only pass the admin token check.

use std::io::Write as _;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::admin;
use super::clock::arm_timestamp;
use super::entra;
use super::entra_error;
use super::error::ApiError;
use super::faults::{Action, ForcedOutcome, default_code, default_message, http_date_after};
use super::http::{BODY_LIMIT, base_url, percent_decode, too_large};
use super::leak;
use super::log::{LogEntry, classify, request_line};
use super::response_headers::stamp;
use super::server::ConnectionInfo;
use super::state::AppState;

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
        return too_large().into_response();
    };
    let secrets = app.secrets();
    let client_secret_seen =
        leak::secret_seen(&parts.uri, &parts.headers, &body, &secrets.client_secrets);
    let ci_token_seen = leak::secret_seen(&parts.uri, &parts.headers, &body, &secrets.ci_tokens);
    let query = parts.uri.query().map(str::to_owned);
    let kind = classify(&path, query.as_deref());
    let decoded = percent_decode(&path);
    let (grant, tenant) = match kind {
        "token" => (
            entra::grant(&body),
            decoded
                .trim_start_matches('/')
                .split('/')
                .next()
                .map(str::to_owned),
        ),
        "managed_identity" => (Some("managed_identity"), Some(app.tenant_id())),
        _ => (None, None),
    };
    let auxiliary_tenants = if matches!(kind, "arm" | "poll" | "poll_location") {
        entra::auxiliary_tenants(&parts.headers)
    } else {
        Vec::new()
    };
    let mut req = Request::from_parts(parts, Body::from(body));
    let method = req.method().clone();
    let connection = req.extensions().get::<ConnectionInfo>().cloned();
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
        grant,
        tenant,
        auxiliary_tenants,
        client_secret_seen,
        ci_token_seen,
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
                entra_error::fault_response(status, code.as_deref(), message.as_deref(), app.now())
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
        app.now(),
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
        // Only a request that carries a secret somewhere can carry one in its path.
        let secrets = if entry.client_secret_seen || entry.ci_token_seen {
            let secrets = app.secrets();
            [secrets.client_secrets, secrets.ci_tokens].concat()
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
