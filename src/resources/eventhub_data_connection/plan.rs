//! Planning: which values are known before apply, and which changes replace the connection.
//!
//! Terraform shows "(known after apply)" for every unknown in a plan, so the plan says as
//! much as can be known: the `id` is built from the names, `managed_identity_object_id` is
//! null without an `identity_id` and unchanged while the identity is, `retrieval_start_date`
//! keeps the value Azure chose, and an update of a ready connection leaves it ready. A
//! connection in provisioning state `Failed` is planned for an update that re-sends its
//! settings, so a broken connection never hides behind an empty plan. A
//! change of spelling that names the same thing (`West Europe` for `westeurope`, an Event
//! Hub id in other casing) plans no change: the plan keeps the prior spelling.

use crate::client::AzureHandle;
use terraform_plugin::resource::{ModifyPlanRequest, ModifyPlanResponse};
use terraform_plugin::value::Value;

use super::names::{ID, IDENTITY_ID, MANAGED_IDENTITY_OBJECT_ID, PROVISIONING_STATE};
use super::{model, spelling};

/// The resource-level plan adjustments: the computed values known before apply.
pub(crate) fn modify(req: ModifyPlanRequest<'_, AzureHandle>, resp: &mut ModifyPlanResponse) {
    let plan = &mut resp.plan;
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
