//! The data-connection API as the recorded Kusto traffic shows it: status codes, headers,
//! bodies, id casing, validation and error shapes.

use axum::body::Body;
use axum::http::Method;
use kusto_emulator::Settings;
use serde_json::{Value, json};

use super::harness::*;

#[tokio::test]
async fn create_get_list_delete_follow_the_recording() {
    let emu = Emulator::start(lro(0)).await;
    let request = json!({"kind": "EventHub", "location": "westeurope", "properties": {
        "eventHubResourceId": HUB, "consumerGroup": "$Default"}});
    let put = emu.put_dc("Conn1", &request).await;
    assert_eq!(put.status(), 201);
    assert!(
        put.headers().get("location").is_none(),
        "a create sends no Location header"
    );
    assert_eq!(header(&put, "retry-after"), "1");
    assert_eq!(
        header(&put, "content-type"),
        "application/json; charset=utf-8"
    );
    let aao = header(&put, "azure-asyncoperation");
    assert!(aao.starts_with(&format!(
        "{}/subscriptions/{SUB}/providers/Microsoft.Kusto/locations/westeurope/operationResults/",
        ENDPOINT
    )));
    assert!(aao.ends_with(&format!("?{V2024}")));
    let created: Value = put.json();
    assert_eq!(
        created["location"], "westeurope",
        "the create echoes the location as sent"
    );
    assert_eq!(created["properties"]["provisioningState"], "Creating");
    assert_eq!(created["properties"]["compression"], "None");
    assert!(created["properties"].get("tableName").is_none());

    let (status, op) = emu.get_json(&aao).await;
    assert_eq!(status, 200);
    assert_eq!(op["status"], "Succeeded");
    assert_eq!(op["percentComplete"], 1.0);
    assert!(op["id"].as_str().unwrap().contains("/operationresults/"));

    let (status, got) = emu.get_json(&dc("conn1")).await;
    assert_eq!(status, 200);
    assert_eq!(
        got["id"],
        format!(
            "/subscriptions/{SUB}/resourceGroups/rg-demo/providers/Microsoft.Kusto/Clusters/democluster/Databases/demodb/DataConnections/Conn1"
        )
    );
    assert_eq!(got["name"], "democluster/demodb/Conn1");
    assert_eq!(
        got["type"],
        "Microsoft.Kusto/Clusters/Databases/DataConnections"
    );
    assert_eq!(got["location"], "West Europe");
    let p = &got["properties"];
    assert_eq!(
        (&p["tableName"], &p["mappingRuleName"], &p["dataFormat"]),
        (&json!(""), &json!(""), &json!(""))
    );
    assert_eq!(p["eventSystemProperties"], json!([]));
    assert_eq!(p["managedIdentityResourceId"], Value::Null);
    assert_eq!(p["provisioningState"], "Succeeded");
    assert!(
        p.get("databaseRouting").is_none(),
        "shown only once a request set it"
    );

    let (status, list) = emu.get_json(&format!("{DB}/dataConnections?{V2025}")).await;
    assert_eq!(status, 200);
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    assert!(list.get("nextLink").is_none());

    let delete = emu.arm(Method::DELETE, &dc("conn1"), None).await;
    assert_eq!(delete.status(), 202);
    assert!(header(&delete, "azure-asyncoperation").contains("/locations/West Europe/"));
    assert!(header(&delete, "location").contains("/locations/West%20Europe/"));
    assert!(header(&delete, "location").ends_with("&operationResultResponseType=Location"));
    assert_eq!(header(&delete, "retry-after"), "1");
    assert_eq!(
        header(&delete, "x-ms-ratelimit-remaining-subscription-deletes"),
        "14999"
    );
    assert!(delete.bytes().is_empty());
    assert_eq!(emu.get_json(&dc("conn1")).await.0, 404);
    assert_eq!(emu.dc_status(Method::DELETE, "conn1").await, 204);
}

