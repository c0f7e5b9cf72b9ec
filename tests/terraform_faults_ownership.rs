//! The fault matrix, who owns an Azure object: the same `name` in two resource blocks of one
//! configuration, two workspaces creating the same name at once, two workspaces writing to one
//! cluster at once, and a connection whose kind was changed outside Terraform.
//!
//! Each case asserts the exit code, that the error names the cause, that every connection in
//! Azure has exactly one owner (or is known to be foreign), and that the next apply converges
//! with an empty plan.

use serde_json::json;
use test_support::terraform::faults::*;
use test_support::terraform::scenario::*;

/// Two blocks, one name: one is created, the other fails naming the clash; Azure holds one
/// connection and the state one owner of it. Keeping one block converges.
#[test]
fn the_same_name_in_two_blocks_is_created_once() {
    let scenario = Scenario::new();
    let block = |label| connection(label, "twin", &[]);
    let run = scenario.apply_failing(&format!("{}{}", block("first"), block("second")));
    assert_exit(&run, 1);
    assert_names_cause(&run, &["already", "same name", &connection_id("twin")]);
    let state = scenario.state();
    let owners = managed_connections(&state);
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert_eq!(scenario.emulator.data_connections().len(), 1);
    assert_state_matches_azure(&scenario.emulator, &[&state]);
    assert_eq!(
        scenario
            .emulator
            .operations()
            .iter()
            .filter(|o| o.kind == "Create")
            .count(),
        1
    );

    let kept = owners[0]
        .0
        .trim_start_matches(&format!("{RESOURCE_TYPE}."))
        .to_owned();
    scenario.assert_converges(&block(&kept));
    scenario.destroy();
}

/// Two workspaces create the same name at the same moment: one owns it, the other is refused
/// (it may not adopt an object another state holds), and destroying the refused workspace
/// leaves the owner's connection alone.
#[test]
fn two_workspaces_creating_one_name_at_once_give_one_owner() {
    let scenario = Scenario::with_operations(1, 0);
    let other = scenario.other_workspace();
    let hcl = config(&connection("test", "contested", &[]));
    scenario.workspace.config(&hcl);
    other.config(&hcl);
    let runs = run_together(&[&scenario.workspace, &other], &APPLY);
    let codes: Vec<Option<i32>> = runs.iter().map(|r| r.code()).collect();
    let Some(winner) = codes.iter().position(|c| *c == Some(0)) else {
        panic!(
            "neither apply succeeded:\n{}\n{}",
            runs[0].output(),
            runs[1].output()
        );
    };
    let loser = 1 - winner;
    assert_exit(&runs[loser], 1);
    // Refused at the existence check ("already exists") or after its create was answered as
    // an update ("created by another client"): either way the error says to import it.
    assert_names_cause(&runs[loser], &["import", &connection_id("contested")]);

    let workspaces = [&scenario.workspace, &other];
    let states = [state_of(workspaces[0]), state_of(workspaces[1])];
    assert_eq!(
        managed_connections(&states[loser]),
        [],
        "the refused workspace owns it too"
    );
    assert_state_matches_azure(&scenario.emulator, &[&states[0], &states[1]]);

    let destroyed = workspaces[loser].terraform(&DESTROY);
    assert_exit(&destroyed, 0);
    let id = connection_id("contested");
    assert!(
        scenario.emulator.data_connection(&id).is_some(),
        "destroy deleted the other's"
    );
    assert_no_changes_in(workspaces[winner]);
    assert_exit(&workspaces[winner].terraform(&DESTROY), 0);
    assert!(scenario.emulator.data_connections().is_empty());
}

/// Two workspaces write to one cluster at once: the cluster refuses writes while it runs
/// another operation, each provider waits its turn, and both converge.
#[test]
fn two_concurrent_applies_on_one_cluster_both_converge() {
    let scenario = Scenario::with_operations(1, 0);
    let other = scenario.other_workspace();
    let mine = connection("many", "mine-${count.index}", &[("count", json!(2))]);
    let theirs = connection("many", "theirs-${count.index}", &[("count", json!(2))]);
    scenario.write(&mine);
    other.config(&config(&theirs));
    for run in run_together(&[&scenario.workspace, &other], &APPLY) {
        assert_exit(&run, 0);
    }
    let states = [scenario.state(), state_of(&other)];
    assert_eq!(managed_connections(&states[0]).len(), 2);
    assert_eq!(managed_connections(&states[1]).len(), 2);
    assert_state_matches_azure(&scenario.emulator, &[&states[0], &states[1]]);
    assert_no_changes_in(&other);
    scenario.assert_no_changes();
    for run in run_together(&[&scenario.workspace, &other], &DESTROY) {
        assert_exit(&run, 0);
    }
    assert!(scenario.emulator.data_connections().is_empty());
}

/// A connection turned into another kind outside Terraform is no longer this resource's: destroy
/// is not blocked and does not delete the foreign object; creating the name again is refused
/// as for any connection that exists.
#[test]
fn a_connection_of_another_kind_is_neither_blocking_nor_deleted() {
    let scenario = Scenario::new();
    let (hcl, id) = scenario.apply_then_change_kind("rekinded", "EventGrid");
    scenario.emulator.clear_requests();

    let run = scenario.destroy_run(&[]);
    assert_exit(&run, 0);
    let requests = scenario.emulator.requests();
    assert!(
        !requests.iter().any(|r| r.is_on("DELETE", &id)),
        "{requests:#?}"
    );
    let foreign = scenario.assert_kept_outside_state(&id, "EventGrid");
    let state = scenario.state();
    assert_state_matches_azure_except(&scenario.emulator, &[&state], &[&id]);

    let run = scenario.apply_failing(&hcl);
    assert_exit(&run, 1);
    assert_names_cause(&run, &["already exists", &id]);
    assert_eq!(scenario.emulator.data_connection(&id), Some(foreign));
    assert_eq!(scenario.emulator.data_connections().len(), 1);

    scenario.assert_converges_except(&connection("test", "rekinded-2", &[]), &[&id]);
}
