//! The end-to-end harness itself, against the real emulator binary and without any resource:
//! every admin call the resource tests rely on does what they expect, and a configuration
//! written by the harness is valid HCL for Terraform.

use reqwest::Certificate;
use serde_json::{Value, json};
use test_support::terraform;
use test_support::terraform::emulator::Emulator;
use test_support::terraform::scenario::*;

#[test]
fn the_emulator_starts_with_the_world_the_tests_are_written_for() {
    let emulator = Emulator::fast();
    let ready = emulator.ready();
    assert_eq!(ready.subscription_id, SUBSCRIPTION);
    assert!(ready.endpoint.ends_with(&ready.metadata_host));
    let env = emulator.provider_env();
    let names: Vec<&str> = env.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        names,
        [
            "ARM_METADATA_HOSTNAME",
            "ARM_TENANT_ID",
            "ARM_SUBSCRIPTION_ID",
            "ARM_CLIENT_ID",
            "ARM_CLIENT_SECRET",
            "SSL_CERT_FILE"
        ]
    );
    assert!(env.iter().all(|(_, v)| !v.is_empty()), "{env:?}");

    let world = emulator.world();
    let cluster = &world["clusters"][0];
    assert_eq!(cluster["name"], CLUSTER);
    assert_eq!(cluster["resource_group"], RESOURCE_GROUP);
    assert_eq!(cluster["databases"][0]["name"], DATABASE);
    assert_eq!(
        cluster["identity"]["system_assigned_principal_id"],
        CLUSTER_PRINCIPAL_ID
    );
    assert_eq!(
        world["user_assigned_identities"][0]["principal_id"],
        IDENTITY_PRINCIPAL_ID
    );
    assert!(emulator.data_connections().is_empty());
    assert!(emulator.requests().is_empty());
    assert!(emulator.operations().is_empty());
}

#[test]
fn world_edits_attach_identities_and_add_tables() {
    let emulator = Emulator::fast();
    attach_identity(&emulator);
    add_table(&emulator, "Archive", &[("archive_csv", "Csv")]);
    let world = emulator.world();
    let cluster = &world["clusters"][0];
    assert_eq!(
        cluster["identity"]["user_assigned"],
        json!([user_assigned_identity_id()])
    );
    let tables = cluster["databases"][0]["tables"]
        .as_array()
        .expect("tables");
    assert!(
        tables
            .iter()
            .any(|t| t["name"] == "Archive" && t["mappings"][0]["kind"] == "Csv")
    );
}

#[test]
fn connections_made_outside_terraform_can_be_read_changed_and_deleted() {
    let emulator = Emulator::fast();
    create_outside_terraform(
        &emulator,
        "outside",
        "EventHub",
        json!({"eventSystemProperties": ["x-opt-publisher"]}),
    );
    let id = connection_id("outside");
    assert_eq!(
        emulator.data_connections().keys().collect::<Vec<_>>(),
        [&id.to_ascii_lowercase()]
    );
    let recased = id.replace("/dataConnections/", "/DataConnections/");
    let stored = emulator
        .data_connection(&recased)
        .expect("found in any casing");
    assert_eq!(stored["kind"], "EventHub");
    assert_stored(
        &stored,
        &[
            ("eventHubResourceId", json!(eventhub_id())),
            ("tableName", json!("Events")),
            ("eventSystemProperties", json!(["x-opt-publisher"])),
            ("managedIdentityResourceId", Value::Null),
            ("retrievalStartDate", Value::Null),
        ],
    );

    emulator.patch_data_connection(
        &id,
        &json!({"properties": {"mappingRuleName": "events_csv", "tableName": null}}),
    );
    let stored = emulator.data_connection(&id).expect("still there");
    assert_stored(
        &stored,
        &[
            ("mappingRuleName", json!("events_csv")),
            ("tableName", Value::Null),
        ],
    );

    emulator.delete_data_connection(&id);
    assert_eq!(emulator.data_connection(&id), None);
    assert!(emulator.data_connections().is_empty());
}

/// The request log records what the resource tests count (kind, connection, time), the fault
/// plan counts its hits, and neither sees the admin calls.
#[test]
fn the_request_log_and_the_fault_plan() {
    let emulator = Emulator::fast();
    emulator.set_faults(&json!({"rules": [{
        "method": "GET",
        "path": "/metadata/endpoints",
        "times": 1,
        "action": {"type": "status", "status": 429, "retry_after": 1},
    }]}));
    let ca = std::fs::read(&emulator.ready().ca_cert).expect("CA");
    let client = reqwest::Client::builder()
        .add_root_certificate(Certificate::from_pem(&ca).expect("PEM"))
        .build()
        .expect("client");
    let url = format!(
        "{}/metadata/endpoints?api-version=2022-09-01",
        emulator.ready().endpoint
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let statuses: Vec<u16> = runtime.block_on(async {
        let mut statuses = Vec::new();
        for _ in 0..2 {
            let response = client.get(&url).send().await.expect("metadata request");
            statuses.push(response.status().as_u16());
        }
        statuses
    });
    assert_eq!(statuses, [429, 200]);

    let requests = emulator.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert!(
        requests
            .iter()
            .all(|r| r.kind == "metadata" && r.method == "GET")
    );
    assert_eq!(requests[0].fault.as_deref(), Some("status"));
    assert_eq!((requests[0].status, requests[1].status), (429, 200));
    assert!(requests[0].seq < requests[1].seq && requests[0].time <= requests[1].time);
    assert!(requests[0].connection > 0);
    assert!(!requests[0].is_arm());
    assert_eq!(emulator.faults()["rules"][0]["hits"], 2);

    emulator.clear_faults();
    assert_eq!(emulator.faults()["rules"], json!([]));
    emulator.clear_requests();
    assert!(emulator.requests().is_empty());
}

/// Configurations the tests write are valid HCL: `terraform fmt` (which needs no provider)
/// parses them.
#[test]
fn generated_configurations_are_well_formed_hcl() {
    let workspace = terraform::Workspace::new();
    let hcl = config(&connection(
        "test",
        "dc-${count.index}",
        &[
            ("count", json!(2)),
            ("consumer_group", json!("$Default")),
            ("event_system_properties", json!(["x-opt-publisher"])),
            ("skip_preflight_validation", json!(true)),
            ("timeouts", json!({"create": "2s", "delete": "1m"})),
        ],
    ));
    workspace.config(&hcl);
    workspace.terraform(&["fmt", "-no-color"]).success();
    assert!(hcl.contains(&line("consumer_group", &json!("$Default"))));
    assert!(hcl.contains("  timeouts {\n    create = \"2s\"\n"), "{hcl}");
}
