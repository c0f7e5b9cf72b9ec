//! The resource through the framework's server, without Azure: validation, planning and
//! import, as Terraform would call them.

use std::collections::BTreeMap;

use crate::KustoProvider;
use crate::config::Env;
use terraform_plugin::diag::Diagnostics;
use terraform_plugin::path::AttributePath;
use terraform_plugin::server::{
    ApplyResourceChangeRequest, MoveResourceStateRequest, MoveResourceStateResponse,
    PlanResourceChangeRequest, PlanResourceChangeResponse, Server,
};
use terraform_plugin::value::Value;

use super::TYPE_NAME;

mod emulated;

const SUB: &str = "00000000-0000-0000-0000-000000000001";
const HUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events";
const ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb/dataConnections/dc1";

/// A configured server that never reaches Azure: the provider skips the preflight
/// validation, the one question a plan asks Azure (the emulated tests ask it).
async fn server() -> Server<KustoProvider> {
    server_with(&[("skip_preflight_validation", Value::Bool(true))], &[]).await
}

/// A configured server whose provider block sets `settings` and whose provider reads
/// `ARM_SUBSCRIPTION_ID` and `vars`.
async fn server_with(settings: &[(&str, Value)], vars: &[(&str, &str)]) -> Server<KustoProvider> {
    let mut env = BTreeMap::from([("ARM_SUBSCRIPTION_ID".to_owned(), SUB.to_owned())]);
    env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let env = Env::Map(env);
    let server = Server::new(KustoProvider::with_env(env));
    assert!(
        server.schema_diagnostics().is_empty(),
        "{:?}",
        server.schema_diagnostics()
    );
    let mut config = server.provider_schema().body().empty_value();
    for (name, value) in settings {
        config.set(name, value.clone());
    }
    let diags = server.configure_provider(config, "1.0.3".to_owned()).await;
    assert!(diags.is_empty(), "{diags:?}");
    server
}

fn empty(server: &Server<KustoProvider>) -> Value {
    let (_, schema) = server
        .resource_schemas()
        .find(|(name, _)| *name == TYPE_NAME)
        .unwrap();
    schema.body().empty_value()
}

/// The quickstart's configuration.
fn config(server: &Server<KustoProvider>, extra: &[(&str, Value)]) -> Value {
    let mut config = empty(server);
    for (name, value) in [
        ("name", "dc1"),
        ("resource_group_name", "rg-demo"),
        ("location", "West Europe"),
        ("cluster_name", "democluster"),
        ("database_name", "demodb"),
        ("eventhub_id", HUB),
        ("consumer_group", "kusto"),
        ("table_name", "Events"),
        ("mapping_rule_name", "events_json"),
        ("data_format", "JSON"),
    ] {
        config.set(name, value);
    }
    for (name, value) in extra {
        config.set(name, value.clone());
    }
    config
}

/// Terraform's proposed new state: configuration, with prior values for unset computed
/// attributes.
fn proposed(server: &Server<KustoProvider>, prior: &Value, config: &Value) -> Value {
    let (_, schema) = server
        .resource_schemas()
        .find(|(name, _)| *name == TYPE_NAME)
        .unwrap();
    let mut proposed = config.clone();
    for attribute in schema.body().attributes() {
        if attribute.mode().is_computed() && config.is_null_attr(attribute.name()) {
            proposed.set(attribute.name(), prior.attr(attribute.name()).clone());
        }
    }
    proposed
}

/// The plan of `config` over `prior`, as Terraform asks for it; a null `config` plans the
/// destroy.
async fn plan(
    server: &Server<KustoProvider>,
    prior: &Value,
    config: &Value,
) -> PlanResourceChangeResponse {
    let proposed = if config.is_null() {
        Value::Null
    } else {
        proposed(server, prior, config)
    };
    let resp = server
        .plan_resource_change(
            TYPE_NAME,
            PlanResourceChangeRequest {
                prior_state: prior.clone(),
                proposed_state: proposed,
                config: config.clone(),
                prior_private: Vec::new(),
                prior_identity: Value::Null,
            },
        )
        .await;
    assert!(!resp.diagnostics.has_error(), "{:?}", resp.diagnostics);
    resp
}

/// The identity of the connection `dc1` in `subscription`, as Terraform 1.12 stores it.
fn identity_in(subscription: &str) -> Value {
    let mut identity = Value::Object(BTreeMap::new());
    for (name, text) in [
        ("subscription_id", subscription),
        ("resource_group_name", "rg-demo"),
        ("cluster_name", "democluster"),
        ("database_name", "demodb"),
        ("name", "dc1"),
    ] {
        identity.set(name, text);
    }
    identity
}

