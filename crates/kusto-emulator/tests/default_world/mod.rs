//! The default world as both test tiers address it: its ids, valid request bodies and the
//! client-credentials token request. Shared by the black-box harness (`emulator/mod.rs`)
//! and the in-process one (`in_process/harness.rs`), so the two tiers send the same requests
//! and differ only in how they deliver them.

use http::HeaderMap;
use serde_json::{Value, json};

pub const SUB: &str = kusto_emulator::DEFAULT_SUBSCRIPTION_ID;
pub const TENANT: &str = kusto_emulator::DEFAULT_TENANT_ID;
pub const CLIENT_ID: &str = kusto_emulator::DEFAULT_CLIENT_ID;
pub const SECRET: &str = kusto_emulator::DEFAULT_CLIENT_SECRET;
pub const DB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.Kusto/clusters/democluster/databases/demodb";
pub const HUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events";
pub const V2024: &str = "api-version=2024-04-13";
pub const V2025: &str = "api-version=2025-02-14";
/// The scope of an ARM token.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";
/// The `client_assertion_type` of a client assertion (a JWT bearer).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A response as either tier receives it: a `reqwest` response over HTTPS, an `Answer` in
/// process.
pub trait ResponseHeaders {
    fn header_map(&self) -> &HeaderMap;
}

/// The value of header `name`, which must be present.
pub fn header(response: &impl ResponseHeaders, name: &str) -> String {
    response
        .header_map()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// `{DB}/dataConnections/{name}?api-version=2024-04-13`.
pub fn dc(name: &str) -> String {
    format!("{DB}/dataConnections/{name}?{V2024}")
}

/// A valid create body for the default world.
pub fn body(table: &str, mapping: &str, format: &str) -> Value {
    json!({"kind": "EventHub", "location": "westeurope", "properties": {
        "eventHubResourceId": HUB, "consumerGroup": "$Default",
        "tableName": table, "mappingRuleName": mapping, "dataFormat": format}})
}

/// A create body for the `Events` table with its JSON mapping.
pub fn events() -> Value {
    body("Events", "events_json", "JSON")
}

/// The default tenant's token endpoint (path only).
pub fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

/// `pairs` as an `application/x-www-form-urlencoded` body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The form of a client-credentials token request for `scope` by the world's application
/// with `secret`.
pub fn client_credentials<'a>(secret: &'a str, scope: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("client_id", CLIENT_ID),
        ("client_secret", secret),
        ("grant_type", "client_credentials"),
        ("scope", scope),
    ]
}

/// The form of a client-credentials token request for ARM by the world's application,
/// authenticated by the client assertion `assertion` (federated or certificate).
pub fn client_assertion(assertion: &str) -> [(&'static str, &str); 5] {
    [
        ("client_id", CLIENT_ID),
        ("grant_type", "client_credentials"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
        ("scope", ARM_SCOPE),
    ]
}
