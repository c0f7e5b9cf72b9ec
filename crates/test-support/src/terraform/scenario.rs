//! The steps of a `kusto_eventhub_data_connection` test, in the style of
//! terraform-plugin-testing: write a configuration, `terraform apply`, check the state and what
//! the emulator stored, check that a second plan is empty, import the connection into a fresh
//! state and compare, destroy and check that the emulator holds nothing.
//!
//! Configurations are written for the emulator's built-in world (cluster `democluster` in
//! `rg-demo`, database `demodb` with table `Events`, Event Hub `demo-ns/events` with consumer
//! groups `$Default` and `kusto`, user-assigned identity `demo-identity`).

use serde_json::{Value, json};

use super::emulator::Emulator;
use super::{PROVIDER_VERSION, Run, Workspace};

pub use kusto_emulator::{
    DEFAULT_CLUSTER as CLUSTER, DEFAULT_CLUSTER_PRINCIPAL_ID as CLUSTER_PRINCIPAL_ID,
    DEFAULT_DATABASE as DATABASE, DEFAULT_IDENTITY_PRINCIPAL_ID as IDENTITY_PRINCIPAL_ID,
    DEFAULT_RESOURCE_GROUP as RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID as SUBSCRIPTION,
};
pub const RESOURCE_TYPE: &str = "kusto_eventhub_data_connection";

/// The Event Hub every test connection reads.
pub fn eventhub_id() -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events"
    )
}

/// `democluster`'s id: as `identity_id`, its system-assigned identity.
pub fn cluster_id() -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Kusto/clusters/{CLUSTER}"
    )
}

/// The user-assigned identity of the built-in world (attach it with [`attach_identity`]).
pub fn user_assigned_identity_id() -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/demo-identity"
    )
}

/// The canonical ARM id of a data connection of `demodb`, as the provider keeps it in state.
pub fn connection_id(name: &str) -> String {
    format!(
        "{}/databases/{DATABASE}/dataConnections/{name}",
        cluster_id()
    )
}

/// Attaches `demo-identity` to `democluster` (the built-in world leaves it unattached).
pub fn attach_identity(emulator: &Emulator) {
    emulator.edit_world(|world| {
        let identities = &mut world["clusters"][0]["identity"]["user_assigned"];
        let list = identities.as_array_mut().expect("user_assigned list");
        list.push(json!(user_assigned_identity_id()));
    });
}

/// Adds a table with ingestion mappings (`(name, kind)`, kind as Kusto spells it: `Json`,
/// `Csv`, ...) to `demodb`.
pub fn add_table(emulator: &Emulator, table: &str, mappings: &[(&str, &str)]) {
    let mappings: Vec<Value> = mappings
        .iter()
        .map(|(name, kind)| json!({"name": name, "kind": kind}))
        .collect();
    emulator.edit_world(|world| {
        let tables = world["clusters"][0]["databases"][0]["tables"]
            .as_array_mut()
            .expect("tables list");
        tables.push(json!({"name": table, "mappings": mappings}));
    });
}

/// Stores a connection of `demodb` in the emulator directly, as if created outside Terraform
/// (portal, another tool). `properties` override the stored defaults (camelCase API names).
pub fn create_outside_terraform(emulator: &Emulator, name: &str, kind: &str, properties: Value) {
    let mut stored = json!({
        "eventHubResourceId": eventhub_id(),
        "consumerGroup": "kusto",
        "tableName": "Events",
        "mappingRuleName": "events_json",
        "dataFormat": "JSON",
        "eventSystemProperties": [],
        "compression": "None",
        "managedIdentityResourceId": null,
    });
    if let (Value::Object(stored), Value::Object(overrides)) = (&mut stored, properties) {
        stored.extend(overrides);
    }
    emulator.insert_data_connection(
        &connection_id(name),
        json!({
            "names": {
                "subscriptionId": SUBSCRIPTION,
                "resourceGroup": RESOURCE_GROUP,
                "cluster": CLUSTER,
                "database": DATABASE,
                "name": name,
            },
            "location": "West Europe",
            "kind": kind,
            "provisioningState": "Succeeded",
            "properties": stored,
        }),
    );
}

