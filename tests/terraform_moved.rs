//! Moving from azurerm in one reviewed plan: a `moved` block from
//! `azurerm_kusto_eventhub_data_connection` (Terraform 1.8 and later) takes over the state azurerm
//! 5.2.0 wrote (`testdata/azurerm/`), with the configuration azurerm users have. The plan shows
//! the move and nothing else, the apply sends nothing to Azure, and the plan after it is empty.
//!
//! Terraform loads the schema of every provider a state mentions, so the workspace installs
//! a stand-in at azurerm's address (`crates/azurerm-stand-in`).
//!
//! Terraform before 1.8 has no moves across resource types; with it these tests check
//! nothing and say so.

use serde_json::json;
use test_support::terraform::emulator::Emulator;
use test_support::terraform::scenario::{
    APPLY, DESTROY, PLAN_DETAILED, Scenario, address, config, connection, connection_id,
    create_outside_terraform,
};
use test_support::terraform::{Workspace, cli_config_with_azurerm_stand_in, terraform_has};

/// The state file azurerm 5.2.0 wrote after applying one `azurerm_kusto_eventhub_data_connection.x`.
const AZURERM_STATE: &str =
    include_str!("../testdata/azurerm/azurerm-5.2.0-eventhub-data-connection.tfstate");

/// The connection that state holds, as azurerm created it in the emulator's world.
const NAME: &str = "moved-one";

/// `kusto_eventhub_data_connection.x` with the arguments the azurerm resource had, in
/// azurerm's spelling, then `extra`.
fn configuration(extra: &str) -> String {
    let args = [
        ("location", json!("westeurope")),
        ("consumer_group", json!("$Default")),
        ("table_name", json!("Events")),
        ("mapping_rule_name", json!("events_json")),
        ("data_format", json!("JSON")),
    ];
    config(&format!("{}\n{extra}", connection("x", NAME, &args)))
}

const MOVED: &str = "moved {\n  from = azurerm_kusto_eventhub_data_connection.x\n  to   = kusto_eventhub_data_connection.x\n}\n";

/// An emulator holding the connection, and a workspace holding azurerm's state of it; `None`
/// when the Terraform under test cannot move state across resource types.
fn azurerm_managed() -> Option<Scenario> {
    if !terraform_has("moves across resource types", (1, 8)) {
        return None;
    }
    let emulator = Emulator::fast();
    create_outside_terraform(
        &emulator,
        NAME,
        "EventHub",
        json!({
            "consumerGroup": "$Default",
            "retrievalStartDate": "2026-12-04T19:01:17.6834702Z",
        }),
    );
    let workspace = emulator.provider_env().into_iter().fold(
        Workspace::new().installing_with(cli_config_with_azurerm_stand_in()),
        |w, (key, value)| w.env(key, value),
    );
    std::fs::write(workspace.path().join("terraform.tfstate"), AZURERM_STATE)
        .expect("write the azurerm state");
    Some(Scenario {
        emulator,
        workspace,
    })
}

#[test]
fn azurerm_state_moves_in_one_plan_and_the_next_plan_is_empty() {
    let Some(scenario) = azurerm_managed() else {
        return;
    };
    let (emulator, workspace) = (&scenario.emulator, &scenario.workspace);
    workspace.config(&configuration(MOVED));
    workspace.init();
    emulator.clear_requests();

    let plan = workspace.terraform(&PLAN_DETAILED);
    let text = plan.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(
            "azurerm_kusto_eventhub_data_connection.x has moved to kusto_eventhub_data_connection.x"
        ),
        "{}",
        plan.output()
    );
    assert!(
        text.contains("0 to add, 0 to change, 0 to destroy"),
        "only the move: {}",
        plan.output()
    );
    assert_ne!(plan.code(), Some(1), "{}", plan.output());

    workspace.terraform(&APPLY).success();
    let state = scenario.state();
    let moved = state.entry(&address("x"));
    assert_eq!(
        moved["provider_name"],
        "registry.terraform.io/kusto-tf/kusto"
    );
    let values = state.values(&address("x"));
    assert_eq!(values["id"], json!(connection_id(NAME)));
    assert_eq!(values["location"], "westeurope", "in the user's spelling");
    assert_eq!(values["identity_id"], json!(null), "azurerm's empty string");
    let writes: Vec<String> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && r.is_arm())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "the move sent {writes:?}");

    let after = workspace.terraform(&PLAN_DETAILED);
    assert_eq!(after.code(), Some(0), "{}", after.output());
    workspace.terraform(&DESTROY).success();
    assert!(emulator.data_connection(&connection_id(NAME)).is_none());
}

#[test]
fn a_move_from_another_type_is_refused_by_name() {
    let Some(scenario) = azurerm_managed() else {
        return;
    };
    let (emulator, workspace) = (&scenario.emulator, &scenario.workspace);
    let state = AZURERM_STATE.replace(
        "azurerm_kusto_eventhub_data_connection",
        "azurerm_kusto_iothub_data_connection",
    );
    std::fs::write(workspace.path().join("terraform.tfstate"), state).expect("write state");
    workspace.config(&configuration(
        &MOVED.replace("eventhub", "iothub").replace(
            "to   = kusto_iothub_data_connection",
            "to   = kusto_eventhub_data_connection",
        ),
    ));
    workspace.init();
    let plan = workspace.terraform(&PLAN_DETAILED);
    assert_eq!(plan.code(), Some(1), "{}", plan.output());
    plan.assert_says(
        "kusto_eventhub_data_connection cannot take over azurerm_kusto_iothub_data_connection",
        "the refusal",
    );
    plan.assert_says(
        "It takes over only azurerm_kusto_eventhub_data_connection of hashicorp/azurerm",
        "what it takes",
    );
    assert!(emulator.data_connection(&connection_id(NAME)).is_some());
}
