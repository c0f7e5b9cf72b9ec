//! What the provider sends to Azure, counted from the emulator's request log: one token per
//! provider process that talks to ARM however many resources run in parallel, operation
//! polls no faster than `Retry-After`, and the client secret nowhere but the token endpoint.
//!
//! Attributing requests to provider processes: Terraform starts several provider processes
//! per command (one per graph walk: validate, plan, apply), one after another. With `TF_LOG` at
//! DEBUG, Terraform logs when each starts (`plugin started: ... pid=N`) and exits (`plugin
//! process exited: ... id=N`) with millisecond timestamps, on the same clock as the emulator's
//! log. A TCP connection belongs to one process, so each connection the emulator accepted is
//! given to the provider process alive when the connection's first request arrived; a
//! connection that would match no process or two fails the test rather than being guessed.

use std::collections::BTreeMap;

use serde_json::json;
use test_support::terraform::emulator::{Emulator, LoggedRequest};
use test_support::terraform::scenario::*;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// A provider process as Terraform's log shows it.
#[derive(Debug)]
struct ProviderProcess {
    pid: u32,
    started: OffsetDateTime,
    exited: OffsetDateTime,
}

/// The value of `key=` in a log line, up to the next space.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(key)? + key.len();
    line[start..].split_whitespace().next()
}

/// The kusto provider processes in a Terraform log (`TF_LOG=debug`, `TZ=UTC`). The exit line
/// names the process `pid=` (go-plugin in Terraform 1.0) or `id=` (Terraform 1.11).
fn provider_processes(log: &str) -> Vec<ProviderProcess> {
    let mut started = BTreeMap::new();
    let mut processes = Vec::new();
    for line in log
        .lines()
        .filter(|l| l.contains("terraform-provider-kusto"))
    {
        let Some(time) = line
            .split_whitespace()
            .next()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        else {
            continue;
        };
        if line.contains("plugin started:") {
            if let Some(pid) = field(line, " pid=").and_then(|p| p.parse::<u32>().ok()) {
                started.insert(pid, time);
            }
        } else if line.contains("plugin process exited:")
            && let Some(pid) = field(line, " pid=")
                .or_else(|| field(line, " id="))
                .and_then(|p| p.parse::<u32>().ok())
            && let Some(start) = started.remove(&pid)
        {
            processes.push(ProviderProcess {
                pid,
                started: start,
                exited: time,
            });
        }
    }
    assert!(
        started.is_empty(),
        "processes that never exited: {started:?}"
    );
    processes
}

/// Requests grouped by the provider process that sent them (see the module documentation).
fn requests_by_process(
    processes: &[ProviderProcess],
    requests: &[LoggedRequest],
) -> BTreeMap<u32, Vec<LoggedRequest>> {
    let mut first_seen: BTreeMap<u64, OffsetDateTime> = BTreeMap::new();
    for r in requests {
        let first = first_seen.entry(r.connection).or_insert(r.time);
        *first = (*first).min(r.time);
    }
    // Terraform's timestamps are truncated to the millisecond.
    let slack = Duration::milliseconds(1);
    let owner: BTreeMap<u64, u32> = first_seen
        .iter()
        .map(|(connection, time)| {
            let alive: Vec<u32> = processes
                .iter()
                .filter(|p| p.started <= *time && *time <= p.exited + slack)
                .map(|p| p.pid)
                .collect();
            match alive.as_slice() {
                [pid] => (*connection, *pid),
                _ => panic!(
                    "connection {connection} (first request at {time}) matches processes {alive:?} of {processes:#?}"
                ),
            }
        })
        .collect();
    let mut grouped: BTreeMap<u32, Vec<LoggedRequest>> = BTreeMap::new();
    for r in requests {
        grouped
            .entry(owner[&r.connection])
            .or_default()
            .push(r.clone());
    }
    grouped
}

