//! The fault plan: rules that make chosen requests fail, stall, lose their connection or
//! end their long-running operation badly, so tests can prove a client's retry, timeout
//! and error handling against realistic failures.
//!
//! A rule matches by method (absent or `*` = any) and a case-insensitive path glob (`*`
//! matches any run of characters; a pattern containing `?` is matched against
//! `path?query`). Every matching request increments the rule's `hits`; the rule fires on
//! hits `skip+1 ..= skip+times` (all hits from `skip+1` on when `times` is absent). A rule
//! with `"probability": p` (0 to 1) ignores `skip`/`times` and fires on each matching hit
//! with that chance, drawn from a generator seeded by the plan's `seed` (a fixed default
//! when absent), so a run with the same requests in the same order repeats exactly. The
//! first firing rule wins. The plan is JSON (`--faults FILE`, `POST /_emulator/faults`).
//!
//! The actions (`"type"`):
//!
//! - `status`: answer this status with an error body (ARM's shape; the AADSTS shape on the
//!   token endpoint) instead of handling the request. `code` and `message` replace the
//!   defaults. `retry_after` is an integer (seconds) or a string sent verbatim as the
//!   `Retry-After` header (a hostile number, `"soon"`, an HTTP date); `retry_after_http_date`
//!   sends `Retry-After` as the HTTP date that many seconds after the emulator's clock
//!   (`retry_after` wins when both are given). A 429 without either says `Retry-After: 1`.
//!   A 401 on an ARM path is ARM's rejected token: code `ExpiredAuthenticationToken` and a
//!   `WWW-Authenticate: Bearer authorization_uri=…, error="invalid_token"` challenge; "401 on
//!   the Nth ARM call" is `{"path": "/subscriptions/*", "skip": N-1, "times": 1, ...}`. With `"after_processing": true` the request is first
//!   handled normally (the write takes effect, its operation starts) and only the answer is
//!   replaced: Kusto's 504 after it accepted the write.
//!   `{"type": "status", "status": 429, "retry_after": 2}`,
//!   `{"type": "status", "status": 503, "retry_after": "18446744073709551615"}`,
//!   `{"type": "status", "status": 429, "retry_after_http_date": 5}`,
//!   `{"type": "status", "status": 504, "after_processing": true}`.
//! - `drop`: close the connection without an answer, the request unhandled
//!   (`{"type": "drop"}`); with `"after_processing": true` the request is handled first and
//!   only its response is lost (`{"type": "drop", "after_processing": true}`).
//! - `delay`: wait `ms` milliseconds, then handle the request (`{"type": "delay", "ms": 1500}`).
//! - `set_header`: handle the request normally and set (replace) one header on its answer,
//!   e.g. a hostile `Retry-After` on an accepted PUT or on a poll:
//!   `{"type": "set_header", "name": "retry-after", "value": "18446744073709551615"}`.
//! - `lro`: handle the request normally, but end the operation it starts with `outcome`
//!   `Failed` or `Canceled` (optional `code`, `message`). A failure with code
//!   `ServiceIsInMaintenance` is the cluster-busy refusal reported asynchronously: the
//!   service rolls the write back (a create leaves no connection, an update leaves the
//!   previous settings, provisioningState `Succeeded`); other failures leave the connection
//!   in place with provisioningState `Failed`.
//!   `{"type": "lro", "outcome": "Failed", "code": "ServiceIsInMaintenance"}`.
//!
//! A whole plan:
//!
//! ```json
//! {"seed": 42, "rules": [
//!   {"method": "PUT", "path": "*/dataConnections/*", "times": 1,
//!    "action": {"type": "status", "status": 504, "after_processing": true}},
//!   {"path": "/subscriptions/*", "skip": 2, "times": 1, "action": {"type": "status", "status": 401}},
//!   {"path": "*/oauth2/v2.0/token", "action": {"type": "status", "status": 503}},
//!   {"method": "GET", "path": "*/operationResults/*", "skip": 1, "times": 1, "action": {"type": "drop"}},
//!   {"method": "*", "path": "/subscriptions/*", "probability": 0.05,
//!    "action": {"type": "status", "status": 429, "retry_after": 1}},
//!   {"method": "PATCH", "path": "*", "action": {"type": "lro", "outcome": "Canceled"}}
//! ]}
//! ```

use axum::http::{HeaderName, HeaderValue, StatusCode};
use serde::{Deserialize, Deserializer, Serialize, de::Error as _};
use time::OffsetDateTime;

/// The error code of Kusto's refusal while another operation runs on the cluster.
pub const CLUSTER_BUSY_CODE: &str = "ServiceIsInMaintenance";

/// Seed of the random generator when the plan names none.
const DEFAULT_SEED: u64 = 0x6b75_7374_6f00_0007;

/// How a started operation should end instead of its natural outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LroOutcome {
    Failed,
    Canceled,
}

/// An operation outcome forced by the fault plan, for the handler that starts the operation.
#[derive(Debug, Clone)]
pub struct ForcedOutcome {
    pub outcome: LroOutcome,
    pub code: Option<String>,
    pub message: Option<String>,
}

