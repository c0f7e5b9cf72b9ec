//! The fault matrix, faults a retry outlives: throttling with both `Retry-After` forms, bursts
//! of 5xx, connections dropped before the request was handled (on each verb, the preflight
//! validation included), token endpoint outages, tokens that expire within seconds, ARM
//! rejecting a token mid-operation, and a token endpoint that refuses the credential.
//!
//! Each case asserts the exit code, that Azure and the state agree, that the next apply with
//! the fault cleared converges with an empty plan, and what the provider sent (the retries).

use serde_json::{Value, json};
use test_support::terraform::emulator::{Emulator, LoggedRequest, statuses_on};
use test_support::terraform::faults::*;
use test_support::terraform::scenario::*;

/// Applies `name` under `rules`: the apply succeeds as if nothing happened, Azure and state
/// agree, and the next apply converges. Returns the request log of the first apply.
#[track_caller]
fn create_despite(scenario: &Scenario, name: &str, rules: &[Value]) -> Vec<LoggedRequest> {
    create_with_despite(scenario, name, &[], rules)
}

/// [`create_despite`] with more arguments for the connection.
#[track_caller]
fn create_with_despite(
    scenario: &Scenario,
    name: &str,
    args: &[(&str, Value)],
    rules: &[Value],
) -> Vec<LoggedRequest> {
    let hcl = connection("test", name, args);
    scenario.apply_despite(rules, &hcl, "test");
    let requests = scenario.emulator.requests();
    scenario.assert_converges(&hcl);
    requests
}

/// How many requests the fault plan answered (`status`, `drop`, ...).
fn faulted(requests: &[LoggedRequest], fault: &str) -> usize {
    requests
        .iter()
        .filter(|r| r.fault.as_deref() == Some(fault))
        .count()
}

/// A request that failed with `status` was retried no sooner than `at_least` later.
#[track_caller]
fn assert_retried_after(requests: &[LoggedRequest], status: u16, at_least: time::Duration) {
    for (i, failed) in requests
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status == status)
    {
        let retry = requests[i + 1..]
            .iter()
            .find(|r| r.method == failed.method && r.path == failed.path)
            .unwrap_or_else(|| panic!("{} {} was not retried", failed.method, failed.path));
        let waited = retry.time - failed.time;
        assert!(
            waited >= at_least,
            "{} {} retried after {waited}",
            failed.method,
            failed.path
        );
    }
}

/// The first `times` ARM requests creating `name` are answered `throttled` (a 429): each is
/// retried, no sooner than 1 s later.
#[track_caller]
fn a_429_storm_is_waited_out(name: &str, times: u32, throttled: Value) {
    let scenario = Scenario::new();
    let requests = create_despite(&scenario, name, &[rule("*", ARM_PATH, times, throttled)]);
    assert_eq!(
        faulted(&requests, "status"),
        usize::try_from(times).unwrap_or(usize::MAX)
    );
    assert_retried_after(&requests, 429, time::Duration::seconds(1));
}

#[test]
fn a_429_storm_with_retry_after_in_seconds_is_waited_out() {
    let throttled = json!({"type": "status", "status": 429, "retry_after": 1});
    a_429_storm_is_waited_out("storm-seconds", 3, throttled);
}

#[test]
fn a_429_storm_with_retry_after_as_an_http_date_is_waited_out() {
    // An HTTP date has whole seconds: 2 s after the emulator's clock is at least 1 s away.
    let throttled = json!({"type": "status", "status": 429, "retry_after_http_date": 2});
    a_429_storm_is_waited_out("storm-date", 2, throttled);
}

#[test]
fn a_burst_of_5xx_on_every_verb_is_retried() {
    let scenario = Scenario::new();
    let status = |code: u16| json!({"type": "status", "status": code});
    let requests = create_despite(
        &scenario,
        "burst",
        &[
            rule("GET", CONNECTION_PATH, 2, status(500)),
            rule("POST", VALIDATION_PATH, 2, status(502)),
            rule("PUT", CONNECTION_PATH, 2, status(503)),
            rule("GET", POLL_PATH, 2, status(500)),
        ],
    );
    assert_eq!(faulted(&requests, "status"), 8, "{requests:#?}");
    scenario.faults(&[rule("DELETE", CONNECTION_PATH, 2, status(503))]);
    scenario.emulator.clear_requests();
    scenario.destroy();
    assert_eq!(faulted(&scenario.emulator.requests(), "status"), 2);
}

/// A connection dropped on `method` `path` before the emulator handled the request.
fn dropped(method: &str, path: &str) -> Value {
    rule(method, path, 1, json!({"type": "drop"}))
}

/// Creating `name` survives one connection dropped on `method` `path`, which was retried.
#[track_caller]
fn one_drop_is_retried(name: &str, method: &str, path: &str) {
    let scenario = Scenario::new();
    let requests = create_despite(&scenario, name, &[dropped(method, path)]);
    assert_eq!(faulted(&requests, "drop"), 1);
}

#[test]
fn a_dropped_read_is_retried() {
    one_drop_is_retried("dropped-get", "GET", CONNECTION_PATH);
}

#[test]
fn a_dropped_poll_is_retried() {
    one_drop_is_retried("dropped-poll", "GET", POLL_PATH);
}

