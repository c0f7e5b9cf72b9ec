//! The ARM side of the emulator: `Microsoft.Kusto/clusters/databases/dataConnections` and
//! the Kusto operation-result endpoints.
//!
//! ARM paths are case-insensitive and region names arrive `%20`-encoded, so this module
//! routes by hand instead of through axum's case-sensitive router. Every request passes,
//! in ARM's order: bearer token, `api-version` (2024-04-13 or 2025-02-14), subscription,
//! resource group, cluster, database; then the operation itself. Status codes and headers
//! follow the recorded Kusto traffic: PUT create 201 with `Azure-AsyncOperation` only, PUT
//! update 200 with `Azure-AsyncOperation`, PATCH 202 with a body, DELETE 202 with an empty
//! body (204 when the connection is absent), PATCH/DELETE/validation with both
//! `Azure-AsyncOperation` and `Location`, always with `Retry-After`.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::dataconn::{
    self, DataConnection, Names, Request as WriteRequest, VALIDATION_FAILED_CODE,
};
use super::entra;
use super::error::ApiError;
use super::faults::{CLUSTER_BUSY_CODE, LroOutcome};
use super::lro::{Operation, OperationKind, Outcome, Status};
use super::observe::{ForcedOutcome, percent_decode};
use super::regions;
use super::world::{Cluster, Store};
use super::{AppState, BODY_LIMIT, base_url, query_param};

/// The api-versions this emulator serves.
const API_VERSIONS: &[&str] = &["2024-04-13", "2025-02-14"];

/// Which data-connection endpoint a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    List(Names),
    Item(Names),
    CheckName(Names),
    Validate(Names),
    Operation {
        subscription_id: String,
        region: String,
        id: String,
    },
}

fn keyword(segment: &str, expected: &str) -> bool {
    segment.eq_ignore_ascii_case(expected)
}

fn route(path: &str) -> Option<Route> {
    let decoded = percent_decode(path);
    let s: Vec<&str> = decoded.trim_matches('/').split('/').collect();
    if s.len() == 8
        && keyword(s[0], "subscriptions")
        && keyword(s[2], "providers")
        && keyword(s[3], "Microsoft.Kusto")
        && keyword(s[4], "locations")
        && keyword(s[6], "operationResults")
    {
        return Some(Route::Operation {
            subscription_id: s[1].to_owned(),
            region: s[5].to_owned(),
            id: s[7].to_owned(),
        });
    }
    let database_scope = s.len() >= 11
        && keyword(s[0], "subscriptions")
        && keyword(s[2], "resourceGroups")
        && keyword(s[4], "providers")
        && keyword(s[5], "Microsoft.Kusto")
        && keyword(s[6], "clusters")
        && keyword(s[8], "databases");
    if !database_scope || s.iter().any(|p| p.is_empty()) {
        return None;
    }
    let names = |name: &str| Names {
        subscription_id: s[1].to_owned(),
        resource_group: s[3].to_owned(),
        cluster: s[7].to_owned(),
        database: s[9].to_owned(),
        name: name.to_owned(),
    };
    match s.len() {
        11 if keyword(s[10], "dataConnections") => Some(Route::List(names(""))),
        11 if keyword(s[10], "checkNameAvailability") => Some(Route::CheckName(names(""))),
        11 if keyword(s[10], "dataConnectionValidation") => Some(Route::Validate(names(""))),
        12 if keyword(s[10], "dataConnections") => Some(Route::Item(names(s[11]))),
        _ => None,
    }
}

/// Fallback handler: everything that is not Entra, metadata or admin.
pub async fn handle(State(app): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let forced = parts.extensions.get::<ForcedOutcome>().cloned();
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!("The request content exceeds the limit of {BODY_LIMIT} bytes."),
            )
            .into_response();
        }
    };
    let call = Call {
        app: &app,
        method: parts.method,
        base: base_url(&parts.uri, &parts.headers),
        uri: parts.uri,
        headers: parts.headers,
        body,
        forced,
    };
    call.dispatch().unwrap_or_else(IntoResponse::into_response)
}