/// The command lines of a test's steps (extra flags go after them).
pub const APPLY: [&str; 4] = ["apply", "-auto-approve", "-input=false", "-no-color"];
pub const DESTROY: [&str; 4] = ["destroy", "-auto-approve", "-input=false", "-no-color"];
/// A plan without a saved plan file; its exit code says only whether it failed.
pub const PLAN: [&str; 3] = ["plan", "-input=false", "-no-color"];
/// `terraform validate`: the configuration checked without any request to Azure.
pub const VALIDATE: [&str; 2] = ["validate", "-no-color"];
/// A plan whose exit code says whether it is empty (0) or not (2).
pub const PLAN_DETAILED: [&str; 4] = ["plan", "-input=false", "-no-color", "-detailed-exitcode"];

/// The arguments that read JSON events into table `Events` with mapping `events_json` (all
/// present in the built-in world).
pub fn events_json_args() -> [(&'static str, Value); 3] {
    [
        ("table_name", json!("Events")),
        ("mapping_rule_name", json!("events_json")),
        ("data_format", json!("JSON")),
    ]
}

/// The `terraform` block requiring this provider, an empty provider block (the provider
/// reads the emulator's `ARM_*` variables), then `body`.
pub fn config(body: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    kusto = {{
      source  = "kusto-tf/kusto"
      version = "{PROVIDER_VERSION}"
    }}
  }}
}}

provider "kusto" {{}}

{body}"#
    )
}

/// One configuration line: `attribute = value`, the value written as HCL. JSON strings,
/// numbers, booleans and lists are valid HCL literals, so `value` is a JSON value.
pub fn line(attribute: &str, value: &Value) -> String {
    format!("{attribute} = {value}")
}

/// `name = value` as HCL, indented by `indent`; an object value becomes a nested block
/// (`timeouts { create = "1s" }`).
fn hcl(name: &str, value: &Value, indent: &str) -> String {
    match value {
        Value::Object(body) => {
            let inner = format!("{indent}  ");
            let lines: Vec<String> = body.iter().map(|(k, v)| hcl(k, v, &inner)).collect();
            format!("{indent}{name} {{\n{}{indent}}}\n", lines.concat())
        }
        _ => format!("{indent}{}\n", line(name, value)),
    }
}

/// The required arguments of connection `name` of `demodb`, as [`connection`] writes them:
/// location `West Europe`, consumer group `kusto`.
pub fn required_arguments(name: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("name", json!(name)),
        ("resource_group_name", json!(RESOURCE_GROUP)),
        ("location", json!("West Europe")),
        ("cluster_name", json!(CLUSTER)),
        ("database_name", json!(DATABASE)),
        ("eventhub_id", json!(eventhub_id())),
        ("consumer_group", json!("kusto")),
    ]
}

/// A `kusto_eventhub_data_connection` block labelled `label` for connection `name` of `demodb`:
/// the required arguments (location `West Europe`, consumer group `kusto`), each replaced by
/// or followed by `args`. An object value is written as a nested block.
pub fn connection(label: &str, name: &str, args: &[(&str, Value)]) -> String {
    let mut attributes = required_arguments(name);
    for (key, value) in args {
        match attributes.iter_mut().find(|(k, _)| k == key) {
            Some(existing) => existing.1 = value.clone(),
            None => attributes.push((key, value.clone())),
        }
    }
    let body: Vec<String> = attributes.iter().map(|(k, v)| hcl(k, v, "  ")).collect();
    format!(
        "resource \"{RESOURCE_TYPE}\" \"{label}\" {{\n{}}}\n",
        body.concat()
    )
}

/// The address of a connection resource in state.
pub fn address(label: &str) -> String {
    format!("{RESOURCE_TYPE}.{label}")
}

/// Terraform's JSON view of a state or a plan (`terraform show -json`).
pub struct Shown(pub Value);

impl Shown {
    pub(super) fn resources(&self) -> impl Iterator<Item = &Value> {
        self.0["values"]["root_module"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
    }

    /// Addresses of the managed and data resources in the state.
    pub fn addresses(&self) -> Vec<String> {
        self.resources()
            .filter_map(|r| r["address"].as_str().map(str::to_owned))
            .collect()
    }

    /// The whole state entry of `address` (`values`, `tainted`, ...); panics if absent.
    pub fn entry(&self, address: &str) -> &Value {
        self.resources()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("{address} is not in state:\n{:#}", self.0))
    }

    /// The attribute values of `address`.
    pub fn values(&self, address: &str) -> &Value {
        &self.entry(address)["values"]
    }

