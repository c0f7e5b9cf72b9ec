//! PUT and PATCH of a data connection. Both run the synchronous checks, store the connection
//! in its transitional state and start an operation that ends as the data checks decide.
//! PUT answers 201 with the request echoed (create) or 200 with the resource (update), with
//! `Azure-AsyncOperation` only; PATCH answers 202 with the resource as it was, now
//! `Accepted`, with both operation headers.

use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;

use super::call::{Call, json_response};
use super::lookup::{existing, parents, refuse_if_busy};
use super::operations::{outcome_for, remember_previous};
use crate::dataconn::checks::data_problems;
use crate::dataconn::model::{DataConnection, Names};
use crate::dataconn::request::Request as WriteRequest;
use crate::dataconn::validation::{NAME_RULE, check_write, name_problem};
use crate::error::ApiError;
use crate::lro::{Operation, OperationKind};
use crate::store::Store;
use crate::world::Cluster;

impl Call<'_> {
    pub fn put(&self, names: &Names) -> Result<Response, ApiError> {
        let request = self.write_request()?;
        if let Some(problem) = name_problem(&names.name) {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!(
                    "[BadRequest] The data connection name '{}' is invalid: {problem}. Names {NAME_RULE}.",
                    names.name.escape_debug(),
                ),
            ));
        }
        self.app.write(|store, now| {
            let cluster = parents(store, names)?.clone();
            refuse_if_busy(store, names, now)?;
            let previous = store.world.data_connections.get(&names.key()).cloned();
            let created = previous.is_none();
            let (dc, op) = self.accept(store, now, names, &cluster, &request, previous)?;
            let (status, body) = if created {
                (StatusCode::CREATED, dc.render_created(&request))
            } else {
                (StatusCode::OK, dc.render())
            };
            let mut response = json_response(status, body);
            self.async_headers(&mut response, &op, false);
            Ok(response)
        })
    }

    pub fn patch(&self, names: &Names) -> Result<Response, ApiError> {
        let request = self.write_request()?;
        self.app.write(|store, now| {
            let cluster = parents(store, names)?.clone();
            let previous = existing(store, names)?.clone();
            refuse_if_busy(store, names, now)?;
            let (_, op) = self.accept(
                store,
                now,
                names,
                &cluster,
                &request,
                Some(previous.clone()),
            )?;
            // The live service answers a PATCH with the resource as it was, now "Accepted".
            let accepted = DataConnection {
                provisioning_state: "Accepted".to_owned(),
                ..previous
            };
            let mut response = json_response(StatusCode::ACCEPTED, accepted.render());
            self.async_headers(&mut response, &op, true);
            Ok(response)
        })
    }

    /// Checks a write, stores the connection it makes (`Creating` for a create, `Accepted`
    /// for an update of `previous`) and starts its operation, which keeps `previous` for a
    /// rollback.
    fn accept(
        &self,
        store: &mut Store,
        now: OffsetDateTime,
        names: &Names,
        cluster: &Cluster,
        request: &WriteRequest,
        previous: Option<DataConnection>,
    ) -> Result<(DataConnection, Operation), ApiError> {
        let checked = check_write(&store.world, cluster, request, previous.as_ref(), now)?;
        let problems = data_problems(&store.world, cluster, &names.database, &checked.properties);
        let (kind, state, region) = match &previous {
            None => {
                let region = request
                    .location
                    .clone()
                    .unwrap_or_else(|| checked.location.clone());
                (OperationKind::Create, "Creating", region)
            }
            Some(_) => (OperationKind::Update, "Accepted", checked.location.clone()),
        };
        let dc = DataConnection {
            names: previous
                .as_ref()
                .map_or_else(|| names.clone(), |p| p.names.clone()),
            location: checked.location,
            kind: request.kind.clone(),
            provisioning_state: state.to_owned(),
            properties: checked.properties,
        };
        let op = self.start_operation(store, now, kind, names, &region, outcome_for(&problems));
        remember_previous(store, &op, previous);
        store.world.data_connections.insert(names.key(), dc.clone());
        Ok((dc, op))
    }
}