#[tokio::test]
async fn updates_by_put_and_patch() {
    let emu = Emulator::start(lro(0)).await;
    emu.create("dc", &events()).await;
    let put = emu.put_dc("dc", &body("Events", "events_csv", "CSV")).await;
    assert_eq!(
        put.status(),
        200,
        "a PUT on an existing connection is an update"
    );
    assert!(put.headers().get("azure-asyncoperation").is_some());
    let updated: Value = put.json();
    assert_eq!(updated["properties"]["mappingRuleName"], "events_csv");

    let patch_body = json!({"kind": "EventHub", "location": "West Europe", "properties": {
        "eventHubResourceId": HUB, "consumerGroup": "$Default"}});
    let patch = emu.arm(Method::PATCH, &dc("dc"), Some(&patch_body)).await;
    assert_eq!(patch.status(), 202);
    let aao = header(&patch, "azure-asyncoperation");
    assert!(
        aao.contains("/locations/West Europe/operationResults/"),
        "raw space: {aao}"
    );
    let location = header(&patch, "location");
    assert!(
        location.contains("/locations/West%20Europe/")
            && location.ends_with("&operationResultResponseType=Location")
    );
    assert_eq!(header(&patch, "retry-after"), "1");
    let accepted: Value = patch.json();
    assert_eq!(accepted["properties"]["provisioningState"], "Accepted");
    assert_eq!(
        accepted["properties"]["mappingRuleName"], "events_csv",
        "the 202 shows the resource as it was"
    );
    assert_eq!(emu.get_json(&aao).await.1["status"], "Succeeded");
    let (_, got) = emu.get_json(&dc("dc")).await;
    assert_eq!(
        got["properties"]["tableName"],
        Value::Null,
        "unset after an update reads null"
    );
    // The Location URL gives the final resource once done.
    let (status, final_body) = emu.get_json(&location).await;
    assert_eq!(status, 200);
    assert_eq!(final_body["name"], "democluster/demodb/dc");

    for (field, value) in [
        ("consumerGroup", json!("kusto")),
        ("compression", json!("GZip")),
        ("databaseRouting", json!("Multi")),
        ("eventHubResourceId", json!(HUB.replace("events", "other"))),
    ] {
        let mut changed = events();
        changed["properties"][field] = value;
        let response = emu.put_dc("dc", &changed).await;
        assert_eq!(response.status(), 400, "{field}");
        let error: Value = response.json();
        assert!(
            error["error"]["message"].as_str().unwrap().contains(field),
            "{error}"
        );
    }
    let mut moved = events();
    moved["location"] = json!("northeurope");
    assert_eq!(
        emu.arm(Method::PATCH, &dc("dc"), Some(&moved))
            .await
            .status(),
        400
    );
    assert_eq!(
        emu.arm(Method::PATCH, &dc("absent"), Some(&moved))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn bad_requests_get_arm_errors() {
    let emu = Emulator::start(Settings::default()).await;
    let bearer = format!("Bearer {}", emu.token);
    let raw = |path: String, body: &'static str| {
        let headers = [
            ("authorization", bearer.as_str()),
            ("content-type", "application/json"),
        ];
        let emu = &emu;
        async move {
            emu.send(Method::PUT, &path, &headers, Body::from(body))
                .await
        }
    };
    let cases = [
        (
            raw(dc("x"), "{not json").await,
            400,
            "InvalidRequestContent",
        ),
        (
            raw(dc("x"), r#"{"location":"westeurope","properties":{}}"#).await,
            400,
            "BadRequest",
        ),
        (
            raw(dc("x"), r#"{"kind":"EventGrid","properties":{}}"#).await,
            400,
            "BadRequest",
        ),
        (
            raw(
                dc("x"),
                r#"{"kind":"EventHub","properties":{"consumerGroup":"$Default"}}"#,
            )
            .await,
            400,
            "BadRequest",
        ),
        (
            raw(
                dc("x"),
                r#"{"kind":"EventHub","location":"atlantis","properties":{}}"#,
            )
            .await,
            400,
            "BadRequest",
        ),
        (
            raw(format!("{DB}/dataConnections/x"), "{}").await,
            400,
            "MissingApiVersionParameter",
        ),
        (
            raw(format!("{DB}/dataConnections/x?api-version=latest"), "{}").await,
            400,
            "InvalidApiVersionParameter",
        ),
        (
            raw(
                format!("{DB}/dataConnections/x?api-version=2023-08-15"),
                "{}",
            )
            .await,
            400,
            "NoRegisteredProviderFound",
        ),
    ];
    for (response, status, code) in cases {
        assert_eq!(response.status(), status);
        assert!(response.headers().get("x-ms-request-id").is_some());
        let body: Value = response.json();
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(body["error"]["message"].is_string());
    }
    let parents = [
        (
            "/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb",
            "SubscriptionNotFound",
            "99999999",
        ),
        (
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-none/providers/Microsoft.Kusto/clusters/democluster/databases/demodb",
            "ResourceGroupNotFound",
            "rg-none",
        ),
        (
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/nocluster/databases/demodb",
            "ParentResourceNotFound",
            "'nocluster'",
        ),
        (
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/nodb",
            "ParentResourceNotFound",
            "'democluster/nodb'",
        ),
    ];
    for (db, code, named) in parents {
        for method in [Method::GET, Method::PUT] {
            let response = emu
                .arm(
                    method.clone(),
                    &format!("{db}/dataConnections/x?{V2025}"),
                    Some(&body("", "", "")),
                )
                .await;
            assert_eq!(response.status(), 404);
            let error: Value = response.json();
            assert_eq!(error["error"]["code"], code);
            assert!(
                error["error"]["message"].as_str().unwrap().contains(named),
                "{error}"
            );
        }
    }
    let (status, error) = emu
        .get_json(&format!("{DB}/dataConnections/x?api-version=2019-01-21"))
        .await;
    assert_eq!(status, 400);
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("location 'westeurope'"), "{message}");
    assert!(
        message.contains("type 'clusters/databases/dataConnections'"),
        "{message}"
    );
    assert!(message.contains("'2024-04-13, 2025-02-14'"), "{message}");
    let (status, error) = emu.get_json(&dc("absent")).await;
    assert_eq!(status, 404);
    assert_eq!(error["error"]["code"], "ResourceNotFound");
    assert_eq!(emu.dc_status(Method::POST, "absent").await, 405);
}

#[tokio::test]
async fn data_problems_fail_the_operation_and_leave_a_failed_connection() {
    let emu = Emulator::start(lro(0)).await;
    let op = emu.create("bad", &body("NoSuchTable", "", "JSON")).await;
    assert_eq!(op["status"], "Failed");
    assert_eq!(op["error"]["code"], "EventHubValidationErorFound");
    assert_eq!(
        op["error"]["message"],
        "[BadRequest] Validation Errors found: table does not exist"
    );
    let (status, got) = emu.get_json(&dc("bad")).await;
    assert_eq!(status, 200);
    assert_eq!(got["properties"]["provisioningState"], "Failed");

    let op = emu
        .create("wrongmap", &body("Events", "events_csv", "JSON"))
        .await;
    assert_eq!(op["status"], "Failed");
    assert!(
        op["error"]["message"]
            .as_str()
            .unwrap()
            .contains("mapping kind 'Csv' does not match data format 'JSON'")
    );
    let mut group = body("Events", "events_json", "MULTIJSON");
    group["properties"]["consumerGroup"] = json!("nobody");
    assert!(
        emu.create("nogroup", &group).await["error"]["message"]
            .as_str()
            .unwrap()
            .contains("consumer group does not exist")
    );
    let mut hub = body("", "", "");
    hub["properties"]["eventHubResourceId"] = json!(HUB.replace("/events", "/missing"));
    assert!(
        emu.create("nohub", &hub).await["error"]["message"]
            .as_str()
            .unwrap()
            .contains("event hub does not exist")
    );
}

#[tokio::test]
async fn identities_must_belong_to_the_cluster() {
    let emu = Emulator::start(lro(0)).await;
    let cluster = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/Clusters/democluster";
    let mut with_system = events();
    with_system["properties"]["managedIdentityResourceId"] = json!(cluster);
    assert_eq!(emu.create("sys", &with_system).await["status"], "Succeeded");
    let (_, got) = emu.get_json(&dc("sys")).await;
    assert_eq!(
        got["properties"]["managedIdentityObjectId"],
        "00000000-0000-0000-0000-000000000005"
    );

    let uai = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.ManagedIdentity/userAssignedIdentities/demo-identity";
    let mut with_uai = events();
    with_uai["properties"]["managedIdentityResourceId"] = json!(uai);
    let refused = emu.put_dc("uai", &with_uai).await;
    assert_eq!(
        refused.status(),
        400,
        "demo-identity is not attached to democluster by default"
    );
    let patch = json!({"clusters": [{"subscription_id": SUB, "resource_group": "rg-demo", "name": "democluster",
        "location": "West Europe", "identity": {"system_assigned_principal_id": "00000000-0000-0000-0000-000000000005", "user_assigned": [uai]},
        "databases": [{"name": "demodb", "tables": [{"name": "Events", "mappings": [{"name": "events_json", "kind": "Json"}]}]}]}]});
    assert_eq!(
        emu.admin(Method::PATCH, "/world", Some(&patch))
            .await
            .status(),
        200
    );
    assert_eq!(emu.create("uai", &with_uai).await["status"], "Succeeded");
    let (_, got) = emu.get_json(&dc("uai")).await;
    assert_eq!(
        got["properties"]["managedIdentityObjectId"],
        "00000000-0000-0000-0000-000000000007"
    );
}

#[tokio::test]
async fn check_name_availability_and_validation() {
    let emu = Emulator::start(lro(0)).await;
    emu.create("taken", &events()).await;
    let check = |name: &'static str| {
        let request =
            json!({"name": name, "type": "Microsoft.Kusto/clusters/databases/dataConnections"});
        let emu = &emu;
        async move {
            let response = emu.database_action("checkNameAvailability", &request).await;
            assert_eq!(response.status(), 200);
            response.json()
        }
    };
    assert_eq!(
        check("free").await,
        json!({"nameAvailable": true, "name": "free"})
    );
    assert_eq!(check("TAKEN").await["reason"], "AlreadyExists");
    assert_eq!(check("bad/name").await["reason"], "Invalid");
    let wrong_type = json!({"name": "x", "type": "Microsoft.Kusto/clusters"});
    assert_eq!(
        emu.database_action("checkNameAvailability", &wrong_type)
            .await
            .status(),
        400
    );

    let validation = json!({"dataConnectionName": "v", "properties": body("Missing", "", "JSON")});
    let response = emu
        .database_action("dataConnectionValidation", &validation)
        .await;
    assert_eq!(response.status(), 202);
    assert!(header(&response, "azure-asyncoperation").contains("/locations/West Europe/"));
    let location = header(&response, "location");
    assert!(response.bytes().is_empty());
    let (status, result) = emu.get_json(&location).await;
    assert_eq!(status, 200);
    assert_eq!(
        result,
        json!({"Value": [{"errorMessage": "table does not exist"}]})
    );
    let good = json!({"dataConnectionName": "v", "properties": events()});
    let response = emu.database_action("dataConnectionValidation", &good).await;
    let (_, result) = emu.get_json(&header(&response, "location")).await;
    assert_eq!(result, json!({"Value": []}));
}

#[tokio::test]
async fn lists_are_paged_with_next_links() {
    let emu = Emulator::start(lro(0)).await;
    for name in ["a", "b", "c"] {
        emu.create(name, &events()).await;
    }
    let mut url = format!("{DB}/dataConnections?{V2024}");
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let (status, page) = emu.get_json(&url).await;
        assert_eq!(status, 200);
        pages += 1;
        names.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["name"].as_str().unwrap().to_owned()),
        );
        match page.get("nextLink").and_then(Value::as_str) {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(
        names,
        [
            "democluster/demodb/a",
            "democluster/demodb/b",
            "democluster/demodb/c"
        ]
    );
}