#[test]
fn a_dropped_create_that_never_arrived_is_sent_again() {
    let scenario = Scenario::new();
    let requests = create_despite(&scenario, "dropped-put", &[dropped("PUT", CONNECTION_PATH)]);
    let id = connection_id("dropped-put");
    assert_eq!(statuses_on(&requests, "PUT", &id), [0, 201]);
}

/// The preflight validation has no side effects, so a dropped one is simply sent again.
#[test]
fn a_dropped_preflight_validation_is_retried() {
    let scenario = Scenario::new();
    let requests = create_despite(
        &scenario,
        "dropped-post",
        &[dropped("POST", VALIDATION_PATH)],
    );
    let posts = requests
        .iter()
        .filter(|r| r.method == "POST" && r.kind == "arm")
        .count();
    assert_eq!(posts, 2, "{requests:#?}");
}

#[test]
fn a_dropped_delete_is_retried_and_nothing_is_left() {
    let scenario = Scenario::new();
    create_despite(&scenario, "dropped-delete", &[]);
    scenario.faults(&[dropped("DELETE", CONNECTION_PATH)]);
    scenario.emulator.clear_requests();
    scenario.destroy();
    assert_eq!(faulted(&scenario.emulator.requests(), "drop"), 1);
    assert!(scenario.state().addresses().is_empty());
}

#[test]
fn a_token_endpoint_outage_is_retried() {
    let scenario = Scenario::new();
    let outage = json!({"type": "status", "status": 503});
    let requests = create_despite(
        &scenario,
        "token-outage",
        &[rule("POST", TOKEN_PATH, 2, outage)],
    );
    let tokens: Vec<u16> = requests
        .iter()
        .filter(|r| r.kind == "token")
        .map(|r| r.status)
        .collect();
    assert!(tokens.starts_with(&[503, 503, 200]), "{tokens:?}");
}

/// Tokens that live two seconds, on operations that take one: the provider renews them before
/// ARM would refuse one, so no request is rejected.
#[test]
fn short_token_lifetimes_are_renewed_in_time() {
    let scenario = Scenario::on(Emulator::start(&[
        "--lro-seconds",
        "1",
        "--retry-after",
        "1",
        "--token-lifetime",
        "2",
    ]));
    let hcl = connection("short", "short-${count.index}", &[("count", json!(3))]);
    let state = scenario.apply(&hcl);
    assert_eq!(managed_connections(&state).len(), 3);
    let requests = scenario.emulator.requests();
    let rejected: Vec<&LoggedRequest> = requests.iter().filter(|r| r.status == 401).collect();
    assert!(rejected.is_empty(), "{rejected:#?}");
    assert_state_matches_azure(&scenario.emulator, &[&state]);
    scenario.assert_converges(&hcl);
    scenario.destroy();
}

/// ARM rejects the token on the create's poll (401 `ExpiredAuthenticationToken`, as after
/// clock skew or a revocation): the provider gets a fresh token and asks again; the
/// connection Azure created is neither tainted nor replaced.
#[test]
fn a_token_rejected_mid_operation_is_renewed_without_taint() {
    let scenario = Scenario::new();
    let rejected = json!({"type": "status", "status": 401, "code": "ExpiredAuthenticationToken",
        "message": "The access token expiry UTC time is earlier than current UTC time."});
    // Without the preflight validation, the only polls are the create's.
    let requests = create_with_despite(
        &scenario,
        "reauth",
        &[("skip_preflight_validation", json!(true))],
        &[rule("GET", POLL_PATH, 1, rejected)],
    );
    let at = requests
        .iter()
        .position(|r| r.status == 401)
        .expect("the 401 was sent");
    let retried = requests[at + 1..]
        .iter()
        .position(|r| r.path == requests[at].path)
        .expect("the rejected poll was sent again");
    assert!(
        requests[at + 1..=at + retried]
            .iter()
            .any(|r| r.kind == "token" && r.status == 200),
        "no fresh token between the 401 and the retry: {requests:#?}"
    );
    let operations = scenario.emulator.operations();
    assert_eq!(
        operations.iter().filter(|o| o.kind == "Create").count(),
        1,
        "{operations:#?}"
    );
    assert!(
        !operations.iter().any(|o| o.kind == "Delete"),
        "{operations:#?}"
    );
    scenario.destroy();
}

/// A token endpoint refusing the credential fails the apply with Entra's words, printed once,
/// before any ARM request.
#[test]
fn a_refused_credential_is_reported_once() {
    let scenario = Scenario::new();
    let words = "Invalid client secret provided (refused by the test)";
    let refused =
        json!({"type": "status", "status": 401, "code": "invalid_client", "message": words});
    let hcl = connection("test", "refused", &[]);
    let run = scenario.apply_failing_under(&[rule("POST", TOKEN_PATH, 1000, refused)], &hcl);
    assert_exit(&run, 1);
    assert_names_cause(&run, &[words]);
    assert_eq!(
        run.stderr_text().matches(words).count(),
        1,
        "{}",
        run.output()
    );
    let requests = scenario.emulator.requests();
    assert!(!requests.iter().any(|r| r.is_arm()), "{requests:#?}");
    assert!(scenario.emulator.data_connections().is_empty());
    assert!(scenario.state().addresses().is_empty());
    scenario.assert_converges(&hcl);
    scenario.destroy();
}
