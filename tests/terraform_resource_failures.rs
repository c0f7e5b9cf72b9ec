//! `kusto_eventhub_data_connection` when things go wrong: invalid configurations caught at
//! plan, the preflight validation, an operation that fails after Azure accepted the create,
//! and throttling.

use serde_json::{Value, json};
use test_support::terraform::emulator::{Emulator, LoggedRequest, statuses_on};
use test_support::terraform::faults::*;
use test_support::terraform::scenario::*;

/// Each invalid configuration fails `terraform plan` with a diagnostic on the offending
/// argument (Terraform then quotes its line) before any request reaches Azure.
#[test]
fn invalid_arguments_are_rejected_at_plan_naming_the_argument() {
    let scenario = Scenario::new();
    let other_cluster = cluster_id().replace(CLUSTER, "othercluster");
    // Each case: what is wrong, and the arguments; the error must point at one of them.
    let cases: [(&str, Vec<(&str, Value)>); 10] = [
        ("name", vec![("name", json!("bad/name"))]),
        ("cluster_name", vec![("cluster_name", json!("Bad_Cluster"))]),
        (
            "consumer_group",
            vec![("consumer_group", json!("-starts-with-dash"))],
        ),
        ("data_format", vec![("data_format", json!("PARQUETTE"))]),
        ("data_format casing", vec![("data_format", json!("json"))]),
        ("RAW format", vec![("data_format", json!("RAW"))]),
        (
            "GZip with PARQUET",
            vec![
                ("compression", json!("GZip")),
                ("data_format", json!("PARQUET")),
            ],
        ),
        (
            "eventhub_id",
            vec![(
                "eventhub_id",
                json!(format!(
                    "/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.EventHub/namespaces/demo-ns"
                )),
            )],
        ),
        (
            "identity of another cluster",
            vec![("identity_id", json!(other_cluster))],
        ),
        (
            "retrieval_start_date",
            vec![("retrieval_start_date", json!("15/01/2024"))],
        ),
    ];
    for (case, args) in cases {
        let run = scenario.assert_refused_offline(
            &connection("test", "invalid", &args),
            &PLAN,
            &format!("{case}: plan-time validation"),
        );
        let quoted = args
            .iter()
            .any(|(argument, value)| run.stderr.contains(&line(argument, value)));
        assert!(
            quoted,
            "{case}: the error is not reported at the argument:\n{}",
            run.output()
        );
    }
}

/// Applies connection `name` reading the table `Missing` (with `args` too): the apply fails
/// with the service's words. Returns the request log.
#[track_caller]
fn apply_with_a_missing_table(
    scenario: &Scenario,
    name: &str,
    args: &[(&str, Value)],
) -> Vec<LoggedRequest> {
    let args = [&[("table_name", json!("Missing"))][..], args].concat();
    let run = scenario.apply_failing(&connection("test", name, &args));
    run.assert_says("table does not exist", "the service's error");
    scenario.emulator.requests()
}

/// The service's validation runs at plan time: a missing table fails `terraform plan` on the
/// `table_name` line with the service's words, and nothing is created.
#[test]
fn preflight_validation_fails_the_plan_at_the_missing_table() {
    let scenario = Scenario::new();
    scenario.write(&connection(
        "test",
        "no-table",
        &[("table_name", json!("Missing"))],
    ));
    let plan = scenario.workspace.plan().failure();
    plan.assert_says(
        "Error: Preflight validation of the Kusto data connection failed",
        "the summary",
    );
    plan.assert_says("table_name = \"Missing\"", "the attribute's line");
    plan.assert_says("table does not exist", "the service's error");
    assert!(
        !scenario
            .emulator
            .requests()
            .iter()
            .any(|r| r.method == "PUT"),
        "a plan created something"
    );

    let requests = apply_with_a_missing_table(&scenario, "no-table", &[]);
    assert!(
        requests.iter().any(|r| r.method == "POST"
            && r.path
                .to_ascii_lowercase()
                .ends_with("/dataconnectionvalidation")),
        "no preflight validation was asked for: {requests:#?}"
    );
    assert!(
        !requests.iter().any(|r| r.method == "PUT"),
        "the connection was created despite the failed validation: {requests:#?}"
    );
    assert!(scenario.emulator.data_connections().is_empty());
    assert!(scenario.state().addresses().is_empty());
}

