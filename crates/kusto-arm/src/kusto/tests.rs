//! Operation-level tests against a scripted transport on tokio's paused clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use crate::cloud::Endpoints;
use crate::testing::{CountingTokens, MockHttp, response};
use crate::transport::Request;
use crate::*;

const BASE: &str = "https://arm.example/";
const AAO: &str = "https://arm.example/subscriptions/sub/providers/Microsoft.Kusto/locations/westeurope/operationResults/op?api-version=2025-02-14";

pub(super) fn client(http: Arc<MockHttp>) -> Client {
    let endpoints = Endpoints {
        authority_host: Url::parse("https://login.example").unwrap(),
        resource_manager: Url::parse(BASE).unwrap(),
        scope: "https://arm.example/.default".into(),
    };
    let config = ClientConfig::new(Credential::AzureCli { tenant_id: None }, Cloud::Public);
    Client::from_parts(config, endpoints, Arc::new(CountingTokens::default()), http).unwrap()
}

fn id(name: &str) -> DataConnectionId {
    DataConnectionId::new("sub", "rg", "democluster", "demodb", name)
}

fn settings() -> EventHubSettings {
    EventHubSettings {
        location: "westeurope".into(),
        event_hub_resource_id: "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events".into(),
        consumer_group: "$Default".into(),
        table_name: Some("Events".into()),
        mapping_rule_name: Some("events_json".into()),
        data_format: Some("JSON".into()),
        ..Default::default()
    }
}

fn stored(name: &str, state: &str) -> String {
    serde_json::json!({
        "id": format!("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/Clusters/democluster/Databases/demodb/DataConnections/{name}"),
        "name": format!("democluster/demodb/{name}"),
        "type": "Microsoft.Kusto/Clusters/Databases/DataConnections",
        "location": "West Europe",
        "kind": "EventHub",
        "properties": {
            "eventHubResourceId": "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events",
            "consumerGroup": "$Default",
            "tableName": "Events",
            "mappingRuleName": "events_json",
            "dataFormat": "JSON",
            "compression": "None",
            "provisioningState": state
        }
    })
    .to_string()
}

pub(super) fn ctx() -> CallContext {
    CallContext::with_timeout(Duration::from_secs(3600))
}

fn is_operation(req: &Request) -> bool {
    req.url.path().contains("operationResults")
}

/// What a scripted transport answers a request with.
type Answer = crate::Result<crate::transport::Response>;

/// An answer of `status` with `body` that started the operation at [`AAO`], to be polled
/// every second.
fn operation_started(status: u16, body: &str) -> Answer {
    response(
        status,
        &[("azure-asyncoperation", AAO), ("retry-after", "1")],
        body,
    )
}

/// A 200 with data connection `name` in provisioning state `state`.
fn found(name: &str, state: &str) -> Answer {
    response(200, &[], &stored(name, state))
}

/// What a write of the default settings returns.
type Written = crate::Result<EventHubDataConnection>;

/// Creates `name` (refusing an existing one) with the default settings within `ctx`.
async fn create(client: &Client, ctx: &CallContext, name: &str) -> Written {
    let ops = client.data_connections();
    ops.create(ctx, &id(name), &settings()).await
}

/// Creates or updates `name` with the default settings within `ctx`.
async fn create_or_update(client: &Client, ctx: &CallContext, name: &str) -> Written {
    let ops = client.data_connections();
    ops.create_or_update(ctx, &id(name), &settings()).await
}

/// Deletes `name`.
async fn delete(client: &Client, name: &str) -> crate::Result<()> {
    client.data_connections().delete(&ctx(), &id(name)).await
}

/// The refusal of a create because `name` exists and is not this process's own.
fn existing_elsewhere(name: &str, created_concurrently: bool) -> Error {
    Error::AlreadyExists {
        id: id(name).to_string(),
        by_this_process: false,
        created_concurrently,
    }
}

/// Creating `name` again is refused as a connection this process already manages.
async fn assert_already_managed_here(client: &Client, name: &str) {
    let again = create(client, &ctx(), name).await.unwrap_err();
    assert!(
        matches!(
            again,
            Error::AlreadyExists {
                by_this_process: true,
                created_concurrently: false,
                ..
            }
        ),
        "{again:?}"
    );
}

