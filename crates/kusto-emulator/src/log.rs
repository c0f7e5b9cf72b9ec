//! The request log: one entry per served request, kept (the latest 10,000) for tests to read
//! from `/_emulator/requests`, and the one-line form printed on stderr for a person watching.
//!
//! The stderr line holds no secret: no header, no body, and of the query only `api-version`.
//! Neither does an entry: it says how a token request authenticated (`grant`), never with
//! what, and whether a secret of the world occurred in the request, never which.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::Duration;

use axum::http::{HeaderMap, Uri};
use serde::Serialize;

use super::leak;

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
    /// `metadata`, `discovery`, `token`, `managed_identity`, `github_oidc` (GitHub Actions
    /// ID token), `azure_devops_oidc` (Azure Pipelines OIDC token), `poll`
    /// (Azure-AsyncOperation), `poll_location` (Location), `arm` or `other`.
    pub kind: &'static str,
    /// How a token request authenticated: `client_secret`, `client_assertion_federated`,
    /// `client_assertion_certificate` or `managed_identity` (whether or not it succeeded;
    /// absent when it names no credential, and on other requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant: Option<&'static str>,
    /// The tenant a token request asked for, as its path names it (the world's tenant for
    /// managed identity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The tenants (`tid`) of the auxiliary tokens an ARM request carried in
    /// `x-ms-authorization-auxiliary`, in order (read whether or not ARM accepted them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auxiliary_tenants: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    /// The fault-plan action applied: `status`, `status_after_processing`, `drop`,
    /// `drop_after_processing`, `delay`, `set_header` or `lro`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
    /// Whether a client secret of the world occurs anywhere in the request.
    pub client_secret_seen: bool,
    /// Whether a CI request token of the world (GitHub's `ACTIONS_ID_TOKEN_REQUEST_TOKEN`,
    /// Azure Pipelines' `SYSTEM_ACCESSTOKEN`) occurs anywhere in the request.
    pub ci_token_seen: bool,
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
    pub fn push(&mut self, mut entry: LogEntry) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
}

/// What kind of request `path` is, as the log's `kind` counts it.
pub fn classify(path: &str, query: Option<&str>) -> &'static str {
    let lower = path.to_ascii_lowercase();
    if lower == "/metadata/endpoints" {
        "metadata"
    } else if lower.ends_with("/openid-configuration") {
        "discovery"
    } else if lower == "/msi/token" || lower == "/metadata/identity/oauth2/token" {
        "managed_identity"
    } else if lower == crate::GITHUB_ID_TOKEN_PATH {
        "github_oidc"
    } else if lower == crate::AZURE_DEVOPS_OIDC_TOKEN_PATH {
        "azure_devops_oidc"
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

/// One line of the stderr request log:
/// `TIME METHOD PATH[?api-version=V] STATUS DURATIONms[ fault=ACTION]`, with STATUS
/// `dropped` when the fault plan closed the connection instead of answering.
///
/// The path stays percent-encoded as on the request line, so that the line is one line of
/// space-separated fields whatever the client sent. Only `api-version` of the query is kept;
/// a path or api-version that holds one of `secrets` is shown as `<redacted>`.
pub fn request_line(
    entry: &LogEntry,
    raw_path: &str,
    elapsed: Duration,
    secrets: &[String],
) -> String {
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
        assert_eq!(
            classify("/github/idtoken", Some("api-version=2.0")),
            "github_oidc"
        );
        assert_eq!(
            classify("/Azure-DevOps/oidctoken", None),
            "azure_devops_oidc"
        );
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
                grant: None,
                tenant: None,
                auxiliary_tenants: Vec::new(),
                client_secret_seen: false,
                ci_token_seen: false,
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
            grant: None,
            tenant: None,
            auxiliary_tenants: Vec::new(),
            client_secret_seen: false,
            ci_token_seen: false,
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
}
