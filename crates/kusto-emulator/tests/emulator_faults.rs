//! The fault plan's actions as a client sees them over HTTPS: responses lost after the write
//! took effect, 504 after processing and the duplicate refused as busy, every form of
//! `Retry-After`, ARM's rejected-token 401, the cluster-busy refusal as an asynchronous
//! failure with its rollback, and seeded random faults. Also the admin token and data
//! connection names with spaces.

mod emulator;

use emulator::*;
use reqwest::Method;
use serde_json::{Value, json};

fn events() -> Value {
    body("Events", "events_json", "JSON")
}

#[tokio::test]
async fn a_lost_response_leaves_the_write_done_and_its_operation_running() {
    let emu = Emulator::start(&["--lro-seconds", "30"]).await;
    emu.set_faults(
        json!({"rules": [{"method": "PUT", "path": "*/dataConnections/*", "times": 1,
            "action": {"type": "drop", "after_processing": true}}]}),
    )
    .await;
    let sent = emu.try_put_dc("lost", &events()).await;
    assert!(sent.is_err(), "the answer is lost: {sent:?}");

    let (status, got) = emu.get_json(&dc("lost")).await;
    assert_eq!(status, 200, "the PUT was processed: {got}");
    assert_eq!(got["properties"]["provisioningState"], "Creating");
    let ops = emu.operations().await;
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_eq!(ops[0]["kind"], "Create");
    assert_eq!(ops[0]["status"], "Running");
    assert_eq!(ops[0]["resourceId"], got["id"]);
    let log = emu.requests().await;
    let put = log.iter().find(|e| e["method"] == "PUT").unwrap();
    assert_eq!(put["fault"], "drop_after_processing");
    assert_eq!(put["status"], 0);

    // Without the flag the request is not processed at all.
    emu.set_faults(
        json!({"rules": [{"method": "PUT", "path": "*", "times": 1, "action": {"type": "drop"}}]}),
    )
    .await;
    emu.advance(60).await;
    assert!(emu.try_put_dc("never", &events()).await.is_err());
    assert_eq!(emu.get_json(&dc("never")).await.0, 404);
}

#[tokio::test]
async fn a_504_after_processing_then_a_duplicate_put_is_refused_as_busy() {
    let emu = Emulator::start(&["--lro-seconds", "30"]).await;
    emu.set_faults(
        json!({"rules": [{"method": "PUT", "path": "*/dataConnections/*", "times": 1,
            "action": {"type": "status", "status": 504, "after_processing": true}}]}),
    )
    .await;
    let first = emu.put_dc("dup", &events()).await;
    assert_eq!(first.status(), 504);
    assert!(first.headers().get("azure-asyncoperation").is_none());
    let error: Value = first.json().await.unwrap();
    assert_eq!(error["error"]["code"], "GatewayTimeout");
    assert_eq!(
        emu.get_json(&dc("dup")).await.1["properties"]["provisioningState"],
        "Creating",
        "the 504 came after the create was accepted"
    );

    let duplicate = emu.put_dc("dup", &events()).await;
    assert_eq!(duplicate.status(), 409);
    let refusal: Value = duplicate.json().await.unwrap();
    assert_eq!(refusal["error"]["code"], "ServiceIsInMaintenance");
    let message = refusal["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'democluster'") && message.contains("Retry later"),
        "{message}"
    );

    emu.advance(30).await;
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
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
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
    let retry_after = |response: &reqwest::Response| header(response, "retry-after");
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
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
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
            emu.endpoint()
        )) && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ExpiredAuthenticationToken");
    assert_eq!(emu.get_json(&dc("x")).await.0, 404, "third call passes");

    let token = emu.arm_token_request(SECRET).await;
    assert_eq!(token.status(), 401);
    let aad: Value = token.json().await.unwrap();
    assert_eq!(
        aad["error"], "invalid_client",
        "the token endpoint keeps AADSTS"
    );
}

