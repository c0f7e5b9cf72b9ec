//! The fault matrix, writes whose outcome the provider cannot see at once: hostile and huge
//! `Retry-After` values, a create Azure processed whose answer was lost (connection closed,
//! 504), a busy cluster refusing a write synchronously or failing its operation, a create that
//! times out, Terraform interrupting a create, and the provider killed mid-create.
//!
//! Each case asserts the exit code, that the error names the cause, that Azure and the state
//! agree (no orphan, no double owner, nothing lost), that the next apply with the fault
//! cleared converges, and that the plan after it is empty.

use serde_json::{Value, json};
use test_support::terraform;
use test_support::terraform::emulator::{Emulator, statuses_on};
use test_support::terraform::faults::*;
use test_support::terraform::scenario::*;

/// The emulator's refusal of a write while the cluster runs another operation.
const BUSY: &str = "ServiceIsInMaintenance";

/// PUTs of data connection `name` in the request log, with their statuses.
fn puts_of(scenario: &Scenario, name: &str) -> Vec<u16> {
    statuses_on(&scenario.emulator.requests(), "PUT", &connection_id(name))
}

/// Applies `name` under `rules`; the apply must succeed with the connection in state, untainted
/// and Succeeded, created by one operation. Returns the run (for its log).
#[track_caller]
fn create_survives(scenario: &Scenario, name: &str, rules: &[Value]) -> terraform::Run {
    let hcl = connection("test", name, &[]);
    let (run, state) = scenario.apply_despite(rules, &hcl, "test");
    assert_attributes(
        state.values(&address("test")),
        &[
            ("id", json!(connection_id(name))),
            ("provisioning_state", json!("Succeeded")),
        ],
    );
    assert_eq!(
        scenario.emulator.operations_of("Create"),
        1,
        "{:#?}",
        scenario.emulator.operations()
    );
    scenario.assert_converges(&hcl);
    assert_eq!(
        scenario.emulator.operations_of("Delete"),
        0,
        "a healthy connection was replaced"
    );
    run
}

#[test]
fn a_hostile_retry_after_on_the_accepted_create_neither_crashes_nor_stalls() {
    let scenario = Scenario::on_with_env(Emulator::fast(), &[("TF_LOG", "WARN")]);
    let hostile = "18446744073709551615";
    let run = create_survives(
        &scenario,
        "hostile",
        &[rule(
            "PUT",
            CONNECTION_PATH,
            1,
            json!({"type": "set_header", "name": "retry-after", "value": hostile}),
        )],
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.output());
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("WARN") && l.contains(hostile)),
        "no WARN saying what Azure asked for:\n{}",
        run.output()
    );
}

#[test]
fn a_thirty_minute_retry_after_on_a_poll_is_capped_with_a_warning() {
    let scenario = Scenario::on_with_env(
        Emulator::start(&["--lro-seconds", "1", "--retry-after", "0"]),
        &[("TF_LOG", "WARN")],
    );
    let run = create_survives(
        &scenario,
        "impatient",
        &[rule(
            "GET",
            POLL_PATH,
            1,
            json!({"type": "set_header", "name": "retry-after", "value": "1800"}),
        )],
    );
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("WARN") && l.contains("1800")),
        "no WARN saying that the 1800 s Azure asked for were not waited:\n{}",
        run.output()
    );
}

/// Azure processed the create, then the connection closed before the answer: the provider
/// finds the connection rather than losing it, and never sends the create again.
#[test]
fn a_create_whose_answer_was_lost_is_kept_untainted() {
    let scenario = Scenario::new();
    create_survives(
        &scenario,
        "unanswered",
        &[rule(
            "PUT",
            CONNECTION_PATH,
            1,
            json!({"type": "drop", "after_processing": true}),
        )],
    );
    assert_eq!(
        puts_of(&scenario, "unanswered").len(),
        1,
        "the create was sent again"
    );
}

/// azurerm #32161: Kusto answers 504 to a create it is running; a duplicate would be refused
/// with `ServiceIsInMaintenance` while the first operation runs. The provider adopts the
/// running create once instead.
#[test]
fn a_create_answered_504_after_processing_is_adopted_once() {
    let scenario = Scenario::with_operations(1, 0);
    create_survives(
        &scenario,
        "gateway",
        &[
            rule(
                "PUT",
                CONNECTION_PATH,
                1,
                json!({"type": "status", "status": 504, "after_processing": true}),
            ),
            rule_after(
                "PUT",
                CONNECTION_PATH,
                1,
                1,
                json!({"type": "status", "status": 409, "code": BUSY,
                       "message": "Cluster 'democluster' is busy with a running operation. Retry later."}),
            ),
        ],
    );
    assert_eq!(
        puts_of(&scenario, "gateway"),
        [504],
        "the create was sent again"
    );
}

