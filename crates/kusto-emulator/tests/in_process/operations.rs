//! Long-running operations over the emulator's clock, concurrency on a cluster, the admin
//! API, and names with spaces. Time moves through the admin clock or the manual clock,
//! never by sleeping.

use axum::http::Method;
use kusto_emulator::Settings;
use serde_json::{Value, json};

use super::harness::*;

#[tokio::test]
async fn operations_run_then_finish_and_block_concurrent_writes() {
    let emu = Emulator::start(Settings {
        lro_seconds: 60,
        retry_after: 7,
        ..Settings::default()
    })
    .await;
    let put = emu.put_dc("slow", &events()).await;
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

    let second = emu.put_dc("other", &events()).await;
    assert_eq!(second.status(), 409);
    let conflict: Value = second.json();
    assert_eq!(conflict["error"]["code"], "ServiceIsInMaintenance");
    assert_error_mentions(&conflict, "democluster");
    assert_eq!(emu.dc_status(Method::DELETE, "slow").await, 409);

    emu.advance(60);
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
    emu.advance(60);
    let finished = emu.arm(Method::GET, &location, None).await;
    assert_eq!(finished.status(), 200);
    assert_eq!(emu.get_json(&dc("slow")).await.0, 404);
    assert_eq!(
        emu.admin_json("/operations").await["operations"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn admin_edits_resources_and_world_outside_terraform() {
    let emu = Emulator::start(lro(0)).await;
    emu.create("drift", &events()).await;
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
        emu.create("after-reset", &events()).await["status"],
        "Succeeded"
    );
    let listed: Value = emu.admin_json("/data-connections").await;
    assert_eq!(listed.as_object().unwrap().len(), 1);
}
#[tokio::test]
async fn the_admin_api_needs_the_admin_token_and_hides_client_secrets() {
    let emu = Emulator::start(lro(0)).await;
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
            Some(format!("Basic {}", emu.admin_token())),
        ),
    ] {
        for url in [world_url.clone(), emu.url("/_emulator/no-such-route")] {
            let response = emu.get_authorized(&url, authorization.as_deref()).await;
            assert_eq!(response.status(), 401, "{what} on {url}");
            assert!(response.headers().contains_key("www-authenticate"));
            let body: Value = response.json();
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
    let put: Value = put.json();
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
    let emu = Emulator::start(lro(0)).await;
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
        let error: Value = response.json();
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
    let available: Value = available.json();
    assert_eq!(available["nameAvailable"], true, "{available}");
}
