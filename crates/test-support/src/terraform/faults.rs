//! The fault matrix's steps (tests/terraform_faults*.rs): fault-plan rules, the checks each
//! fault case ends with (exit code, cause, Azure against state, convergence), and Terraform
//! runs side by side or interrupted.

use serde_json::{Value, json};

use super::Run;
use super::Workspace;
use super::emulator::Emulator;
use super::scenario::{
    APPLY, RESOURCE_TYPE, Scenario, Shown, address, assert_attributes, workspace_for,
};

/// Fault-plan path globs for the requests the resource sends.
pub const CONNECTION_PATH: &str = "*/dataConnections/*";
pub const VALIDATION_PATH: &str = "*/dataConnectionValidation";
pub const POLL_PATH: &str = "*/operationResults/*";
pub const TOKEN_PATH: &str = "*/oauth2/v2.0/token";
/// Every ARM request (reads, writes, validations, polls), not the token endpoint.
pub const ARM_PATH: &str = "/subscriptions/*";

/// An `lro` action: the operation ends `outcome` (`Failed`, `Canceled`) with `message`.
pub fn operation_ending(outcome: &str, message: &str) -> Value {
    json!({"type": "lro", "outcome": outcome, "code": "InternalServerError", "message": message})
}

/// A fault-plan rule firing on the first `times` requests of `method` (`*` = any) on `path`.
pub fn rule(method: &str, path: &str, times: u32, action: Value) -> Value {
    json!({"method": method, "path": path, "times": times, "action": action})
}

/// A rule firing on the `times` matching requests after the first `skip` of them.
pub fn rule_after(method: &str, path: &str, skip: u32, times: u32, action: Value) -> Value {
    json!({"method": method, "path": path, "skip": skip, "times": times, "action": action})
}

/// The data connections of a state (managed resources of this provider's type only), as
/// `(address, lower-cased id)`.
pub fn managed_connections(state: &Shown) -> Vec<(String, String)> {
    state
        .resources()
        .filter(|r| r["mode"] == "managed" && r["type"] == RESOURCE_TYPE)
        .map(|r| {
            let address = r["address"].as_str().unwrap_or_default().to_owned();
            let id = r["values"]["id"].as_str().unwrap_or_default();
            (address, id.to_ascii_lowercase())
        })
        .collect()
}

/// No orphan, no double owner, nothing lost: every connection the emulator holds is in exactly
/// one of `states`, at one address, and every connection in a state exists in the emulator.
#[track_caller]
pub fn assert_state_matches_azure(emulator: &Emulator, states: &[&Shown]) {
    assert_state_matches_azure_except(emulator, states, &[]);
}

/// [`assert_state_matches_azure`], but the connections `foreign` (ids) are known to belong to
/// no state (made or changed outside Terraform).
#[track_caller]
pub fn assert_state_matches_azure_except(emulator: &Emulator, states: &[&Shown], foreign: &[&str]) {
    let in_azure = emulator.data_connections();
    let owners: Vec<(String, String)> =
        states.iter().flat_map(|s| managed_connections(s)).collect();
    for id in in_azure.keys() {
        let owning: Vec<&String> = owners
            .iter()
            .filter(|(_, i)| i == id)
            .map(|(a, _)| a)
            .collect();
        let foreign = foreign.iter().any(|f| f.eq_ignore_ascii_case(id));
        match (owning.len(), foreign) {
            (1, false) | (0, true) => {}
            (0, false) => {
                panic!("orphan: {id} is in Azure and in no state; Azure holds {in_azure:#?}")
            }
            (_, false) => panic!("{id} is owned {} times: by {owning:?}", owning.len()),
            (_, true) => panic!("{id} belongs outside Terraform but {owning:?} hold it"),
        }
    }
    for (address, id) in &owners {
        assert!(
            in_azure.contains_key(id),
            "{address} holds {id}, which is not in Azure; Azure holds {:?}",
            in_azure.keys().collect::<Vec<_>>()
        );
    }
}

/// The run ended with exit code `code` (1 = error).
#[track_caller]
pub fn assert_exit(run: &Run, code: i32) {
    assert_eq!(
        run.code(),
        Some(code),
        "terraform {}:\n{}",
        run.args,
        run.output()
    );
}

/// The run's diagnostics name the cause: each of `words` (case-insensitive) is in its stderr
/// (whitespace-normalised, so words may span Terraform's line wraps).
#[track_caller]
pub fn assert_names_cause(run: &Run, words: &[&str]) {
    let text = run.stderr_text().to_ascii_lowercase();
    for word in words {
        assert!(
            text.contains(&word.to_ascii_lowercase()),
            "the error does not say {word:?}:\n{}",
            run.output()
        );
    }
}

/// The state of `workspace` (`terraform show -json`).
pub fn state_of(workspace: &Workspace) -> Shown {
    let run = workspace
        .terraform(&["show", "-json", "-no-color"])
        .success();
    Shown(serde_json::from_str(&run.stdout).expect("terraform show -json output"))
}

/// Runs `terraform <args>` in every workspace at once and waits for all of them.
pub fn run_together(workspaces: &[&Workspace], args: &[&str]) -> Vec<Run> {
    std::thread::scope(|scope| {
        let running: Vec<_> = workspaces
            .iter()
            .map(|w| scope.spawn(move || w.terraform(args)))
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("terraform thread"))
            .collect()
    })
}