    /// Whether Terraform marked `address` tainted (to be replaced).
    pub fn is_tainted(&self, address: &str) -> bool {
        self.entry(address)["tainted"] == json!(true)
    }

    /// The state holds connection `name` of `demodb` at the address of `label`.
    #[track_caller]
    pub fn assert_holds(&self, label: &str, name: &str) {
        assert_attributes(
            self.values(&address(label)),
            &[("id", json!(connection_id(name)))],
        );
    }

    /// The planned actions for `address` (`["update"]`, `["delete", "create"]`, ...).
    pub fn actions(&self, address: &str) -> Vec<String> {
        self.0["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["address"] == address)
            .and_then(|c| c["change"]["actions"].as_array())
            .unwrap_or_else(|| panic!("no planned change for {address}:\n{:#}", self.0))
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect()
    }
}

/// Whether a state value is as expected. An unset list may be null or empty: both are valid
/// for an Optional+Computed list the provider has no value for.
fn same_in_state(actual: &Value, expected: &Value) -> bool {
    let no_list = |v: &Value| v.is_null() || v.as_array().is_some_and(Vec::is_empty);
    actual == expected || (no_list(actual) && no_list(expected))
}

/// Whether a stored value is as expected. Azure spells an unset string `""` after a create and
/// `null` after an update, and an unset list `[]`; all of them mean "not set".
fn same_in_azure(actual: &Value, expected: &Value) -> bool {
    let unset = |v: &Value| match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    actual == expected || (unset(actual) && unset(expected))
}

/// Checks the named attributes of a state entry's values.
#[track_caller]
pub fn assert_attributes(values: &Value, expected: &[(&str, Value)]) {
    for (name, want) in expected {
        let got = &values[*name];
        assert!(
            same_in_state(got, want),
            "attribute {name} is {got}, expected {want}; all values:\n{values:#}"
        );
    }
}

/// Checks the properties (API names) of a connection as the emulator stores it.
#[track_caller]
pub fn assert_stored(stored: &Value, expected: &[(&str, Value)]) {
    for (name, want) in expected {
        let got = &stored["properties"][*name];
        assert!(
            same_in_azure(got, want),
            "the emulator stores {name} = {got}, expected {want}; stored:\n{stored:#}"
        );
    }
}

/// A plan of `workspace`'s configuration must be empty (exit code 0 with
/// `-detailed-exitcode`): no drift after refresh, no perpetual diff.
#[track_caller]
pub fn assert_no_changes_in(workspace: &Workspace) {
    let run = workspace.terraform(&PLAN_DETAILED);
    assert_eq!(
        run.code(),
        Some(0),
        "the plan after apply is not empty:\n{}",
        run.output()
    );
}

/// A Terraform working directory pointed at its own emulator.
pub struct Scenario {
    pub emulator: Emulator,
    pub workspace: Workspace,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario::new()
    }
}

impl Scenario {
    /// A scenario on an emulator whose operations finish at once.
    pub fn new() -> Scenario {
        Scenario::on(Emulator::fast())
    }

    /// A scenario on an emulator whose operations take `lro_seconds` and ask to be polled
    /// every `retry_after` seconds.
    pub fn with_operations(lro_seconds: u32, retry_after: u32) -> Scenario {
        let (lro_seconds, retry_after) = (lro_seconds.to_string(), retry_after.to_string());
        Scenario::on(Emulator::start(&[
            "--lro-seconds",
            &lro_seconds,
            "--retry-after",
            &retry_after,
        ]))
    }

    /// A scenario on `emulator`, initialised.
    pub fn on(emulator: Emulator) -> Scenario {
        Scenario::on_with_env(emulator, &[])
    }

    /// A scenario on `emulator` whose Terraform commands also get `env` (e.g. `TF_LOG`).
    pub fn on_with_env(emulator: Emulator, env: &[(&str, &str)]) -> Scenario {
        let workspace = env
            .iter()
            .fold(workspace_for(&emulator), |w, (key, value)| {
                w.env(key, *value)
            });
        Scenario {
            emulator,
            workspace,
        }
    }

    /// Writes `hcl` as the configuration (with the provider requirements prepended).
    pub fn write(&self, hcl: &str) {
        self.workspace.config(&config(hcl));
    }

    /// Writes `hcl` and applies it; panics if the apply fails. Returns the state.
    pub fn apply(&self, hcl: &str) -> Shown {
        self.apply_run(hcl).success();
        self.state()
    }