/// The methods of every request sent, in order.
fn methods(http: &MockHttp) -> Vec<String> {
    http.requests()
        .iter()
        .map(|r| r.method.to_string())
        .collect()
}

/// `err` says the write was accepted (so the connection may exist); returns why it then failed.
fn accepted_operation_error(err: &Error) -> &Error {
    assert!(err.resource_may_exist(), "{err:?}");
    let Error::Accepted(inner) = err else {
        panic!("{err:?}")
    };
    inner
}

#[tokio::test(start_paused = true)]
async fn create_puts_everything_waits_and_reads_back() {
    let http = Arc::new(MockHttp::with_handler(|req| {
        match (req.method.as_str(), is_operation(req)) {
            ("PUT", _) => response(
                201,
                &[("azure-asyncoperation", AAO), ("retry-after", "2")],
                &stored("dc1", "Creating"),
            ),
            (_, true) => response(200, &[], r#"{"status":"Succeeded"}"#),
            _ => found("dc1", "Succeeded"),
        }
    }));
    let created = create_or_update(&client(http.clone()), &ctx(), "dc1")
        .await
        .unwrap();
    assert_eq!(created.provisioning_state.as_deref(), Some("Succeeded"));
    assert_eq!(created.name, "dc1");
    assert_eq!(created.id, id("dc1").to_string());

    let requests = http.requests();
    let methods: Vec<_> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["PUT", "GET", "GET"]);
    let put = &requests[0];
    assert_eq!(
        put.url.as_str(),
        "https://arm.example/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/dc1?api-version=2025-02-14"
    );
    let body: Value = serde_json::from_slice(put.body.as_ref().unwrap()).unwrap();
    assert_eq!(body["kind"], "EventHub");
    assert_eq!(body["properties"]["mappingRuleName"], "events_json");
    for header in [
        "x-ms-client-request-id",
        "x-ms-correlation-request-id",
        "authorization",
        "user-agent",
    ] {
        assert!(put.headers.contains_key(header), "{header}");
    }
    assert_eq!(put.headers["authorization"], "Bearer test-token");
    // Polls and the final read carry the operation's request id.
    assert!(
        requests
            .iter()
            .all(|r| r.headers["x-ms-client-request-id"] == put.headers["x-ms-client-request-id"])
    );
}

#[tokio::test(start_paused = true)]
async fn an_update_sends_every_setting() {
    let http = Arc::new(MockHttp::with_handler(|req| match req.method.as_str() {
        "PUT" => found("dc1", "Succeeded"),
        _ => response(500, &[], ""),
    }));
    let mut changed = settings();
    changed.table_name = Some("Other".into());
    changed.event_system_properties = vec!["x-opt-enqueued-time".into()];
    changed.retrieval_start_date = Some("2026-01-01T00:00:00Z".into());
    client(http.clone())
        .data_connections()
        .create_or_update(&ctx(), &id("dc1"), &changed)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(http.requests()[0].body.as_ref().unwrap()).unwrap();
    assert_eq!(body["properties"]["tableName"], "Other");
    assert_eq!(
        body["properties"]["eventSystemProperties"][0],
        "x-opt-enqueued-time"
    );
    assert_eq!(
        body["properties"]["retrievalStartDate"],
        "2026-01-01T00:00:00Z"
    );
}