/// What to do to a running `terraform apply` when its log shows the cue.
#[derive(Debug, Clone, Copy)]
pub enum Interruption {
    /// SIGINT to Terraform, as Ctrl-C: Terraform sends StopProvider and waits.
    Interrupt,
    /// SIGKILL to the provider process that is applying: no provider can answer after that.
    KillProvider,
}

/// Terraform's line prefix for the provider's own log lines (`TF_LOG`).
const PROVIDER_LOG: &str = "terraform-provider-kusto";

impl Scenario {
    /// Another initialised working directory on this scenario's emulator (a second team).
    pub fn other_workspace(&self) -> Workspace {
        workspace_for(&self.emulator)
    }

    /// Replaces the fault plan with `rules`.
    pub fn faults(&self, rules: &[Value]) {
        self.emulator.set_faults(&json!({ "rules": rules }));
    }

    /// Injects `rules`, then applies `hcl` expecting it to fail; returns the run.
    pub fn apply_failing_under(&self, rules: &[Value], hcl: &str) -> Run {
        self.faults(rules);
        self.apply_failing(hcl)
    }

    /// Injects `rules`, then applies `hcl` expecting it to succeed as if nothing happened:
    /// exit code 0, the connection `label` in state untainted, and Azure holding exactly what
    /// the state holds. Returns the run and the state.
    #[track_caller]
    pub fn apply_despite(&self, rules: &[Value], hcl: &str, label: &str) -> (Run, Shown) {
        self.faults(rules);
        let run = self.apply_run(hcl);
        assert_exit(&run, 0);
        let state = self.state();
        let entry = state.entry(&address(label));
        assert_ne!(entry["tainted"], json!(true), "{entry:#}");
        assert_state_matches_azure(&self.emulator, &[&state]);
        (run, state)
    }

    /// `run` failed (exit code 1) naming each of `cause`, and Azure still holds exactly what
    /// the state holds. Returns the state.
    #[track_caller]
    pub fn assert_failed_consistently(&self, run: &Run, cause: &[&str]) -> Shown {
        assert_exit(run, 1);
        assert_names_cause(run, cause);
        let state = self.state();
        assert_state_matches_azure(&self.emulator, &[&state]);
        state
    }

    /// The fault cleared, `hcl` applies, the plan after it is empty, nothing in state is
    /// tainted or unhealthy, and Azure holds exactly what the state holds. Returns the state.
    #[track_caller]
    pub fn assert_converges(&self, hcl: &str) -> Shown {
        self.assert_converges_except(hcl, &[])
    }

    /// [`Scenario::assert_converges`] beside the connections `foreign` (ids), which belong to
    /// no state.
    #[track_caller]
    pub fn assert_converges_except(&self, hcl: &str, foreign: &[&str]) -> Shown {
        self.emulator.clear_faults();
        let state = self.apply(hcl);
        for (address, _) in managed_connections(&state) {
            let entry = state.entry(&address);
            assert_ne!(
                entry["tainted"],
                json!(true),
                "{address} is still tainted: {entry:#}"
            );
            assert_attributes(
                &entry["values"],
                &[("provisioning_state", json!("Succeeded"))],
            );
        }
        self.assert_no_changes();
        assert_state_matches_azure_except(&self.emulator, &[&state], foreign);
        state
    }

    /// Writes `hcl`, starts `terraform apply` with `TF_LOG=DEBUG` and, at the first log line
    /// containing `cue`, does `interruption`; returns the run once Terraform has exited.
    pub fn apply_interrupted(&self, hcl: &str, cue: &str, interruption: Interruption) -> Run {
        use std::io::{BufRead, BufReader, Read};
        use std::process::Stdio;

        self.write(hcl);
        let mut child = self
            .workspace
            .command(&APPLY)
            .env("TF_LOG", "DEBUG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start terraform apply");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let drained = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let mut stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
        let (mut log, mut provider, mut done) = (String::new(), None, false);
        loop {
            let mut line = String::new();
            if !matches!(stderr.read_line(&mut line), Ok(n) if n > 0) {
                break;
            }
            if !done && line.contains("plugin started") && line.contains(PROVIDER_LOG) {
                provider = line
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("pid="))
                    .map(str::to_owned);
            }
            if !done && line.contains(cue) {
                let (signal, pid) = match interruption {
                    Interruption::Interrupt => ("-INT", child.id().to_string()),
                    Interruption::KillProvider => (
                        "-KILL",
                        provider.clone().expect("the provider's pid in the log"),
                    ),
                };
                let sent = std::process::Command::new("kill")
                    .args([signal, &pid])
                    .status()
                    .expect("run kill");
                assert!(sent.success(), "kill {signal} {pid} failed");
                done = true;
            }
            log.push_str(&line);
        }
        let status = child.wait().expect("wait for terraform");
        let stdout = drained.join().expect("stdout reader");
        assert!(done, "the log never showed {cue:?}:\n{stdout}\n{log}");
        Run {
            args: format!("{} ({interruption:?} at {cue:?})", APPLY.join(" ")),
            status,
            stdout,
            stderr: log,
        }
    }
}
