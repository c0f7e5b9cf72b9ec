//! The fault plan's actions as a client sees them: 504 after processing and the duplicate
//! refused as busy, every form of `Retry-After`, ARM's rejected-token 401, status faults,
//! the token endpoint's Entra-shaped failures, failed and canceled operations, the
//! cluster-busy refusal as an asynchronous failure with its rollback, and seeded random
//! faults. Faults that close the connection need one, so they stay in the black-box tier.

use axum::http::Method;
use kusto_emulator::Settings;
use serde_json::{Value, json};

use super::harness::*;

#[tokio::test]
async fn a_504_after_processing_then_a_duplicate_put_is_refused_as_busy() {
    let emu = Emulator::start(lro(30)).await;
    emu.set_faults(
        json!({"rules": [{"method": "PUT", "path": "*/dataConnections/*", "times": 1,
            "action": {"type": "status", "status": 504, "after_processing": true}}]}),
    )
    .await;
    let first = emu.put_dc("dup", &events()).await;
    assert_eq!(first.status(), 504);
    assert!(first.headers().get("azure-asyncoperation").is_none());
    let error: Value = first.json();
    assert_eq!(error["error"]["code"], "GatewayTimeout");
    assert_eq!(
        emu.get_json(&dc("dup")).await.1["properties"]["provisioningState"],
        "Creating",
        "the 504 came after the create was accepted"
    );

    let duplicate = emu.put_dc("dup", &events()).await;
    assert_eq!(duplicate.status(), 409);
    let refusal: Value = duplicate.json();
    assert_eq!(refusal["error"]["code"], "ServiceIsInMaintenance");
    let message = refusal["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'democluster'") && message.contains("Retry later"),
        "{message}"
    );

    emu.advance(30);
    assert_eq!(
        emu.get_json(&dc("dup")).await.1["properties"]["provisioningState"],
        "Succeeded"
    );
    assert_eq!(
        emu.put_dc("dup", &events()).await.status(),
        200,
        "once the first operation ended, the PUT is an update"
    );
}

