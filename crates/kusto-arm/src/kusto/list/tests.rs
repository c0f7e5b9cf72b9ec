//! Listing against a scripted transport on tokio's paused clock.

use std::sync::Arc;

use serde_json::{Value, json};

use super::MAX_PAGES;
use crate::kusto::tests::{client, ctx};
use crate::testing::{MockHttp, response};
use crate::transport::Request;
use crate::*;

const CLUSTER: &str = "https://arm.example/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/clusters/democluster";

fn database() -> DatabaseId {
    DatabaseId {
        cluster: cluster(),
        database: "demodb".into(),
    }
}

fn cluster() -> ClusterId {
    ClusterId {
        subscription_id: "sub".into(),
        resource_group: "rg".into(),
        cluster: "democluster".into(),
    }
}

/// A data connection of kind `kind` named `name`, as a list entry.
fn connection(name: &str, kind: &str) -> Value {
    json!({
        "id": format!("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/Clusters/democluster/Databases/demodb/DataConnections/{name}"),
        "name": format!("democluster/demodb/{name}"),
        "type": "Microsoft.Kusto/Clusters/Databases/DataConnections",
        "location": "West Europe",
        "kind": kind,
        "properties": {
            "eventHubResourceId": "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/eventhubs/events",
            "consumerGroup": "$Default",
            "provisioningState": "Succeeded"
        }
    })
}

/// A page of `entries`, followed by `next` if given.
fn page(entries: Vec<Value>, next: Option<&str>) -> crate::Result<crate::transport::Response> {
    let mut body = json!({ "value": entries });
    if let Some(next) = next {
        body["nextLink"] = json!(next);
    }
    response(200, &[], &body.to_string())
}

/// The `$skiptoken` of a request, 0 for the first page.
fn skip(req: &Request) -> usize {
    req.url
        .query_pairs()
        .find(|(key, _)| key == "$skiptoken")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0)
}

/// Reads every page of `pages`, returning the entries of each page that was read and how
/// the listing ended.
async fn read_all<T>(pages: &mut Pages<'_, T>) -> (Vec<Vec<T>>, crate::Result<()>) {
    let mut read = Vec::new();
    loop {
        match pages.next_page(&ctx()).await {
            Ok(Some(entries)) => read.push(entries),
            Ok(None) => return (read, Ok(())),
            Err(err) => return (read, Err(err)),
        }
    }
}

