//! The emulator's clock as a test drives it: operations follow an injected clock, and a
//! clock reading earlier than an earlier request's never makes a finished operation run
//! again; a `delay` fault holds the answer for that long on tokio's (paused) clock.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::json;

use kusto_emulator::Clock as _;

use super::harness::*;

/// PUT of a connection with only the required properties, on api-version 2025-02-14.
async fn put_plain(emu: &Emulator, name: &str) -> Answer {
    let request = json!({"kind": "EventHub", "location": "westeurope", "properties": {
        "eventHubResourceId": HUB, "consumerGroup": "$Default"}});
    emu.arm(
        Method::PUT,
        &format!("{DB}/dataConnections/{name}?{V2025}"),
        Some(&request),
    )
    .await
}

#[tokio::test]
async fn an_injected_clock_drives_operations_in_process() {
    let emu = Emulator::start(lro(30)).await;
    let put = put_plain(&emu, "dc").await;
    assert_eq!(put.status(), StatusCode::CREATED);
    let aao = header(&put, "azure-asyncoperation");
    assert_eq!(emu.get_json(&aao).await.1["status"], "Running");
    emu.clock.advance(time::Duration::seconds(29));
    assert_eq!(emu.get_json(&aao).await.1["status"], "Running");
    emu.clock.advance(time::Duration::seconds(1));
    assert_eq!(emu.get_json(&aao).await.1["status"], "Succeeded");
}

/// A request that read the clock and then waited for the store saw the operation of the
/// request it waited for as started in its future, still running: a 409 at
/// `--lro-seconds 0`. A clock reading earlier than the last one models that request.
#[tokio::test]
async fn a_stale_clock_reading_never_sees_a_finished_operation_running() {
    let emu = Emulator::start(lro(0)).await;
    assert_eq!(put_plain(&emu, "first").await.status(), StatusCode::CREATED);
    emu.clock.advance(time::Duration::milliseconds(-1));
    let second = put_plain(&emu, "second").await;
    assert_eq!(second.status(), StatusCode::CREATED, "{}", second.json());
}

#[tokio::test(start_paused = true)]
async fn a_delay_fault_holds_the_answer_for_its_time() {
    let emu = Emulator::start(lro(0)).await;
    emu.set_faults(
        json!({"rules": [{"method": "GET", "path": "*/dataConnections/slowme",
        "times": 1, "action": {"type": "delay", "ms": 1500}}]}),
    )
    .await;
    let started = tokio::time::Instant::now();
    assert_eq!(emu.get_json(&dc("slowme")).await.0, 404);
    assert_eq!(started.elapsed(), Duration::from_millis(1500));
    let started = tokio::time::Instant::now();
    assert_eq!(emu.dc_status(Method::GET, "slowme").await, 404);
    assert_eq!(started.elapsed(), Duration::ZERO, "the rule fired once");
}
