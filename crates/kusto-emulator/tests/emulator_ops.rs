//! Long-running operations over time, concurrency, the fault plan, the request log and the
//! admin API; against the real binary over HTTPS. Time moves through the admin clock, never
//! by sleeping.

mod emulator;

use emulator::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn operations_run_then_finish_and_block_concurrent_writes() {
    let emu = Emulator::start(&["--lro-seconds", "60", "--retry-after", "7"]).await;
    let put = emu
        .put_dc("slow", &body("Events", "events_json", "JSON"))
        .await;
    assert_eq!(put.status(), 201);
    assert_eq!(header(&put, "retry-after"), "7");
    let aao = header(&put, "azure-asyncoperation");
    let (status, running) = emu.get_json(&aao).await;
    assert_eq!(status, 200);
    assert_eq!(running["status"], "Running");
    assert_eq!(running["percentComplete"], 0.5);
    let poll = emu.arm(Method::GET, &aao, None).await;
    assert_eq!(
        header(&poll, "retry-after"),
        "7",
        "a running status asks the client to come back"
    );
    assert_eq!(
        emu.get_json(&dc("slow")).await.1["properties"]["provisioningState"],
        "Creating"
    );

    let second = emu
        .put_dc("other", &body("Events", "events_json", "JSON"))
        .await;
    assert_eq!(second.status(), 409);
    let conflict: Value = second.json().await.unwrap();
    assert_eq!(conflict["error"]["code"], "ServiceIsInMaintenance");
    assert_error_mentions(&conflict, "democluster");
    assert_eq!(
        emu.arm(Method::DELETE, &dc("slow"), None).await.status(),
        409
    );

    emu.advance(60).await;
    let (_, done) = emu.get_json(&aao).await;
    assert_eq!(done["status"], "Succeeded");
    assert_eq!(done["percentComplete"], 1.0);
    assert!(
        emu.arm(Method::GET, &aao, None)
            .await
            .headers()
            .get("retry-after")
            .is_none()
    );
    assert!(done["endTime"].is_string());
    assert_eq!(
        emu.get_json(&dc("slow")).await.1["properties"]["provisioningState"],
        "Succeeded"
    );

    // Location style: 202 while running, then the final result.
    let delete = emu.arm(Method::DELETE, &dc("slow"), None).await;
    let location = header(&delete, "location");
    let pending = emu.arm(Method::GET, &location, None).await;
    assert_eq!(pending.status(), 202);
    assert_eq!(header(&pending, "location"), location);
    assert_eq!(header(&pending, "retry-after"), "7");
    assert_eq!(
        emu.get_json(&dc("slow")).await.1["properties"]["provisioningState"],
        "Deleting"
    );
    emu.advance(60).await;
    let finished = emu.arm(Method::GET, &location, None).await;
    assert_eq!(finished.status(), 200);
    assert_eq!(emu.get_json(&dc("slow")).await.0, 404);
    assert_eq!(emu.operations().await.len(), 2);
}

#[tokio::test]
async fn status_faults_answer_with_arm_errors_then_let_requests_through() {
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
    emu.set_faults(json!({"rules": [
        {"method": "PUT", "path": "*/dataConnections/*", "times": 1,
         "action": {"type": "status", "status": 429, "retry_after": 3}},
        {"method": "GET", "path": "*/dataConnections/*", "skip": 1, "times": 1,
         "action": {"type": "status", "status": 503, "code": "ServiceUnavailable", "message": "try later"}}
    ]}))
    .await;
    let throttled = emu
        .put_dc("f", &body("Events", "events_json", "JSON"))
        .await;
    assert_eq!(throttled.status(), 429);
    assert_eq!(header(&throttled, "retry-after"), "3");
    let error: Value = throttled.json().await.unwrap();
    assert_eq!(error["error"]["code"], "SubscriptionRequestsThrottled");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("subscription '{SUB}'")),
        "{message}"
    );
    assert!(message.contains("after '3' seconds"), "{message}");
    assert_eq!(
        emu.put_dc("f", &body("Events", "events_json", "JSON"))
            .await
            .status(),
        201
    );
    assert_eq!(emu.get_json(&dc("f")).await.0, 200);
    let (status, error) = emu.get_json(&dc("f")).await;
    assert_eq!(
        (status, &error["error"]["message"]),
        (503, &json!("try later"))
    );
    assert_eq!(emu.get_json(&dc("f")).await.0, 200);
    let plan: Value = emu.admin_json("/faults").await;
    assert_eq!(plan["rules"][0]["hits"], 2);
    assert_eq!(plan["rules"][1]["hits"], 3);
}