/// With `skip_preflight_validation`, the create is sent without asking; the service then fails
/// the operation, and the connection is kept in state, tainted.
#[test]
fn skipping_the_preflight_validation_sends_the_create() {
    let scenario = Scenario::new();
    let skip = [("skip_preflight_validation", json!(true))];
    let requests = apply_with_a_missing_table(&scenario, "unchecked", &skip);
    assert!(
        !requests.iter().any(|r| r
            .path
            .to_ascii_lowercase()
            .ends_with("/dataconnectionvalidation")),
        "the validation ran although skipped: {requests:#?}"
    );
    assert!(requests.iter().any(|r| r.method == "PUT"));
    assert!(scenario.state().is_tainted(&address("test")));
    scenario.destroy();
}

/// Azure accepted the create but its operation failed: the apply reports the service's error
/// as it is, and the connection stays in state, tainted, so the next apply replaces it and
/// nothing is left untracked.
#[test]
fn a_create_failing_after_acceptance_is_kept_tainted() {
    let scenario = Scenario::new();
    let message = "[InternalServerError] Ingestion resources are exhausted (emulated failure).";
    scenario.faults(&[rule(
        "PUT",
        CONNECTION_PATH,
        1,
        operation_ending("Failed", message),
    )]);
    let hcl = connection("test", "doomed", &[("table_name", json!("Events"))]);
    let run = scenario.apply_failing(&hcl);
    assert!(
        run.stderr_text().contains(message),
        "the operation's error is not shown verbatim:\n{}",
        run.output()
    );

    let state = scenario.state();
    let entry = state.entry(&address("test"));
    assert_eq!(entry["tainted"], json!(true), "{entry:#}");
    // The provider read the connection after the failure: the state holds what Azure has.
    assert_attributes(
        &entry["values"],
        &[
            ("id", json!(connection_id("doomed"))),
            ("name", json!("doomed")),
            ("table_name", json!("Events")),
            ("location", json!("West Europe")),
            ("provisioning_state", json!("Failed")),
        ],
    );
    assert!(
        run.stderr_text().contains("provisioning state Failed"),
        "the error does not say what Azure holds:\n{}",
        run.output()
    );
    assert!(
        scenario
            .emulator
            .data_connection(&connection_id("doomed"))
            .is_some()
    );

    scenario.assert_plans(&hcl, &address("test"), &["delete", "create"]);
    let state = scenario.apply_saved_plan();
    let entry = state.entry(&address("test"));
    assert_ne!(entry["tainted"], json!(true), "{entry:#}");
    assert_attributes(
        &entry["values"],
        &[("provisioning_state", json!("Succeeded"))],
    );
    scenario.assert_no_changes();
    scenario.destroy();
}

/// A throttled request is retried, no sooner than the `Retry-After` Azure asked for.
#[test]
fn a_throttled_create_is_retried_after_retry_after() {
    let scenario = Scenario::new();
    let throttled = json!({"type": "status", "status": 429, "retry_after": 1});
    scenario.faults(&[rule("PUT", CONNECTION_PATH, 1, throttled)]);
    scenario.apply(&connection("test", "throttled", &[]));

    let puts = scenario
        .emulator
        .requests_on("PUT", &connection_id("throttled"));
    assert_eq!(puts.len(), 2, "{puts:#?}");
    assert_eq!((puts[0].status, puts[1].status), (429, 201), "{puts:#?}");
    let waited = puts[1].time - puts[0].time;
    assert!(
        waited >= time::Duration::seconds(1),
        "retried after {waited}, before the Retry-After of 1 s"
    );
    scenario.assert_no_changes_then_destroy();
}

/// A `409 Conflict` because another operation runs on the cluster is waited out and retried.
#[test]
fn a_create_refused_by_a_busy_cluster_is_retried() {
    let scenario = Scenario::new();
    let busy = json!({
        "type": "status",
        "status": 409,
        "code": "Conflict",
        "message": "[Conflict] Cluster 'democluster' is in the middle of another operation (its provisioning state is not terminal).",
        "retry_after": 1,
    });
    scenario.faults(&[rule("PUT", CONNECTION_PATH, 1, busy)]);
    scenario.apply(&connection("test", "patient", &[]));
    let requests = scenario.emulator.requests();
    assert_eq!(
        statuses_on(&requests, "PUT", &connection_id("patient")),
        [409, 201]
    );
    scenario.assert_no_changes_then_destroy();
}

