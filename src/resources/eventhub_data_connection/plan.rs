//! Planning: which values are known before apply, which changes replace the connection, and
//! whether Azure finds the connection workable.
//!
//! Terraform shows "(known after apply)" for every unknown in a plan, so the plan says as
//! much as can be known: the `id` is built from the names, `managed_identity_object_id` is
//! null without an `identity_id` and unchanged while the identity is, `retrieval_start_date`
//! keeps the value Azure chose, and an update of a ready connection leaves it ready. A
//! connection in provisioning state `Failed` is planned for an update that re-sends its
//! settings, so a broken connection never hides behind an empty plan. A
//! change of spelling that names the same thing (`West Europe` for `westeurope`, an Event
//! Hub id in other casing) plans no change: the plan keeps the prior spelling.
//!
//! A create, or an update that sends new settings, is then checked by Azure's preflight
//! validation when everything it checks is known ([`super::preflight`]).

use kusto_arm::CallContext;
use terraform_plugin::resource::{ModifyPlanRequest, ModifyPlanResponse};
use terraform_plugin::value::Value;

use super::attributes::{ATTRIBUTES, Azure};
use super::names::{
    ID, IDENTITY_ID, MANAGED_IDENTITY_OBJECT_ID, PROVISIONING_STATE, SKIP_PREFLIGHT_VALIDATION,
};
use super::preflight::{self, Checked, Ledger};
use super::{model, spelling};
use crate::client::AzureHandle;

/// The resource-level plan adjustments: the computed values known before apply, then the
/// preflight validation.
pub(crate) async fn modify(req: ModifyPlanRequest<'_, AzureHandle>, resp: &mut ModifyPlanResponse) {
    known_values(&req, &mut resp.plan);
    resp.private.clear();
    if !resp.diagnostics.has_error() {
        validate(&req, resp).await;
    }
}

/// The computed values known before apply.
fn known_values(req: &ModifyPlanRequest<'_, AzureHandle>, plan: &mut Value) {
    if req.state.is_null() {
        if let Some(subscription) = req.provider.configured_subscription()
            && let Some(id) = model::id_from_names(subscription, plan)
        {
            plan.set(ID, id.to_string());
        }
        if plan.is_null_attr(IDENTITY_ID) {
            plan.set(MANAGED_IDENTITY_OBJECT_ID, Value::Null);
        }
        return;
    }
    let same_identity = match (plan.attr(IDENTITY_ID), req.state.attr(IDENTITY_ID)) {
        (Value::Null, Value::Null) => true,
        (Value::String(planned), Value::String(prior)) => {
            spelling::same_identity_id(planned, prior)
        }
        _ => false,
    };
    if same_identity {
        plan.set(
            MANAGED_IDENTITY_OBJECT_ID,
            req.state.attr(MANAGED_IDENTITY_OBJECT_ID).clone(),
        );
    } else if plan.is_null_attr(IDENTITY_ID) {
        plan.set(MANAGED_IDENTITY_OBJECT_ID, Value::Null);
    }
    match req.state.get_str(PROVISIONING_STATE) {
        Some(model::SUCCEEDED) => plan.set(PROVISIONING_STATE, model::SUCCEEDED),
        // A connection Azure could not set up is planned for repair: an in-place update that
        // sends its settings again, even when they equal the prior state.
        Some(model::FAILED) => plan.set(PROVISIONING_STATE, Value::Unknown),
        _ => {}
    }
}

/// Asks Azure's preflight validation about a create, or an update that sends new settings,
/// when everything it checks is known and the user did not skip it; a pass is recorded in
/// the planned private data, so that the apply does not ask again.
async fn validate(req: &ModifyPlanRequest<'_, AzureHandle>, resp: &mut ModifyPlanResponse) {
    let plan = &resp.plan;
    let skip = match plan.attr(SKIP_PREFLIGHT_VALIDATION) {
        Value::Bool(skip) => *skip,
        Value::Null => req.provider.settings().skip_preflight_validation,
        _ => return,
    };
    // What the user left unset is sent as unset (or as its default), whatever the plan
    // shows for it; what the configuration does not know yet is checked by the apply.
    let checked_values_known = ATTRIBUTES
        .iter()
        .filter(|attr| {
            matches!(
                attr.azure,
                Azure::Name(_) | Azure::Text { .. } | Azure::List { .. }
            )
        })
        .all(|attr| req.config.attr(attr.name).is_wholly_known());
    if skip || !checked_values_known {
        return;
    }
    let settings = model::settings(plan);
    let creating = req.state.is_null();
    let repairing = req.state.get_str(PROVISIONING_STATE) == Some(model::FAILED);
    if !creating && !repairing && model::same_settings(&settings, &model::settings(req.state)) {
        return;
    }
    let ctx = CallContext::new(req.timeout, req.cancel.clone());
    let Ok(subscription) = req.provider.subscription(&ctx).await else {
        // The apply reports a subscription it cannot find.
        return;
    };
    let Some(id) = model::id_from_names(subscription, plan) else {
        return;
    };
    let checked = Checked::new(&req.provider.settings().cloud, &id, &settings);
    let ledger = Ledger::under(&req.provider.settings().temp_dir);
    if !ledger.passed_recently(checked) {
        let Some(client) = req.provider.client(&ctx, &mut resp.diagnostics).await else {
            return;
        };
        let operation = if creating { "create" } else { "update" };
        let api = client.data_connections();
        if !preflight::check(api, &ctx, &id, &settings, operation, &mut resp.diagnostics).await {
            return;
        }
        ledger.record(checked);
    }
    resp.private = checked.passed();
}
