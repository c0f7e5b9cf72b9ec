//! `kusto_eventhub_data_connection`: an Azure Data Explorer (Kusto) data connection that ingests
//! from an Event Hub.
//!
//! This file is the lifecycle, read top to bottom: create asks Azure to validate the
//! connection, then creates it through the ARM client, which refuses to take over a connection
//! that exists (checked under the same per-cluster lock as the create itself, so two blocks
//! with one name cannot both own it), and keeps a
//! connection Azure accepted even when waiting for it fails (Terraform then taints it); read
//! drops a vanished connection from state, and one whose name now holds another kind of
//! connection (with a warning); update sends every setting, and after a failure records what
//! Azure holds; delete treats "already gone" as done and never deletes another kind of
//! connection; import takes an ARM id in any casing, or (Terraform 1.12) the names in it as
//! an identity ([`identity`]), and a `moved` block takes over azurerm's state ([`moved`]).
//! `terraform query` finds existing connections through the list resource ([`list`]).
//!
//! What a failed write left behind is found out in [`aftermath`].
//!
//! The rest lives beside it: [`attributes`] (every attribute once: name, description, rule,
//! what a change does, where it lives in Azure), [`schema`] (the schema derived from it),
//! [`plan`] (what is known before apply), [`model`] (state <-> Azure, derived from it too),
//! [`spelling`] (which spellings mean the same value) and [`rules`] (the attribute rules as
//! plain functions).

mod aftermath;
pub(crate) mod attributes;
mod identity;
pub(crate) mod list;
pub(crate) mod model;
mod moved;
pub(crate) mod names;
mod plan;
mod preflight;
pub(crate) mod rules;
pub(crate) mod schema;
mod spelling;

use crate::client::AzureHandle;
use crate::errors::explain;
use attributes::{ATTRIBUTES, Presence};
use kusto_arm::{CallContext, DataConnection, DataConnectionId};
use preflight::Checked;
use spelling::normalize_location;
use terraform_plugin::diag::{Diagnostics, sentence};
use terraform_plugin::identity::IdentitySchema;
use terraform_plugin::path::AttributePath;
use terraform_plugin::resource::{
    ApplyRequest, CreateRequest, CreateResponse, DeleteRequest, DeleteResponse,
    ImportIdentityRequest, ImportRequest, ImportResponse, ModifyPlanRequest, ModifyPlanResponse,
    MoveSource, MoveStateRequest, MoveStateResponse, ObjectRequest, ReadRequest, ReadResponse,
    Resource, UpdateRequest, UpdateResponse,
};
use terraform_plugin::schema::Schema;
use terraform_plugin::timeouts::Timeouts;
use terraform_plugin::value::Value;

use names::{
    CLUSTER_NAME, COMPRESSION, DATA_FORMAT, EVENT_SYSTEM_PROPERTIES, ID, IDENTITY_ID, LOCATION,
    PROVISIONING_STATE, RESOURCE_GROUP_NAME, SKIP_PREFLIGHT_VALIDATION,
};

/// The resource type name.
pub(crate) const TYPE_NAME: &str = "kusto_eventhub_data_connection";

/// The `kusto_eventhub_data_connection` resource.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EventHubDataConnectionResource;

