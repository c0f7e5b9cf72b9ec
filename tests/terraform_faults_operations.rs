//! The fault matrix, operations that end badly and state that must say so: long-running
//! operations Failed or Canceled on create, update and delete, a failed in-place update that
//! must heal, defaults changed outside Terraform, and input that must stop at plan.
//!
//! Each case asserts the exit code, that the error names the cause, that Azure and the state
//! agree, and that the next apply (the fault cleared) converges with an empty plan.

use serde_json::{Value, json};
use test_support::terraform::faults::*;
use test_support::terraform::scenario::*;

/// A scenario for `step` (`create`, `update`, `delete`) ending `outcome`, and the name of its
/// connection (`update-failed`).
fn scenario_for(step: &str, outcome: &str) -> (Scenario, String) {
    let name = format!("{step}-{}", outcome.to_ascii_lowercase());
    (Scenario::new(), name)
}

/// An `lro` action ending the operation with `outcome` and a message naming it.
fn ending(outcome: &str) -> (Value, String) {
    let message = format!("[InternalServerError] The operation ended {outcome} (emulated).");
    (operation_ending(outcome, &message), message)
}

/// Two tests of each `case`: its operation ending `Failed`, then `Canceled`.
macro_rules! failed_and_canceled {
    ($($case:ident: $failed:ident, $canceled:ident;)*) => {$(
        #[test]
        fn $failed() {
            $case("Failed");
        }

        #[test]
        fn $canceled() {
            $case("Canceled");
        }
    )*};
}

failed_and_canceled! {
    create_ending: a_create_ending_failed_is_kept_tainted_and_replaced, a_create_ending_canceled_is_kept_tainted_and_replaced;
    update_ending: a_failed_update_shows_in_the_next_plan_and_heals, a_canceled_update_shows_in_the_next_plan_and_heals;
    delete_ending: a_failed_delete_keeps_the_connection_until_the_next_destroy, a_canceled_delete_keeps_the_connection_until_the_next_destroy;
}

/// The create's operation ends `outcome`: the error is the service's, the connection Azure
/// keeps is in state, tainted, and the next apply replaces it.
#[track_caller]
fn create_ending(outcome: &str) {
    let (scenario, name) = scenario_for("create", outcome);
    let (action, message) = ending(outcome);
    let hcl = connection("test", &name, &[]);
    let run = scenario.apply_failing_under(&[rule("PUT", CONNECTION_PATH, 1, action)], &hcl);
    let state = scenario.assert_failed_consistently(&run, &[&message]);
    assert!(state.is_tainted(&address("test")));
    scenario.assert_converges(&hcl);
    scenario.destroy();
}

/// The update's operation ends `outcome`: the error is the service's, state records what
/// Azure holds so that the next plan is not empty, and the next apply heals the connection.
#[track_caller]
fn update_ending(outcome: &str) {
    let (scenario, name) = scenario_for("update", outcome);
    scenario.apply(&connection(
        "test",
        &name,
        &[("mapping_rule_name", json!("events_json"))],
    ));
    let (action, message) = ending(outcome);
    let changed = connection(
        "test",
        &name,
        &[
            ("mapping_rule_name", json!("events_csv")),
            ("data_format", json!("CSV")),
        ],
    );
    let run = scenario.apply_failing_under(&[rule("PUT", CONNECTION_PATH, 1, action)], &changed);
    let state = scenario.assert_failed_consistently(&run, &[&message]);
    assert!(
        !state.is_tainted(&address("test")),
        "an update is no reason to replace"
    );

    scenario.emulator.clear_faults();
    let plan = scenario.workspace.terraform(&PLAN_DETAILED);
    assert_exit(&plan, 2);
    assert!(plan.stdout.contains("update in-place"), "{}", plan.output());
    scenario.assert_converges(&changed);
    let stored = scenario.assert_azure_holds(
        &connection_id(&name),
        &[
            ("mappingRuleName", json!("events_csv")),
            ("dataFormat", json!("CSV")),
        ],
    );
    assert_eq!(stored["provisioningState"], json!("Succeeded"));
    scenario.destroy();
}

