//! The operation-result endpoint behind both `Azure-AsyncOperation` (a status document)
//! and `Location` (202 while running, then the final resource, result list or error).

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::call::{Call, insert, json_response};
use crate::error::ApiError;
use crate::http::query_param;
use crate::lro::{OperationKind, Status};
use crate::regions;

impl Call<'_> {
    pub fn operation_result(
        &self,
        subscription_id: &str,
        region: &str,
        id: &str,
    ) -> Result<Response, ApiError> {
        let location_style = query_param(&self.uri, "operationResultResponseType")
            .is_some_and(|t| t.eq_ignore_ascii_case("Location"));
        self.app.read(|store, now| {
            let op = store
                .operations
                .get(&id.to_ascii_lowercase())
                .filter(|op| {
                    op.subscription_id.eq_ignore_ascii_case(subscription_id)
                        && regions::same(&op.region, region)
                })
                .ok_or_else(|| {
                    ApiError::not_found(
                        "ResourceNotFound",
                        format!("The operation '{id}' could not be found."),
                    )
                })?;
            let status = op.status(now);
            if !location_style {
                let mut response = json_response(StatusCode::OK, op.status_document(now));
                if status == Status::Running {
                    insert(
                        response.headers_mut(),
                        header::RETRY_AFTER,
                        &self.retry_after(),
                    );
                }
                return Ok(response);
            }
            if status == Status::Running {
                let mut response = (StatusCode::ACCEPTED, Body::empty()).into_response();
                let headers = response.headers_mut();
                insert(headers, header::LOCATION, &op.location_url(&self.base));
                insert(headers, header::RETRY_AFTER, &self.retry_after());
                return Ok(response);
            }
            if let Some((code, message)) = op.error() {
                return Err(ApiError::bad_request(code, message));
            }
            let key = op.resource_id.to_ascii_lowercase();
            Ok(match op.kind {
                OperationKind::Validate => json_response(StatusCode::OK, op.validation_result()),
                OperationKind::Delete => (StatusCode::OK, Body::empty()).into_response(),
                OperationKind::Create | OperationKind::Update => {
                    match store.world.data_connections.get(&key) {
                        Some(dc) => json_response(StatusCode::OK, dc.render()),
                        None => (StatusCode::OK, Body::empty()).into_response(),
                    }
                }
            })
        })?
    }
}