#[test]
fn a_busy_cluster_refusing_the_create_is_waited_out() {
    let scenario = Scenario::new();
    create_survives(
        &scenario,
        "refused",
        &[rule(
            "PUT",
            CONNECTION_PATH,
            1,
            json!({"type": "status", "status": 409, "code": BUSY, "retry_after": 1,
                   "message": "Cluster 'democluster' is in maintenance (another operation runs). Retry later."}),
        )],
    );
    assert_eq!(puts_of(&scenario, "refused"), [409, 201]);
}

/// The busy cluster as public reports show it: the create is accepted, then its operation
/// fails with `ServiceIsInMaintenance` and the service rolls it back. The provider creates again.
#[test]
fn a_create_failing_because_the_cluster_was_busy_is_retried() {
    let scenario = Scenario::new();
    let busy = rule(
        "PUT",
        CONNECTION_PATH,
        1,
        json!({"type": "lro", "outcome": "Failed", "code": BUSY,
               "message": "Cluster 'democluster' is busy with another operation. Retry later."}),
    );
    let hcl = connection("test", "rolled-back", &[]);
    scenario.apply_despite(&[busy], &hcl, "test");
    assert_eq!(puts_of(&scenario, "rolled-back"), [201, 201]);
    scenario.assert_converges(&hcl);
}

/// The create timeout ends the wait on an accepted create: the error says so, the connection
/// Azure holds is in state (tainted while it is not Succeeded), and the next apply converges.
#[test]
fn a_create_timing_out_keeps_what_azure_holds() {
    let scenario = Scenario::with_operations(3, 1);
    let args = [
        ("skip_preflight_validation", json!(true)),
        ("timeouts", json!({"create": "1s"})),
    ];
    let run = scenario.apply_failing(&connection("test", "late", &args));
    let state = scenario.assert_failed_consistently(&run, &["timed out"]);
    state.assert_holds("test", "late");
    scenario.assert_converges(&connection("test", "late", &args[..1]));
    scenario.destroy();
}

/// Ctrl-C while Azure runs the create: Terraform stops the provider, which returns what Azure
/// holds instead of forgetting it.
#[test]
fn an_interrupted_create_keeps_the_connection_in_state() {
    let scenario = Scenario::with_operations(3, 1);
    let hcl = connection(
        "test",
        "interrupted",
        &[("skip_preflight_validation", json!(true))],
    );
    let run =
        scenario.apply_interrupted(&hcl, "Azure accepted the request", Interruption::Interrupt);
    // Terraform 1.1 and later stop the provider (StopProvider), which returns what Azure
    // holds with the error; Terraform 1.0 lets the running create finish and then exits 0.
    if run.code() != Some(0) {
        assert_exit(&run, 1);
        assert_names_cause(&run, &["interrupt"]);
    }
    let state = scenario.state();
    state.assert_holds("test", "interrupted");
    assert_state_matches_azure(&scenario.emulator, &[&state]);
    scenario.assert_converges(&hcl);
    scenario.destroy();
}

/// `kill -9` of the provider while Azure runs the create: no provider can save state it never
/// returned. The next apply refuses to adopt the connection and says to import it; the
/// documented recovery (docs/index.md), importing it, converges.
#[test]
fn after_the_provider_was_killed_an_import_recovers_the_connection() {
    let scenario = Scenario::with_operations(1, 1);
    let hcl = connection("test", "killed", &[]);
    let run = scenario.apply_interrupted(
        &hcl,
        "Azure accepted the request",
        Interruption::KillProvider,
    );
    assert_exit(&run, 1);
    // Terraform words a killed plugin in one of two ways, depending on whether it notices the
    // exit or the broken call first.
    let said = run.stderr_text().to_ascii_lowercase();
    assert!(
        said.contains("plugin did not respond") || said.contains("error: request cancelled"),
        "the error does not say that the provider died:\n{}",
        run.output()
    );
    let id = connection_id("killed");
    assert!(
        scenario.state().addresses().is_empty(),
        "Terraform saved state it never got"
    );
    assert!(
        scenario.emulator.data_connection(&id).is_some(),
        "the accepted create is gone"
    );

    let run = scenario.apply_failing(&hcl);
    assert_exit(&run, 1);
    assert_names_cause(&run, &["already exists", "import", &id]);
    assert!(scenario.state().addresses().is_empty());

    // `terraform import` works in every Terraform release; an `import` block (1.5 and
    // later, also documented) does the same in a reviewed plan.
    scenario.workspace.import(&address("test"), &id).success();
    let state = scenario.assert_converges(&hcl);
    assert_eq!(
        managed_connections(&state),
        [(address("test"), id.to_ascii_lowercase())]
    );
    assert_eq!(
        scenario.emulator.operations_of("Create"),
        1,
        "the connection was replaced"
    );
    scenario.destroy();
}
