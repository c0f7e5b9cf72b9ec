//! The errors of the ARM client layer.
//!
//! Every failure an Azure call can end in is one variant of [`Error`], so the provider layer
//! can decide what to do (remove from state on 404, keep an accepted resource in state, ...)
//! without parsing strings. The `Display` texts are written for a Terraform user: they say what
//! happened, what Azure said verbatim, and which request id to quote to Azure support. No
//! variant ever carries a secret: credential errors hold the identity platform's message, not
//! the request that produced it.

use std::fmt;
use std::time::Duration;

/// Result alias of the azure layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to Azure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The client configuration is incomplete or contradictory (detected before any request).
    Config(String),
    /// No access token could be obtained (a token file, a CI token request, the managed
    /// identity endpoint or the Azure CLI failed).
    Credential(String),
    /// Microsoft Entra ID refused the sign-in.
    SignIn(Box<SignInError>),
    /// ARM answered with an error status.
    Http(HttpError),
    /// No connection to Azure could be established (DNS, TCP connect, TLS handshake): the
    /// request was not sent.
    Connect(String),
    /// The request was (or may have been) sent but no HTTP response came back (connection
    /// reset or closed while waiting): Azure may have processed it.
    Transport(String),
    /// A long-running operation ended `Failed` or `Canceled`; `code`/`message` are the
    /// service's own words.
    Lro {
        /// Terminal status as reported (`Failed` or `Canceled`).
        status: String,
        /// Error code from the operation's `error` object.
        code: String,
        /// Error message from the operation's `error` object.
        message: String,
    },
    /// A response body could not be understood.
    Decode(String),
    /// The caller cancelled the operation (Terraform interrupted the run).
    Cancelled,
    /// The operation's deadline passed before it finished.
    Timeout {
        /// What was still being waited for.
        waiting_for: String,
        /// The time budget the operation had.
        after: Duration,
    },
    /// Azure accepted the write, but waiting for it to finish failed: the resource may exist.
    Accepted(Box<Error>),
    /// A create found the data connection already there. Nothing was taken over: the caller
    /// must not record it as its own.
    AlreadyExists {
        /// The ARM id of the existing data connection.
        id: String,
        /// This process created it earlier: two resource blocks of one configuration use the
        /// same name.
        by_this_process: bool,
        /// It did not exist when checked, but the create PUT was answered as an update of an
        /// existing object: another client created it in between.
        created_concurrently: bool,
    },
}

/// An error status from a service (ARM, or Entra ID), with what its body said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// HTTP status code.
    pub status: u16,
    /// The service's error code (ARM's `error.code`, Entra's `AADSTS…`), when it gave one.
    pub code: Option<String>,
    /// The service's error message, or the raw body when it was not in the service's shape.
    pub message: String,
    /// The id to quote to support: ARM's `x-ms-request-id`, Entra's trace id.
    pub request_id: Option<String>,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Azure Resource Manager returned HTTP {}{}: {}{}",
            self.status,
            around(&self.code, " (", ")"),
            self.message,
            around(&self.request_id, " [request id ", "]")
        )
    }
}

/// Microsoft Entra ID's refusal of a sign-in, as it gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInError {
    /// The way of signing in ("client secret", "GitHub Actions OIDC", ...).
    pub method: &'static str,
    /// The tenant signed in to.
    pub tenant_id: String,
    /// The application that signed in.
    pub client_id: String,
    /// Entra's answer: its `AADSTS` code, its message without the trace lines, its trace id.
    pub answer: HttpError,
}

impl fmt::Display for SignInError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let answer = &self.answer;
        write!(
            f,
            "Microsoft Entra ID refused the {} sign-in of application {} in tenant {} (HTTP {}{}): \
             {}{}",
            self.method,
            self.client_id,
            self.tenant_id,
            answer.status,
            around(&answer.code, ", ", ""),
            answer.message,
            around(&answer.request_id, " [trace id ", "]")
        )
    }
}

/// `value` between `before` and `after`, or nothing.
fn around(value: &Option<String>, before: &str, after: &str) -> String {
    value
        .as_deref()
        .map_or_else(String::new, |v| format!("{before}{v}{after}"))
}

impl Error {
    /// True when Azure accepted a write whose outcome is unknown or failed later: the caller
    /// should keep the resource (e.g. in Terraform state, tainted) rather than forget it.
    pub fn resource_may_exist(&self) -> bool {
        matches!(self, Error::Accepted(_))
    }

    /// Builds an HTTP error from a response status and body, reading the ARM error shape
    /// `{"error":{"code","message"}}` (also tolerating the un-nested `{"code","message"}`).
    pub(crate) fn from_response(status: u16, body: &[u8], request_id: Option<String>) -> Self {
        #[derive(serde::Deserialize)]
        struct Envelope {
            error: Option<Detail>,
            code: Option<String>,
            message: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct Detail {
            code: Option<String>,
            message: Option<String>,
        }
        let parsed = serde_json::from_slice::<Envelope>(body).ok();
        let (code, message) = match parsed {
            Some(Envelope {
                error: Some(detail),
                ..
            }) => (detail.code, detail.message),
            Some(Envelope { code, message, .. }) => (code, message),
            None => (None, None),
        };
        let message = message.unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                default_reason(status).to_string()
            } else {
                text.chars().take(2000).collect()
            }
        });
        Error::Http(HttpError {
            status,
            code,
            message,
            request_id,
        })
    }
}

