//! Parsing the body of a write (PUT, PATCH, or the `properties` of a validation request):
//! malformed JSON, a missing or unknown `kind` and a kind other than Event Hub are refused
//! here, before anything is looked up.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::ApiError;

const KINDS: &[&str] = &[
    "EventHub",
    "EventGrid",
    "IotHub",
    "CosmosDb",
    "EventHubWithManagedIdentity",
    "EventGridWithManagedIdentity",
];

/// The request properties, every field optional until checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestProperties {
    pub event_hub_resource_id: Option<String>,
    pub consumer_group: Option<String>,
    pub table_name: Option<String>,
    pub mapping_rule_name: Option<String>,
    pub data_format: Option<String>,
    pub event_system_properties: Option<Vec<String>>,
    pub compression: Option<String>,
    pub managed_identity_resource_id: Option<String>,
    pub database_routing: Option<String>,
    pub retrieval_start_date: Option<String>,
}

/// A parsed PUT/PATCH body (or the `properties` of a validation request).
#[derive(Debug, Clone)]
pub struct Request {
    pub location: Option<String>,
    pub kind: String,
    pub properties: RequestProperties,
    pub raw_properties: Map<String, Value>,
}

/// The error of a body that cannot be read as the request it should be.
pub fn invalid_content(detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "InvalidRequestContent",
        format!("The request content was invalid and could not be deserialized: '{detail}'."),
    )
}

/// Parses the JSON body of a write; `value` is the whole body.
pub fn parse_request(value: &Value) -> Result<Request, ApiError> {
    let object = value
        .as_object()
        .ok_or_else(|| invalid_content("the request body must be a JSON object"))?;
    let location = match object.get("location") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(invalid_content(format!(
                "location must be a string, got {other}"
            )));
        }
    };
    let kind = match object.get("kind") {
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!(
                    "The data connection kind is missing. The property 'kind' is required and must be one of: {}.",
                    KINDS.join(", ")
                ),
            ));
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(invalid_content(format!(
                "kind must be a string, got {other}"
            )));
        }
    };
    let raw_properties = match object.get("properties") {
        Some(Value::Object(map)) => map.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(other) => {
            return Err(invalid_content(format!(
                "properties must be an object, got {other}"
            )));
        }
    };
    let properties: RequestProperties =
        serde_json::from_value(Value::Object(raw_properties.clone())).map_err(invalid_content)?;
    let canonical_kind = KINDS
        .iter()
        .find(|k| k.eq_ignore_ascii_case(&kind))
        .ok_or_else(|| {
            ApiError::bad_request(
                "BadRequest",
                format!(
                    "The data connection kind '{kind}' is not supported. Supported kinds: {}.",
                    KINDS.join(", ")
                ),
            )
        })?;
    if *canonical_kind != "EventHub" {
        return Err(ApiError::bad_request(
            "BadRequest",
            format!(
                "[BadRequest] Data connection kind '{canonical_kind}' does not match the supplied properties: \
                 Event Hub properties (eventHubResourceId, consumerGroup) require kind 'EventHub'."
            ),
        ));
    }
    Ok(Request {
        location,
        kind: (*canonical_kind).to_owned(),
        properties,
        raw_properties,
    })
}