#[tokio::test]
async fn retry_after_is_sent_as_seconds_verbatim_or_as_an_http_date() {
    let emu = Emulator::start(lro(0)).await;
    emu.set_faults(json!({"rules": [
        {"method": "GET", "path": "*/dataConnections/a", "action":
            {"type": "status", "status": 429, "retry_after": 3}},
        {"method": "GET", "path": "*/dataConnections/b", "action":
            {"type": "status", "status": 503, "retry_after": "18446744073709551615"}},
        {"method": "GET", "path": "*/dataConnections/c", "action":
            {"type": "status", "status": 429, "retry_after_http_date": 5}},
        {"method": "GET", "path": "*/dataConnections/d", "action":
            {"type": "status", "status": 429, "retry_after": "soon"}},
        {"method": "PUT", "path": "*/dataConnections/e", "action":
            {"type": "set_header", "name": "retry-after", "value": "18446744073709551615"}}
    ]}))
    .await;
    let retry_after = |response: &Answer| header(response, "retry-after");
    let a = emu.arm(Method::GET, &dc("a"), None).await;
    assert_eq!(
        (a.status().as_u16(), retry_after(&a)),
        (429, "3".to_owned())
    );
    let b = emu.arm(Method::GET, &dc("b"), None).await;
    assert_eq!(
        (b.status().as_u16(), retry_after(&b)),
        (503, "18446744073709551615".to_owned())
    );
    let d = emu.arm(Method::GET, &dc("d"), None).await;
    assert_eq!(retry_after(&d), "soon");

    let clock: Value = emu.admin_json("/clock").await;
    let now = time::OffsetDateTime::parse(
        clock["now"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let c = emu.arm(Method::GET, &dc("c"), None).await;
    let date = httpdate::parse_http_date(&retry_after(&c)).expect("an HTTP date");
    let date = time::OffsetDateTime::from(date);
    let ahead = date - now;
    assert!(
        ahead > time::Duration::seconds(3) && ahead <= time::Duration::seconds(6),
        "five seconds after the emulator's clock, got {ahead}"
    );

    let e = emu.put_dc("e", &events()).await;
    assert_eq!(e.status(), 201, "the PUT is handled normally");
    assert_eq!(retry_after(&e), "18446744073709551615");
    assert!(e.headers().get("azure-asyncoperation").is_some());
    assert_eq!(emu.get_json(&dc("e")).await.0, 200);
    let log = emu.requests().await;
    assert!(log.iter().any(|entry| entry["fault"] == "set_header"));
}

#[tokio::test]
async fn a_401_on_the_nth_arm_call_is_arms_rejected_token() {
    let emu = Emulator::start(lro(0)).await;
    emu.set_faults(json!({"rules": [
            {"path": "/subscriptions/*", "skip": 1, "times": 1, "action": {"type": "status", "status": 401}},
            {"path": "*/oauth2/v2.0/token", "times": 1, "action": {"type": "status", "status": 401}}
        ]}),
    )
    .await;
    assert_eq!(emu.get_json(&dc("x")).await.0, 404, "first call passes");
    let second = emu.arm(Method::GET, &dc("x"), None).await;
    assert_eq!(second.status(), 401);
    let challenge = header(&second, "www-authenticate");
    assert!(
        challenge.starts_with(&format!(
            "Bearer authorization_uri=\"{}/{TENANT}\"",
            ENDPOINT
        )) && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    let body: Value = second.json();
    assert_eq!(body["error"]["code"], "ExpiredAuthenticationToken");
    assert_eq!(emu.get_json(&dc("x")).await.0, 404, "third call passes");

    let token = emu.arm_token_request(SECRET).await;
    assert_eq!(token.status(), 401);
    let aad: Value = token.json();
    assert_eq!(
        aad["error"], "invalid_client",
        "the token endpoint keeps AADSTS"
    );
}

#[tokio::test]
async fn busy_as_an_asynchronous_failure_rolls_the_write_back() {
    let emu = Emulator::start(lro(0)).await;
    assert_eq!(emu.create("keep", &events()).await["status"], "Succeeded");
    emu.set_faults(
        json!({"rules": [{"method": "PUT", "path": "*/dataConnections/*", "times": 2,
            "action": {"type": "lro", "outcome": "Failed", "code": "ServiceIsInMaintenance"}}]}),
    )
    .await;

    let create = emu.put_dc("rolled", &events()).await;
    assert_eq!(create.status(), 201);
    let operation = emu.operation_of(&create).await;
    assert_eq!(operation["status"], "Failed");
    assert_eq!(operation["error"]["code"], "ServiceIsInMaintenance");
    assert_error_mentions(&operation, "democluster");
    assert_eq!(
        emu.get_json(&dc("rolled")).await.0,
        404,
        "the service rolled the create back"
    );

    let update = emu
        .put_dc("keep", &body("Events", "events_csv", "CSV"))
        .await;
    assert_eq!(update.status(), 200);
    let operation = emu.operation_of(&update).await;
    assert_eq!(operation["status"], "Failed");
    let (_, kept) = emu.get_json(&dc("keep")).await;
    assert_eq!(kept["properties"]["mappingRuleName"], "events_json");
    assert_eq!(kept["properties"]["dataFormat"], "JSON");
    assert_eq!(kept["properties"]["provisioningState"], "Succeeded");

    // Any other failure leaves the connection in place, Failed.
    emu.set_faults(json!({"rules": [{"method": "PUT", "path": "*", "times": 1,
            "action": {"type": "lro", "outcome": "Failed"}}]}))
        .await;
    let failed = emu.put_dc("broken", &events()).await;
    let operation = emu.operation_of(&failed).await;
    assert_eq!(operation["error"]["code"], "InternalServerError");
    assert_eq!(
        emu.get_json(&dc("broken")).await.1["properties"]["provisioningState"],
        "Failed"
    );
}

/// Which of `count` metadata requests the plan's random rule failed.
async fn random_failures(emu: &Emulator, seed: u64, count: usize) -> Vec<bool> {
    emu.set_faults(
        json!({"seed": seed, "rules": [{"path": "/metadata/endpoints", "probability": 0.3,
            "action": {"type": "status", "status": 503}}]}),
    )
    .await;
    let mut failed = Vec::with_capacity(count);
    for _ in 0..count {
        let response = emu
            .anonymous(Method::GET, "/metadata/endpoints?api-version=2022-09-01")
            .await;
        failed.push(response.status() == 503);
    }
    failed
}

#[tokio::test]
async fn random_faults_repeat_with_the_seed() {
    let emu = Emulator::start(Settings::default()).await;
    let first = random_failures(&emu, 42, 60).await;
    let fired = first.iter().filter(|f| **f).count();
    assert!((5..=35).contains(&fired), "about 30% of 60, got {fired}");
    assert_eq!(random_failures(&emu, 42, 60).await, first);
    assert_ne!(random_failures(&emu, 7, 60).await, first);
    let plan: Value = emu.admin_json("/faults").await;
    assert_eq!(plan["seed"], 7);
    assert_eq!(plan["rules"][0]["hits"], 60);
    let refused = emu
        .admin(
            Method::POST,
            "/faults",
            Some(&json!({"rules": [{"path": "*", "probability": 2, "action": {"type": "drop"}}]})),
        )
        .await;
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn status_faults_answer_with_arm_errors_then_let_requests_through() {
    let emu = Emulator::start(lro(0)).await;
    emu.set_faults(json!({"rules": [
        {"method": "PUT", "path": "*/dataConnections/*", "times": 1,
         "action": {"type": "status", "status": 429, "retry_after": 3}},
        {"method": "GET", "path": "*/dataConnections/*", "skip": 1, "times": 1,
         "action": {"type": "status", "status": 503, "code": "ServiceUnavailable", "message": "try later"}}
    ]}))
    .await;
    let throttled = emu.put_dc("f", &events()).await;
    assert_eq!(throttled.status(), 429);
    assert_eq!(header(&throttled, "retry-after"), "3");
    let error: Value = throttled.json();
    assert_eq!(error["error"]["code"], "SubscriptionRequestsThrottled");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("subscription '{SUB}'")),
        "{message}"
    );
    assert!(message.contains("after '3' seconds"), "{message}");
    assert_eq!(emu.put_dc("f", &events()).await.status(), 201);
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
    let emu = Emulator::start(Settings::default()).await;
    emu.set_faults(json!({"rules": [{"path": "*/oauth2/v2.0/token", "times": 1,
        "action": {"type": "status", "status": 503}}]}))
        .await;
    let failed = emu.arm_token_request(SECRET).await;
    assert_eq!(failed.status(), 503);
    let body: Value = failed.json();
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
async fn lro_faults_end_operations_failed_or_canceled() {
    let emu = Emulator::start(lro(0)).await;
    emu.set_faults(json!({"rules": [
        {"method": "PUT", "path": "*/dataConnections/failme", "action": {"type": "lro", "outcome": "Failed",
         "code": "InternalServerError", "message": "boom"}},
        {"method": "DELETE", "path": "*", "action": {"type": "lro", "outcome": "Canceled"}}
    ]}))
    .await;
    let op = emu.create("failme", &events()).await;
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
