//! The provider's fast tier: the framework server drives the resource and its real ARM
//! client against the emulator served from inside this process, over HTTPS. No Terraform
//! and no process is started, so the whole lifecycle and the fault handling run in about a
//! second and can be stepped through in a debugger.
//!
//! What the end-to-end tests check with the `terraform` binary, these check one level down:
//! the state each RPC returns, and what Azure (the emulator's store) holds afterwards.

use std::net::Ipv4Addr;
use std::sync::Arc;

use kusto_emulator::{AppState, Config, FaultPlan, Settings, SystemClock, World, tls};
use serde_json::json;
use tempfile::TempDir;
use terraform_plugin::path::AttributePath;
use terraform_plugin::server::{
    ApplyResourceChangeRequest, ListResourceRequest, ListResourceResponse,
    PlanResourceChangeRequest, Server,
};
use terraform_plugin::value::{Type, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::{config, identity_in, plan, proposed, server_with};
use crate::KustoProvider;
use crate::resources::eventhub_data_connection::TYPE_NAME;

/// The emulator, served on a loopback port by a task of this test's runtime; stopped when
/// dropped.
struct Emulator {
    state: AppState,
    endpoint: String,
    ca_pem: String,
    env: Vec<(&'static str, String)>,
    stop: Option<oneshot::Sender<()>>,
    _ca_dir: TempDir,
}

impl Emulator {
    /// Operations end at the next poll and Azure asks for no wait between polls, so that
    /// every test runs at the speed of its requests.
    async fn start(faults: FaultPlan) -> Emulator {
        Emulator::serve(World::default(), faults).await
    }

    /// An emulator holding `world`, with lists of two entries a page.
    async fn serve(world: World, faults: FaultPlan) -> Emulator {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let address = listener.local_addr().unwrap();
        let ca = tls::Ca::generate().unwrap();
        let ca_dir = tempfile::tempdir().unwrap();
        let ca_file = ca_dir.path().join("ca.pem");
        tls::write_ca(&ca_file, &ca.cert_pem).unwrap();
        let state = AppState::new(Config {
            settings: Settings {
                lro_seconds: 0,
                retry_after: 0,
                page_size: 2,
                ..Settings::default()
            },
            world: world.clone(),
            restored: None,
            state_file: None,
            faults,
            clock: Arc::new(SystemClock::default()),
            print_requests: false,
        })
        .unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(kusto_emulator::run(
            listener,
            ca.server_config().unwrap(),
            kusto_emulator::app(state.clone()),
            async {
                let _ = stopped.await;
            },
        ));
        let application = &world.applications[0];
        let env = vec![
            ("ARM_TENANT_ID", world.tenant_id.clone()),
            ("ARM_SUBSCRIPTION_ID", world.subscriptions[0].clone()),
            ("ARM_CLIENT_ID", application.client_id.clone()),
            ("ARM_CLIENT_SECRET", application.client_secret.clone()),
            ("ARM_USE_CLI", "false".to_owned()),
            ("ARM_METADATA_HOSTNAME", address.to_string()),
            ("SSL_CERT_FILE", ca_file.display().to_string()),
            // What preflight validation found stays with this test.
            ("TMPDIR", ca_dir.path().display().to_string()),
        ];
        Emulator {
            state,
            endpoint: format!("https://{address}"),
            ca_pem: ca.cert_pem.clone(),
            env,
            stop: Some(stop),
            _ca_dir: ca_dir,
        }
    }

    /// A framework server for the provider, configured to use this emulator.
    async fn provider(&self) -> Server<KustoProvider> {
        let vars: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        server_with(&[], &vars).await
    }

    /// The emulator's admin API answer to `GET /_emulator/{what}`.
    async fn admin(&self, what: &str) -> serde_json::Value {
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).unwrap())
            .build()
            .unwrap();
        client
            .get(format!("{}/_emulator/{what}", self.endpoint))
            .bearer_auth(self.state.admin_token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// How many requests each rule of the fault plan matched.
    async fn fault_hits(&self) -> Vec<u64> {
        self.admin("faults").await["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|rule| rule["hits"].as_u64().unwrap())
            .collect()
    }

    /// The ARM GETs served (lists and reads), by path.
    async fn arm_gets(&self) -> Vec<String> {
        self.admin("requests").await["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["method"] == "GET" && entry["kind"] == "arm")
            .map(|entry| entry["path"].as_str().unwrap().to_owned())
            .collect()
    }

    /// How many preflight validations Azure was asked for.
    fn validations(&self) -> usize {
        self.state
            .snapshot()
            .operations
            .values()
            .filter(|op| serde_json::to_value(op.kind).unwrap() == "Validate")
            .count()
    }

    /// The data connections Azure holds, by lower-cased id.
    fn connections(&self) -> Vec<String> {
        self.state
            .snapshot()
            .world
            .data_connections
            .into_keys()
            .collect()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Plans `config` (null: destroy) over `prior` and applies the plan, as `terraform apply`
/// does; returns the new state and the error details.
async fn apply(
    server: &Server<KustoProvider>,
    prior: &Value,
    config: &Value,
) -> (Value, Vec<String>) {
    let plan = plan(server, prior, config).await;
    let request = ApplyResourceChangeRequest::approved(prior.clone(), config.clone(), plan);
    let applied = server.apply_resource_change(TYPE_NAME, request).await;
    let errors = applied
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect();
    (applied.new_state, errors)
}

/// Whether planning `config` over `state` changes nothing, as after a converged apply.
async fn plans_nothing(server: &Server<KustoProvider>, state: &Value, config: &Value) -> bool {
    let plan = plan(server, state, config).await;
    plan.planned_state == *state && plan.requires_replace.is_empty()
}

/// One connection created under `faults`: the emulator, the provider, the configuration and
/// the state, after checking that exactly that connection is in Azure and in state, and
/// that the next plan is empty.
async fn created(faults: FaultPlan) -> (Emulator, Server<KustoProvider>, Value, Value) {
    let emulator = Emulator::start(faults).await;
    let server = emulator.provider().await;
    let config = config(&server, &[]);
    let (state, errors) = apply(&server, &Value::Null, &config).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(state.get_str("provisioning_state"), Some("Succeeded"));
    let id = state.get_str("id").expect("an id in state");
    assert_eq!(emulator.connections(), [id.to_ascii_lowercase()]);
    assert!(plans_nothing(&server, &state, &config).await);
    (emulator, server, config, state)
}

/// A fault plan whose actions answer the connection's first PUTs, one each, in order.
fn on_first_puts(actions: &[serde_json::Value]) -> FaultPlan {
    let rules: Vec<_> = actions
        .iter()
        .enumerate()
        .map(|(skip, action)| {
            json!({"method": "PUT", "path": "*/dataConnections/dc1",
                   "skip": skip, "times": 1, "action": action})
        })
        .collect();
    serde_json::from_value(json!({ "rules": rules })).unwrap()
}

#[tokio::test]
async fn create_read_update_and_delete_converge_with_azure() {
    let (emulator, server, _, state) = created(FaultPlan::default()).await;

    let read = server
        .read_resource(TYPE_NAME, state.clone(), Vec::new(), Value::Null)
        .await;
    assert!(!read.diagnostics.has_error(), "{:?}", read.diagnostics);
    assert_eq!(
        read.new_state, state,
        "a refresh right after apply is not a change"
    );

    let updated = config(
        &server,
        &[
            ("mapping_rule_name", "events_csv".into()),
            ("data_format", "CSV".into()),
        ],
    );
    let (state, errors) = apply(&server, &state, &updated).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(state.get_str("data_format"), Some("CSV"));
    let held = emulator.state.snapshot().world.data_connections;
    let held = serde_json::to_value(held.values().next().unwrap()).unwrap();
    assert_eq!(
        held["properties"]["mappingRuleName"], "events_csv",
        "{held}"
    );
    assert!(plans_nothing(&server, &state, &updated).await);

    let (state, errors) = apply(&server, &state, &Value::Null).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert!(state.is_null());
    assert!(emulator.connections().is_empty());
}

/// Terraform 1.12's lifecycle: the identity planned, stored after the create, sent back with
/// every refresh and plan and kept by the update, given by an `import { identity }` of the
/// same connection, and gone with the connection.
#[tokio::test]
async fn the_identity_is_planned_stored_and_kept_through_the_lifecycle() {
    let emulator = Emulator::start(FaultPlan::default()).await;
    let server = emulator.provider().await;
    let (_, subscription) = emulator
        .env
        .iter()
        .find(|(name, _)| *name == "ARM_SUBSCRIPTION_ID")
        .unwrap();
    let identity = identity_in(subscription);
    let config = config(&server, &[]);
    let planned = plan(&server, &Value::Null, &config).await;
    assert_eq!(planned.planned_identity, identity);
    let request = ApplyResourceChangeRequest::approved(Value::Null, config.clone(), planned);
    let created = server.apply_resource_change(TYPE_NAME, request).await;
    assert!(created.diagnostics.is_empty(), "{:?}", created.diagnostics);
    assert_eq!(created.new_identity, identity);

    let read = server
        .read_resource(TYPE_NAME, created.new_state, Vec::new(), identity.clone())
        .await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(read.new_identity, identity);

    let changed = super::config(
        &server,
        &[
            ("mapping_rule_name", "events_csv".into()),
            ("data_format", "CSV".into()),
        ],
    );
    let update = server
        .plan_resource_change(
            TYPE_NAME,
            PlanResourceChangeRequest {
                prior_state: read.new_state.clone(),
                proposed_state: proposed(&server, &read.new_state, &changed),
                config: changed.clone(),
                prior_private: read.private,
                prior_identity: read.new_identity,
            },
        )
        .await;
    assert_eq!(update.planned_identity, identity);
    let request = ApplyResourceChangeRequest::approved(read.new_state, changed.clone(), update);
    let updated = server.apply_resource_change(TYPE_NAME, request).await;
    assert!(updated.diagnostics.is_empty(), "{:?}", updated.diagnostics);
    assert_eq!(updated.new_state.get_str("data_format"), Some("CSV"));
    assert_eq!(updated.new_identity, identity);

    let imported = server.import_resource_by_identity(TYPE_NAME, &identity);
    assert!(
        imported.diagnostics.is_empty(),
        "{:?}",
        imported.diagnostics
    );
    let state = imported.state.unwrap();
    let read = server
        .read_resource(TYPE_NAME, state, imported.private, imported.identity)
        .await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(read.new_state.get_str("data_format"), Some("CSV"));
    assert_eq!(read.new_identity, identity);

    let (state, errors) = apply(&server, &updated.new_state, &Value::Null).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert!(state.is_null());
}

#[tokio::test]
async fn throttled_and_unavailable_answers_are_retried() {
    let (emulator, ..) = created(on_first_puts(&[
        json!({"type": "status", "status": 429, "retry_after": 0}),
        json!({"type": "status", "status": 503, "retry_after": 0}),
    ]))
    .await;
    assert_eq!(
        emulator.fault_hits().await,
        [3, 3],
        "two refused PUTs, then one more"
    );
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_found_in_azure_not_orphaned() {
    let (emulator, ..) = created(on_first_puts(&[
        json!({"type": "drop", "after_processing": true}),
    ]))
    .await;
    assert_eq!(
        emulator.fault_hits().await,
        [1],
        "one PUT, then the connection is read"
    );
}

#[tokio::test]
async fn a_connection_that_exists_already_is_not_taken_over() {
    let (emulator, server, config, first) = created(FaultPlan::default()).await;

    let (second, errors) = apply(&server, &Value::Null, &config).await;
    assert!(
        second.is_null(),
        "the second owner records nothing: {second:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("already exists")),
        "{errors:?}"
    );
    assert_eq!(emulator.connections().len(), 1);
    assert!(
        plans_nothing(&server, &first, &config).await,
        "the first owner still converges"
    );
}

/// A create is validated at plan time: once, however many times Terraform plans it (its
/// apply plans again, in a new provider process), and not again by the apply.
#[tokio::test]
async fn a_create_is_validated_once_at_plan_time() {
    let emulator = Emulator::start(FaultPlan::default()).await;
    let server = emulator.provider().await;
    let config = config(&server, &[]);
    let planned = plan(&server, &Value::Null, &config).await;
    assert_eq!(emulator.validations(), 1);
    assert!(
        !planned.planned_private.is_empty(),
        "the pass rides to the apply"
    );

    let apply_process = emulator.provider().await;
    let replanned = plan(&apply_process, &Value::Null, &config).await;
    assert_eq!(emulator.validations(), 1, "the apply's own plan remembers");
    let request = ApplyResourceChangeRequest::approved(Value::Null, config.clone(), replanned);
    let applied = apply_process
        .apply_resource_change(TYPE_NAME, request)
        .await;
    assert!(
        !applied.diagnostics.has_error(),
        "{:?}",
        applied.diagnostics
    );
    assert_eq!(emulator.validations(), 1, "the apply trusts the plan");
    assert!(
        applied.private.is_empty(),
        "nothing of the plan's is kept in state"
    );
    assert_eq!(emulator.connections().len(), 1);
}

/// A missing table fails the plan at `table_name`, before anything is created.
#[tokio::test]
async fn a_missing_table_fails_the_plan_at_its_attribute() {
    let emulator = Emulator::start(FaultPlan::default()).await;
    let server = emulator.provider().await;
    let config = config(&server, &[("table_name", "Missing".into())]);
    let proposed = super::proposed(&server, &Value::Null, &config);
    let planned = server
        .plan_resource_change(
            TYPE_NAME,
            PlanResourceChangeRequest {
                prior_state: Value::Null,
                proposed_state: proposed,
                config,
                prior_private: Vec::new(),
                prior_identity: Value::Null,
            },
        )
        .await;
    let error = planned.diagnostics.iter().next().expect("an error");
    assert_eq!(error.path, Some(AttributePath::attr("table_name")));
    assert!(error.detail.contains("table"), "{}", error.detail);
    assert!(emulator.connections().is_empty());
}

/// Values known only at apply are checked when they are known: Terraform plans again during
/// the apply, and an apply whose plan did not check asks itself. An update is checked when it
/// sends new settings, not when only Terraform-side values change.
#[tokio::test]
async fn what_the_plan_cannot_check_is_checked_during_the_apply() {
    let emulator = Emulator::start(FaultPlan::default()).await;
    let server = emulator.provider().await;
    let unknown_table = config(&server, &[("table_name", Value::Unknown)]);
    let planned = plan(&server, &Value::Null, &unknown_table).await;
    assert_eq!(emulator.validations(), 0, "nothing to ask yet");
    assert!(planned.planned_private.is_empty());

    let known = config(&server, &[]);
    let replanned = plan(&server, &Value::Null, &known).await;
    assert_eq!(emulator.validations(), 1, "asked once the table is known");
    let mut request = ApplyResourceChangeRequest::approved(Value::Null, known, replanned);
    request.planned_private = Vec::new();
    let applied = server.apply_resource_change(TYPE_NAME, request).await;
    assert!(
        !applied.diagnostics.has_error(),
        "{:?}",
        applied.diagnostics
    );
    assert_eq!(
        emulator.validations(),
        2,
        "no pass from the plan: the apply asks"
    );
    let state = applied.new_state;

    let terraform_side = config(&server, &[("skip_preflight_validation", false.into())]);
    let (state, errors) = apply(&server, &state, &terraform_side).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        emulator.validations(),
        2,
        "nothing new to send, nothing to ask"
    );
    let remapped = config(
        &server,
        &[
            ("mapping_rule_name", "events_csv".into()),
            ("data_format", "CSV".into()),
        ],
    );
    let (_, errors) = apply(&server, &state, &remapped).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        emulator.validations(),
        3,
        "an update that sends new settings"
    );
}

/// The default world with a second database, `otherdb`, and more connections than fit a
/// page: `dc01` to `dc05` and an Event Grid connection `eg1` in `demodb`, `dc06` and `dc07`
/// in `otherdb`.
fn crowded_world() -> World {
    let mut world = serde_json::to_value(World::default()).unwrap();
    world["clusters"][0]["databases"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "otherdb", "tables": [{"name": "Events", "mappings": []}]}));
    let sub = kusto_emulator::DEFAULT_SUBSCRIPTION_ID;
    let mut connections = serde_json::Map::new();
    let placed = [
        ("demodb", "dc01", "EventHub"),
        ("demodb", "dc02", "EventHub"),
        ("demodb", "dc03", "EventHub"),
        ("demodb", "dc04", "EventHub"),
        ("demodb", "dc05", "EventHub"),
        ("demodb", "eg1", "EventGrid"),
        ("otherdb", "dc06", "EventHub"),
        ("otherdb", "dc07", "EventHub"),
    ];
    for (database, name, kind) in placed {
        let key = format!(
            "/subscriptions/{sub}/resourcegroups/rg-demo/providers/microsoft.kusto/clusters/democluster/databases/{database}/dataconnections/{name}"
        );
        connections.insert(
            key,
            json!({
                "names": {"subscriptionId": sub, "resourceGroup": "rg-demo",
                          "cluster": "democluster", "database": database, "name": name},
                "location": "West Europe",
                "kind": kind,
                "provisioningState": "Succeeded",
                "properties": {
                    "eventHubResourceId": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events",
                    "consumerGroup": "$Default",
                    "tableName": "Events",
                    "mappingRuleName": "events_json",
                    "dataFormat": "JSON",
                    "eventSystemProperties": [],
                    "compression": "None",
                    "managedIdentityResourceId": null,
                    "managedIdentityObjectId": null,
                    "databaseRouting": null,
                    "retrievalStartDate": null
                }
            }),
        );
    }
    world["data_connections"] = serde_json::Value::Object(connections);
    serde_json::from_value(world).unwrap()
}

/// A `list "kusto_eventhub_data_connection"` block's `config`.
fn list_config(server: &Server<KustoProvider>, names: &[(&str, &str)]) -> Value {
    let ty = server.list_resource_type(TYPE_NAME).unwrap();
    let Type::Object(attributes) = ty else {
        panic!("an object type");
    };
    let mut config = Value::Object(
        attributes
            .keys()
            .map(|name| (name.clone(), Value::Null))
            .collect(),
    );
    for (name, text) in names {
        config.set(name, *text);
    }
    config
}

/// Lists with `names`, `limit` results at most.
async fn list(
    server: &Server<KustoProvider>,
    names: &[(&str, &str)],
    include_resource_object: bool,
    limit: i64,
) -> ListResourceResponse {
    let request = ListResourceRequest {
        config: list_config(server, names),
        include_resource_object,
        limit,
    };
    server.list_resource(TYPE_NAME, request).await
}

fn display_names(listed: &ListResourceResponse) -> Vec<&str> {
    listed
        .results
        .iter()
        .map(|r| r.display_name.as_str())
        .collect()
}

const DEMODB: [(&str, &str); 3] = [
    ("resource_group_name", "rg-demo"),
    ("cluster_name", "democluster"),
    ("database_name", "demodb"),
];

/// A database's Event Hub connections over three pages, with their identities; the Event
/// Grid connection is passed over.
#[tokio::test]
async fn a_database_is_listed_page_by_page_with_identities_only() {
    let emulator = Emulator::serve(crowded_world(), FaultPlan::default()).await;
    let server = emulator.provider().await;
    let listed = list(&server, &DEMODB, false, 100).await;
    assert!(listed.diagnostics.is_empty(), "{:?}", listed.diagnostics);
    assert_eq!(
        display_names(&listed),
        [
            "democluster/demodb/dc01",
            "democluster/demodb/dc02",
            "democluster/demodb/dc03",
            "democluster/demodb/dc04",
            "democluster/demodb/dc05",
        ]
    );
    let mut identity = identity_in(kusto_emulator::DEFAULT_SUBSCRIPTION_ID);
    identity.set("name", "dc05");
    assert_eq!(listed.results[4].identity, identity);
    assert!(listed.results.iter().all(|r| r.resource_object.is_none()));
    let gets = emulator.arm_gets().await;
    assert_eq!(
        gets.len(),
        3,
        "three pages, no read of any connection: {gets:?}"
    );
}

/// With `include_resource = true`, each state is the one an import of the connection and
/// a read would store.
#[tokio::test]
async fn listed_states_are_what_an_import_reads() {
    let emulator = Emulator::serve(crowded_world(), FaultPlan::default()).await;
    let server = emulator.provider().await;
    let listed = list(&server, &DEMODB, true, 1).await;
    assert!(listed.diagnostics.is_empty(), "{:?}", listed.diagnostics);
    let found = &listed.results[0];
    let state = found.resource_object.clone().expect("a state");
    assert_eq!(state.get_str("location"), Some("westeurope"));
    assert!(state.attr("timeouts").is_null());

    let id = state.get_str("id").unwrap();
    let imported = server.import_resource_state(TYPE_NAME, id);
    let read = server
        .read_resource(
            TYPE_NAME,
            imported.state.unwrap(),
            imported.private,
            imported.identity,
        )
        .await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(state, read.new_state);
    assert_eq!(found.identity, read.new_identity);
}

/// Without a database, every database of the cluster, each in pages; a limit stops the
/// reading of pages once reached.
#[tokio::test]
async fn a_cluster_is_listed_database_by_database_until_the_limit() {
    let emulator = Emulator::serve(crowded_world(), FaultPlan::default()).await;
    let server = emulator.provider().await;
    let cluster = &DEMODB[..2];
    let listed = list(&server, cluster, false, 100).await;
    assert!(listed.diagnostics.is_empty(), "{:?}", listed.diagnostics);
    let names = display_names(&listed);
    assert_eq!(names.len(), 7, "{names:?}");
    assert_eq!(names[6], "democluster/otherdb/dc07");
    assert_eq!(emulator.arm_gets().await.len(), 1 + 3 + 1);

    let server = Emulator::serve(crowded_world(), FaultPlan::default()).await;
    let provider = server.provider().await;
    let limited = list(&provider, cluster, false, 3).await;
    assert_eq!(
        display_names(&limited),
        [
            "democluster/demodb/dc01",
            "democluster/demodb/dc02",
            "democluster/demodb/dc03",
        ]
    );
    let gets = server.arm_gets().await;
    assert_eq!(
        gets.len(),
        3,
        "one page of databases, two of connections: {gets:?}"
    );
}

/// A missing cluster or database is reported at its attribute; bad names never reach Azure.
#[tokio::test]
async fn what_is_missing_or_misnamed_is_reported_at_its_attribute() {
    let emulator = Emulator::serve(crowded_world(), FaultPlan::default()).await;
    let server = emulator.provider().await;
    let error_path = |listed: &ListResourceResponse| {
        assert!(listed.results.is_empty());
        let error = listed.diagnostics.iter().next().expect("an error");
        assert!(error.detail.contains("404"), "{}", error.detail);
        error.path.clone()
    };
    let no_cluster = list(
        &server,
        &[
            ("resource_group_name", "rg-demo"),
            ("cluster_name", "nocluster"),
        ],
        false,
        100,
    )
    .await;
    assert_eq!(
        error_path(&no_cluster),
        Some(AttributePath::attr("cluster_name"))
    );
    let no_cluster_nor_database = list(
        &server,
        &[
            ("resource_group_name", "rg-demo"),
            ("cluster_name", "nocluster"),
            ("database_name", "demodb"),
        ],
        false,
        100,
    )
    .await;
    assert_eq!(
        error_path(&no_cluster_nor_database),
        Some(AttributePath::attr("cluster_name"))
    );
    let mut missing = DEMODB;
    missing[2].1 = "nodb";
    let no_database = list(&server, &missing, false, 100).await;
    assert_eq!(
        error_path(&no_database),
        Some(AttributePath::attr("database_name"))
    );
    let gets = emulator.arm_gets().await.len();

    let misnamed = list_config(
        &server,
        &[
            ("resource_group_name", "rg-demo"),
            ("cluster_name", "Demo_Cluster"),
        ],
    );
    let diags = server.validate_list_resource_config(TYPE_NAME, &misnamed);
    let paths: Vec<_> = diags.iter().map(|d| d.path.clone()).collect();
    assert_eq!(paths, [Some(AttributePath::attr("cluster_name"))]);
    let refused = list(
        &server,
        &[
            ("resource_group_name", "rg-demo"),
            ("cluster_name", "Demo_Cluster"),
        ],
        false,
        100,
    )
    .await;
    assert!(refused.diagnostics.has_error());
    assert_eq!(emulator.arm_gets().await.len(), gets, "nothing asked");
}
