//! `dataConnectionValidation`: the checks of a create without the create. Request-level
//! problems are refused at once; data problems become the result list of an operation
//! that always succeeds.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::call::Call;
use super::lookup::parents;
use crate::dataconn::checks::data_problems;
use crate::dataconn::model::Names;
use crate::dataconn::request::parse_request;
use crate::dataconn::validation::check_write;
use crate::error::ApiError;
use crate::lro::{OperationKind, Outcome};
use crate::regions;

impl Call<'_> {
    pub fn validate(&self, names: &Names) -> Result<Response, ApiError> {
        let body = self.json_body()?;
        let name = body
            .get("dataConnectionName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let inner = body.get("properties").cloned().unwrap_or(Value::Null);
        let request = parse_request(&inner)?;
        self.app.write(|store, now| {
            let cluster = parents(store, names)?.clone();
            let checked = check_write(&store.world, &cluster, &request, None, now)?;
            let problems =
                data_problems(&store.world, &cluster, &names.database, &checked.properties);
            let subject = Names {
                name,
                ..names.clone()
            };
            let region = regions::display_name(&cluster.location)
                .unwrap_or(&cluster.location)
                .to_owned();
            let mut op = self.start_operation(
                store,
                now,
                OperationKind::Validate,
                &subject,
                &region,
                Outcome::Succeeded,
            );
            op.validation_errors = problems;
            store
                .operations
                .insert(op.id.to_ascii_lowercase(), op.clone());
            let mut response = (StatusCode::ACCEPTED, Body::empty()).into_response();
            self.async_headers(&mut response, &op, true);
            Ok(response)
        })
    }
}