#[tokio::test]
async fn a_clusters_databases_are_listed_in_pages_from_the_world() {
    let emu = Emulator::start(lro(0)).await;
    let mut world = emu.admin_json("/world").await;
    for name in ["db2", "db3"] {
        world["clusters"][0]["databases"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": name}));
    }
    let put = emu.admin(Method::PUT, "/world", Some(&world)).await;
    assert_eq!(put.status(), 200, "{}", put.json());

    let cluster = DB.strip_suffix("/databases/demodb").unwrap();
    let mut url = format!("{cluster}/databases?{V2025}");
    let mut pages = Vec::new();
    loop {
        let (status, page) = emu.get_json(&url).await;
        assert_eq!(status, 200, "{page}");
        pages.push(page["value"].as_array().unwrap().clone());
        match page.get("nextLink").and_then(Value::as_str) {
            Some(next) => {
                assert!(next.starts_with(ENDPOINT) && next.contains(V2025), "{next}");
                url = next.to_owned();
            }
            None => break,
        }
    }
    let names: Vec<Vec<&str>> = pages
        .iter()
        .map(|page| page.iter().map(|db| db["name"].as_str().unwrap()).collect())
        .collect();
    assert_eq!(
        names,
        [
            vec!["democluster/demodb", "democluster/db2"],
            vec!["democluster/db3"]
        ]
    );
    assert_eq!(
        pages[0][0],
        json!({
            "id": format!("/subscriptions/{SUB}/resourceGroups/rg-demo/providers/Microsoft.Kusto/Clusters/democluster/Databases/demodb"),
            "name": "democluster/demodb",
            "type": "Microsoft.Kusto/Clusters/Databases",
            "location": "West Europe",
            "kind": "ReadWrite",
            "properties": {"provisioningState": "Succeeded"}
        })
    );

    // Paths are case-insensitive; a missing parent is ARM's 404.
    let recased = cluster.replace("/clusters/democluster", "/CLUSTERS/DemoCluster");
    let (status, page) = emu.get_json(&format!("{recased}/DATABASES?{V2024}")).await;
    assert_eq!((status, page["value"].as_array().unwrap().len()), (200, 2));
    for (path, code) in [
        (
            cluster.replace("democluster", "nosuchcluster"),
            "ParentResourceNotFound",
        ),
        (
            cluster.replace("rg-demo", "nosuchrg"),
            "ResourceGroupNotFound",
        ),
    ] {
        let (status, body) = emu.get_json(&format!("{path}/databases?{V2025}")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some(code)));
    }
    let (status, body) = emu
        .get_json(&format!("{cluster}/databases?api-version=2019-01-21"))
        .await;
    assert_eq!(status, 400);
    assert_error_mentions(&body, "for type 'clusters/databases'");
    let post = emu
        .arm(Method::POST, &format!("{cluster}/databases?{V2025}"), None)
        .await;
    assert_eq!(post.status(), 405);
}