/// The `retry_after` of a status action: seconds, or a header value sent verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RetryAfter {
    Seconds(u64),
    Verbatim(String),
}

impl<'de> Deserialize<'de> for RetryAfter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Verbatim(String),
        }
        match Raw::deserialize(d).map_err(|_| {
            D::Error::custom("retry_after must be a non-negative integer or a string")
        })? {
            Raw::Seconds(s) => Ok(RetryAfter::Seconds(s)),
            Raw::Verbatim(v) => header_value(&v)
                .map(|_| RetryAfter::Verbatim(v))
                .map_err(D::Error::custom),
        }
    }
}

impl RetryAfter {
    /// The header text.
    pub fn header(&self) -> String {
        match self {
            RetryAfter::Seconds(s) => s.to_string(),
            RetryAfter::Verbatim(v) => v.clone(),
        }
    }
}

fn header_value(value: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(value).map_err(|_| format!("'{value}' cannot be sent as a header value"))
}

fn header_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    HeaderName::from_bytes(name.as_bytes())
        .map(|_| name.clone())
        .map_err(|_| D::Error::custom(format!("'{name}' is not a header name")))
}

fn header_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    header_value(&value).map_err(D::Error::custom)?;
    Ok(value)
}

fn probability<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        Some(p) if !(0.0..=1.0).contains(&p) => Err(D::Error::custom(format!(
            "probability must be between 0 and 1, got {p}"
        ))),
        p => Ok(p),
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What a firing rule does (see the module documentation for each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<RetryAfter>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_http_date: Option<u64>,
        #[serde(default, skip_serializing_if = "is_false")]
        after_processing: bool,
    },
    Delay {
        ms: u64,
    },
    Drop {
        #[serde(default, skip_serializing_if = "is_false")]
        after_processing: bool,
    },
    SetHeader {
        #[serde(deserialize_with = "header_name")]
        name: String,
        #[serde(deserialize_with = "header_text")]
        value: String,
    },
    Lro {
        outcome: LroOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub path: String,
    #[serde(default)]
    pub skip: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Chance (0-1) that a matching hit fires; replaces `skip` and `times`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "probability"
    )]
    pub probability: Option<f64>,
    pub action: Action,
    /// Matching requests seen so far (reported back by `GET /_emulator/faults`).
    #[serde(default)]
    pub hits: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// Seed of the generator behind `probability` rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// State of the generator; started from `seed` at the first draw.
    #[serde(skip)]
    random: Option<u64>,
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

    fn fires_by_count(&self) -> bool {
        self.hits > self.skip && self.times.is_none_or(|t| self.hits - self.skip <= t)
    }
}

impl FaultPlan {
    /// Counts the request against every matching rule and returns the action of the
    /// first rule that fires.
    pub fn next(&mut self, method: &str, path: &str, query: Option<&str>) -> Option<Action> {
        let mut fired = None;
        let seed = self.seed.unwrap_or(DEFAULT_SEED);
        let random = self.random.get_or_insert(seed);
        for rule in &mut self.rules {
            if !rule.matches(method, path, query) {
                continue;
            }
            rule.hits = rule.hits.saturating_add(1);
            let fires = match rule.probability {
                Some(p) => unit_interval(random) < p,
                None => rule.fires_by_count(),
            };
            if fired.is_none() && fires {
                fired = Some(rule.action.clone());
            }
        }
        fired
    }
}

/// The next draw in [0, 1) of a SplitMix64 generator whose state is `state`.
fn unit_interval(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    // The top 53 bits, exactly representable in an f64.
    let bits = z >> 11;
    #[allow(clippy::cast_precision_loss)]
    let value = bits as f64 / (1u64 << 53) as f64;
    value
}