fn names(connections: &[DataConnection]) -> Vec<String> {
    connections
        .iter()
        .map(|c| match c {
            DataConnection::EventHub(hub) => hub.name.clone(),
            DataConnection::Other { id, kind } => format!("{kind} {id}"),
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn data_connections_are_read_page_by_page_through_next_links() {
    let http = Arc::new(MockHttp::with_handler(|req| match skip(req) {
        0 => page(
            vec![connection("a", "EventHub"), connection("grid", "EventGrid")],
            Some(&format!(
                "{CLUSTER}/databases/demodb/dataConnections?api-version=2025-02-14&$skiptoken=2"
            )),
        ),
        _ => page(vec![connection("b", "EventHub")], None),
    }));
    let client = client(http.clone());
    let mut pages = client.data_connections().list(&database());

    let (read, end) = read_all(&mut pages).await;
    end.unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(
        names(&read[0]),
        [
            "a".to_string(),
            "EventGrid /subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/grid".to_string()
        ]
    );
    assert_eq!(names(&read[1]), ["b"]);
    // The end stays the end.
    assert!(pages.next_page(&ctx()).await.unwrap().is_none());

    let sent = http.requests();
    let urls: Vec<_> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            format!("{CLUSTER}/databases/demodb/dataConnections?api-version=2025-02-14"),
            format!(
                "{CLUSTER}/databases/demodb/dataConnections?api-version=2025-02-14&$skiptoken=2"
            ),
        ]
    );
    assert!(sent.iter().all(
        |r| r.method == http::Method::GET && r.headers["authorization"] == "Bearer test-token"
    ));
}

#[tokio::test(start_paused = true)]
async fn databases_are_listed_with_their_ids_and_kinds() {
    let entry = |name: &str, kind: &str| {
        json!({
            "id": format!("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/Clusters/democluster/Databases/{name}"),
            "name": format!("democluster/{name}"),
            "type": "Microsoft.Kusto/Clusters/Databases",
            "location": "West Europe",
            "kind": kind,
            "properties": {"provisioningState": "Succeeded"}
        })
    };
    let http = Arc::new(MockHttp::with_handler(move |req| match skip(req) {
        // A relative link without an api-version, which the client adds.
        0 => page(
            vec![entry("demodb", "ReadWrite")],
            Some("databases?$skiptoken=1"),
        ),
        _ => page(vec![entry("follower", "ReadOnlyFollowing")], None),
    }));
    let client = client(http.clone());
    let (read, end) = read_all(&mut client.databases().list(&cluster())).await;
    end.unwrap();
    let listed: Vec<Database> = read.into_iter().flatten().collect();
    assert_eq!(
        listed,
        [
            Database {
                id: database(),
                kind: "ReadWrite".into()
            },
            Database {
                id: DatabaseId {
                    cluster: cluster(),
                    database: "follower".into()
                },
                kind: "ReadOnlyFollowing".into()
            },
        ]
    );
    let urls: Vec<_> = http.requests().iter().map(|r| r.url.to_string()).collect();
    assert_eq!(
        urls,
        [
            format!("{CLUSTER}/databases?api-version=2025-02-14"),
            format!("{CLUSTER}/databases?$skiptoken=1&api-version=2025-02-14"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_next_link_to_another_host_is_refused_and_not_requested() {
    for foreign in [
        "https://attacker.example/subscriptions/sub/databases?$skiptoken=1",
        "http://arm.example/subscriptions/sub/databases?$skiptoken=1",
        "https://arm.example:8443/subscriptions/sub/databases?$skiptoken=1",
        "//attacker.example/databases",
    ] {
        let http = Arc::new(MockHttp::with_handler(move |_| page(vec![], Some(foreign))));
        let client = client(http.clone());
        let mut pages = client.databases().list(&cluster());
        let err = pages.next_page(&ctx()).await.unwrap_err();
        let Error::Decode(message) = &err else {
            panic!("{foreign}: {err:?}")
        };
        assert!(message.contains("page 1 of the databases of cluster democluster"));
        assert!(message.contains("not the Azure Resource Manager endpoint https://arm.example"));
        assert!(
            message.contains("access token goes nowhere else"),
            "{message}"
        );
        assert_eq!(http.requests().len(), 1, "{foreign}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_service_looping_on_next_link_is_stopped() {
    // A nextLink that always points further.
    let http = Arc::new(MockHttp::with_handler(|req| {
        let next = format!(
            "{CLUSTER}/databases?api-version=2025-02-14&$skiptoken={}",
            skip(req) + 1
        );
        page(vec![], Some(&next))
    }));
    let looping = client(http.clone());
    let (read, end) = read_all(&mut looping.data_connections().list(&database())).await;
    let err = end.unwrap_err().to_string();
    assert!(err.contains(&format!("page {MAX_PAGES} of the data connections of database demodb in cluster democluster is not the last one")), "{err}");
    assert_eq!(read.len(), MAX_PAGES - 1);
    assert_eq!(http.requests().len(), MAX_PAGES);

    // A nextLink naming the page itself.
    let http = Arc::new(MockHttp::with_handler(|req| {
        page(vec![connection("a", "EventHub")], Some(req.url.as_str()))
    }));
    let selfish = client(http.clone());
    let (read, end) = read_all(&mut selfish.data_connections().list(&database())).await;
    assert!(read.is_empty());
    assert!(
        end.unwrap_err()
            .to_string()
            .contains("page 1 of the data connections of database demodb in cluster democluster names itself as the next page")
    );
    assert_eq!(http.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_second_page_is_an_error_that_can_be_asked_again() {
    let next =
        format!("{CLUSTER}/databases/demodb/dataConnections?api-version=2025-02-14&$skiptoken=1");
    let http = Arc::new(MockHttp::new(vec![
        page(vec![connection("a", "EventHub")], Some(&next)),
        // Transient failures are retried by the pipeline, as for any call.
        response(503, &[("retry-after", "1")], ""),
        response(
            404,
            &[("x-ms-request-id", "req-2")],
            r#"{"error":{"code":"ParentResourceNotFound","message":"Parent resource 'democluster/demodb' not found."}}"#,
        ),
        response(200, &[], r#"{"value": [ {"id": "#),
        response(200, &[], r#"{"value": {"id": "x"}}"#),
        response(
            200,
            &[],
            r#"{"value": [{"kind": "EventHub", "properties": {}}]}"#,
        ),
        page(vec![connection("b", "EventHub")], None),
    ]));
    let client = client(http.clone());
    let mut pages = client.data_connections().list(&database());
    assert_eq!(
        names(&pages.next_page(&ctx()).await.unwrap().unwrap()),
        ["a"]
    );

    let err = pages.next_page(&ctx()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Http(HttpError { status: 404, code: Some(code), request_id: Some(id), .. })
            if code == "ParentResourceNotFound" && id == "req-2"),
        "{err:?}"
    );
    let page_2 = "page 2 of the data connections of database demodb in cluster democluster";
    for expected in [
        "is not valid JSON",
        "has a \"value\" that is not a list",
        "has an unreadable entry 0: data connection \"\" has no properties.eventHubResourceId",
    ] {
        let err = pages.next_page(&ctx()).await.unwrap_err();
        assert!(
            matches!(&err, Error::Decode(message) if message.starts_with(page_2) && message.contains(expected)),
            "{expected}: {err:?}"
        );
    }
    assert_eq!(
        names(&pages.next_page(&ctx()).await.unwrap().unwrap()),
        ["b"]
    );
    assert!(pages.next_page(&ctx()).await.unwrap().is_none());
    // Every request after the first asked for page 2.
    assert!(http.requests()[1..].iter().all(|r| skip(r) == 1));
    assert_eq!(http.requests().len(), 7);
}