#[tokio::test]
async fn request_ids_and_regions_are_handled_like_arm() {
    let emu = Emulator::start(lro(0)).await;
    let bearer = format!("Bearer {}", emu.token);
    let response = emu
        .send(
            Method::GET,
            &dc("x"),
            &[
                ("authorization", &bearer),
                ("x-ms-correlation-request-id", "corr-1"),
                ("x-ms-client-request-id", "client-1"),
                ("x-ms-return-client-request-id", "true"),
            ],
            Body::empty(),
        )
        .await;
    assert_eq!(header(&response, "x-ms-correlation-request-id"), "corr-1");
    assert_eq!(header(&response, "x-ms-client-request-id"), "client-1");
    assert!(header(&response, "x-ms-routing-request-id").starts_with("WESTEUROPE:"));
    assert_eq!(header(&response, "cache-control"), "no-cache");
    let plain = emu.arm(Method::GET, &dc("x"), None).await;
    assert!(plain.headers().get("x-ms-client-request-id").is_none());
    assert!(!header(&plain, "x-ms-correlation-request-id").is_empty());

    let mut b = events();
    b["location"] = json!("West Europe");
    let put = emu.put_dc("spaced", &b).await;
    let aao = header(&put, "azure-asyncoperation");
    let op_id = aao
        .split("/operationResults/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    for region in ["West%20Europe", "westeurope", "WESTEUROPE", "west%20europe"] {
        let url = format!(
            "/subscriptions/{SUB}/providers/Microsoft.Kusto/locations/{region}/operationResults/{op_id}?{V2025}"
        );
        assert_eq!(emu.get_json(&url).await.0, 200, "{region}");
    }
    let url = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Kusto/locations/northeurope/operationResults/{op_id}?{V2025}"
    );
    assert_eq!(emu.get_json(&url).await.0, 404);
}
