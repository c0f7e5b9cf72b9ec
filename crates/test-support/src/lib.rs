//! Helpers shared by the integration tests of every crate in the workspace.
//!
//! Tests of one package cannot name another package's binaries (`CARGO_BIN_EXE_*` covers
//! only their own), yet the provider's end-to-end tests and the ARM client's tests both need
//! a running `kusto-emulator`. [`binary`] builds such a binary with the same cargo, profile
//! and target directory as the test itself, and [`emulator`] runs one emulator per test.
//! [`terraform`] is the provider package's end-to-end harness (the real `terraform` against
//! the provider and an emulator): a library, so each test binary uses only its part of it.
//!
//! A dev-dependency only: nothing here ships.

pub mod emulator;
pub mod terraform;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};

/// The workspace root: every package of the workspace sits at most two levels below it.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .expect("test-support lives inside the workspace")
        .to_path_buf()
}

/// The path of binary `name` of workspace package `package`, built first if needed, in the
/// profile and target directory of the running test (a no-op when it is up to date, as
/// after `cargo test --workspace`).
pub fn binary(package: &str, name: &str) -> PathBuf {
    // One build at a time: parallel tests asking for the same binary would only queue on
    // cargo's own lock, printing "Blocking waiting for file lock" each time.
    static BUILD: Mutex<()> = Mutex::new(());
    let _guard = BUILD.lock().unwrap_or_else(PoisonError::into_inner);

    let profile_dir = profile_dir();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--quiet", "--package", package, "--bin", name])
        .current_dir(workspace_root());
    if profile_dir.file_name().is_some_and(|dir| dir == "release") {
        command.arg("--release");
    }
    if let Some(target_dir) = profile_dir.parent() {
        command.arg("--target-dir").arg(target_dir);
    }
    let status = command.status().expect("run cargo build");
    assert!(
        status.success(),
        "cargo build --package {package} --bin {name} failed"
    );
    profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// `target/<profile>`: the directory of the running test executable is `<profile>/deps`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test executable");
    exe.parent()
        .and_then(Path::parent)
        .expect("test executables live in <target>/<profile>/deps")
        .to_path_buf()
}