/// Checks that each process that talked to ARM asked for exactly one token, and that no other
/// process asked for one. Returns (processes talking to ARM, token requests).
#[track_caller]
fn assert_one_token_per_arm_process(
    what: &str,
    log: &str,
    requests: &[LoggedRequest],
) -> (usize, usize) {
    let processes = provider_processes(log);
    let grouped = requests_by_process(&processes, requests);
    let mut talking = 0;
    let mut tokens = 0;
    for (pid, sent) in &grouped {
        let token_requests = sent.iter().filter(|r| r.kind == "token").count();
        let arm_requests = sent.iter().filter(|r| r.is_arm()).count();
        tokens += token_requests;
        if arm_requests > 0 {
            talking += 1;
        }
        let expected = usize::from(arm_requests > 0);
        assert_eq!(
            token_requests, expected,
            "{what}: process {pid} sent {arm_requests} ARM requests and {token_requests} token requests"
        );
    }
    assert!(talking > 0, "{what}: no process talked to ARM");
    (talking, tokens)
}

#[test]
fn one_token_per_provider_process_for_twenty_connections_in_parallel() {
    let scenario = Scenario::on_with_env(Emulator::fast(), &[("TF_LOG", "DEBUG"), ("TZ", "UTC")]);
    scenario.write(&connection(
        "many",
        "dc-${count.index}",
        &[("count", json!(20))],
    ));
    let apply = scenario.apply_with(&["-parallelism=10"]).success();
    assert_eq!(scenario.emulator.data_connections().len(), 20);
    let requests = scenario.emulator.requests();
    let (processes, tokens) = assert_one_token_per_arm_process("apply", &apply.stderr, &requests);
    println!(
        "apply of 20: {} requests, {processes} provider process(es) talking to ARM, {tokens} token request(s)",
        requests.len()
    );

    scenario.emulator.clear_requests();
    let destroy = scenario.destroy_run(&["-parallelism=10"]).success();
    assert!(scenario.emulator.data_connections().is_empty());
    let requests = scenario.emulator.requests();
    let (processes, tokens) =
        assert_one_token_per_arm_process("destroy", &destroy.stderr, &requests);
    println!(
        "destroy of 20: {} requests, {processes} provider process(es) talking to ARM, {tokens} token request(s)",
        requests.len()
    );
}

/// Every operation (validation, create, delete) is polled at most once per `Retry-After`
/// (1 s) of the time it was waited on, plus the first poll. The two connections share a
/// cluster, whose operations take 2 s: the provider runs their writes one after another, so
/// Azure never answers `409 Conflict`.
#[test]
fn operations_are_polled_no_faster_than_retry_after() {
    let retry_after = 1;
    let scenario = Scenario::on(Emulator::start(&[
        "--lro-seconds",
        "2",
        "--retry-after",
        &retry_after.to_string(),
    ]));
    scenario.apply(&connection(
        "slow",
        "slow-${count.index}",
        &[("count", json!(2)), ("table_name", json!("Events"))],
    ));
    scenario.destroy();

    let requests = scenario.emulator.requests();
    let conflicts: Vec<&LoggedRequest> = requests.iter().filter(|r| r.status == 409).collect();
    assert!(
        conflicts.is_empty(),
        "writes to one cluster are not serialised: {conflicts:#?}"
    );
    let operations = scenario.emulator.operations();
    assert!(
        operations.iter().any(|o| o.kind == "Create")
            && operations.iter().any(|o| o.kind == "Delete"),
        "{operations:#?}"
    );
    for operation in &operations {
        let suffix = format!("/operationresults/{}", operation.id.to_ascii_lowercase());
        let polls: Vec<&LoggedRequest> = requests
            .iter()
            .filter(|r| r.path.to_ascii_lowercase().ends_with(&suffix))
            .collect();
        let Some(last) = polls.last() else {
            panic!(
                "{} operation {} was never polled",
                operation.kind, operation.id
            );
        };
        let elapsed = last.time - operation.start_time;
        let allowed = elapsed.whole_seconds() / retry_after + 1;
        println!(
            "{} of {}: {} poll(s) over {elapsed} (at most {allowed})",
            operation.kind,
            operation.resource_id,
            polls.len()
        );
        assert!(
            i64::try_from(polls.len()).unwrap_or(i64::MAX) <= allowed,
            "{} operation {}: {} polls in {elapsed}, more than elapsed / Retry-After + 1 = {allowed}",
            operation.kind,
            operation.id,
            polls.len()
        );
        assert_eq!(operation.status, "Succeeded", "{operation:#?}");
    }
}