    /// Writes `hcl` and applies it, expecting a failure; returns the run to inspect its error.
    pub fn apply_failing(&self, hcl: &str) -> Run {
        self.write(hcl);
        self.workspace.terraform(&APPLY).failure()
    }

    /// Writes `hcl` and plans it into `step.tfplan`; returns the plan's JSON and the run (for
    /// its human-readable text). Panics if planning fails.
    pub fn plan(&self, hcl: &str) -> (Shown, Run) {
        self.write(hcl);
        let run = self
            .workspace
            .terraform(&["plan", "-input=false", "-no-color", "-out=step.tfplan"])
            .success();
        let shown = self.show(&["step.tfplan"]);
        (shown, run)
    }

    /// [`Scenario::plan`], which must plan `actions` for `address`; returns the run (for its
    /// human-readable text).
    #[track_caller]
    pub fn assert_plans(&self, hcl: &str, address: &str, actions: &[&str]) -> Run {
        let (plan, run) = self.plan(hcl);
        assert_eq!(plan.actions(address), actions, "{}", run.stdout);
        run
    }

    /// Applies the plan saved by [`Scenario::plan`]. Returns the state.
    pub fn apply_saved_plan(&self) -> Shown {
        self.workspace
            .terraform(&["apply", "-input=false", "-no-color", "step.tfplan"])
            .success();
        self.state()
    }

    /// Applies the plan saved by [`Scenario::plan`]; the emulator must then hold `id` with
    /// these properties (API names). Returns what it stores.
    #[track_caller]
    pub fn apply_saved_plan_holding(&self, id: &str, expected: &[(&str, Value)]) -> Value {
        self.apply_saved_plan();
        self.assert_azure_holds(id, expected)
    }

    /// The current state.
    pub fn state(&self) -> Shown {
        self.show(&[])
    }

    fn show(&self, extra: &[&str]) -> Shown {
        let mut args = vec!["show", "-json", "-no-color"];
        args.extend_from_slice(extra);
        let run = self.workspace.terraform(&args).success();
        Shown(serde_json::from_str(&run.stdout).expect("terraform show -json output"))
    }

    /// A plan of the current configuration must be empty (exit code 0 with
    /// `-detailed-exitcode`): no drift after refresh, no perpetual diff.
    #[track_caller]
    pub fn assert_no_changes(&self) {
        assert_no_changes_in(&self.workspace);
    }

    /// Imports `address` by its id into a fresh working directory with the same
    /// configuration, and checks that the imported state equals this one. Only the
    /// configuration-only attributes (`timeouts`, `skip_preflight_validation`) may differ, and
    /// `location` may be spelt differently for the same region.
    #[track_caller]
    pub fn assert_import_matches(&self, address: &str) {
        let state = self.state();
        let original = state.values(address);
        let id = original["id"].as_str().expect("id in state");
        let fresh = workspace_for(&self.emulator);
        let hcl =
            std::fs::read_to_string(self.workspace.path().join("main.tf")).expect("read main.tf");
        fresh.config(&hcl);
        fresh.import(address, id).success();
        let run = fresh.terraform(&["show", "-json", "-no-color"]).success();
        let imported = Shown(serde_json::from_str(&run.stdout).expect("show -json"));
        let imported = imported.values(address);
        let ignored = ["timeouts", "skip_preflight_validation", "location"];
        let (Some(original_map), Some(imported_map)) = (original.as_object(), imported.as_object())
        else {
            panic!("state values are not objects: {original} / {imported}");
        };
        for (name, value) in original_map {
            if ignored.contains(&name.as_str()) {
                continue;
            }
            assert_eq!(
                &imported_map[name], value,
                "after import {name} differs from the state after apply"
            );
        }
        let region = |v: &Value| {
            v.as_str()
                .unwrap_or_default()
                .replace(' ', "")
                .to_ascii_lowercase()
        };
        assert_eq!(
            region(&imported["location"]),
            region(&original["location"]),
            "the imported location is another region"
        );
    }

    /// The end of a step that leaves things as configured: the plan is empty, then
    /// [`Scenario::destroy`].
    #[track_caller]
    pub fn assert_no_changes_then_destroy(&self) {
        self.assert_no_changes();
        self.destroy();
    }