impl Resource<AzureHandle> for EventHubDataConnectionResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn timeouts(&self) -> Option<Timeouts> {
        Some(schema::TIMEOUTS)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        // Values their own rule refuses are reported once, by that rule, and not judged
        // again in combination.
        let valid = |name: &str, rule: fn(&str) -> Result<(), String>| {
            config.get_str(name).filter(|value| rule(value).is_ok())
        };
        let values = rules::Combination {
            resource_group_name: valid(RESOURCE_GROUP_NAME, rules::validate_resource_group_name),
            cluster_name: valid(CLUSTER_NAME, rules::validate_cluster_name),
            data_format: valid(DATA_FORMAT, rules::validate_data_format),
            compression: valid(COMPRESSION, rules::validate_compression),
            event_system_property_count: config
                .attr(EVENT_SYSTEM_PROPERTIES)
                .as_elements()
                .map(<[Value]>::len),
            identity_id: valid(IDENTITY_ID, rules::validate_identity_id),
        };
        for violation in rules::check_combination(&values) {
            diags.add_attribute_error(
                AttributePath::attr(violation.attribute),
                "Unsupported combination of arguments",
                sentence(&violation.message),
            );
        }
    }

    async fn modify_plan(
        &self,
        req: ModifyPlanRequest<'_, AzureHandle>,
        resp: &mut ModifyPlanResponse,
    ) {
        plan::modify(req, resp).await;
    }

    async fn create(&self, req: CreateRequest<AzureHandle>, resp: &mut CreateResponse) {
        // Nothing exists until Azure accepts the PUT.
        resp.state = Value::Null;
        let diags = &mut resp.diagnostics;
        let ctx = CallContext::new(req.timeout, req.cancel.clone());
        let Some(id) = new_id(&req.provider, &req.plan, &ctx, diags).await else {
            return;
        };
        let Some(client) = req.provider.client(&ctx, diags).await else {
            return;
        };
        let api = client.data_connections();
        let settings = model::settings(&req.plan);
        if needs_preflight(&req, &id, &settings)
            && !preflight::check(api, &ctx, &id, &settings, "create", diags).await
        {
            return;
        }
        resp.private.clear();
        match api.create(&ctx, &id, &settings).await {
            Ok(created) => resp.state = model::holding(req.plan, &id, &created),
            Err(error @ kusto_arm::Error::AlreadyExists { .. }) => {
                diags.add_error("Kusto data connection already exists", explain(&error));
            }
            Err(error) => {
                let mut note = String::new();
                if error.resource_may_exist() {
                    // Keep what Azure accepted: Terraform stores it tainted and replaces it.
                    let found = aftermath::look(api, &id).await;
                    resp.state = aftermath::after_create(req.plan, &id, &found);
                    note = aftermath::note("create", &id, &found);
                }
                failed(diags, "create", &id, &error, &note);
            }
        }
    }

    async fn read(&self, req: ReadRequest<AzureHandle>, resp: &mut ReadResponse) {
        let ctx = CallContext::new(req.timeout, req.cancel.clone());
        let Some((id, client)) = existing(&req, &ctx, &mut resp.diagnostics).await else {
            return;
        };
        let importing = is_import(&req.state);
        match client.data_connections().get(&ctx, &id).await {
            Ok(None) => resp.remove(),
            Ok(Some(DataConnection::EventHub(connection))) => {
                resp.state = model::holding(resp.state.clone(), &id, &connection);
                if importing {
                    // No configuration spelling to keep yet: the region's name, as azurerm
                    // stores it and its users write it, so their configuration plans clean.
                    let region = resp.state.get_str(LOCATION).map(normalize_location);
                    resp.state
                        .set(LOCATION, region.map_or(Value::Null, Value::from));
                }
                if connection.provisioning_state.as_deref() == Some(model::FAILED) {
                    resp.diagnostics.add_warning(
                        "Kusto data connection is in a failed state",
                        format!(
                            "Azure reports {id} in provisioning state Failed, so it does not \
                             ingest: the service found a problem with it, such as a missing \
                             table or mapping. Correct the problem and apply again, or replace \
                             the connection with `terraform apply -replace`."
                        ),
                    );
                }
            }
            Ok(Some(DataConnection::Other { kind, .. })) if importing => {
                resp.diagnostics
                    .add_error("Not an Event Hub data connection", wrong_kind(&id, &kind));
            }
            Ok(Some(DataConnection::Other { kind, .. })) => {
                // Our Event Hub connection is gone; what took its name is not ours to manage
                // (nor to delete on destroy).
                resp.remove();
                resp.diagnostics.add_warning(
                    "Kusto data connection replaced by another kind",
                    format!(
                        "The data connection {id} is now of kind {kind:?}, not \"EventHub\": the \
                         Event Hub connection this resource managed is gone, so it is removed \
                         from state. The {kind} connection is left alone; to create the Event \
                         Hub connection again, remove or rename the other one first."
                    ),
                );
            }
            Err(error) => failed(&mut resp.diagnostics, "read", &id, &error, ""),
        }
    }

    async fn update(&self, req: UpdateRequest<AzureHandle>, resp: &mut UpdateResponse) {
        let Some(id) = id_in_state(&req.state, &mut resp.diagnostics) else {
            resp.state = req.state;
            return;
        };
        let settings = model::settings(&req.plan);
        let failed_before = req.state.get_str(PROVISIONING_STATE) == Some(model::FAILED);
        if !failed_before && model::same_settings(&settings, &model::settings(&req.state)) {
            // Only Terraform-side values changed (timeouts, preflight, a spelling): nothing
            // to send; what Azure holds is the prior state.
            resp.state = fill_unknowns(req.plan, &req.state);
            return;
        }
        let ctx = CallContext::new(req.timeout, req.cancel.clone());
        let Some(client) = req.provider.client(&ctx, &mut resp.diagnostics).await else {
            resp.state = req.state;
            return;
        };
        let api = client.data_connections();
        if needs_preflight(&req, &id, &settings)
            && !preflight::check(api, &ctx, &id, &settings, "update", &mut resp.diagnostics).await
        {
            resp.state = req.state;
            return;
        }
        resp.private.clear();
        match api.create_or_update(&ctx, &id, &settings).await {
            Ok(updated) => resp.state = model::holding(req.plan, &id, &updated),
            Err(error) => {
                // The update may have been applied in part, or in full with the operation
                // ending Failed: record what Azure holds, so the next plan shows it.
                let found = aftermath::look(api, &id).await;
                resp.state = aftermath::after_update(req.state, &id, &found);
                let note = aftermath::note("update", &id, &found);
                failed(&mut resp.diagnostics, "update", &id, &error, &note);
            }
        }
    }

    async fn delete(&self, req: DeleteRequest<AzureHandle>, resp: &mut DeleteResponse) {
        let ctx = CallContext::new(req.timeout, req.cancel.clone());
        let Some((id, client)) = existing(&req, &ctx, &mut resp.diagnostics).await else {
            return;
        };
        let api = client.data_connections();
        match api.get(&ctx, &id).await {
            Ok(None) => return,
            Ok(Some(DataConnection::Other { kind, .. })) => {
                resp.diagnostics.add_warning(
                    "Kusto data connection replaced by another kind",
                    format!(
                        "The data connection {id} is now of kind {kind:?}, not \"EventHub\": the \
                         Event Hub connection this resource managed is gone. The {kind} \
                         connection is not deleted; the resource is removed from state."
                    ),
                );
                return;
            }
            Ok(Some(DataConnection::EventHub(_))) => {}
            Err(error) => {
                failed(&mut resp.diagnostics, "delete", &id, &error, "");
                return;
            }
        }
        if let Err(error) = api.delete(&ctx, &id).await {
            failed(&mut resp.diagnostics, "delete", &id, &error, "");
        }
    }

    fn import(&self, req: ImportRequest<'_, AzureHandle>, resp: &mut ImportResponse) {
        match DataConnectionId::parse(req.id) {
            Ok(id) => model::write_id(&mut resp.state, &id),
            Err(error) => {
                resp.state = Value::Null;
                resp.diagnostics.add_error(
                    "Invalid import ID",
                    format!(
                        "Cannot import a Kusto data connection from this ID: {error}. Give the \
                         data connection's ARM ID."
                    ),
                );
            }
        }
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::schema())
    }

    fn identity(&self, state: &Value) -> Value {
        identity::of_state(state)
    }

    fn import_by_identity(
        &self,
        req: ImportIdentityRequest<'_, AzureHandle>,
        resp: &mut ImportResponse,
    ) {
        match identity::data_connection_id(req.identity) {
            Ok(id) => model::write_id(&mut resp.state, &id),
            Err(problem) => {
                resp.state = Value::Null;
                resp.diagnostics.add_error(
                    "Invalid import identity",
                    format!("Cannot import a Kusto data connection from this identity: {problem}"),
                );
            }
        }
    }

    /// A `moved` block from azurerm's `azurerm_kusto_eventhub_data_connection`.
    fn move_sources(&self) -> &'static [MoveSource] {
        &[moved::AZURERM]
    }

    fn move_state(&self, _req: MoveStateRequest<'_>, resp: &mut MoveStateResponse) {
        moved::from_azurerm(&mut resp.state, &mut resp.diagnostics);
    }

    /// Values Azure chose (`retrieval_start_date`) are left to Azure: no person writes them,
    /// and the plan keeps them in state.
    fn generate_config(&self, config: &mut Value) {
        for attr in ATTRIBUTES
            .iter()
            .filter(|attr| matches!(attr.presence, Presence::AzureChooses))
        {
            config.set(attr.name, Value::Null);
        }
    }
}