#[tokio::test(start_paused = true)]
async fn get_maps_404_to_none_and_reports_other_kinds() {
    let http = Arc::new(MockHttp::new(vec![
        response(
            404,
            &[],
            r#"{"error":{"code":"ResourceNotFound","message":"not found"}}"#,
        ),
        response(
            200,
            &[],
            r#"{"id":"/x","kind":"EventGrid","properties":{}}"#,
        ),
        response(
            403,
            &[("x-ms-request-id", "r-1")],
            r#"{"error":{"code":"AuthorizationFailed","message":"no access"}}"#,
        ),
    ]));
    let client = client(http);
    let ops = client.data_connections();
    assert_eq!(ops.get(&ctx(), &id("dc1")).await.unwrap(), None);
    assert_eq!(
        ops.get(&ctx(), &id("dc1")).await.unwrap(),
        Some(DataConnection::Other {
            id: "/x".into(),
            kind: "EventGrid".into()
        })
    );
    let err = ops.get(&ctx(), &id("dc1")).await.unwrap_err();
    assert!(
        matches!(err, Error::Http(HttpError { status: 403, .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("AuthorizationFailed") && err.to_string().contains("r-1"));
}

#[tokio::test(start_paused = true)]
async fn delete_of_a_missing_connection_succeeds() {
    let http = Arc::new(MockHttp::new(vec![
        response(204, &[], ""),
        response(
            404,
            &[],
            r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
        ),
    ]));
    let client = client(http);
    delete(&client, "dc1").await.unwrap();
    delete(&client, "dc1").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn delete_waits_for_the_operation() {
    let http = Arc::new(MockHttp::new(vec![
        operation_started(202, ""),
        response(200, &[("retry-after", "1")], r#"{"status":"Running"}"#),
        response(200, &[], r#"{"status":"Succeeded"}"#),
    ]));
    let start = Instant::now();
    delete(&client(http.clone()), "dc1").await.unwrap();
    assert_eq!(http.requests().len(), 3);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn failures_after_acceptance_say_the_resource_may_exist() {
    let http = Arc::new(MockHttp::new(vec![
        operation_started(201, &stored("dc1", "Creating")),
        response(
            200,
            &[],
            r#"{"status":"Failed","error":{"code":"BadRequest","message":"Table 'Events' does not exist"}}"#,
        ),
    ]));
    let err = create_or_update(&client(http), &ctx(), "dc1")
        .await
        .unwrap_err();
    assert_eq!(
        *accepted_operation_error(&err),
        Error::Lro {
            status: "Failed".into(),
            code: "BadRequest".into(),
            message: "Table 'Events' does not exist".into()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_after_the_requested_wait() {
    let http = Arc::new(MockHttp::new(vec![
        response(
            429,
            &[("retry-after", "3")],
            r#"{"error":{"code":"SubscriptionRequestsThrottled","message":"slow down"}}"#,
        ),
        response(503, &[], ""),
        found("dc1", "Succeeded"),
    ]));
    let start = Instant::now();
    let found = client(http.clone())
        .data_connections()
        .get(&ctx(), &id("dc1"))
        .await
        .unwrap();
    assert!(matches!(found, Some(DataConnection::EventHub(_))));
    let elapsed = start.elapsed();
    // 3 s as asked, then the second exponential step (2 s ± 20 %).
    assert!(
        elapsed >= Duration::from_millis(4600) && elapsed <= Duration::from_millis(5400),
        "{elapsed:?}"
    );
    let ids: Vec<_> = http
        .requests()
        .iter()
        .map(|r| r.headers["x-ms-client-request-id"].clone())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "retries keep the call's request id"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_deadline() {
    let http = Arc::new(MockHttp::with_handler(|_| {
        response(
            429,
            &[("retry-after", "30")],
            r#"{"error":{"code":"SubscriptionRequestsThrottled","message":"slow down"}}"#,
        )
    }));
    let ctx = CallContext::with_timeout(Duration::from_secs(100));
    let err = client(http.clone())
        .data_connections()
        .get(&ctx, &id("dc1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Http(HttpError { status: 429, .. })),
        "{err:?}"
    );
    assert_eq!(http.requests().len(), 4, "attempts at 0, 30, 60 and 90 s");
}

#[tokio::test(start_paused = true)]
async fn reads_and_side_effect_free_posts_are_retried_after_a_dropped_connection() {
    let dropped = || Err(Error::Transport("connection reset".into()));
    let http = Arc::new(MockHttp::new(vec![
        dropped(),
        found("dc1", "Succeeded"),
        dropped(),
        response(200, &[], r#"{"Value":[]}"#),
    ]));
    let client = client(http.clone());
    let ops = client.data_connections();
    assert!(ops.get(&ctx(), &id("dc1")).await.unwrap().is_some());
    // The preflight validation has no side effects: a dropped connection is retried.
    assert_eq!(
        ops.validate(&ctx(), &id("dc1"), &settings()).await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(methods(&http), ["GET", "GET", "POST", "POST"]);
}

#[tokio::test(start_paused = true)]
async fn busy_cluster_conflicts_are_waited_out() {
    let conflicts = Arc::new(AtomicUsize::new(0));
    let seen = conflicts.clone();
    let http = Arc::new(MockHttp::with_handler(move |req| {
        if req.method == http::Method::PUT && seen.fetch_add(1, Ordering::SeqCst) < 2 {
            return response(
                409,
                &[("retry-after", "7")],
                r#"{"error":{"code":"Conflict","message":"Cluster 'democluster' is busy: another operation is in progress."}}"#,
            );
        }
        found("dc1", "Succeeded")
    }));
    let start = Instant::now();
    create_or_update(&client(http.clone()), &ctx(), "dc1")
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(14));
    assert_eq!(http.requests().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn other_conflicts_fail_fast() {
    let http = Arc::new(MockHttp::new(vec![response(
        409,
        &[],
        r#"{"error":{"code":"MissingSubscriptionRegistration","message":"register Microsoft.Kusto"}}"#,
    )]));
    let err = create_or_update(&client(http), &ctx(), "dc1")
        .await
        .unwrap_err();
    assert!(!err.resource_may_exist());
    assert!(err.to_string().contains("MissingSubscriptionRegistration"));
}

#[tokio::test(start_paused = true)]
async fn writes_to_one_cluster_never_overlap() {
    // Each PUT's operation runs 5 s; the log records which operation each request belongs to.
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let started = Arc::new(Mutex::new(
        std::collections::HashMap::<String, Instant>::new(),
    ));
    let (log2, started2) = (log.clone(), started.clone());
    let http = Arc::new(MockHttp::with_handler(move |req| {
        let path = req.url.path().to_string();
        let name = path.rsplit('/').next().unwrap().to_string();
        let kind = if path.contains("operationResults") {
            "POLL".to_string()
        } else {
            req.method.to_string()
        };
        log2.lock().unwrap().push(format!("{kind} {name}"));
        match req.method.as_str() {
            "PUT" => {
                started2
                    .lock()
                    .unwrap()
                    .insert(name.clone(), Instant::now());
                let aao = format!(
                    "https://arm.example/subscriptions/sub/providers/Microsoft.Kusto/locations/w/operationResults/{name}"
                );
                response(
                    201,
                    &[("azure-asyncoperation", &aao), ("retry-after", "1")],
                    &stored(&name, "Creating"),
                )
            }
            _ if path.contains("operationResults") => {
                let since = started2.lock().unwrap()[&name].elapsed();
                let status = if since >= Duration::from_secs(5) {
                    "Succeeded"
                } else {
                    "Running"
                };
                response(
                    200,
                    &[("retry-after", "1")],
                    &format!(r#"{{"status":"{status}"}}"#),
                )
            }
            _ => found(&name, "Succeeded"),
        }
    }));
    let client = client(http);
    let (ops, ctx, settings) = (client.data_connections(), ctx(), settings());
    let (id_a, id_b) = (id("a"), id("b"));
    let (a, b) = tokio::join!(
        ops.create_or_update(&ctx, &id_a, &settings),
        ops.create_or_update(&ctx, &id_b, &settings),
    );
    a.unwrap();
    b.unwrap();
    let log = log.lock().unwrap().clone();
    let first = log[0].split(' ').nth(1).unwrap().to_string();
    let first_done = log
        .iter()
        .position(|l| l == &format!("GET {first}"))
        .unwrap();
    let second_put = log
        .iter()
        .position(|l| l.starts_with("PUT ") && !l.ends_with(&first))
        .unwrap();
    assert!(
        second_put > first_done,
        "second write started before the first finished: {log:?}"
    );
    assert_eq!(log.iter().filter(|l| l.starts_with("PUT")).count(), 2);
}

#[tokio::test(start_paused = true)]
async fn validation_returns_the_service_messages() {
    let http = Arc::new(MockHttp::new(vec![
        response(
            202,
            &[
                ("azure-asyncoperation", AAO),
                (
                    "location",
                    "https://arm.example/subscriptions/sub/providers/Microsoft.Kusto/locations/w/operationResults/op?api-version=2025-02-14&operationResultResponseType=Location",
                ),
                ("retry-after", "1"),
            ],
            "",
        ),
        response(200, &[], r#"{"status":"Succeeded"}"#),
        response(
            200,
            &[],
            r#"{"Value":[{"errorMessage":"Table 'Nope' does not exist"}]}"#,
        ),
    ]));
    let errors = client(http.clone())
        .data_connections()
        .validate(&ctx(), &id("dc1"), &settings())
        .await
        .unwrap();
    assert_eq!(errors, vec!["Table 'Nope' does not exist".to_string()]);
    let post = &http.requests()[0];
    assert!(
        post.url
            .path()
            .ends_with("/databases/demodb/dataConnectionValidation")
    );
    let body: Value = serde_json::from_slice(post.body.as_ref().unwrap()).unwrap();
    assert_eq!(body["dataConnectionName"], "dc1");
}

#[tokio::test(start_paused = true)]
async fn names_with_reserved_characters_are_escaped() {
    let http = Arc::new(MockHttp::new(vec![response(404, &[], "")]));
    client(http.clone())
        .data_connections()
        .get(&ctx(), &id("a b#c"))
        .await
        .unwrap();
    assert!(
        http.requests()[0]
            .url
            .path()
            .ends_with("/dataConnections/a%20b%23c")
    );
}

#[tokio::test(start_paused = true)]
async fn a_timeout_after_acceptance_keeps_the_resource_known() {
    let http = Arc::new(MockHttp::with_handler(|req| match req.method.as_str() {
        "PUT" => response(
            201,
            &[("azure-asyncoperation", AAO), ("retry-after", "10")],
            &stored("dc1", "Creating"),
        ),
        _ => response(200, &[("retry-after", "10")], r#"{"status":"Running"}"#),
    }));
    let ctx = CallContext::with_timeout(Duration::from_secs(25));
    let start = Instant::now();
    let err = create_or_update(&client(http), &ctx, "dc1")
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(25));
    let inner = accepted_operation_error(&err);
    assert!(matches!(inner, Error::Timeout { .. }), "{inner:?}");
    assert!(err.to_string().contains("last status: Running"), "{err}");
}

// ---- Reconciling writes whose outcome is unknown (see `write.rs`). ----

fn count(http: &MockHttp, method: &str) -> usize {
    http.requests()
        .iter()
        .filter(|r| r.method.as_str() == method && !is_operation(r))
        .count()
}

fn busy_409() -> Answer {
    response(
        409,
        &[("retry-after", "5")],
        r#"{"error":{"code":"ServiceIsInMaintenance","message":"Cluster 'democluster' is in process of maintenance for a short period. You may retry to invoke the operation in a few minutes."}}"#,
    )
}

fn not_found() -> Answer {
    response(
        404,
        &[],
        r#"{"error":{"code":"NotFound","message":"not found"}}"#,
    )
}

#[tokio::test(start_paused = true)]
async fn create_refuses_an_existing_connection_without_writing() {
    let http = Arc::new(MockHttp::with_handler(|_| found("dc1", "Succeeded")));
    let err = create(&client(http.clone()), &ctx(), "dc1")
        .await
        .unwrap_err();
    assert_eq!(err, existing_elsewhere("dc1", false));
    assert!(!err.resource_may_exist());
    assert_eq!(count(&http, "PUT"), 0);
}

#[tokio::test(start_paused = true)]
async fn a_second_block_with_the_same_name_is_told_apart() {
    let exists = Arc::new(Mutex::new(false));
    let world = exists.clone();
    let http = Arc::new(MockHttp::with_handler(move |req| {
        let mut exists = world.lock().unwrap();
        match req.method.as_str() {
            "PUT" => {
                *exists = true;
                response(201, &[], &stored("dc1", "Succeeded"))
            }
            "DELETE" => {
                *exists = false;
                response(200, &[], "")
            }
            _ if *exists => found("dc1", "Succeeded"),
            _ => not_found(),
        }
    }));
    let client = client(http.clone());
    create(&client, &ctx(), "dc1").await.unwrap();
    assert_already_managed_here(&client, "DC1").await;
    // Deleted and created elsewhere later: no longer this process's own.
    delete(&client, "dc1").await.unwrap();
    *exists.lock().unwrap() = true;
    let elsewhere = create(&client, &ctx(), "dc1").await.unwrap_err();
    assert!(
        matches!(
            elsewhere,
            Error::AlreadyExists {
                by_this_process: false,
                ..
            }
        ),
        "{elsewhere:?}"
    );
    assert_eq!(count(&http, "PUT"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_create_answered_as_an_update_is_not_taken_over() {
    let http = Arc::new(MockHttp::with_handler(|req| match req.method.as_str() {
        "PUT" => found("dc1", "Succeeded"),
        _ => not_found(),
    }));
    let err = create(&client(http.clone()), &ctx(), "dc1")
        .await
        .unwrap_err();
    assert_eq!(err, existing_elsewhere("dc1", true));
    assert_eq!(count(&http, "PUT"), 1);
}

/// A fake ARM in which the first create PUT is carried out but answered with `first_answer`;
/// the connection becomes visible `visible_after` later and finishes `done_after` after the
/// PUT. A PUT while that operation runs is refused as busy; later PUTs update it (200).
fn processed_but_answered(
    first_answer: fn() -> Answer,
    visible_after: Duration,
    done_after: Duration,
) -> Arc<MockHttp> {
    let created = Arc::new(Mutex::new(None::<Instant>));
    Arc::new(MockHttp::with_handler(move |req| {
        let mut created = created.lock().unwrap();
        let since = created.map(|at| at.elapsed());
        match (req.method.as_str(), since) {
            ("PUT", None) => {
                *created = Some(Instant::now());
                first_answer()
            }
            ("PUT", Some(since)) if since < done_after => busy_409(),
            ("PUT", Some(_)) => found("dc1", "Succeeded"),
            (_, Some(since)) if since >= done_after => found("dc1", "Succeeded"),
            (_, Some(since)) if since >= visible_after => found("dc1", "Creating"),
            _ => not_found(),
        }
    }))
}

fn gateway_timeout() -> Answer {
    response(
        504,
        &[],
        r#"{"error":{"code":"GatewayTimeout","message":"The gateway did not receive a response within the specified time period."}}"#,
    )
}

fn dropped() -> Answer {
    Err(Error::Transport(
        "peer closed connection without sending TLS close_notify".into(),
    ))
}

#[tokio::test(start_paused = true)]
async fn a_create_answered_504_after_processing_is_adopted_without_a_second_put() {
    let (logs, _guard) = crate::testing::Capture::start();
    let http = processed_but_answered(gateway_timeout, Duration::ZERO, Duration::from_secs(30));
    let created = create(&client(http.clone()), &ctx(), "dc1").await.unwrap();
    assert_eq!(created.provisioning_state.as_deref(), Some("Succeeded"));
    assert_eq!(
        count(&http, "PUT"),
        1,
        "the create PUT is never re-sent blindly"
    );
    assert!(
        logs.text().contains("the outcome had to be found out"),
        "{}",
        logs.text()
    );
}

#[tokio::test(start_paused = true)]
async fn a_create_whose_answer_was_lost_is_adopted() {
    let http = processed_but_answered(dropped, Duration::ZERO, Duration::from_secs(30));
    create(&client(http.clone()), &ctx(), "dc1").await.unwrap();
    assert_eq!(count(&http, "PUT"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_refused_as_busy_ends_with_the_first_create_adopted() {
    // The first PUT is processed but answered 504, and is not visible at once: the create is
    // sent again, refused with ServiceIsInMaintenance while the first runs, and the client
    // then finds the first one and waits for it (azurerm issue #32161).
    let http = processed_but_answered(
        gateway_timeout,
        Duration::from_secs(12),
        Duration::from_secs(40),
    );
    let start = Instant::now();
    let client = client(http.clone());
    let created = create(&client, &ctx(), "dc1").await.unwrap();
    assert_eq!(created.provisioning_state.as_deref(), Some("Succeeded"));
    // The first PUT and at least one duplicate, refused while the first ran.
    assert!(count(&http, "PUT") >= 2, "{:?}", http.requests());
    assert!(start.elapsed() >= Duration::from_secs(40));
    // It counts as created here: a second block with this name is told so.
    assert_already_managed_here(&client, "dc1").await;
}

#[tokio::test(start_paused = true)]
async fn a_create_whose_answer_was_lost_before_processing_is_sent_again() {
    let puts = Arc::new(AtomicUsize::new(0));
    let seen = puts.clone();
    let http = Arc::new(MockHttp::with_handler(move |req| {
        match (req.method.as_str(), seen.load(Ordering::SeqCst)) {
            ("PUT", n) => {
                seen.fetch_add(1, Ordering::SeqCst);
                if n == 0 {
                    dropped()
                } else {
                    response(201, &[], &stored("dc1", "Succeeded"))
                }
            }
            (_, 2) => found("dc1", "Succeeded"),
            _ => not_found(),
        }
    }));
    create(&client(http.clone()), &ctx(), "dc1").await.unwrap();
    assert_eq!(methods(&http), ["GET", "PUT", "GET", "PUT", "GET"]);
}

#[tokio::test(start_paused = true)]
async fn a_create_refused_by_a_connection_failure_is_retried_at_once() {
    let http = Arc::new(MockHttp::new(vec![
        not_found(),
        Err(Error::Connect(
            "tcp connect error: Connection refused".into(),
        )),
        response(201, &[], &stored("dc1", "Succeeded")),
        found("dc1", "Succeeded"),
    ]));
    create(&client(http.clone()), &ctx(), "dc1").await.unwrap();
    assert_eq!(count(&http, "PUT"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_create_found_failed_after_a_lost_answer_is_kept() {
    let http = Arc::new(MockHttp::new(vec![
        not_found(),
        gateway_timeout(),
        found("dc1", "Failed"),
        found("dc1", "Failed"),
    ]));
    let client = client(http.clone());
    let err = create(&client, &ctx(), "dc1").await.unwrap_err();
    // It may be this process's own: a second block with the name is told so.
    assert_already_managed_here(&client, "dc1").await;
    let inner = accepted_operation_error(&err);
    assert!(
        matches!(inner, Error::Lro { status, .. } if status == "Failed"),
        "{inner:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_create_still_running_at_the_deadline_is_kept() {
    let (logs, _guard) = crate::testing::Capture::start();
    let http = processed_but_answered(gateway_timeout, Duration::ZERO, Duration::MAX);
    let ctx = CallContext::with_timeout(Duration::from_secs(60));
    let err = create(&client(http), &ctx, "dc1").await.unwrap_err();
    assert!(err.resource_may_exist(), "{err:?}");
    assert!(
        err.to_string().contains("provisioning state Creating"),
        "{err}"
    );
    assert!(
        logs.text().lines().any(|l| l.starts_with("WARN")
            && l.contains(
                "looking the data connection up again would end after the operation's timeout"
            )),
        "{}",
        logs.text()
    );
}

/// A fake ARM whose first write's operation fails with ServiceIsInMaintenance (nothing
/// happens); later writes succeed. `present` says whether the connection exists meanwhile.
fn first_operation_busy(present: bool) -> Arc<MockHttp> {
    let writes = Arc::new(AtomicUsize::new(0));
    Arc::new(MockHttp::with_handler(move |req| {
        let path = req.url.path();
        if is_operation(req) {
            return if path.ends_with("op1") {
                response(
                    200,
                    &[],
                    r#"{"status":"Failed","error":{"code":"ServiceIsInMaintenance","message":"Cluster 'democluster' is in process of maintenance."}}"#,
                )
            } else {
                response(200, &[], r#"{"status":"Succeeded"}"#)
            };
        }
        match req.method.as_str() {
            "GET" if present || writes.load(Ordering::SeqCst) > 1 => found("dc1", "Succeeded"),
            "GET" => not_found(),
            _ => {
                let n = writes.fetch_add(1, Ordering::SeqCst) + 1;
                let aao = format!(
                    "https://arm.example/subscriptions/sub/providers/Microsoft.Kusto/locations/w/operationResults/op{n}"
                );
                let status = if present { 200 } else { 201 };
                response(
                    status,
                    &[("azure-asyncoperation", &aao)],
                    &stored("dc1", "Creating"),
                )
            }
        }
    }))
}

#[tokio::test(start_paused = true)]
async fn a_create_whose_operation_failed_as_busy_is_sent_again() {
    let http = first_operation_busy(false);
    let created = create(&client(http.clone()), &ctx(), "dc1").await.unwrap();
    assert_eq!(created.provisioning_state.as_deref(), Some("Succeeded"));
    assert_eq!(count(&http, "PUT"), 2);
}

#[tokio::test(start_paused = true)]
async fn an_update_whose_operation_failed_as_busy_is_sent_again() {
    let http = first_operation_busy(true);
    create_or_update(&client(http.clone()), &ctx(), "dc1")
        .await
        .unwrap();
    assert_eq!(count(&http, "PUT"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_delete_whose_operation_failed_as_busy_is_sent_again() {
    let http = first_operation_busy(true);
    delete(&client(http.clone()), "dc1").await.unwrap();
    assert_eq!(count(&http, "DELETE"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_delete_with_a_lost_answer_waits_until_the_connection_is_gone() {
    let gets = Arc::new(AtomicUsize::new(0));
    let seen = gets.clone();
    let http = Arc::new(MockHttp::with_handler(move |req| {
        match req.method.as_str() {
            "DELETE" => gateway_timeout(),
            _ if seen.fetch_add(1, Ordering::SeqCst) < 2 => found("dc1", "Deleting"),
            _ => not_found(),
        }
    }));
    delete(&client(http.clone()), "dc1").await.unwrap();
    assert_eq!(gets.load(Ordering::SeqCst), 3);
    assert_eq!(
        count(&http, "DELETE"),
        11,
        "the first try and its ten retries"
    );
}

#[tokio::test(start_paused = true)]
async fn a_token_rejected_mid_create_is_replaced_and_nothing_is_tainted() {
    let http = Arc::new(MockHttp::new(vec![
        not_found(),
        response(
            401,
            &[("www-authenticate", r#"Bearer error="invalid_token""#)],
            r#"{"error":{"code":"ExpiredAuthenticationToken","message":"The access token has expired."}}"#,
        ),
        response(201, &[], &stored("dc1", "Succeeded")),
        found("dc1", "Succeeded"),
    ]));
    let client = client(http.clone());
    create(&client, &ctx(), "dc1").await.unwrap();
    assert_eq!(count(&http, "PUT"), 2);
    let tokens: Vec<_> = http
        .requests()
        .iter()
        .filter(|r| r.method == http::Method::PUT)
        .map(|r| r.headers["authorization"].clone())
        .collect();
    assert_eq!(
        tokens,
        ["Bearer test-token", "Bearer test-token-2"],
        "one new token"
    );
}

/// An accepted create whose answer (and every poll) carries `retry_after`; the operation
/// ends after 30 s.
fn accepted_with_retry_after(retry_after: &'static str) -> Arc<MockHttp> {
    let start = Instant::now();
    Arc::new(MockHttp::with_handler(move |req| {
        match (req.method.as_str(), is_operation(req)) {
            ("PUT", _) => response(
                201,
                &[("azure-asyncoperation", AAO), ("retry-after", retry_after)],
                &stored("dc1", "Creating"),
            ),
            (_, true) if start.elapsed() < Duration::from_secs(30) => response(
                200,
                &[("retry-after", retry_after)],
                r#"{"status":"Running"}"#,
            ),
            (_, true) => response(200, &[], r#"{"status":"Succeeded"}"#),
            _ if start.elapsed() == Duration::ZERO => not_found(),
            _ => found("dc1", "Succeeded"),
        }
    }))
}

#[tokio::test(start_paused = true)]
async fn a_hostile_retry_after_on_an_accepted_put_neither_panics_nor_stalls() {
    let http = accepted_with_retry_after("18446744073709551615");
    let start = Instant::now();
    create(&client(http.clone()), &ctx(), "dc1").await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(60), "one capped wait");
}

#[tokio::test(start_paused = true)]
async fn a_thirty_minute_retry_after_is_capped_and_said_at_warn() {
    let (logs, _guard) = crate::testing::Capture::start();
    let http = accepted_with_retry_after("1800");
    let start = Instant::now();
    create(&client(http.clone()), &ctx(), "dc1").await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(60));
    let text = logs.text();
    assert!(
        text.lines().any(|l| l.starts_with("WARN")
            && l.contains("asked_secs=1800")
            && l.contains("waiting_secs=60")),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_deadline_is_said_at_warn_and_ends_at_the_deadline() {
    let (logs, _guard) = crate::testing::Capture::start();
    let http = accepted_with_retry_after("50");
    let ctx = CallContext::with_timeout(Duration::from_secs(20));
    let start = Instant::now();
    let err = create(&client(http), &ctx, "dc1").await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(20));
    assert!(err.resource_may_exist(), "{err:?}");
    assert!(
        logs.text()
            .contains("would end after the operation's timeout"),
        "{}",
        logs.text()
    );
}
