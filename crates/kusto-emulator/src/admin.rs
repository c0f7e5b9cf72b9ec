//! The admin API under `/_emulator/`: what tests use to look behind the curtain.
//!
//! It can read and rewrite everything, so every request needs the per-process admin token
//! of the ready line as `Authorization: Bearer <admin_token>` (compared in constant time);
//! without it the answer is 401 with an ARM-style JSON error. World reads never include the
//! applications' client secrets nor the CI request tokens (`ci.github.request_token`,
//! `ci.azure_devops.access_token`); a world written back without `client_secret` keeps the
//! secret of the application with that `client_id`, and one whose CI sections lack their
//! token keeps the current token.
//!
//! | route | effect |
//! |---|---|
//! | `GET /world` | the world (parents and data connections) as JSON |
//! | `PUT /world` | replace the world (same JSON shape as `--world FILE`) |
//! | `PATCH /world` | JSON merge patch (RFC 7386) on the world |
//! | `POST /reset` | back to the start-up world; operations, faults and log cleared |
//! | `GET /data-connections` | the stored data connections, keyed by lower-cased id |
//! | `GET/PATCH/DELETE /data-connection?id=ID` | read, merge-patch or remove one stored connection "outside Terraform" (no checks, no operation) |
//! | `GET /operations` | every operation with its current status |
//! | `GET /clock`, `POST /clock/advance` `{"seconds": N}` | read or move the emulator's clock |
//! | `GET/DELETE /requests` | the request log, or clear it |
//! | `GET/POST/DELETE /faults` | the fault plan with hit counts, replace it, clear it |

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::clock::arm_timestamp;
use super::dataconn::model::DataConnection;
use super::dataconn::request::invalid_content;
use super::error::ApiError;
use super::faults::FaultPlan;
use super::http::query_param;
use super::state::AppState;
use super::store::Store;
use super::world::World;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/world", get(get_world).put(put_world).patch(patch_world))
        .route("/reset", post(reset))
        .route("/data-connections", get(list_data_connections))
        .route(
            "/data-connection",
            get(get_data_connection)
                .patch(patch_data_connection)
                .delete(delete_data_connection),
        )
        .route("/operations", get(operations))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance_clock))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/faults", get(faults).post(set_faults).delete(clear_faults))
}

/// Checks the admin token of a `/_emulator/` request.
pub fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let problem = match presented {
        None => {
            "The admin API needs 'Authorization: Bearer <admin_token>', with the admin_token of the \
                 emulator's ready line."
        }
        Some(token)
            if aws_lc_rs::constant_time::verify_slices_are_equal(
                token.as_bytes(),
                app.admin_token().as_bytes(),
            )
            .is_ok() =>
        {
            return Ok(());
        }
        Some(_) => "The admin token is not this emulator's: use the admin_token of its ready line.",
    };
    let mut e = ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", problem);
    e.www_authenticate = Some("Bearer realm=\"kusto-emulator-admin\"".to_owned());
    Err(e)
}

/// The CI sections of a world and the name of the secret each holds.
const CI_SECRETS: [(&str, &str); 2] = [
    ("github", "request_token"),
    ("azure_devops", "access_token"),
];

/// The CI section `section` of a world as JSON, if it has one. (Looked up without indexing,
/// which would add the keys it looks for or panic on a body that is not an object.)
fn ci_section<'a>(
    world: &'a mut Value,
    section: &str,
) -> Option<&'a mut serde_json::Map<String, Value>> {
    world.get_mut("ci")?.get_mut(section)?.as_object_mut()
}

/// The world as the admin API shows it: without client secrets and CI request tokens.
fn public_world(world: &World) -> Result<Value, ApiError> {
    let mut value = to_value(world)?;
    if let Some(applications) = value.get_mut("applications").and_then(Value::as_array_mut) {
        for application in applications {
            if let Some(fields) = application.as_object_mut() {
                fields.remove("client_secret");
            }
        }
    }
    for (section, secret) in CI_SECRETS {
        if let Some(fields) = ci_section(&mut value, section) {
            fields.remove(secret);
        }
    }
    Ok(value)
}

/// A world from the admin API: applications without `client_secret` keep the current
/// secret of the application with the same `client_id`, CI sections without their token the
/// current token.
fn world_from(mut value: Value, current: &World) -> Result<World, ApiError> {
    let current_ci = to_value(&current.ci)?;
    for (section, secret) in CI_SECRETS {
        let kept = current_ci
            .get(section)
            .and_then(|fields| fields.get(secret));
        if let Some(fields) = ci_section(&mut value, section)
            && !fields.contains_key(secret)
            && let Some(kept) = kept
        {
            fields.insert(secret.to_owned(), kept.clone());
        }
    }
    if let Some(applications) = value.get_mut("applications").and_then(Value::as_array_mut) {
        for application in applications {
            let Some(fields) = application.as_object_mut() else {
                continue;
            };
            if fields.contains_key("client_secret") {
                continue;
            }
            let secret = fields
                .get("client_id")
                .and_then(Value::as_str)
                .and_then(|id| current.application(id))
                .map(|a| a.client_secret.clone());
            if let Some(secret) = secret {
                fields.insert("client_secret".to_owned(), Value::String(secret));
            }
        }
    }
    serde_json::from_value(value).map_err(invalid_content)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(invalid_content)
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            e.to_string(),
        )
    })
}

/// RFC 7386 JSON merge patch: objects merge recursively, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

async fn get_world(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    app.read(|store, _| public_world(&store.world))?.map(Json)
}

async fn put_world(State(app): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let value: Value = parse(&body)?;
    app.write(|store, _| {
        store.world = world_from(value, &store.world)?;
        public_world(&store.world)
    })
    .map(Json)
}