/// One ARM request being served.
struct Call<'a> {
    app: &'a AppState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    base: String,
    body: Bytes,
    forced: Option<ForcedOutcome>,
}

fn not_found_route(path: &str) -> ApiError {
    ApiError::not_found(
        "NotFound",
        format!("No HTTP resource was found that matches the request URI '{path}'."),
    )
}

fn method_not_allowed(method: &Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("The requested resource does not support http method '{method}'."),
    )
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

impl Call<'_> {
    fn dispatch(self) -> Result<Response, ApiError> {
        let path = self.uri.path().to_owned();
        if !path.to_ascii_lowercase().starts_with("/subscriptions/") {
            return Err(not_found_route(&path));
        }
        self.app
            .read(|store, now| entra::authenticate(store, &self.uri, &self.headers, now))??;
        let route = route(&path).ok_or_else(|| {
            ApiError::not_found(
                "InvalidResourceType",
                format!(
                    "The resource type could not be found in the namespace 'Microsoft.Kusto' for api version '{}'.",
                    query_param(&self.uri, "api-version").unwrap_or_default()
                ),
            )
        })?;
        let api_version = self.api_version(&route)?;
        match (route, &self.method) {
            (
                Route::Operation {
                    subscription_id,
                    region,
                    id,
                },
                &Method::GET,
            ) => self.operation_result(&subscription_id, &region, &id),
            (Route::List(names), &Method::GET) => self.list(&names, &api_version),
            (Route::Item(names), &Method::GET) => self.get(&names),
            (Route::Item(names), &Method::PUT) => self.put(&names),
            (Route::Item(names), &Method::PATCH) => self.patch(&names),
            (Route::Item(names), &Method::DELETE) => self.delete(&names),
            (Route::CheckName(names), &Method::POST) => self.check_name(&names),
            (Route::Validate(names), &Method::POST) => self.validate(&names),
            _ => Err(method_not_allowed(&self.method)),
        }
    }

    /// Checks `api-version` as ARM does: absent, malformed, or well-formed but not registered
    /// by the resource provider for this type (each with ARM's own code).
    fn api_version(&self, route: &Route) -> Result<String, ApiError> {
        let Some(version) = query_param(&self.uri, "api-version") else {
            return Err(ApiError::bad_request(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ));
        };
        if API_VERSIONS.contains(&version.as_str()) {
            return Ok(version);
        }
        if !well_formed_api_version(&version) {
            return Err(ApiError::bad_request(
                "InvalidApiVersionParameter",
                format!(
                    "The api-version '{version}' is invalid. The supported versions are '{}'.",
                    API_VERSIONS.join(",")
                ),
            ));
        }
        let (resource_type, location) = match route {
            Route::Operation { region, .. } => {
                ("locations/operationResults", regions::normalize(region))
            }
            Route::List(names) | Route::Item(names) => (
                "clusters/databases/dataConnections",
                self.location_of(names),
            ),
            Route::CheckName(names) | Route::Validate(names) => {
                ("clusters/databases", self.location_of(names))
            }
        };
        Err(ApiError::bad_request(
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location '{location}' and API version '{version}' for \
                 type '{resource_type}'. The supported api-versions are '{}'. The supported locations are '{}'.",
                API_VERSIONS.join(", "),
                regions::display_names().join(", ")
            ),
        ))
    }

    /// The normalised region of the cluster (or resource group) a request addresses.
    fn location_of(&self, names: &Names) -> String {
        self.app
            .read(|store, _| {
                let world = &store.world;
                world
                    .cluster(
                        &names.subscription_id,
                        &names.resource_group,
                        &names.cluster,
                    )
                    .map(|c| c.location.clone())
                    .or_else(|| {
                        world
                            .resource_group(&names.subscription_id, &names.resource_group)
                            .map(|g| g.location.clone())
                    })
            })
            .ok()
            .flatten()
            .map_or_else(|| "global".to_owned(), |l| regions::normalize(&l))
    }

    fn json_body(&self) -> Result<Value, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ApiError::bad_request(
                "InvalidRequestContent",
                format!("The request content was invalid and could not be deserialized: '{e}'."),
            )
        })
    }

    fn write_request(&self) -> Result<WriteRequest, ApiError> {
        dataconn::parse_request(&self.json_body()?)
    }

    fn retry_after(&self) -> String {
        self.app.settings().retry_after.to_string()
    }

    /// Creates an operation on the store, ending as planned unless the fault plan forces
    /// another outcome.
    fn start_operation(
        &self,
        store: &mut Store,
        now: OffsetDateTime,
        kind: OperationKind,
        names: &Names,
        region: &str,
        natural: Outcome,
    ) -> Operation {
        let outcome = match &self.forced {
            None => natural,
            Some(f) => {
                let (default_code, default_message) = match f.outcome {
                    LroOutcome::Failed => (
                        "InternalServerError",
                        "[InternalServerError] The operation failed.",
                    ),
                    LroOutcome::Canceled => ("OperationCanceled", "The operation was canceled."),
                };
                let code = f.code.clone().unwrap_or_else(|| default_code.to_owned());
                let message = f.message.clone().unwrap_or_else(|| {
                    if code == CLUSTER_BUSY_CODE {
                        busy_message(names)
                    } else {
                        default_message.to_owned()
                    }
                });
                match f.outcome {
                    LroOutcome::Failed => Outcome::Failed { code, message },
                    LroOutcome::Canceled => Outcome::Canceled { code, message },
                }
            }
        };
        let seconds = i64::try_from(self.app.settings().lro_seconds).unwrap_or(i64::MAX);
        let op = Operation {
            id: uuid::Uuid::new_v4().to_string(),
            subscription_id: names.subscription_id.clone(),
            region: region.to_owned(),
            kind,
            resource_id: names.id(),
            cluster_key: names.cluster_key(),
            api_version: query_param(&self.uri, "api-version").unwrap_or_default(),
            started: now,
            finishes: now.saturating_add(Duration::seconds(seconds)),
            outcome,
            validation_errors: Vec::new(),
            settled: false,
            previous: None,
        };
        store
            .operations
            .insert(op.id.to_ascii_lowercase(), op.clone());
        op
    }

    /// Adds the asynchronous-operation headers to a response.
    fn async_headers(&self, response: &mut Response, op: &Operation, with_location: bool) {
        let headers = response.headers_mut();
        insert(
            headers,
            HeaderName::from_static("azure-asyncoperation"),
            &op.async_operation_url(&self.base),
        );
        if with_location {
            insert(headers, header::LOCATION, &op.location_url(&self.base));
        }
        insert(headers, header::RETRY_AFTER, &self.retry_after());
    }

    fn get(&self, names: &Names) -> Result<Response, ApiError> {
        self.app.read(|store, _| {
            parents(store, names)?;
            let dc = existing(store, names)?;
            Ok(json_response(StatusCode::OK, dc.render()))
        })?
    }

    fn list(&self, names: &Names, api_version: &str) -> Result<Response, ApiError> {
        let page_size = self.app.settings().page_size.max(1);
        let skip = query_param(&self.uri, "$skiptoken")
            .and_then(|t| t.parse::<usize>().ok())
            .unwrap_or(0);
        self.app.read(|store, _| {
            parents(store, names)?;
            let prefix = names.key();
            let all: Vec<&DataConnection> = store
                .world
                .data_connections
                .iter()
                .filter(|(key, _)| key.starts_with(&prefix))
                .map(|(_, dc)| dc)
                .collect();
            let page: Vec<Value> = all
                .iter()
                .skip(skip)
                .take(page_size)
                .map(|dc| dc.render())
                .collect();
            let mut body = json!({"value": page});
            if skip + page_size < all.len() {
                body["nextLink"] = json!(format!(
                    "{}{}?api-version={api_version}&$skiptoken={}",
                    self.base,
                    self.uri.path(),
                    skip + page_size
                ));
            }
            Ok(json_response(StatusCode::OK, body))
        })?
    }

    fn put(&self, names: &Names) -> Result<Response, ApiError> {
        let request = self.write_request()?;
        if let Some(problem) = dataconn::name_problem(&names.name) {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!(
                    "[BadRequest] The data connection name '{}' is invalid: {problem}. Names {}.",
                    names.name.escape_debug(),
                    dataconn::NAME_RULE
                ),
            ));
        }
        self.app.write(|store, now| {
            let cluster = parents(store, names)?.clone();
            refuse_if_busy(store, names, now)?;
            let previous = store.world.data_connections.get(&names.key()).cloned();
            let checked =
                dataconn::check_write(&store.world, &cluster, &request, previous.as_ref(), now)?;
            let problems = dataconn::data_problems(
                &store.world,
                &cluster,
                &names.database,
                &checked.properties,
            );
            let created = previous.is_none();
            let (kind, state, region) = if created {
                let region = request
                    .location
                    .clone()
                    .unwrap_or_else(|| checked.location.clone());
                (OperationKind::Create, "Creating", region)
            } else {
                (OperationKind::Update, "Accepted", checked.location.clone())
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

    fn patch(&self, names: &Names) -> Result<Response, ApiError> {
        let request = self.write_request()?;
        self.app.write(|store, now| {
            let cluster = parents(store, names)?.clone();
            let previous = existing(store, names)?.clone();
            refuse_if_busy(store, names, now)?;
            let checked =
                dataconn::check_write(&store.world, &cluster, &request, Some(&previous), now)?;
            let problems = dataconn::data_problems(
                &store.world,
                &cluster,
                &names.database,
                &checked.properties,
            );
            let dc = DataConnection {
                names: previous.names.clone(),
                location: checked.location,
                kind: request.kind.clone(),
                provisioning_state: "Accepted".to_owned(),
                properties: checked.properties,
            };
            let region = dc.location.clone();
            let op = self.start_operation(
                store,
                now,
                OperationKind::Update,
                names,
                &region,
                outcome_for(&problems),
            );
            remember_previous(store, &op, Some(previous.clone()));
            store.world.data_connections.insert(names.key(), dc.clone());
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

    fn delete(&self, names: &Names) -> Result<Response, ApiError> {
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

    fn check_name(&self, names: &Names) -> Result<Response, ApiError> {
        let body = self.json_body()?;
        let name = body.get("name").and_then(Value::as_str).ok_or_else(|| {
            ApiError::bad_request("BadRequest", "The required property 'name' is missing.")
        })?;
        let expected_type = "Microsoft.Kusto/clusters/databases/dataConnections";
        let type_ok = body
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case(expected_type));
        if !type_ok {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("The property 'type' must be '{expected_type}'."),
            ));
        }
        let candidate = Names {
            name: name.to_owned(),
            ..names.clone()
        };
        self.app.read(|store, _| {
            parents(store, names)?;
            let result = if let Some(problem) = dataconn::name_problem(name) {
                json!({"nameAvailable": false, "name": name, "reason": "Invalid",
                    "message": format!("Name '{}' is invalid: {problem}. Names {}.",
                        name.escape_debug(), dataconn::NAME_RULE)})
            } else if store.world.data_connections.contains_key(&candidate.key()) {
                json!({"nameAvailable": false, "name": name, "reason": "AlreadyExists",
                    "message": format!("Name '{name}' is already taken. Please specify a different name.")})
            } else {
                json!({"nameAvailable": true, "name": name})
            };
            Ok(json_response(StatusCode::OK, result))
        })?
    }

    fn validate(&self, names: &Names) -> Result<Response, ApiError> {
        let body = self.json_body()?;
        let name = body
            .get("dataConnectionName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let inner = body.get("properties").cloned().unwrap_or(Value::Null);
        let request = dataconn::parse_request(&inner)?;
        self.app.write(|store, now| {
            let cluster = parents(store, names)?.clone();
            let checked = dataconn::check_write(&store.world, &cluster, &request, None, now)?;
            let problems = dataconn::data_problems(
                &store.world,
                &cluster,
                &names.database,
                &checked.properties,
            );
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

    fn operation_result(
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

/// `YYYY-MM-DD` with an optional suffix such as `-preview`: the shape of every ARM api-version.
fn well_formed_api_version(version: &str) -> bool {
    let bytes = version.as_bytes();
    let date_ok = bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    date_ok && (bytes.len() == 10 || (bytes[10] == b'-' && bytes.len() > 11))
}

/// How a write ends given the data problems Kusto's engine finds.
fn outcome_for(problems: &[String]) -> Outcome {
    if problems.is_empty() {
        Outcome::Succeeded
    } else {
        Outcome::Failed {
            code: VALIDATION_FAILED_CODE.to_owned(),
            message: dataconn::problems_message(problems),
        }
    }
}

/// Resolves the parents of a data connection, with ARM's error for the first missing one.
fn parents<'a>(store: &'a Store, names: &Names) -> Result<&'a Cluster, ApiError> {
    let world = &store.world;
    if !world.has_subscription(&names.subscription_id) {
        return Err(ApiError::not_found(
            "SubscriptionNotFound",
            format!(
                "The subscription '{}' could not be found.",
                names.subscription_id
            ),
        ));
    }
    if world
        .resource_group(&names.subscription_id, &names.resource_group)
        .is_none()
    {
        return Err(ApiError::not_found(
            "ResourceGroupNotFound",
            format!(
                "Resource group '{}' could not be found.",
                names.resource_group
            ),
        ));
    }
    let parent_missing = |parent: String| {
        ApiError::not_found(
            "ParentResourceNotFound",
            format!(
                "Can not perform requested operation on nested resource. Parent resource '{parent}' not found."
            ),
        )
    };
    let cluster = world
        .cluster(
            &names.subscription_id,
            &names.resource_group,
            &names.cluster,
        )
        .ok_or_else(|| parent_missing(names.cluster.clone()))?;
    cluster
        .database(&names.database)
        .ok_or_else(|| parent_missing(format!("{}/{}", names.cluster, names.database)))?;
    Ok(cluster)
}

fn existing<'a>(store: &'a Store, names: &Names) -> Result<&'a DataConnection, ApiError> {
    store
        .world
        .data_connections
        .get(&names.key())
        .ok_or_else(|| {
            ApiError::not_found(
                "ResourceNotFound",
                format!(
                    "The resource with identifier '{}' is not found.",
                    names.id()
                ),
            )
        })
}

fn refuse_if_busy(store: &Store, names: &Names, now: OffsetDateTime) -> Result<(), ApiError> {
    if store.cluster_busy(&names.cluster_key(), now) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            CLUSTER_BUSY_CODE,
            busy_message(names),
        ));
    }
    Ok(())
}

fn busy_message(names: &Names) -> String {
    format!(
        "[Conflict] Cluster '{}' is in the middle of another operation and cannot change data connection '{}' \
         now. Retry later, when the running operation has completed.",
        names.cluster, names.name
    )
}

/// Keeps the connection as it was before an update on its operation, for a rollback.
fn remember_previous(store: &mut Store, op: &Operation, previous: Option<DataConnection>) {
    if let Some(stored) = store.operations.get_mut(&op.id.to_ascii_lowercase()) {
        stored.previous = previous;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_matched_case_insensitively() {
        let p = "/subscriptions/s/resourcegroups/rg/providers/microsoft.kusto/Clusters/c/Databases/d/DataConnections/n";
        let Some(Route::Item(names)) = route(p) else {
            panic!("no item route")
        };
        assert_eq!(names.name, "n");
        assert!(matches!(
            route(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections"
            ),
            Some(Route::List(_))
        ));
        assert!(matches!(
            route("/subscriptions/s/providers/Microsoft.Kusto/locations/West%20Europe/operationresults/x"),
            Some(Route::Operation { region, .. }) if region == "West Europe"
        ));
        assert_eq!(route("/subscriptions/s/resourceGroups/rg"), None);
        assert!(
            well_formed_api_version("2019-01-21") && well_formed_api_version("2023-05-02-preview")
        );
        assert!(
            !well_formed_api_version("latest")
                && !well_formed_api_version("2019-1-21")
                && !well_formed_api_version("2019-01-21-")
        );
        assert_eq!(
            route(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections//"
            ),
            Some(Route::List(Names {
                subscription_id: "s".into(),
                resource_group: "rg".into(),
                cluster: "c".into(),
                database: "d".into(),
                name: String::new()
            }))
        );
    }
}