#[tokio::test]
async fn busy_as_an_asynchronous_failure_rolls_the_write_back() {
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
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
    let emu = Emulator::start(&[]).await;
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
async fn the_admin_api_needs_the_admin_token_and_hides_client_secrets() {
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
    let world_url = emu.url("/_emulator/world");
    for (what, authorization) in [
        ("no credential", None),
        (
            "a wrong token",
            Some("Bearer not-the-admin-token".to_owned()),
        ),
        ("the ARM token", Some(format!("Bearer {}", emu.token))),
        (
            "the admin token in another scheme",
            Some(format!(
                "Basic {}",
                emu.ready["admin_token"].as_str().unwrap()
            )),
        ),
    ] {
        for url in [world_url.clone(), emu.url("/_emulator/no-such-route")] {
            let mut request = emu.client().get(&url);
            if let Some(value) = &authorization {
                request = request.header("authorization", value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{what} on {url}");
            assert!(response.headers().contains_key("www-authenticate"));
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "Unauthorized", "{what}");
        }
    }
    let clear = emu.anonymous(Method::DELETE, "/_emulator/faults").await;
    assert_eq!(clear.status(), 401, "writes too");

    let world: Value = emu.admin_json("/world").await;
    let text = world.to_string();
    assert!(!text.contains(SECRET), "no client secret in {text}");
    assert!(world["applications"][0].get("client_secret").is_none());
    assert_eq!(world["applications"][0]["client_id"], CLIENT_ID);
    // Written back without secrets, the world keeps them: tokens still work.
    let put = emu.admin(Method::PUT, "/world", Some(&world)).await;
    assert_eq!(put.status(), 200);
    let put: Value = put.json().await.unwrap();
    assert!(!put.to_string().contains(SECRET));
    assert!(
        !emu.token_for("https://management.azure.com/.default")
            .await
            .is_empty()
    );
    // And a secret can still be set.
    let mut changed = world.clone();
    changed["applications"][0]["client_secret"] = json!("rotated-secret");
    assert_eq!(
        emu.admin(Method::PUT, "/world", Some(&changed))
            .await
            .status(),
        200
    );
    let rotated = emu.arm_token_request("rotated-secret").await;
    assert_eq!(rotated.status(), 200);
}

#[tokio::test]
async fn names_with_spaces_are_served_and_bad_names_are_refused() {
    let emu = Emulator::start(&["--lro-seconds", "0"]).await;
    let done = emu.create("my%20connection", &events()).await;
    assert_eq!(done["status"], "Succeeded");
    let (status, got) = emu.get_json(&dc("my%20connection")).await;
    assert_eq!(status, 200, "{got}");
    assert!(
        got["id"]
            .as_str()
            .unwrap()
            .ends_with("/Databases/demodb/DataConnections/my connection"),
        "{got}"
    );
    assert_eq!(got["name"], "democluster/demodb/my connection");
    let listed = emu
        .get_json(&format!("{DB}/dataConnections?{V2024}"))
        .await
        .1;
    assert_eq!(
        listed["value"][0]["name"],
        "democluster/demodb/my connection"
    );
    let forty = "a".repeat(40);
    assert_eq!(emu.create(&forty, &events()).await["status"], "Succeeded");
    assert_eq!(
        emu.arm(Method::DELETE, &dc("my%20connection"), None)
            .await
            .status(),
        202
    );
    assert_eq!(emu.get_json(&dc("my%20connection")).await.0, 404);

    for (encoded, shown) in [
        ("under_score", "under_score"),
        ("%20leading", " leading"),
        ("trailing%20", "trailing "),
        ("tab%09in", "tab\\tin"),
        ("newline%0A", "newline\\n"),
        (&"b".repeat(41), &"b".repeat(41)),
    ] {
        let response = emu.put_dc(encoded, &events()).await;
        assert_eq!(response.status(), 400, "{encoded}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "BadRequest", "{encoded}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "[BadRequest] The data connection name '{shown}' is invalid"
            )) && message.contains("spaces"),
            "{message}"
        );
    }
    let available = emu
        .arm(
            Method::POST,
            &format!("{DB}/checkNameAvailability?{V2024}"),
            Some(&json!({"name": "with space", "type": "Microsoft.Kusto/clusters/databases/dataConnections"})),
        )
        .await;
    let available: Value = available.json().await.unwrap();
    assert_eq!(available["nameAvailable"], true, "{available}");
}
