//! DELETE of a data connection: 202 with an empty body and both operation headers, the
//! connection `Deleting` until its operation ends; 204 when there is nothing to delete.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::call::Call;
use super::lookup::{parents, refuse_if_busy};
use crate::dataconn::model::Names;
use crate::error::ApiError;
use crate::lro::{OperationKind, Outcome};

impl Call<'_> {
    pub fn delete(&self, names: &Names) -> Result<Response, ApiError> {
        self.app.write(|store, now| {
            parents(store, names)?;
            let Some(dc) = store.world.data_connections.get(&names.key()).cloned() else {
                return Ok(StatusCode::NO_CONTENT.into_response());
            };
            refuse_if_busy(store, names, now)?;
            let op = self.start_operation(
                store,
                now,
                OperationKind::Delete,
                names,
                &dc.location,
                Outcome::Succeeded,
            );
            if let Some(stored) = store.world.data_connections.get_mut(&names.key()) {
                stored.provisioning_state = "Deleting".to_owned();
            }
            let mut response = (StatusCode::ACCEPTED, Body::empty()).into_response();
            self.async_headers(&mut response, &op, true);
            Ok(response)
        })
    }
}