#[tokio::test]
async fn token_endpoint_failures_use_the_entra_shape() {
    let emu = Emulator::start(&[]).await;
    emu.set_faults(json!({"rules": [{"path": "*/oauth2/v2.0/token", "times": 1,
        "action": {"type": "status", "status": 503}}]}))
        .await;
    let failed = emu.arm_token_request(SECRET).await;
    assert_eq!(failed.status(), 503);
    let body: Value = failed.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS")
    );
    assert_eq!(emu.arm_token_request(SECRET).await.status(), 200);
}

#[tokio::test]
async fn dropped_connections_delays_and_the_request_log() {
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
    emu.set_faults(json!({"rules": [
        {"method": "GET", "path": "*/dataConnections/dropme*", "times": 1, "action": {"type": "drop"}},
        {"method": "GET", "path": "*/dataConnections/slowme*", "times": 1, "action": {"type": "delay", "ms": 50}}
    ]}))
    .await;
    let dropped = emu
        .client()
        .get(emu.url(&dc("dropme")))
        .bearer_auth(&emu.token)
        .send()
        .await;
    assert!(dropped.is_err(), "the connection closes without a response");
    let fresh = support::client_trusting(emu.ca_pem());
    let again = fresh
        .get(emu.url(&dc("dropme")))
        .bearer_auth(&emu.token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let delayed = emu.get_json(&dc("slowme")).await;
    assert_eq!(delayed.0, 404);
    let op = emu
        .create("logged", &body("Events", "events_json", "JSON"))
        .await;
    assert_eq!(op["status"], "Succeeded");
    emu.token_for("https://management.azure.com/.default").await;

    let leaky = emu
        .client()
        .get(emu.url(&dc("leaky")))
        .bearer_auth(&emu.token)
        .header("x-debug", SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(leaky.status(), 404);

    let log = emu.requests().await;
    for entry in &log {
        let leaked =
            entry["kind"] == "token" || entry["path"].as_str().unwrap().ends_with("/leaky");
        assert_eq!(entry["client_secret_seen"], leaked, "{entry}");
    }
    let dropped_entry = log.iter().find(|e| e["fault"] == "drop").unwrap();
    assert_eq!(dropped_entry["status"], 0);
    assert_eq!(log.iter().filter(|e| e["fault"] == "delay").count(), 1);
    assert_eq!(log.iter().filter(|e| e["kind"] == "token").count(), 1);
    assert_eq!(log.iter().filter(|e| e["kind"] == "poll").count(), 1);
    let connections: std::collections::BTreeSet<u64> = log
        .iter()
        .map(|e| e["connection"].as_u64().unwrap())
        .collect();
    assert!(
        connections.len() >= 2,
        "the drop forced a new connection: {connections:?}"
    );
    let put = log.iter().find(|e| e["method"] == "PUT").unwrap();
    assert_eq!(put["status"], 201);
    assert!(
        put["path"]
            .as_str()
            .unwrap()
            .ends_with("/dataConnections/logged")
    );
    assert!(put["time"].is_string());
}

#[tokio::test]
async fn lro_faults_end_operations_failed_or_canceled() {
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
    emu.set_faults(json!({"rules": [
        {"method": "PUT", "path": "*/dataConnections/failme", "action": {"type": "lro", "outcome": "Failed",
         "code": "InternalServerError", "message": "boom"}},
        {"method": "DELETE", "path": "*", "action": {"type": "lro", "outcome": "Canceled"}}
    ]}))
    .await;
    let op = emu
        .create("failme", &body("Events", "events_json", "JSON"))
        .await;
    assert_eq!(op["status"], "Failed");
    assert_eq!(
        op["error"],
        json!({"code": "InternalServerError", "message": "boom"})
    );
    assert_eq!(
        emu.get_json(&dc("failme")).await.1["properties"]["provisioningState"],
        "Failed"
    );

    let delete = emu.arm(Method::DELETE, &dc("failme"), None).await;
    assert_eq!(delete.status(), 202);
    let op = emu.operation_of(&delete).await;
    assert_eq!(op["status"], "Canceled");
    assert!(op["error"]["code"].is_string());
    let located = emu
        .arm(Method::GET, &header(&delete, "location"), None)
        .await;
    assert_eq!(located.status(), 400);
    assert_eq!(
        emu.get_json(&dc("failme")).await.0,
        200,
        "a canceled delete leaves the connection"
    );
}

#[tokio::test]
async fn faults_load_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("faults.json");
    std::fs::write(&path, r#"{"rules":[{"path":"/metadata/endpoints","times":1,"action":{"type":"status","status":500}}]}"#).unwrap();
    let emu = Emulator::start(&["--faults", path.to_str().unwrap()]).await;
    let url = "/metadata/endpoints?api-version=2022-09-01";
    assert_eq!(emu.get_json(url).await.0, 500);
    assert_eq!(emu.get_json(url).await.0, 200);
}

#[tokio::test]
async fn admin_edits_resources_and_world_outside_terraform() {
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
    emu.create("drift", &body("Events", "events_json", "JSON"))
        .await;
    let (_, got) = emu.get_json(&dc("drift")).await;
    let admin_path = format!(
        "/data-connection?{}",
        form(&[("id", got["id"].as_str().unwrap())])
    );
    let edit = emu
        .admin(
            Method::PATCH,
            &admin_path,
            Some(&json!({"properties": {"tableName": "Other", "eventSystemProperties": ["x-opt-enqueued-time"]}})),
        )
        .await;
    assert_eq!(edit.status(), 200);
    let (_, got) = emu.get_json(&dc("drift")).await;
    assert_eq!(got["properties"]["tableName"], "Other");
    assert_eq!(
        got["properties"]["eventSystemProperties"],
        json!(["x-opt-enqueued-time"])
    );
    let removed = emu.admin(Method::DELETE, &admin_path, None).await;
    assert_eq!(removed.status(), 204);
    assert_eq!(emu.get_json(&dc("drift")).await.0, 404);

    // Dropping the table from the world makes the next create fail asynchronously.
    let mut world: Value = emu.admin_json("/world").await;
    world["clusters"][0]["databases"][0]["tables"] = json!([]);
    assert_eq!(
        emu.admin(Method::PUT, "/world", Some(&world))
            .await
            .status(),
        200
    );
    let op = emu.create("notable", &body("Events", "", "JSON")).await;
    assert_eq!(
        op["error"]["message"],
        "[BadRequest] Validation Errors found: table does not exist"
    );
    let bad_world = emu
        .admin(Method::PUT, "/world", Some(&json!({"tenant_id": 1})))
        .await;
    assert_eq!(bad_world.status(), 400);

    assert_eq!(emu.admin(Method::POST, "/reset", None).await.status(), 204);
    assert_eq!(emu.get_json(&dc("notable")).await.0, 404);
    assert_eq!(
        emu.create("after-reset", &body("Events", "events_json", "JSON"))
            .await["status"],
        "Succeeded"
    );
    let listed: Value = emu.admin_json("/data-connections").await;
    assert_eq!(listed.as_object().unwrap().len(), 1);
}