/// The state after applying `config`, as Azure answers it (display-name location, a
/// service-chosen retrieval start date).
async fn applied(server: &Server<KustoProvider>, config: &Value) -> Value {
    let mut state = plan(server, &Value::Null, config).await.planned_state;
    state.set("retrieval_start_date", "2026-01-01T00:00:00Z");
    state.set("provisioning_state", "Succeeded");
    state
}

fn unknown_attributes(value: &Value) -> Vec<String> {
    value
        .unknown_paths()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[tokio::test]
async fn create_plans_unknowns_only_where_azure_assigns() {
    let server = server().await;
    let planned = plan(&server, &Value::Null, &config(&server, &[]))
        .await
        .planned_state;
    assert_eq!(
        unknown_attributes(&planned),
        ["provisioning_state", "retrieval_start_date"]
    );
    assert_eq!(planned.get_str("id"), Some(ID));
    assert_eq!(
        plan(&server, &Value::Null, &config(&server, &[]))
            .await
            .planned_identity,
        identity_in(SUB),
        "the id, and so the identity, is known before apply"
    );
    assert_eq!(planned.get_str("compression"), Some("None"));
    assert_eq!(planned.get_str("database_routing_type"), Some("Single"));
    assert_eq!(
        planned.attr("event_system_properties"),
        &Value::List(vec![])
    );
    assert!(planned.is_null_attr("managed_identity_object_id"));

    let with_identity = config(
        &server,
        &[("identity_id", ID.split("/databases").next().unwrap().into())],
    );
    let planned = plan(&server, &Value::Null, &with_identity)
        .await
        .planned_state;
    assert!(planned.is_unknown_attr("managed_identity_object_id"));
}

#[tokio::test]
async fn refresh_of_an_unchanged_connection_plans_nothing() {
    let server = server().await;
    let config = config(&server, &[]);
    let state = applied(&server, &config).await;
    let resp = plan(&server, &state, &config).await;
    assert_eq!(resp.planned_state, state);
    assert!(resp.requires_replace.is_empty());
}

/// What a plan should do with one changed argument.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Planned {
    /// An in-place update whose planned values are all known.
    Update,
    /// A replacement, for that argument alone.
    Replace,
    /// Nothing: the value is another spelling of the prior one, which the plan keeps.
    Same,
}

#[tokio::test]
async fn each_argument_change_plans_an_update_or_a_replacement() {
    use Planned::{Replace, Same, Update};
    let server = server().await;
    let state = applied(&server, &config(&server, &[])).await;
    let changes: [(&str, Value, Planned); 16] = [
        ("table_name", "Other".into(), Update),
        ("mapping_rule_name", Value::Null, Update),
        ("data_format", "MULTIJSON".into(), Update),
        (
            "event_system_properties",
            Value::strings(["x-opt-offset"]),
            Update,
        ),
        (
            "retrieval_start_date",
            "2024-01-15T08:30:00Z".into(),
            Update,
        ),
        ("location", "westeurope".into(), Same),
        ("eventhub_id", HUB.to_lowercase().into(), Same),
        ("name", "dc2".into(), Replace),
        ("resource_group_name", "rg-other".into(), Replace),
        ("location", "North Europe".into(), Replace),
        ("cluster_name", "othercluster".into(), Replace),
        ("database_name", "otherdb".into(), Replace),
        (
            "eventhub_id",
            HUB.replace("events", "other").into(),
            Replace,
        ),
        ("consumer_group", "$Default".into(), Replace),
        ("compression", "GZip".into(), Replace),
        ("database_routing_type", "Multi".into(), Replace),
    ];
    for (name, value, expected) in changes {
        let resp = plan(&server, &state, &config(&server, &[(name, value.clone())])).await;
        if expected == Replace {
            assert_eq!(resp.requires_replace, [AttributePath::attr(name)], "{name}");
            continue;
        }
        if expected == Same {
            assert_eq!(resp.planned_state, state, "{name}");
            assert!(resp.requires_replace.is_empty(), "{name}");
            continue;
        }
        assert!(
            resp.requires_replace.is_empty(),
            "{name}: {:?}",
            resp.requires_replace
        );
        assert_eq!(resp.planned_state.attr(name), &value, "{name}");
        assert!(
            unknown_attributes(&resp.planned_state).is_empty(),
            "{name}: {:?}",
            unknown_attributes(&resp.planned_state)
        );
        assert_eq!(resp.planned_state.get_str("id"), Some(ID));
        let start = resp.planned_state.get_str("retrieval_start_date");
        if name != "retrieval_start_date" {
            assert_eq!(start, Some("2026-01-01T00:00:00Z"), "{name}");
        }
    }
}

