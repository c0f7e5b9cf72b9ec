//! The `timeouts` block of `kusto_eventhub_data_connection` with the real Terraform against the
//! emulator: a create that outlives its limit after Azure accepted it stays in state, tainted,
//! and one that runs out of time before anything was created leaves nothing behind; a change
//! of the block alone is an in-place update that sends nothing to Azure.

mod terraform;

use serde_json::json;
use terraform::emulator::Emulator;
use terraform::scenario::{Scenario, address, connection, connection_id};

/// `resource` (a block from [`connection`]) with `block` added inside it.
fn with_block(resource: &str, block: &str) -> String {
    let body = resource.trim_end().trim_end_matches('}');
    format!("{body}  {block}\n}}\n")
}

/// An emulator whose operations (and validations) run for two minutes.
fn slow_emulator() -> Emulator {
    Emulator::start(&["--lro-seconds", "120", "--retry-after", "1"])
}

#[test]
fn a_create_outliving_its_timeout_after_acceptance_is_kept_tainted() {
    let scenario = Scenario::on(slow_emulator());
    let hcl = with_block(
        &connection(
            "test",
            "slow",
            &[("skip_preflight_validation", json!(true))],
        ),
        "timeouts {\n    create = \"3s\"\n  }",
    );
    let run = scenario.apply_failing(&hcl);
    assert!(
        run.stderr.contains("Timed out after 3s"),
        "{}",
        run.output()
    );

    let state = scenario.state();
    let entry = state.entry(&address("test"));
    assert_eq!(entry["tainted"], json!(true), "{entry:#}");
    assert_eq!(entry["values"]["id"], json!(connection_id("slow")));
    assert!(
        scenario
            .emulator
            .data_connection(&connection_id("slow"))
            .is_some(),
        "Azure accepted the create, so the connection exists"
    );
}

#[test]
fn a_create_running_out_of_time_in_preflight_leaves_nothing() {
    let scenario = Scenario::on(slow_emulator());
    let hcl = with_block(
        &connection("test", "never", &[]),
        "timeouts {\n    create = \"3s\"\n  }",
    );
    let run = scenario.apply_failing(&hcl);
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
    let plain = connection("test", "patient", &[]);
    scenario.apply(&plain);
    scenario.emulator.clear_requests();

    let state = scenario.apply(&with_block(
        &plain,
        "timeouts {\n    update = \"90m\"\n    delete = \"2h\"\n  }",
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