async fn patch_world(State(app): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let patch: Value = parse(&body)?;
    app.write(|store, _| {
        let mut value = to_value(&store.world)?;
        merge_patch(&mut value, &patch);
        store.world = world_from(value, &store.world)?;
        public_world(&store.world)
    })
    .map(Json)
}

async fn reset(State(app): State<AppState>) -> Result<StatusCode, ApiError> {
    let initial = app.initial_world().clone();
    app.write(|store, _| {
        let key = std::mem::take(&mut store.signing_key);
        *store = Store::new(initial);
        store.signing_key = key;
        Ok(())
    })?;
    *app.faults() = FaultPlan::default();
    app.log().entries.clear();
    Ok(StatusCode::NO_CONTENT)
}

async fn list_data_connections(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    app.read(|store, _| to_value(&store.world.data_connections))?
        .map(Json)
}

fn id_key(uri: &Uri) -> Result<String, ApiError> {
    query_param(uri, "id")
        .map(|id| id.to_ascii_lowercase())
        .ok_or_else(|| {
            ApiError::bad_request(
                "BadRequest",
                "The query parameter 'id' (an ARM resource id) is required.",
            )
        })
}

/// Looks a stored connection up by an id in any casing or spelling of the type segments.
fn find_key(store: &Store, key: &str) -> Result<String, ApiError> {
    let wanted = key.trim_end_matches('/');
    store
        .world
        .data_connections
        .keys()
        .find(|k| k.as_str() == wanted)
        .cloned()
        .ok_or_else(|| {
            ApiError::not_found(
                "ResourceNotFound",
                format!("No data connection with id '{key}'."),
            )
        })
}

async fn get_data_connection(
    State(app): State<AppState>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let key = id_key(&uri)?;
    app.read(|store, _| {
        let key = find_key(store, &key)?;
        to_value(&store.world.data_connections[&key])
    })?
    .map(Json)
}

async fn patch_data_connection(
    State(app): State<AppState>,
    uri: Uri,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let key = id_key(&uri)?;
    let patch: Value = parse(&body)?;
    app.write(|store, _| {
        let key = find_key(store, &key)?;
        let mut value = to_value(&store.world.data_connections[&key])?;
        merge_patch(&mut value, &patch);
        let updated: DataConnection = parse(&serde_json::to_vec(&value).unwrap_or_default())?;
        store.world.data_connections.insert(key, updated);
        Ok(value)
    })
    .map(Json)
}

async fn delete_data_connection(
    State(app): State<AppState>,
    uri: Uri,
) -> Result<StatusCode, ApiError> {
    let key = id_key(&uri)?;
    app.write(|store, _| {
        let key = find_key(store, &key)?;
        store.world.data_connections.remove(&key);
        Ok(StatusCode::NO_CONTENT)
    })
}

async fn operations(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    app.read(|store, now| {
        let list: Vec<Value> = store
            .operations
            .values()
            .map(|op| {
                json!({
                    "id": op.id,
                    "kind": op.kind,
                    "resourceId": op.resource_id,
                    "region": op.region,
                    "status": op.status(now).as_str(),
                    "startTime": arm_timestamp(op.started),
                    "endTime": arm_timestamp(op.finishes),
                })
            })
            .collect();
        Json(json!({"operations": list}))
    })
}

async fn clock(State(app): State<AppState>) -> Json<Value> {
    Json(json!({"now": arm_timestamp(app.now())}))
}

#[derive(serde::Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(State(app): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let advance: Advance = parse(&body)?;
    app.clock()
        .advance(time::Duration::seconds(advance.seconds));
    app.read(|_, now| Json(json!({"now": arm_timestamp(now)})))
}

async fn requests(State(app): State<AppState>) -> Json<Value> {
    Json(json!({"requests": app.log().entries}))
}

async fn clear_requests(State(app): State<AppState>) -> StatusCode {
    app.log().entries.clear();
    StatusCode::NO_CONTENT
}

async fn faults(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    to_value(&*app.faults()).map(Json)
}

async fn set_faults(State(app): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let plan: FaultPlan = parse(&body)?;
    *app.faults() = plan;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn clear_faults(State(app): State<AppState>) -> StatusCode {
    *app.faults() = FaultPlan::default();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_bodies_that_are_not_objects_are_refused_without_panicking() {
        let current = World::default();
        for body in [
            json!([1]),
            json!("x"),
            json!(5),
            json!({"ci": "x"}),
            json!({"ci": {"github": 1}}),
        ] {
            assert!(world_from(body.clone(), &current).is_err(), "{body}");
        }
    }

    #[test]
    fn ci_tokens_are_hidden_from_world_reads_and_kept_on_writes() {
        let mut current = World::default();
        current.ci.github.request_token = "gh-secret".into();
        let shown = public_world(&current).unwrap();
        assert!(shown["ci"]["github"].get("request_token").is_none());
        assert!(shown["ci"]["azure_devops"].get("access_token").is_none());
        assert_eq!(shown["ci"]["github"]["subject"], current.ci.github.subject);
        assert_eq!(world_from(shown.clone(), &current).unwrap(), current);
        let mut rotated = shown;
        rotated["ci"]["github"]["request_token"] = json!("new");
        assert_eq!(
            world_from(rotated, &current)
                .unwrap()
                .ci
                .github
                .request_token
                .expose(),
            "new"
        );
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut v = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1]});
        merge_patch(
            &mut v,
            &json!({"a": null, "b": {"c": 5}, "e": [2], "f": "x"}),
        );
        assert_eq!(v, json!({"b": {"c": 5, "d": 3}, "e": [2], "f": "x"}));
    }
}
