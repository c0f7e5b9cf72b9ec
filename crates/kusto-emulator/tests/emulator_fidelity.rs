//! The emulator behaves like Azure, as judged by clients and data we did not write.
//!
//! Each test starts its own `kusto-emulator` and runs one Python script from `tests/python/`
//! in a virtualenv holding the pinned Azure SDK (see `fidelity/mod.rs`):
//!
//! - `sdk_flow.py`: the MS Learn how-to with the unmodified `azure-mgmt-kusto` 4.0.0 and
//!   `azure-identity`, including the errors a user meets (wrong secret, missing table);
//! - `spec_conformance.py`: every data-connection, operation-result and database-list body
//!   validates against the Kusto 2025-02-14 spec in `testdata/azure-spec`;
//! - `recording_replay.py`: real Azure traffic replayed against the emulator, answers compared;
//! - `sdk_faults.py`: Azure-shaped throttling, outages and failed operations, as the SDK sees them;
//! - `sdk_identities.py`: azure-identity's workload-identity and managed-identity credentials;
//! - `azurerm_check.py`: the cloud metadata and tokens meet what azurerm requires.
//!
//! Operations last one second and clients are told to poll after one second, so a run takes
//! seconds, not the minutes real Azure needs.

mod fidelity;

use fidelity::{Emulator, python, run_script};

/// Operations take one second and responses ask clients to poll after one second.
const FAST_LRO: [&str; 4] = ["--lro-seconds", "1", "--retry-after", "1"];

/// Prepares the virtualenv first (so a missing Python fails even if the emulator does not
/// start), then runs `script` against a fresh emulator of its own.
fn check_with(script: &str) {
    python();
    let emulator = Emulator::start(&FAST_LRO);
    run_script(script, &emulator);
}

#[test]
fn python_sdk_runs_the_ms_learn_flow() {
    check_with("sdk_flow.py");
}

#[test]
fn python_sdk_retries_and_reports_azure_shaped_failures() {
    check_with("sdk_faults.py");
}

#[test]
fn azure_identity_workload_and_managed_identities_work() {
    check_with("sdk_identities.py");
}

#[test]
fn every_response_body_conforms_to_the_spec() {
    check_with("spec_conformance.py");
}

#[test]
fn recorded_azure_traffic_replays_alike() {
    check_with("recording_replay.py");
}

#[test]
fn metadata_and_tokens_satisfy_azurerm() {
    check_with("azurerm_check.py");
}