/// The ARM error code a status fault uses when the rule names none.
pub fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "ExpiredAuthenticationToken",
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
/// throttling text, naming the subscription, the operation and the wait (`retry_after`,
/// the header's text).
pub fn default_message(status: StatusCode, method: &str, path: &str, retry_after: &str) -> String {
    if status == StatusCode::UNAUTHORIZED {
        return "The access token was rejected: it has expired or was revoked. Acquire a new token and retry."
            .to_owned();
    }
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

/// `Retry-After` as an HTTP date (IMF-fixdate) `seconds` after `now`.
pub fn http_date_after(now: OffsetDateTime, seconds: u64) -> String {
    let later = now
        .to_offset(time::UtcOffset::UTC)
        .saturating_add(time::Duration::seconds(
            i64::try_from(seconds).unwrap_or(i64::MAX),
        ));
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    later
        .format(&format)
        .unwrap_or_else(|_| "Fri, 31 Dec 9999 23:59:59 GMT".to_owned())
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
            default_message(StatusCode::TOO_MANY_REQUESTS, "PUT", path, "6"),
            "Number of requests for subscription 's1' and operation \
             'PUT/SUBSCRIPTIONS/RESOURCEGROUPS/PROVIDERS/MICROSOFT.KUSTO/CLUSTERS/DATABASES/DATACONNECTIONS' \
             exceeded the backend storage limit. Please try again after '6' seconds."
        );
        assert!(
            default_message(StatusCode::SERVICE_UNAVAILABLE, "GET", "/x", "1")
                .contains("status 503")
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
            seed: None,
            random: None,
            rules: vec![Rule {
                method: None,
                path: "*operationResultResponseType=Location*".into(),
                skip: 0,
                times: None,
                probability: None,
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

    #[test]
    fn new_actions_parse_and_old_plans_still_do() {
        let plan: FaultPlan = serde_json::from_str(
            r#"{"seed": 7, "rules": [
              {"path": "*", "action": {"type": "drop"}},
              {"path": "*", "action": {"type": "drop", "after_processing": true}},
              {"path": "*", "action": {"type": "status", "status": 504, "after_processing": true}},
              {"path": "*", "action": {"type": "status", "status": 429, "retry_after": 3}},
              {"path": "*", "action": {"type": "status", "status": 429, "retry_after": "18446744073709551615"}},
              {"path": "*", "action": {"type": "status", "status": 429, "retry_after_http_date": 5}},
              {"path": "*", "action": {"type": "set_header", "name": "retry-after", "value": "soon"}},
              {"path": "*", "probability": 0.5, "action": {"type": "delay", "ms": 1}}
            ]}"#,
        )
        .unwrap();
        assert_eq!(plan.seed, Some(7));
        let actions: Vec<&Action> = plan.rules.iter().map(|r| &r.action).collect();
        assert_eq!(
            *actions[0],
            Action::Drop {
                after_processing: false
            }
        );
        assert_eq!(
            *actions[1],
            Action::Drop {
                after_processing: true
            }
        );
        assert!(matches!(
            actions[2],
            Action::Status {
                status: 504,
                after_processing: true,
                ..
            }
        ));
        assert!(matches!(
            actions[3],
            Action::Status {
                retry_after: Some(RetryAfter::Seconds(3)),
                ..
            }
        ));
        assert!(matches!(
            actions[4],
            Action::Status { retry_after: Some(RetryAfter::Verbatim(v)), .. } if v == "18446744073709551615"
        ));
        assert!(matches!(
            actions[5],
            Action::Status {
                retry_after_http_date: Some(5),
                ..
            }
        ));
        assert_eq!(plan.rules[7].probability, Some(0.5));
        let text = serde_json::to_value(&plan).unwrap();
        assert_eq!(
            text["rules"][0]["action"],
            serde_json::json!({"type": "drop"})
        );
        assert_eq!(
            text["rules"][4]["action"]["retry_after"],
            "18446744073709551615"
        );
    }

    #[test]
    fn plans_that_cannot_be_carried_out_are_refused() {
        for bad in [
            r#"{"rules": [{"path": "*", "probability": 1.5, "action": {"type": "drop"}}]}"#,
            r#"{"rules": [{"path": "*", "probability": -0.1, "action": {"type": "drop"}}]}"#,
            r#"{"rules": [{"path": "*", "action": {"type": "set_header", "name": "bad name", "value": "x"}}]}"#,
            r#"{"rules": [{"path": "*", "action": {"type": "set_header", "name": "x", "value": "a
b"}}]}"#,
            r#"{"rules": [{"path": "*", "action": {"type": "status", "status": 429, "retry_after": "a
b"}}]}"#,
            r#"{"rules": [{"path": "*", "action": {"type": "status", "status": 429, "retry_after": -1}}]}"#,
        ] {
            assert!(serde_json::from_str::<FaultPlan>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn probabilities_repeat_with_the_seed_and_follow_the_rate() {
        let plan = |seed: u64, p: f64| FaultPlan {
            seed: Some(seed),
            random: None,
            rules: vec![Rule {
                method: None,
                path: "*".into(),
                skip: 0,
                times: Some(1),
                probability: Some(p),
                action: Action::Delay { ms: 1 },
                hits: 0,
            }],
        };
        let run = |mut plan: FaultPlan| -> Vec<bool> {
            (0..2000)
                .map(|_| plan.next("GET", "/x", None).is_some())
                .collect()
        };
        let first = run(plan(42, 0.05));
        assert_eq!(first, run(plan(42, 0.05)), "same seed, same faults");
        assert_ne!(first, run(plan(43, 0.05)), "another seed, other faults");
        let fired = first.iter().filter(|f| **f).count();
        assert!((60..=140).contains(&fired), "about 5% of 2000, got {fired}");
        assert!(run(plan(1, 0.0)).iter().all(|f| !f));
        assert!(run(plan(1, 1.0)).iter().all(|f| *f), "times is ignored");
    }

    #[test]
    fn http_dates_follow_the_clock_and_saturate() {
        let now = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        assert_eq!(http_date_after(now, 5), "Fri, 02 Jan 2026 03:04:10 GMT");
        assert!(http_date_after(now, u64::MAX).contains("9999"));
    }
}
