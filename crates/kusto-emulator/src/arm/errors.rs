//! The errors ARM answers before an operation runs: an unknown route or resource type, a
//! method the resource does not support, a missing parent or resource, and Kusto's refusal
//! while another operation runs on the cluster.

use axum::http::{Method, StatusCode, Uri};

use crate::dataconn::model::Names;
use crate::error::ApiError;
use crate::faults::CLUSTER_BUSY_CODE;
use crate::http::query_param;

pub fn not_found_route(path: &str) -> ApiError {
    ApiError::not_found(
        "NotFound",
        format!("No HTTP resource was found that matches the request URI '{path}'."),
    )
}

pub fn invalid_resource_type(uri: &Uri) -> ApiError {
    ApiError::not_found(
        "InvalidResourceType",
        format!(
            "The resource type could not be found in the namespace 'Microsoft.Kusto' for api version '{}'.",
            query_param(uri, "api-version").unwrap_or_default()
        ),
    )
}

pub fn method_not_allowed(method: &Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("The requested resource does not support http method '{method}'."),
    )
}

pub fn subscription_not_found(subscription_id: &str) -> ApiError {
    ApiError::not_found(
        "SubscriptionNotFound",
        format!("The subscription '{subscription_id}' could not be found."),
    )
}

pub fn resource_group_not_found(resource_group: &str) -> ApiError {
    ApiError::not_found(
        "ResourceGroupNotFound",
        format!("Resource group '{resource_group}' could not be found."),
    )
}

pub fn parent_not_found(parent: &str) -> ApiError {
    ApiError::not_found(
        "ParentResourceNotFound",
        format!(
            "Can not perform requested operation on nested resource. Parent resource '{parent}' not found."
        ),
    )
}

pub fn resource_not_found(names: &Names) -> ApiError {
    ApiError::not_found(
        "ResourceNotFound",
        format!(
            "The resource with identifier '{}' is not found.",
            names.id()
        ),
    )
}

/// The synchronous refusal of a write while another operation runs on the cluster.
pub fn cluster_busy(names: &Names) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, CLUSTER_BUSY_CODE, busy_message(names))
}

/// The message of the cluster-busy refusal, also when an operation reports it.
pub fn busy_message(names: &Names) -> String {
    format!(
        "[Conflict] Cluster '{}' is in the middle of another operation and cannot change data connection '{}' \
         now. Retry later, when the running operation has completed.",
        names.cluster, names.name
    )
}