/// The id a new connection gets: its names in the provider's subscription.
async fn new_id(
    provider: &AzureHandle,
    plan: &Value,
    ctx: &CallContext,
    diags: &mut Diagnostics,
) -> Option<DataConnectionId> {
    let summary = "Cannot create the Kusto data connection";
    match provider.subscription(ctx).await {
        Ok(subscription) => {
            let id = model::id_from_names(subscription, plan);
            if id.is_none() {
                diags.add_error(
                    summary,
                    "Its names are not known. This is a bug in the provider.",
                );
            }
            id
        }
        Err(problem) => {
            diags.add_error(summary, problem);
            None
        }
    }
}

/// Whether an apply must ask Azure's preflight validation about `settings`: unless the user
/// skipped it, or the plan asked already about exactly these settings.
fn needs_preflight(
    req: &ApplyRequest<AzureHandle>,
    id: &DataConnectionId,
    settings: &kusto_arm::EventHubSettings,
) -> bool {
    let skip = req
        .plan
        .get_bool(SKIP_PREFLIGHT_VALIDATION)
        .unwrap_or(req.provider.settings().skip_preflight_validation);
    let checked = Checked::new(&req.provider.settings().cloud, id, settings);
    !skip && !checked.passed_in(&req.private)
}

/// The connection an existing state names and the Azure client to reach it, for a read or a
/// delete; `None` once `diags` says why not.
async fn existing<'a>(
    req: &'a ObjectRequest<AzureHandle>,
    ctx: &CallContext,
    diags: &mut Diagnostics,
) -> Option<(DataConnectionId, &'a kusto_arm::Client)> {
    let id = id_in_state(&req.state, diags)?;
    let client = req.provider.client(ctx, diags).await?;
    Some((id, client))
}