#[tokio::test]
async fn changing_the_identity_leaves_its_object_id_unknown() {
    let server = server().await;
    let cluster = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster";
    let mut state = applied(
        &server,
        &config(&server, &[("identity_id", cluster.into())]),
    )
    .await;
    state.set("managed_identity_object_id", "oid");
    let same = config(
        &server,
        &[
            (
                "identity_id",
                cluster.replace("clusters", "Clusters").into(),
            ),
            ("table_name", "Other".into()),
        ],
    );
    assert_eq!(
        plan(&server, &state, &same)
            .await
            .planned_state
            .get_str("managed_identity_object_id"),
        Some("oid")
    );
    let removed = config(&server, &[]);
    assert!(
        plan(&server, &state, &removed)
            .await
            .planned_state
            .is_null_attr("managed_identity_object_id")
    );
}

fn validation_errors(server: &Server<KustoProvider>, config: &Value) -> Vec<(String, String)> {
    server
        .validate_resource_config(TYPE_NAME, config)
        .errors()
        .map(|d| {
            (
                d.path.as_ref().map(ToString::to_string).unwrap_or_default(),
                d.detail.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn invalid_values_are_reported_at_their_attribute() {
    let server = server().await;
    assert!(validation_errors(&server, &config(&server, &[])).is_empty());
    let bad = config(
        &server,
        &[
            ("name", "bad_name".into()),
            ("cluster_name", "Cluster".into()),
            ("consumer_group", "$default".into()),
            ("data_format", "RAW".into()),
            ("eventhub_id", "/subscriptions/x".into()),
            ("retrieval_start_date", "yesterday".into()),
            ("event_system_properties", Value::strings(["ok", " "])),
        ],
    );
    let mut paths: Vec<String> = validation_errors(&server, &bad)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "cluster_name",
            "consumer_group",
            "data_format",
            "event_system_properties[1]",
            "eventhub_id",
            "name",
            "retrieval_start_date"
        ]
    );
    let unknowns = config(
        &server,
        &[("name", Value::Unknown), ("data_format", Value::Unknown)],
    );
    assert!(validation_errors(&server, &unknowns).is_empty());
}

#[tokio::test]
async fn unsupported_combinations_are_reported() {
    let server = server().await;
    let gzip = config(
        &server,
        &[
            ("compression", "GZip".into()),
            ("data_format", "PARQUET".into()),
            ("event_system_properties", Value::strings(["x-opt-offset"])),
        ],
    );
    let errors = validation_errors(&server, &gzip);
    let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["compression", "event_system_properties"]);
}

#[tokio::test]
async fn import_takes_an_arm_id_in_any_casing() {
    let server = server().await;
    let recased = ID
        .replace("resourceGroups", "resourcegroups")
        .replace("clusters", "Clusters")
        .replace("dataConnections", "DataConnections");
    let resp = server.import_resource_state(TYPE_NAME, &recased);
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = resp.state.unwrap();
    assert_eq!(state.get_str("id"), Some(ID));
    assert_eq!(state.get_str("name"), Some("dc1"));
    assert_eq!(state.get_str("database_name"), Some("demodb"));
    assert_eq!(state.get_str("cluster_name"), Some("democluster"));
    assert_eq!(state.get_str("resource_group_name"), Some("rg-demo"));
    assert!(state.is_null_attr("location"));
    assert_eq!(resp.identity, identity_in(SUB));
}

/// `import { identity = {...} }` (Terraform 1.12): the five names make the id, as the same
/// names in an ARM id would.
#[tokio::test]
async fn import_by_identity_builds_the_id_from_the_names() {
    let server = server().await;
    let other_subscription = identity_in("00000000-0000-0000-0000-000000000002");
    let resp = server.import_resource_by_identity(TYPE_NAME, &other_subscription);
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = resp.state.unwrap();
    assert_eq!(
        state.get_str("id"),
        Some(ID.replace("0001", "0002").as_str()),
        "the subscription comes from the identity, not the provider"
    );
    assert_eq!(state.get_str("name"), Some("dc1"));
    assert_eq!(state.get_str("resource_group_name"), Some("rg-demo"));
    assert!(state.is_null_attr("location"), "left to the read");
    assert_eq!(resp.identity, other_subscription);
}

#[tokio::test]
async fn import_by_identity_errors_name_the_attribute() {
    let server = server().await;
    let detail = |identity: &Value| {
        let resp = server.import_resource_by_identity(TYPE_NAME, identity);
        assert!(resp.state.is_none());
        let errors: Vec<String> = resp
            .diagnostics
            .errors()
            .map(|d| d.detail.clone())
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors[0].clone()
    };
    let mut spaced = identity_in(SUB);
    spaced.set("cluster_name", "democluster ");
    let problem = detail(&spaced);
    assert!(
        problem.contains(r#"attribute "cluster_name" starts or ends with whitespace"#),
        "{problem}"
    );
    let mut split = identity_in(SUB);
    split.set("database_name", "demo/db");
    assert!(detail(&split).contains(r#""database_name" contains "/""#));
    let mut nameless = identity_in(SUB);
    nameless.set("name", Value::Null);
    assert!(detail(&nameless).contains(r#"attribute "name" is required"#));
}

#[tokio::test]
async fn import_errors_say_what_is_wrong_with_the_id() {
    let server = server().await;
    let cases = [
        ("", "the ID is empty"),
        ("dc1", "must start with \"/\""),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d",
            "ends before the \"dataConnections\" segment",
        ),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/n/eventhubs/e",
            "where \"Microsoft.Kusto\" was expected",
        ),
    ];
    for (id, fragment) in cases {
        let resp = server.import_resource_state(TYPE_NAME, id);
        let details: Diagnostics = resp.diagnostics;
        let detail = &details.iter().next().unwrap().detail;
        assert!(resp.state.is_none(), "{id}");
        assert!(detail.contains(fragment), "{id}: {detail}");
    }
}

/// A state file azurerm 5.2.0 wrote for one connection (see testdata/README.md).
const AZURERM_STATE: &str =
    include_str!("../../../../testdata/azurerm/azurerm-5.2.0-eventhub-data-connection.tfstate");

/// The source state Terraform sends for a `moved` block from azurerm's resource, as the
/// fixture stores it: the instance's attributes as JSON, and its schema version.
fn azurerm_instance() -> (Vec<u8>, i64) {
    let file: serde_json::Value = serde_json::from_str(AZURERM_STATE).unwrap();
    let instance = &file["resources"][0]["instances"][0];
    let attributes = serde_json::to_vec(&instance["attributes"]).unwrap();
    (attributes, instance["schema_version"].as_i64().unwrap())
}

/// azurerm's address in the registry, as Terraform sends it with a move.
const AZURERM: &str = "registry.terraform.io/hashicorp/azurerm";

fn move_from(
    server: &Server<KustoProvider>,
    address: &str,
    json: &[u8],
    version: i64,
) -> MoveResourceStateResponse {
    server.move_resource_state(&MoveResourceStateRequest {
        source_provider_address: address,
        source_type_name: "azurerm_kusto_eventhub_data_connection",
        source_schema_version: version,
        source_state_json: json,
        target_type_name: TYPE_NAME,
    })
}

/// The fixture's connection moved from azurerm, with `edit` made to its attributes first;
/// the move must succeed.
fn moved_from_azurerm(
    server: &Server<KustoProvider>,
    edit: impl FnOnce(&mut serde_json::Value),
) -> MoveResourceStateResponse {
    let (json, version) = azurerm_instance();
    let mut attributes: serde_json::Value = serde_json::from_slice(&json).unwrap();
    edit(&mut attributes);
    let json = serde_json::to_vec(&attributes).unwrap();
    let moved = move_from(server, AZURERM, &json, version);
    assert!(moved.diagnostics.is_empty(), "{:?}", moved.diagnostics);
    moved
}

#[tokio::test]
async fn azurerm_state_moves_and_plans_no_change_with_azurerm_configuration() {
    let server = server().await;
    let moved = moved_from_azurerm(&server, |_| {});
    let state = moved.target_state;
    assert_eq!(
        state.get_str("id"),
        Some(ID.replace("dc1", "moved-one").as_str())
    );
    assert_eq!(state.get_str("location"), Some("westeurope"));
    assert_eq!(state.get_str("consumer_group"), Some("$Default"));
    assert!(state.is_null_attr("identity_id"));
    assert!(state.is_null_attr("timeouts"));

    let mut azurerm_config = config(&server, &[]);
    for (name, value) in [
        ("name", "moved-one"),
        ("location", "westeurope"),
        ("consumer_group", "$Default"),
    ] {
        azurerm_config.set(name, value);
    }
    let resp = plan(&server, &state, &azurerm_config).await;
    assert!(
        resp.requires_replace.is_empty(),
        "{:?}",
        resp.requires_replace
    );
    assert_eq!(resp.planned_state, state);
}

#[tokio::test]
async fn a_moved_state_carries_its_identity() {
    let server = server().await;
    let moved = moved_from_azurerm(&server, |_| {});
    let id = moved.target_state.get_str("id").unwrap();
    let names: Vec<&str> = id.split('/').skip(2).step_by(2).collect();
    let identity = &moved.target_identity;
    assert_eq!(identity.get_str("subscription_id"), Some(names[0]));
    assert_eq!(identity.get_str("resource_group_name"), Some(names[1]));
    assert_eq!(identity.get_str("name"), moved.target_state.get_str("name"));
}

#[tokio::test]
async fn a_move_carries_the_timeouts_azurerm_was_given() {
    let server = server().await;
    let moved = moved_from_azurerm(&server, |attributes| {
        attributes["timeouts"] =
            serde_json::json!({"create": "90m", "delete": null, "read": "10m", "update": null});
    });
    let timeouts = moved.target_state.attr("timeouts");
    assert_eq!(timeouts.get_str("create"), Some("90m"));
    assert_eq!(timeouts.get_str("read"), Some("10m"));
    assert!(timeouts.is_null_attr("delete"));
}

#[tokio::test]
async fn moves_from_other_types_or_newer_azurerm_schemas_are_refused() {
    let server = server().await;
    let (json, _) = azurerm_instance();
    let newer = move_from(&server, AZURERM, &json, 2);
    let other = move_from(&server, "registry.terraform.io/hashicorp/azuread", &json, 1);
    for refused in [newer, other] {
        assert!(refused.target_state.is_null());
        assert!(refused.diagnostics.has_error());
    }
}

/// StopProvider reaches an operation waiting on Azure: here the first request of the process
/// (the cloud metadata), sent to a socket that accepts and never answers.
#[tokio::test]
async fn stop_provider_cancels_a_create_waiting_on_azure() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = silent.local_addr().unwrap().to_string();
    let skip_preflight = [("skip_preflight_validation", Value::Bool(true))];
    let vars = [("ARM_METADATA_HOSTNAME", host.as_str())];
    let server = std::sync::Arc::new(server_with(&skip_preflight, &vars).await);
    let config = config(&server, &[]);
    let planned = plan(&server, &Value::Null, &config).await.planned_state;
    let apply = tokio::spawn({
        let server = std::sync::Arc::clone(&server);
        async move {
            let request = ApplyResourceChangeRequest {
                prior_state: Value::Null,
                planned_state: planned,
                config,
                planned_private: Vec::new(),
                planned_identity: Value::Null,
            };
            server.apply_resource_change(TYPE_NAME, request).await
        }
    });
    let (_connection, _) = silent.accept().await.unwrap();
    server.stop();
    let resp = apply.await.unwrap();
    assert_eq!(resp.new_state, Value::Null, "nothing was created");
    let detail = &resp.diagnostics.iter().next().unwrap().detail;
    assert!(detail.contains("cancelled"), "{detail}");
}

/// Leaving out an attribute with a documented default plans the default, so a value changed
/// in Azure shows in the plan and apply sets it back; values Azure chooses stay as they are.
#[tokio::test]
async fn omitted_defaults_plan_drifted_values_back() {
    let server = server().await;
    let config = config(&server, &[]);
    let state = applied(&server, &config).await;
    let drifts: [(&str, Value, Value, bool); 3] = [
        ("compression", "GZip".into(), "None".into(), true),
        (
            "database_routing_type",
            "Multi".into(),
            "Single".into(),
            true,
        ),
        (
            "event_system_properties",
            Value::strings(["x-opt-offset"]),
            Value::List(vec![]),
            false,
        ),
    ];
    for (name, drifted, default, replaces) in drifts {
        let mut refreshed = state.clone();
        refreshed.set(name, drifted);
        let resp = plan(&server, &refreshed, &config).await;
        assert_eq!(resp.planned_state.attr(name), &default, "{name}");
        let replace = if replaces {
            vec![AttributePath::attr(name)]
        } else {
            Vec::new()
        };
        assert_eq!(resp.requires_replace, replace, "{name}");
        assert_eq!(
            resp.planned_state.get_str("retrieval_start_date"),
            Some("2026-01-01T00:00:00Z"),
            "{name}: the value Azure chose is kept"
        );
    }
}

/// A connection whose provisioning state is Failed is planned for an in-place update, even
/// when its settings equal the configuration.
#[tokio::test]
async fn a_failed_connection_plans_an_in_place_fix() {
    let server = server().await;
    let config = config(&server, &[]);
    let mut state = applied(&server, &config).await;
    state.set("provisioning_state", "Failed");
    let resp = plan(&server, &state, &config).await;
    assert!(
        resp.requires_replace.is_empty(),
        "{:?}",
        resp.requires_replace
    );
    assert_eq!(
        unknown_attributes(&resp.planned_state),
        ["provisioning_state"]
    );
    let mut planned = resp.planned_state.clone();
    planned.set("provisioning_state", "Failed");
    assert_eq!(planned, state, "nothing else changes");
}

mod aftermath {
    use super::*;
    use crate::resources::eventhub_data_connection::aftermath::{
        Found, after_create, after_update, note,
    };
    use kusto_arm::{DataConnectionId, EventHubDataConnection, EventHubSettings};

    fn id() -> DataConnectionId {
        DataConnectionId::parse(ID).unwrap()
    }

    /// What Azure holds after an operation that ended Failed with the new settings applied.
    fn held(table: &str, state: &str) -> Found {
        Found::Connection(Box::new(EventHubDataConnection {
            id: ID.to_owned(),
            name: "dc1".to_owned(),
            settings: EventHubSettings {
                location: "West Europe".into(),
                event_hub_resource_id: HUB.into(),
                consumer_group: "kusto".into(),
                table_name: Some(table.into()),
                mapping_rule_name: Some("events_json".into()),
                data_format: Some("JSON".into()),
                retrieval_start_date: Some("2026-01-01T00:00:00Z".into()),
                ..EventHubSettings::default()
            },
            provisioning_state: Some(state.into()),
            managed_identity_object_id: None,
        }))
    }

    fn unknown() -> Found {
        Found::Unknown(kusto_arm::Error::Transport("connection reset".into()))
    }

    #[tokio::test]
    async fn a_failed_update_records_what_azure_holds() {
        let server = server().await;
        let prior = applied(&server, &config(&server, &[])).await;
        let recorded = after_update(prior.clone(), &id(), &held("Other", "Failed"));
        assert_eq!(recorded.get_str("table_name"), Some("Other"));
        assert_eq!(recorded.get_str("provisioning_state"), Some("Failed"));
        assert_eq!(recorded.get_str("location"), Some("West Europe"));
        assert_eq!(recorded.get_str("id"), Some(ID));
        assert_eq!(after_update(prior.clone(), &id(), &unknown()), prior);
        assert_eq!(
            after_update(prior.clone(), &id(), &Found::Absent),
            Value::Null
        );
        let other = Found::OtherKind("EventGrid".into());
        assert_eq!(after_update(prior, &id(), &other), Value::Null);
        let said = note("update", &id(), &held("Other", "Failed"));
        assert!(
            said.contains("provisioning state Failed") && said.contains("next plan"),
            "{said}"
        );
    }

    #[tokio::test]
    async fn a_failed_create_keeps_only_what_exists() {
        let server = server().await;
        let config = config(&server, &[]);
        let planned = plan(&server, &Value::Null, &config).await.planned_state;
        let recorded = after_create(planned.clone(), &id(), &held("Events", "Failed"));
        assert!(recorded.is_wholly_known());
        assert_eq!(recorded.get_str("provisioning_state"), Some("Failed"));
        assert_eq!(
            recorded.get_str("retrieval_start_date"),
            Some("2026-01-01T00:00:00Z")
        );
        assert_eq!(
            after_create(planned.clone(), &id(), &Found::Absent),
            Value::Null
        );
        let other = Found::OtherKind("EventGrid".into());
        assert_eq!(after_create(planned.clone(), &id(), &other), Value::Null);
        let unsure = after_create(planned, &id(), &unknown());
        assert_eq!(unsure.get_str("id"), Some(ID));
        assert!(unsure.is_null_attr("provisioning_state"));
        assert!(note("create", &id(), &unknown()).contains("tainted"));
        assert!(note("create", &id(), &Found::Absent).contains("none is kept in state"));
    }
}
