//! The fault plan: rules that make chosen requests fail, stall, lose their connection or
//! end their long-running operation badly, so tests can prove a client's retry, timeout
//! and error handling against realistic failures.
//!
//! A rule matches by method (absent or `*` = any) and a case-insensitive path glob (`*`
//! matches any run of characters; a pattern containing `?` is matched against
//! `path?query`). Every matching request increments the rule's `hits`; the rule fires on
//! hits `skip+1 ..= skip+times` (all hits from `skip+1` on when `times` is absent). The
//! first firing rule wins. The plan is JSON (`--faults FILE`, `POST /_emulator/faults`):
//!
//! ```json
//! {"rules": [
//!   {"method": "PUT", "path": "*/dataConnections/*", "times": 1,
//!    "action": {"type": "status", "status": 429, "retry_after": 2}},
//!   {"path": "*/oauth2/v2.0/token", "action": {"type": "status", "status": 503}},
//!   {"method": "GET", "path": "*/operationResults/*", "skip": 1, "times": 1, "action": {"type": "drop"}},
//!   {"method": "DELETE", "path": "*", "action": {"type": "delay", "ms": 1500}},
//!   {"method": "PATCH", "path": "*", "action": {"type": "lro", "outcome": "Canceled"}}
//! ]}
//! ```

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// How a started operation should end instead of its natural outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LroOutcome {
    Failed,
    Canceled,
}

/// What a firing rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Answer with this status and an error body (ARM shape, or the AADSTS shape on the
    /// token endpoint) instead of handling the request.
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// Wait this long, then handle the request normally.
    Delay { ms: u64 },
    /// Close the connection without a response.
    Drop,
    /// Handle the request normally, but end the operation it starts with this outcome.
    Lro {
        outcome: LroOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub path: String,
    #[serde(default)]
    pub skip: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    pub action: Action,
    /// Matching requests seen so far (reported back by `GET /_emulator/faults`).
    #[serde(default)]
    pub hits: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultPlan {
    #[serde(default)]
    pub rules: Vec<Rule>,
}

impl Rule {
    fn matches(&self, method: &str, path: &str, query: Option<&str>) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m == "*" || m.eq_ignore_ascii_case(method));
        let subject = match query {
            Some(q) if self.path.contains('?') => format!("{path}?{q}"),
            _ => path.to_owned(),
        };
        method_ok
            && glob(
                &self.path.to_ascii_lowercase(),
                &subject.to_ascii_lowercase(),
            )
    }

    fn fires(&self) -> bool {
        self.hits > self.skip && self.times.is_none_or(|t| self.hits - self.skip <= t)
    }
}

impl FaultPlan {
    /// Counts the request against every matching rule and returns the action of the
    /// first rule that fires.
    pub fn next(&mut self, method: &str, path: &str, query: Option<&str>) -> Option<Action> {
        let mut fired = None;
        for rule in &mut self.rules {
            if !rule.matches(method, path, query) {
                continue;
            }
            rule.hits = rule.hits.saturating_add(1);
            if fired.is_none() && rule.fires() {
                fired = Some(rule.action.clone());
            }
        }
        fired
    }
}

/// The ARM error code a status fault uses when the rule names none.
pub fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "AuthenticationFailed",
        403 => "AuthorizationFailed",
        404 => "NotFound",
        409 => "Conflict",
        429 => "SubscriptionRequestsThrottled",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "Error",
    }
}

/// The error message a status fault uses when the rule names none; for 429 ARM's
/// throttling text, naming the subscription, the operation and the wait.
pub fn default_message(status: StatusCode, method: &str, path: &str, retry_after: u64) -> String {
    if status != StatusCode::TOO_MANY_REQUESTS {
        return format!(
            "The emulator's fault plan failed the request to '{path}' with status {}.",
            status.as_u16()
        );
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let subscription = segments
        .iter()
        .position(|s| s.eq_ignore_ascii_case("subscriptions"))
        .and_then(|i| segments.get(i + 1))
        .copied()
        .unwrap_or_default();
    format!(
        "Number of requests for subscription '{subscription}' and operation '{}' exceeded the backend storage \
         limit. Please try again after '{retry_after}' seconds.",
        operation_label(method, &segments)
    )
}

/// ARM's name for an operation: the method and the path without resource names, upper-cased
/// (`PUT/SUBSCRIPTIONS/RESOURCEGROUPS/PROVIDERS/MICROSOFT.KUSTO/CLUSTERS/...`).
fn operation_label(method: &str, segments: &[&str]) -> String {
    let mut label = vec![method.to_ascii_uppercase()];
    let mut after_providers = false;
    for (i, segment) in segments.iter().enumerate() {
        if i % 2 == 0 || after_providers {
            label.push(segment.to_ascii_uppercase());
        }
        after_providers = segment.eq_ignore_ascii_case("providers");
    }
    label.join("/")
}

/// `*` matches any (possibly empty) run of characters; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_messages_name_subscription_operation_and_wait() {
        let path = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections/n";
        assert_eq!(
            default_message(StatusCode::TOO_MANY_REQUESTS, "PUT", path, 6),
            "Number of requests for subscription 's1' and operation \
             'PUT/SUBSCRIPTIONS/RESOURCEGROUPS/PROVIDERS/MICROSOFT.KUSTO/CLUSTERS/DATABASES/DATACONNECTIONS' \
             exceeded the backend storage limit. Please try again after '6' seconds."
        );
        assert!(
            default_message(StatusCode::SERVICE_UNAVAILABLE, "GET", "/x", 1).contains("status 503")
        );
    }

    #[test]
    fn glob_matches_stars_anywhere() {
        assert!(glob(
            "*/dataconnections/*",
            "/subscriptions/x/dataconnections/dc1"
        ));
        assert!(glob("*", ""));
        assert!(!glob("*/token", "/t/oauth2/v2.0/token/x"));
        assert!(glob("/a*b*c", "/axxbyyc"));
        assert!(!glob("/a*b*c", "/axxbyy"));
    }

    #[test]
    fn occurrences_follow_skip_and_times() {
        let plan: FaultPlan = serde_json::from_str(
            r#"{"rules":[{"method":"get","path":"*/OPERATIONRESULTS/*","skip":1,"times":2,"action":{"type":"drop"}}]}"#,
        )
        .unwrap();
        let mut plan = plan;
        let fired: Vec<bool> = (0..5)
            .map(|_| plan.next("GET", "/s/operationResults/1", None).is_some())
            .collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert!(plan.next("PUT", "/s/operationResults/1", None).is_none());
        assert_eq!(plan.rules[0].hits, 5);
    }

    #[test]
    fn query_patterns_see_the_query() {
        let mut plan = FaultPlan {
            rules: vec![Rule {
                method: None,
                path: "*operationResultResponseType=Location*".into(),
                skip: 0,
                times: None,
                action: Action::Delay { ms: 1 },
                hits: 0,
            }],
        };
        assert!(plan.next("GET", "/x", Some("api-version=1")).is_none());
        assert!(
            plan.next(
                "GET",
                "/x",
                Some("api-version=1&operationResultResponseType=Location")
            )
            .is_none()
        );
        plan.rules[0].path = "*?*operationResultResponseType=Location*".into();
        assert!(
            plan.next(
                "GET",
                "/x",
                Some("api-version=1&operationResultResponseType=Location")
            )
            .is_some()
        );
    }
}