    /// Writes `hcl` and runs `terraform <command>`, which must fail before anything is sent
    /// (not even a token request); `case` names the input in a failure. Returns the run.
    #[track_caller]
    pub fn assert_refused_offline(&self, hcl: &str, command: &[&str], case: &str) -> Run {
        self.write(hcl);
        let run = self.workspace.terraform(command).failure();
        self.assert_sent_nothing(case);
        run
    }

    /// `terraform destroy`, then the emulator must hold no data connection.
    #[track_caller]
    pub fn destroy(&self) {
        self.destroy_run(&[]).success();
        let left = self.emulator.data_connections();
        assert!(left.is_empty(), "left behind after destroy: {left:#?}");
    }

    /// The whole step of a configuration: apply it, check the state attributes and what the
    /// emulator stored, plan again (must be empty), import and compare, destroy. Returns
    /// nothing: a failing check panics with the context.
    #[track_caller]
    pub fn check_lifecycle(
        &self,
        hcl: &str,
        label: &str,
        in_state: &[(&str, Value)],
        stored: &[(&str, Value)],
    ) {
        let address = address(label);
        let state = self.apply(hcl);
        let values = state.values(&address);
        assert_attributes(values, in_state);
        let id = values["id"].as_str().expect("id in state");
        let kept = self
            .emulator
            .data_connection(id)
            .unwrap_or_else(|| panic!("the emulator has no connection {id}"));
        assert_stored(&kept, stored);
        self.assert_no_changes();
        self.assert_import_matches(&address);
        self.destroy();
    }

    /// Writes `hcl` and applies it, whatever the outcome.
    pub fn apply_run(&self, hcl: &str) -> Run {
        self.write(hcl);
        self.workspace.terraform(&APPLY)
    }

    /// `terraform apply` of the written configuration with `extra` flags, whatever the outcome.
    pub fn apply_with(&self, extra: &[&str]) -> Run {
        self.workspace.terraform(&[&APPLY[..], extra].concat())
    }

    /// `terraform destroy` with `extra` flags, whatever the outcome.
    pub fn destroy_run(&self, extra: &[&str]) -> Run {
        self.workspace.terraform(&[&DESTROY[..], extra].concat())
    }

    /// The emulator holds `id` with these properties (API names); returns what it stores.
    #[track_caller]
    pub fn assert_azure_holds(&self, id: &str, expected: &[(&str, Value)]) -> Value {
        let stored = self
            .emulator
            .data_connection(id)
            .unwrap_or_else(|| panic!("the emulator has no connection {id}"));
        assert_stored(&stored, expected);
        stored
    }

    /// Applies connection `name` (label `test`), then turns it into a connection of `kind`
    /// outside Terraform. Returns the configuration and the connection's id.
    pub fn apply_then_change_kind(&self, name: &str, kind: &str) -> (String, String) {
        let hcl = connection("test", name, &[]);
        self.apply(&hcl);
        let id = connection_id(name);
        self.emulator
            .patch_data_connection(&id, &json!({ "kind": kind }));
        (hcl, id)
    }

    /// The connection `id` is still in Azure as a connection of `kind`, and the state holds
    /// nothing. Returns what Azure stores.
    #[track_caller]
    pub fn assert_kept_outside_state(&self, id: &str, kind: &str) -> Value {
        let stored = self
            .emulator
            .data_connection(id)
            .unwrap_or_else(|| panic!("{id} of kind {kind} was deleted"));
        assert_eq!(stored["kind"], json!(kind), "{stored:#}");
        assert!(self.state().addresses().is_empty());
        stored
    }

    /// No request reached the emulator (nor the token endpoint) since the last clear; `context`
    /// says which step.
    #[track_caller]
    pub fn assert_sent_nothing(&self, context: &str) {
        let requests = self.emulator.requests();
        assert!(
            requests.is_empty(),
            "{context}: requests were sent: {requests:#?}"
        );
    }

    /// No ARM request reached the emulator since the last clear; `context` says which step.
    #[track_caller]
    pub fn assert_no_arm_request(&self, context: &str) {
        let requests = self.emulator.requests();
        assert!(
            !requests.iter().any(|r| r.is_arm()),
            "{context}: a request reached ARM: {requests:#?}"
        );
    }
}

/// A working directory with the emulator's environment, initialised with the provider.
pub fn workspace_for(emulator: &Emulator) -> Workspace {
    let workspace = emulator
        .provider_env()
        .into_iter()
        .fold(Workspace::new(), |w, (key, value)| w.env(key, value));
    workspace.config(&config(""));
    workspace.init();
    workspace
}
