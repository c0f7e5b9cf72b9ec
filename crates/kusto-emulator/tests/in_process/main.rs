//! The in-process tier: the CRUD, long-running-operation, fault, admin, Entra and CI
//! sign-in logic,
//! driven through `kusto_emulator::app` as a tower service (see `harness`). One binary, no
//! process, no socket, no TLS: the whole tier runs in well under a second.
//!
//! What only a running binary can show stays in the black-box tier: the start-up contract,
//! persistence across restarts, the stderr log, TLS, faults that close a connection
//! (`emulator_contract.rs`), real clients (`emulator_clients.rs`) and the Python SDK
//! (`emulator_fidelity.rs`).

mod arm;
mod clock;
mod entra;
mod faults;
mod harness;
mod operations;
mod sign_in;
