//! Harness for the fidelity tests: a cached Python virtualenv with the pinned Azure clients, and
//! a running `kusto-emulator` whose start-up line the Python scripts receive.
//!
//! The virtualenv lives under the cargo target dir (`CARGO_TARGET_TMPDIR`) and is rebuilt only
//! when `tests/python/requirements.txt` changes, so reruns skip the install. It is built in a
//! private directory and renamed into place, so a concurrent test process never sees a
//! half-installed environment. Missing `python3` or a failing `pip install` fails the tests: the
//! Python clients are the point of these tests, so they are never skipped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use test_support::emulator as support;

/// The emulator the scripts talk to; they receive its ready line verbatim.
pub use support::EmulatorProcess as Emulator;

/// `tests/python` in this checkout.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("python")
}

/// The Kusto REST spec and recorded Azure traffic kept in the repository (`testdata/azure-spec`).
pub fn spec_dir() -> PathBuf {
    test_support::workspace_root()
        .join("testdata")
        .join("azure-spec")
}

/// The virtualenv's interpreter, created on first use by any test in this binary.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(prepare_venv)
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

fn prepare_venv() -> PathBuf {
    let requirements_path = scripts_dir().join("requirements.txt");
    let requirements = fs::read_to_string(&requirements_path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", requirements_path.display()));
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let venv = cache.join("fidelity-venv");
    let marker = |dir: &Path| dir.join("installed-requirements.txt");
    let is_current =
        |dir: &Path| fs::read_to_string(marker(dir)).ok().as_deref() == Some(requirements.as_str());
    if is_current(&venv) && venv_python(&venv).exists() {
        return venv_python(&venv);
    }

    let guard = Staging(cache.join(format!("fidelity-venv.staging-{}", std::process::id())));
    let staging = guard.0.as_path();
    let _ = fs::remove_dir_all(staging);
    run_checked(
        Command::new("python3").arg("-m").arg("venv").arg(staging),
        "python3 -m venv (python3 with the venv module is required for the fidelity tests)",
    );
    run_checked(
        Command::new(venv_python(staging))
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
            ])
            .arg(&requirements_path),
        "pip install of tests/python/requirements.txt (PyPI must be reachable)",
    );
    fs::write(marker(staging), &requirements).expect("write the requirements marker");

    let _ = fs::remove_dir_all(&venv);
    if fs::rename(staging, &venv).is_err() {
        // Another test process installed the same requirements first: use theirs (the guard
        // removes ours).
        assert!(
            is_current(&venv),
            "could not move the virtualenv into {}",
            venv.display()
        );
    }
    venv_python(&venv)
}

/// A half-built virtualenv, removed when dropped: after a failed install nothing is left
/// behind, and after the rename into place there is nothing left to remove.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run_checked(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("{what}: cannot start: {err}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `tests/python/<script>` in the virtualenv against `emulator` and fails the test, with
/// the script's and the emulator's output, unless it exits 0.
pub fn run_script(script: &str, emulator: &Emulator) {
    let output: Output = Command::new(python())
        .arg(scripts_dir().join(script))
        .current_dir(scripts_dir())
        .env("KUSTO_EMULATOR", emulator.ready_line())
        .env("AZURE_SPEC_DIR", spec_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .output()
        .unwrap_or_else(|err| panic!("cannot run {script}: {err}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}).\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- emulator stderr\n{}",
        output.status,
        emulator.stderr()
    );
    println!("{stdout}");
}