/// The create timeout ends the wait for an operation Azure accepted: the apply returns while
/// the operation still runs, and the connection is kept in state, tainted. Destroying it then
/// waits out the cluster's running operation.
#[test]
fn a_create_timing_out_after_acceptance_is_kept_tainted() {
    let scenario = Scenario::with_operations(8, 1);
    let run = scenario.apply_failing(&connection(
        "test",
        "late",
        &[
            ("skip_preflight_validation", json!(true)),
            ("timeouts", json!({"create": "2s"})),
        ],
    ));
    let operations = scenario.emulator.operations();
    assert!(
        operations
            .iter()
            .any(|o| o.kind == "Create" && o.status == "Running"),
        "the apply waited for the operation to end: {operations:#?}\n{}",
        run.output()
    );
    let state = scenario.state();
    let entry = state.entry(&address("test"));
    assert_eq!(entry["tainted"], json!(true), "{entry:#}");
    assert_attributes(&entry["values"], &[("id", json!(connection_id("late")))]);
    scenario.destroy();
}

/// An update whose operation ends Failed leaves the new settings in Azure with provisioning
/// state Failed. The state records that, so the next plan is not empty: it plans an in-place
/// update that sends the settings again, and once Azure completes it the plan is empty.
#[test]
fn a_failed_update_shows_in_the_next_plan_and_apply_repairs_it() {
    let scenario = Scenario::new();
    let id = connection_id("mending");
    scenario.apply(&connection(
        "test",
        "mending",
        &[("table_name", json!("Events"))],
    ));
    let message = "[InternalServerError] The mapping could not be applied (emulated failure).";
    scenario.faults(&[rule(
        "PUT",
        CONNECTION_PATH,
        1,
        operation_ending("Failed", message),
    )]);
    let changed = connection("test", "mending", &events_json_args());
    let run = scenario.apply_failing(&changed);
    let error = run.stderr_text();
    assert!(
        error.contains(message) && error.contains("next plan"),
        "the error does not give the cause and what the state records:\n{}",
        run.output()
    );
    let stored = scenario.emulator.data_connection(&id).expect("stored");
    assert_eq!(stored["provisioningState"], json!("Failed"), "{stored:#}");
    let state = scenario.state();
    assert_attributes(
        state.values(&address("test")),
        &[
            ("mapping_rule_name", json!("events_json")),
            ("provisioning_state", json!("Failed")),
        ],
    );

    scenario.emulator.clear_faults();
    let run = scenario.assert_plans(&changed, &address("test"), &["update"]);
    assert!(
        run.stdout.contains("provisioning_state") && run.stdout.contains("Failed"),
        "the plan does not show the failed state being repaired:\n{}",
        run.stdout
    );
    scenario.emulator.clear_requests();
    scenario.apply_saved_plan();
    let requests = scenario.emulator.requests();
    assert!(
        requests.iter().any(|r| r.is_on("PUT", &id)),
        "the repair sent no PUT: {requests:#?}"
    );
    let stored = scenario.assert_azure_holds(&id, &[("mappingRuleName", json!("events_json"))]);
    assert_eq!(
        stored["provisioningState"],
        json!("Succeeded"),
        "{stored:#}"
    );
    scenario.assert_no_changes();
    scenario.destroy();
}

/// A client secret Entra ID refuses fails the plan with the identity platform's reason and
/// what to check, said once, and nothing reaches ARM.
#[test]
fn a_rejected_client_secret_is_reported_once_per_resource() {
    let scenario = Scenario::on_with_env(Emulator::fast(), &[("ARM_CLIENT_SECRET", "wrong")]);
    let run = scenario.apply_failing(&connection("test", "locked-out", &[]));
    let error = run.stderr_text();
    assert_eq!(
        error.matches("AADSTS7000215").count(),
        1,
        "the identity platform's reason is not said exactly once:\n{}",
        run.output()
    );
    for words in [
        "Cannot sign in to Azure",
        "Check `client_secret` (ARM_CLIENT_SECRET)",
    ] {
        assert_eq!(error.matches(words).count(), 1, "{words}: {}", run.output());
    }
    scenario.assert_no_arm_request("without a token");
    assert!(scenario.state().addresses().is_empty());
}