/// `error` followed by each of its causes, joined by ": ". Errors from reqwest and azure_core
/// often say only "error sending request" on their first line and keep the TLS, DNS or identity
/// platform reason the user needs in their sources.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn default_reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("no error details in the response")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(msg) => write!(f, "invalid Azure client configuration: {msg}"),
            Error::Credential(msg) => write!(f, "could not obtain an Azure access token: {msg}"),
            Error::SignIn(refusal) => refusal.fmt(f),
            Error::Http(http) => http.fmt(f),
            Error::Connect(msg) => write!(
                f,
                "could not reach Azure (no connection could be made; nothing was sent): {msg}"
            ),
            Error::Transport(msg) => write!(f, "could not reach Azure: {msg}"),
            Error::Lro {
                status,
                code,
                message,
            } => write!(f, "the Azure operation ended {status}: {code}: {message}"),
            Error::Decode(msg) => write!(f, "unexpected response from Azure: {msg}"),
            Error::Cancelled => write!(f, "the operation was cancelled"),
            Error::Timeout { waiting_for, after } => write!(
                f,
                "timed out after {} waiting for {waiting_for}; raise the timeout if the service is slow",
                Budget(*after)
            ),
            Error::Accepted(inner) => write!(
                f,
                "Azure accepted the request, but it did not complete: {inner}; the resource may exist"
            ),
            Error::AlreadyExists {
                id,
                by_this_process: true,
                ..
            } => write!(
                f,
                "data connection {id} already exists: another resource block of this \
                 configuration already manages it (two blocks use the same name); give each \
                 block its own name"
            ),
            Error::AlreadyExists {
                id,
                created_concurrently: true,
                ..
            } => write!(
                f,
                "data connection {id} was created by another client between this provider's \
                 existence check and its create request, and Azure applied the create to it as \
                 an update; this provider did not take it over. The data-connection API has no \
                 If-None-Match, so this is detected only after the fact. If this configuration \
                 should manage it, import it: terraform import <resource address> {id}"
            ),
            Error::AlreadyExists { id, .. } => write!(
                f,
                "data connection {id} already exists and is not managed by this Terraform \
                 state; to manage it here, import it: terraform import <resource address> {id}"
            ),
        }
    }
}

/// A time budget as people write it: `90s`, `20m`, `2h`, `3d` (whole units, rounded down).
struct Budget(Duration);

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        match secs {
            0..120 => write!(f, "{secs}s"),
            120..7_200 => write!(f, "{}m", secs / 60),
            7_200..172_800 => write!(f, "{}h", secs / 3_600),
            _ => write!(f, "{}d", secs / 86_400),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Accepted(inner) => Some(inner.as_ref()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_error_body_is_read_verbatim() {
        let body = br#"{"error":{"code":"Conflict","message":"Cluster 'c' is busy."}}"#;
        let err = Error::from_response(409, body, Some("req-1".into()));
        assert_eq!(
            err,
            Error::Http(HttpError {
                status: 409,
                code: Some("Conflict".into()),
                message: "Cluster 'c' is busy.".into(),
                request_id: Some("req-1".into()),
            })
        );
        assert_eq!(
            err.to_string(),
            "Azure Resource Manager returned HTTP 409 (Conflict): Cluster 'c' is busy. [request id req-1]"
        );
    }

    #[test]
    fn causes_follow_the_message() {
        let err = Error::Accepted(Box::new(Error::Transport("connection reset".into())));
        assert_eq!(
            with_causes(&err),
            format!("{err}: could not reach Azure: connection reset")
        );
        assert_eq!(
            with_causes(&Error::Cancelled),
            "the operation was cancelled"
        );
    }

    #[test]
    fn non_arm_bodies_fall_back_to_text_or_reason() {
        let err = Error::from_response(502, b"bad gateway from proxy", None);
        assert!(err.to_string().contains("bad gateway from proxy"));
        let err = Error::from_response(503, b"", None);
        assert!(err.to_string().contains("Service Unavailable"));
    }

    #[test]
    fn timeouts_read_like_terraform_durations_even_when_huge() {
        let after = |secs| Error::Timeout {
            waiting_for: "x".into(),
            after: Duration::from_secs(secs),
        };
        assert!(after(45).to_string().contains("after 45s "));
        assert!(after(30 * 60).to_string().contains("after 30m "));
        assert!(after(5 * 3600).to_string().contains("after 5h "));
        let huge = Error::Timeout {
            waiting_for: "x".into(),
            after: Duration::MAX,
        };
        assert!(
            huge.to_string().contains("after 213503982334601d "),
            "{huge}"
        );
    }

    #[test]
    fn already_exists_tells_a_terraform_user_what_to_do() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections/n";
        let refusal = |by_this_process, created_concurrently| Error::AlreadyExists {
            id: id.into(),
            by_this_process,
            created_concurrently,
        };
        let says = |err: &Error, parts: &[&str]| {
            let text = err.to_string();
            for part in parts {
                assert!(text.contains(part), "{part:?} not in {text}");
            }
        };
        says(
            &refusal(false, false),
            &[&format!("terraform import <resource address> {id}")],
        );
        says(
            &refusal(true, false),
            &[
                "another resource block of this configuration already manages it",
                "same name",
            ],
        );
        let raced = refusal(false, true);
        says(
            &raced,
            &[
                "another client",
                "did not take it over",
                "If-None-Match",
                "terraform import",
            ],
        );
        assert!(!raced.resource_may_exist());
    }

    #[test]
    fn accepted_marks_resource_as_possibly_existing() {
        let err = Error::Accepted(Box::new(Error::Cancelled));
        assert!(err.resource_may_exist());
        assert!(err.to_string().contains("may exist"));
        assert!(!Error::Cancelled.resource_may_exist());
    }
}
