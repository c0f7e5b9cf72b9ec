//! The `timeouts` block of `kusto_eventhub_data_connection` with the real Terraform against the
//! emulator, beyond the create that times out after acceptance (in
//! `terraform_resource_failures`): a create that runs out of time during the preflight
//! validation leaves nothing behind, and a change of the block alone is an in-place update
//! that sends nothing to Azure.

use serde_json::json;
use test_support::terraform::emulator::Emulator;
use test_support::terraform::scenario::{Scenario, address, connection, connection_id};

#[test]
fn a_create_running_out_of_time_in_preflight_leaves_nothing() {
    let scenario = Scenario::on(Emulator::start(&[
        "--lro-seconds",
        "120",
        "--retry-after",
        "1",
    ]));
    let run = scenario.apply_failing(&connection(
        "test",
        "never",
        &[("timeouts", json!({"create": "3s"}))],
    ));
    assert!(
        run.stderr.contains("Timed out after 3s"),
        "{}",
        run.output()
    );
    assert!(
        scenario.state().addresses().is_empty(),
        "nothing was created, so nothing is in state"
    );
    assert!(
        !scenario
            .emulator
            .requests()
            .iter()
            .any(|r| r.is_on("PUT", &connection_id("never"))),
        "the create was sent although the preflight validation did not finish"
    );
}

#[test]
fn changing_only_the_timeouts_sends_nothing_to_azure() {
    let scenario = Scenario::new();
    scenario.apply(&connection("test", "patient", &[]));
    scenario.emulator.clear_requests();

    let state = scenario.apply(&connection(
        "test",
        "patient",
        &[("timeouts", json!({"update": "90m", "delete": "2h"}))],
    ));
    assert_eq!(
        state.values(&address("test"))["timeouts"]["delete"],
        json!("2h")
    );
    let writes: Vec<String> = scenario
        .emulator
        .requests()
        .iter()
        .filter(|r| r.is_arm() && r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    scenario.destroy();
}