/// The id stored in state, or an error diagnostic.
fn id_in_state(state: &Value, diags: &mut Diagnostics) -> Option<DataConnectionId> {
    let text = state.get_str(ID).unwrap_or_default();
    match DataConnectionId::parse(text) {
        Ok(id) => Some(id),
        Err(error) => {
            diags.add_attribute_error(
                AttributePath::attr(ID),
                "Invalid ID in state",
                format!("{error}. Remove the resource from state and import it again."),
            );
            None
        }
    }
}

/// Reports a failed Azure call; `note` (may be empty) says what the state records now.
fn failed(
    diags: &mut Diagnostics,
    operation: &str,
    id: &DataConnectionId,
    error: &kusto_arm::Error,
    note: &str,
) {
    let note = if note.is_empty() {
        String::new()
    } else {
        format!("\n\n{note}")
    };
    diags.add_error(
        format!("Failed to {operation} the Kusto data connection"),
        format!("{id}\n\n{}{note}", explain(error)),
    );
}

/// Whether `state` is an import's, not yet read: [`import`](Resource::import) writes only
/// the id and the names, while every state a plan or read produced holds the required
/// `location`.
fn is_import(state: &Value) -> bool {
    state.is_null_attr(LOCATION)
}

/// The message for a data connection of another kind.
pub(crate) fn wrong_kind(id: &DataConnectionId, kind: &str) -> String {
    format!(
        "The data connection {id} is of kind {kind:?}, not \"EventHub\": this resource manages only \
         Event Hub data connections. Manage it with a resource for its kind, or remove it from \
         this configuration."
    )
}

/// `plan` with each unknown attribute replaced by its `prior` value.
fn fill_unknowns(mut plan: Value, prior: &Value) -> Value {
    if let Value::Object(attributes) = &mut plan {
        for (name, value) in attributes.iter_mut() {
            if value.is_unknown() {
                *value = prior.attr(name).clone();
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests;