/// The delete's operation ends `outcome`: destroy fails with the service's error, the
/// connection stays in Azure and in state, and the next destroy removes it.
#[track_caller]
fn delete_ending(outcome: &str) {
    let (scenario, name) = scenario_for("delete", outcome);
    scenario.apply(&connection("test", &name, &[]));
    let (action, message) = ending(outcome);
    scenario.faults(&[rule("DELETE", CONNECTION_PATH, 1, action)]);
    let run = scenario.destroy_run(&[]);
    let state = scenario.assert_failed_consistently(&run, &[&message]);
    assert_eq!(
        managed_connections(&state).len(),
        1,
        "the connection left the state"
    );
    scenario.emulator.clear_faults();
    scenario.destroy();
    assert!(scenario.state().addresses().is_empty());
}

/// Omitted arguments with documented defaults plan those defaults: changed in Azure, they show
/// in the plan and the apply puts them back.
#[test]
fn defaults_changed_outside_terraform_are_planned_back() {
    let scenario = Scenario::new();
    let hcl = connection("test", "defaulted", &[]);
    scenario.apply(&hcl);
    let id = connection_id("defaulted");
    scenario.emulator.patch_data_connection(
        &id,
        &json!({"properties": {"compression": "GZip", "databaseRouting": "Multi",
                               "eventSystemProperties": ["x-opt-offset"]}}),
    );
    // `compression` and `database_routing_type` cannot change in place: the fix is a
    // replacement, as with azurerm.
    let (plan, run) = scenario.plan(&hcl);
    assert_ne!(plan.actions(&address("test")), ["no-op"], "{}", run.stdout);
    for drifted in ["GZip", "Multi", "x-opt-offset"] {
        assert!(
            run.stdout.contains(drifted),
            "the plan does not show {drifted}:\n{}",
            run.stdout
        );
    }
    let defaults = [
        ("compression", json!("None")),
        ("databaseRouting", json!("Single")),
        ("eventSystemProperties", json!([])),
    ];
    scenario.apply_saved_plan_holding(&id, &defaults);
    scenario.assert_converges(&hcl);
    scenario.destroy();
}

/// Input Azure would mangle or refuse stops at plan, at the offending argument, before any ARM
/// request: whitespace and control characters in names (also from `file()`), names too long
/// or outside Azure's alphabet, explicit `null` for a required argument, a `null` list
/// element. A name with an inner space is valid and round-trips.
#[test]
fn bad_input_stops_at_plan_naming_the_argument() {
    let scenario = Scenario::new();
    std::fs::write(scenario.workspace.path().join("name.txt"), "padded\n").expect("name.txt");
    let placeholder = "from-file";
    let cases: [(&str, &str, Value); 9] = [
        ("trailing newline from file()", "name", json!(placeholder)),
        ("tab", "name", json!("tab\there")),
        ("leading space", "name", json!(" leading")),
        ("trailing space", "name", json!("trailing ")),
        ("underscore", "name", json!("under_score")),
        ("41 characters", "name", json!("n".repeat(41))),
        ("unicode", "name", json!("d\u{e5}ta")),
        ("null required argument", "consumer_group", json!(null)),
        (
            "null list element",
            "event_system_properties",
            json!([null]),
        ),
    ];
    for (case, argument, value) in cases {
        let block = connection("test", "valid", &[(argument, value.clone())]);
        let (block, quoted) = if value == json!(placeholder) {
            let expression = "name = file(\"name.txt\")";
            (
                block.replace(&line(argument, &value), expression),
                expression.to_owned(),
            )
        } else {
            (block, line(argument, &value))
        };
        scenario.write(&block);
        let run = scenario.workspace.plan();
        assert_exit(&run, 1);
        assert!(
            run.stderr.contains(&quoted),
            "{case}: the error is not at `{quoted}`:\n{}",
            run.output()
        );
        scenario.assert_no_arm_request(case);
    }
    assert!(scenario.state().addresses().is_empty());
    scenario.assert_converges(&connection("test", "with space", &[]));
    scenario.destroy();
}
