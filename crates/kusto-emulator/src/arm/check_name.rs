//! `checkNameAvailability` on a database: whether a data-connection name is valid and
//! free, in the shape and words of the service.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::call::{Call, json_response};
use super::lookup::parents;
use crate::dataconn::model::Names;
use crate::dataconn::validation::{NAME_RULE, name_problem};
use crate::error::ApiError;

impl Call<'_> {
    pub fn check_name(&self, names: &Names) -> Result<Response, ApiError> {
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
            let result = if let Some(problem) = name_problem(name) {
                json!({"nameAvailable": false, "name": name, "reason": "Invalid",
                    "message": format!("Name '{}' is invalid: {problem}. Names {}.",
                        name.escape_debug(), NAME_RULE)})
            } else if store.world.data_connections.contains_key(&candidate.key()) {
                json!({"nameAvailable": false, "name": name, "reason": "AlreadyExists",
                    "message": format!("Name '{name}' is already taken. Please specify a different name.")})
            } else {
                json!({"nameAvailable": true, "name": name})
            };
            Ok(json_response(StatusCode::OK, result))
        })?
    }
}