/// With full tracing on, neither Terraform's output nor the provider's log nor the state holds
/// the client secret or a bearer token, and the secret travels to the token endpoint only.
#[test]
fn the_client_secret_goes_to_the_token_endpoint_only_and_is_never_logged() {
    let scenario = Scenario::on_with_env(Emulator::fast(), &[("TF_LOG", "TRACE")]);
    let secret = scenario.emulator.ready().client_secret.clone();
    let hcl = connection("test", "secretive", &[]);
    scenario.write(&hcl);
    let mut runs = vec![scenario.apply_with(&[]).success()];
    runs.push(scenario.workspace.plan().success());
    let state = std::fs::read_to_string(scenario.workspace.path().join("terraform.tfstate"))
        .expect("state file");
    runs.push(scenario.destroy_run(&[]).success());

    for run in &runs {
        let output = run.output();
        assert!(
            output.contains("provider.terraform-provider-kusto"),
            "terraform {}: the provider's log is not in the trace",
            run.args
        );
        assert!(
            !output.contains(&secret),
            "terraform {}: the client secret appears in the output",
            run.args
        );
        assert!(
            !output.contains("Bearer ey"),
            "terraform {}: a bearer token appears in the output",
            run.args
        );
    }
    assert!(
        !state.contains(&secret),
        "the client secret is in the state"
    );

    let requests = scenario.emulator.requests();
    assert!(requests.iter().any(|r| r.kind == "token"), "{requests:#?}");
    for r in requests.iter().filter(|r| r.kind != "token") {
        let line = format!("{}?{}", r.path, r.query.as_deref().unwrap_or_default());
        assert!(
            !line.contains(&secret) && !r.client_secret_seen,
            "the client secret was sent to {} {}",
            r.method,
            r.path
        );
    }
}

/// The attribution itself, on lines as Terraform 1.11 and 1.0 write them and a hand-made
/// request log.
#[test]
fn requests_are_attributed_to_the_process_alive_at_their_connection() {
    let path = ".terraform/providers/registry.terraform.io/kusto-tf/kusto/0.1.0/linux_amd64/terraform-provider-kusto_v0.1.0";
    let log = format!(
        "2026-11-25T03:56:06.044Z [DEBUG] provider: plugin started: path={path} pid=101\n\
         2026-11-25T03:56:06.050Z [DEBUG] provider.terraform-provider-kusto_v0.1.0: serving: network=unix\n\
         2026-11-25T03:56:06.500Z [INFO]  provider: plugin process exited: plugin={path} id=101\n\
         2026-11-25T03:56:07.000Z [DEBUG] provider: plugin started: path={path} pid=202\n\
         2026-11-25T03:56:09.000Z [INFO]  provider: plugin process exited: path={path} pid=202\n"
    );
    let processes = provider_processes(&log);
    assert_eq!(
        processes.iter().map(|p| p.pid).collect::<Vec<_>>(),
        [101, 202]
    );

    let request = |connection: u64, at: &str, kind: &str| LoggedRequest {
        seq: 0,
        time: OffsetDateTime::parse(at, &Rfc3339).expect("time"),
        method: "GET".to_owned(),
        path: "/x".to_owned(),
        query: None,
        status: 200,
        connection,
        kind: kind.to_owned(),
        fault: None,
        client_secret_seen: false,
        grant: None,
        tenant: None,
        auxiliary_tenants: Vec::new(),
    };
    let requests = [
        request(1, "2026-11-25T03:56:06.2000000Z", "metadata"),
        request(2, "2026-11-25T03:56:07.1000000Z", "token"),
        request(3, "2026-11-25T03:56:07.2000000Z", "arm"),
        // Still on connection 3, whose first request placed it in process 202.
        request(3, "2026-11-25T03:56:09.0004000Z", "poll"),
    ];
    let grouped = requests_by_process(&processes, &requests);
    assert_eq!(grouped[&101].len(), 1);
    assert_eq!(grouped[&202].len(), 3);
    assert_eq!(
        assert_one_token_per_arm_process("synthetic", &log, &requests),
        (1, 1)
    );
}
