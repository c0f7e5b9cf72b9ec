//! Entra ID: OIDC discovery, the client-credentials token endpoint, managed-identity
//! endpoints, and the check ARM makes on every bearer token.
//!
//! Token requests succeed for the applications of the world, authenticated by
//! `client_secret` or by a `client_assertion` (workload identity federation). For an
//! assertion the emulator does what Entra does with a federated credential, minus the
//! issuer's signature (it cannot fetch a CI system's keys): the JWT must be well-formed,
//! unexpired, have audience `api://AzureADTokenExchange`, and its `iss`/`sub` must match a
//! federated credential of the application. Errors carry the real AADSTS codes and shape.
//!
//! Managed identity: App Service style (`IDENTITY_ENDPOINT=https://HOST/msi/token`,
//! `IDENTITY_HEADER` sent as `X-IDENTITY-HEADER`, api-version 2019-08-01) and IMDS style
//! (`/metadata/identity/oauth2/token` with `Metadata: true`). Both issue tokens for a
//! user-assigned identity of the world, chosen by `client_id`, `object_id`/`principal_id`
//! or `mi_res_id`/`msi_res_id`, else the first one.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::error::ApiError;
use super::http::{base_url, query_param};
use super::state::AppState;
use super::store::Store;
use super::token::{self, Claims, TokenProblem};
use super::world::{FederatedCredential, UserAssignedIdentity};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const FEDERATION_AUDIENCE: &str = "api://AzureADTokenExchange";
/// Audiences of the public cloud that ARM accepts besides the emulator's own address.
const ARM_AUDIENCES: &[&str] = &[
    "https://management.azure.com",
    "https://management.core.windows.net",
];

/// An Entra ID OAuth error: `{"error", "error_description": "AADSTSnnn: ...", "error_codes", ...}`.
#[derive(Debug, Clone)]
pub struct AadError {
    pub status: StatusCode,
    pub error: String,
    pub code: u32,
    pub description: String,
    pub now: OffsetDateTime,
}

impl AadError {
    fn new(
        status: StatusCode,
        error: &str,
        code: u32,
        description: impl Into<String>,
        now: OffsetDateTime,
    ) -> Self {
        AadError {
            status,
            error: error.to_owned(),
            code,
            description: description.into(),
            now,
        }
    }
}

impl IntoResponse for AadError {
    fn into_response(self) -> Response {
        let trace = uuid::Uuid::new_v4();
        let correlation = uuid::Uuid::new_v4();
        let timestamp = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
            self.now.year(),
            u8::from(self.now.month()),
            self.now.day(),
            self.now.hour(),
            self.now.minute(),
            self.now.second()
        );
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        });
        let mut response = (self.status, Json(body)).into_response();
        no_store(response.headers_mut());
        response
    }
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// The error a fault plan makes the token endpoint return.
pub fn fault_response(
    status: StatusCode,
    code: Option<&str>,
    message: Option<&str>,
    now: OffsetDateTime,
) -> Response {
    let error = code.unwrap_or(match status.as_u16() {
        429 | 500.. => "temporarily_unavailable",
        401 => "invalid_client",
        _ => "invalid_request",
    });
    let description = message.unwrap_or("A transient error has occurred. Please try again.");
    AadError::new(status, error, 90033, description, now).into_response()
}

fn tenant_known(store: &Store, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&store.world.tenant_id)
        || ["common", "organizations"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(tenant))
}

fn tenant_not_found(tenant: &str, now: OffsetDateTime) -> AadError {
    AadError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
        ),
        now,
    )
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration` (and the v1 form).
pub async fn openid_configuration(
    State(app): State<AppState>,
    Path(tenant): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = base_url(&uri, &headers);
    app.read(|store, now| {
        if !tenant_known(store, &tenant) {
            return tenant_not_found(&tenant, now).into_response();
        }
        let t = &store.world.tenant_id;
        let body = json!({
            "token_endpoint": format!("{base}/{t}/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": format!("{base}/{t}/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": format!("{base}/{t}/v2.0"),
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": format!("{base}/oidc/userinfo"),
            "authorization_endpoint": format!("{base}/{t}/oauth2/v2.0/authorize"),
            "device_authorization_endpoint": format!("{base}/{t}/oauth2/v2.0/devicecode"),
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "end_session_endpoint": format!("{base}/{t}/oauth2/v2.0/logout"),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
            "tenant_region_scope": "WW",
            "cloud_instance_name": "emulator.local",
            "cloud_graph_host_name": "graph.emulator.local",
            "msgraph_host": "graph.emulator.local",
            "rbac_url": base,
        });
        let mut response = Json(body).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=86400, private"));
        response
    })
}

/// Who a token is issued to.
struct Subject {
    appid: String,
    oid: String,
}

fn mint_response(
    store: &Store,
    app: &AppState,
    audience: &str,
    subject: &Subject,
    now: OffsetDateTime,
) -> Value {
    let lifetime = app.settings().token_lifetime;
    let iat = now.unix_timestamp();
    let claims = Claims {
        aud: audience.to_owned(),
        iss: format!("https://sts.windows.net/{}/", store.world.tenant_id),
        iat,
        nbf: iat,
        exp: iat.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
        appid: subject.appid.clone(),
        appidacr: "1".to_owned(),
        idtyp: "app".to_owned(),
        oid: subject.oid.clone(),
        sub: subject.oid.clone(),
        tid: store.world.tenant_id.clone(),
        uti: uuid::Uuid::new_v4().simple().to_string(),
        ver: "1.0".to_owned(),
    };
    json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token::mint(&store.signing_key, &claims),
    })
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `POST /{tenant}/oauth2/v2.0/token` (scope) and `/{tenant}/oauth2/token` (v1, resource).
pub async fn token(
    State(app): State<AppState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form(&body);
    app.read(
        |store, now| match issue_client_token(&app, store, &tenant, &fields, now) {
            Ok(body) => {
                let mut response = Json(body).into_response();
                no_store(response.headers_mut());
                response
            }
            Err(e) => e.into_response(),
        },
    )
}

fn issue_client_token(
    app: &AppState,
    store: &Store,
    tenant: &str,
    fields: &[(String, String)],
    now: OffsetDateTime,
) -> Result<Value, AadError> {
    let bad = |status: StatusCode, error: &str, code: u32, text: String| {
        AadError::new(status, error, code, text, now)
    };
    if !tenant.eq_ignore_ascii_case(&store.world.tenant_id) {
        return Err(tenant_not_found(tenant, now));
    }
    let grant = field(fields, "grant_type").unwrap_or_default();
    if grant != "client_credentials" {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant}'."),
        ));
    }
    let Some(client_id) = field(fields, "client_id") else {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.".to_owned(),
        ));
    };
    let audience = match (field(fields, "scope"), field(fields, "resource")) {
        (Some(scope), _) => scope
            .split_whitespace()
            .find_map(|s| s.strip_suffix(".default"))
            .filter(|aud| !aud.is_empty())
            .ok_or_else(|| {
                bad(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    1002012,
                    format!(
                        "The provided value for scope {scope} is not valid. Client credential flows must have a scope \
                         value with /.default suffixed to the resource identifier (application ID URI)."
                    ),
                )
            })?,
        (None, Some(resource)) => resource,
        (None, None) => {
            return Err(bad(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.".to_owned(),
            ));
        }
    };
    let Some(application) = store.world.application(client_id) else {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen \
                 if the application has not been installed by the administrator of the tenant or consented to by any \
                 user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        ));
    };
    match (
        field(fields, "client_secret"),
        field(fields, "client_assertion"),
    ) {
        (Some(secret), _) => {
            if secret != application.client_secret {
                return Err(bad(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000215,
                    format!(
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client \
                         secret value, not the client secret ID, for a secret added to app '{client_id}'."
                    ),
                ));
            }
        }
        (None, Some(assertion)) => {
            check_assertion(fields, assertion, &application.federated_credentials, now)?;
        }
        (None, None) => {
            return Err(bad(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
                    .to_owned(),
            ));
        }
    }
    let subject = Subject {
        appid: application.client_id.clone(),
        oid: application.object_id.clone(),
    };
    Ok(mint_response(store, app, audience, &subject, now))
}

fn check_assertion(
    fields: &[(String, String)],
    assertion: &str,
    trusted: &[FederatedCredential],
    now: OffsetDateTime,
) -> Result<(), AadError> {
    let bad = |status: StatusCode, error: &str, code: u32, text: String| {
        AadError::new(status, error, code, text, now)
    };
    if field(fields, "client_assertion_type") != Some(ASSERTION_TYPE) {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            format!("Invalid client_assertion_type; expected '{ASSERTION_TYPE}'."),
        ));
    }
    let Some(claims) = token::decode_payload(assertion) else {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.".to_owned(),
        ));
    };
    let text = |key: &str| {
        claims
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (iss, sub) = (text("iss"), text("sub"));
    let audiences: Vec<String> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let expired = claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_none_or(|exp| exp <= now.unix_timestamp());
    if expired {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            700024,
            "Client assertion is not within its valid time range.".to_owned(),
        ));
    }
    if !trusted.iter().any(|c| c.issuer == iss && c.subject == sub) {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            70021,
            format!(
                "No matching federated identity record found for presented assertion. Assertion Issuer: '{iss}'. \
                 Assertion Subject: '{sub}'. Assertion Audience: '{}'.",
                audiences.join(",")
            ),
        ));
    }
    if !audiences.iter().any(|a| a == FEDERATION_AUDIENCE) {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            700212,
            format!(
                "No matching federated identity record found for presented assertion audience '{}'.",
                audiences.join(",")
            ),
        ));
    }
    Ok(())
}

fn pick_identity<'a>(store: &'a Store, uri: &Uri) -> Option<&'a UserAssignedIdentity> {
    let identities = &store.world.user_assigned_identities;
    if let Some(id) = query_param(uri, "client_id") {
        return identities
            .iter()
            .find(|i| i.client_id.eq_ignore_ascii_case(&id));
    }
    if let Some(id) = query_param(uri, "object_id").or_else(|| query_param(uri, "principal_id")) {
        return identities
            .iter()
            .find(|i| i.principal_id.eq_ignore_ascii_case(&id));
    }
    if let Some(id) = query_param(uri, "mi_res_id").or_else(|| query_param(uri, "msi_res_id")) {
        return store.world.user_assigned_identity(&id);
    }
    identities.first()
}

fn identity_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": "invalid_request", "error_description": message})),
    )
        .into_response()
}

/// Issues a managed-identity token; `imds` selects the IMDS response shape (all strings).
fn identity_token(
    app: &AppState,
    store: &Store,
    uri: &Uri,
    now: OffsetDateTime,
    imds: bool,
) -> Response {
    let Some(resource) = query_param(uri, "resource") else {
        return identity_error(
            StatusCode::BAD_REQUEST,
            "Required query variable 'resource' is missing",
        );
    };
    let Some(identity) = pick_identity(store, uri) else {
        return identity_error(StatusCode::BAD_REQUEST, "Identity not found");
    };
    let subject = Subject {
        appid: identity.client_id.clone(),
        oid: identity.principal_id.clone(),
    };
    let minted = mint_response(store, app, &resource, &subject, now);
    let lifetime = app.settings().token_lifetime;
    let expires_on = now
        .unix_timestamp()
        .saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX));
    let mut body = json!({
        "access_token": minted["access_token"],
        "expires_on": expires_on.to_string(),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": identity.client_id,
    });
    if imds {
        body["expires_in"] = json!(lifetime.to_string());
        body["not_before"] = json!(now.unix_timestamp().to_string());
        body["refresh_token"] = json!("");
    }
    Json(body).into_response()
}

/// `GET /msi/token`: App Service managed identity (`X-IDENTITY-HEADER`).
pub async fn app_service_identity(
    State(app): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let presented = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok());
    managed_identity(&app, &uri, false, |store| {
        (presented != Some(store.world.identity_header.as_str())).then(|| {
            identity_error(
                StatusCode::UNAUTHORIZED,
                "The X-IDENTITY-HEADER header is missing or wrong.",
            )
        })
    })
}

/// `GET /metadata/identity/oauth2/token`: IMDS managed identity (`Metadata: true`).
pub async fn imds_identity(
    State(app): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let metadata = headers.get("metadata").and_then(|v| v.to_str().ok());
    let asked = metadata.is_some_and(|v| v.eq_ignore_ascii_case("true"));
    managed_identity(&app, &uri, true, |_| {
        (!asked).then(|| {
            identity_error(
                StatusCode::BAD_REQUEST,
                "Required metadata header not specified",
            )
        })
    })
}

/// A managed-identity token, unless `refusal` answers the request instead.
fn managed_identity(
    app: &AppState,
    uri: &Uri,
    imds: bool,
    refusal: impl FnOnce(&Store) -> Option<Response>,
) -> Result<Response, ApiError> {
    app.read(|store, now| {
        refusal(store).unwrap_or_else(|| identity_token(app, store, uri, now, imds))
    })
}

fn unauthorized(
    code: &str,
    message: String,
    description: &str,
    base: &str,
    tenant: &str,
) -> ApiError {
    let mut e = ApiError::new(StatusCode::UNAUTHORIZED, code, message);
    e.www_authenticate = Some(format!(
        "Bearer authorization_uri=\"{base}/{tenant}\", error=\"invalid_token\", error_description=\"{description}\""
    ));
    e
}

/// ARM's answer to a token it rejects, as the fault plan's 401 on an ARM path sends it.
pub fn rejected_token(code: &str, message: String, base: &str, tenant: &str) -> ApiError {
    unauthorized(code, message, "The access token has expired.", base, tenant)
}

/// A UTC time as .NET's invariant culture prints it (`M/d/yyyy h:mm:ss tt`), the form of
/// ARM's token-expiry message.
fn dotnet_time(t: OffsetDateTime) -> String {
    let hour = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let meridiem = if t.hour() < 12 { "AM" } else { "PM" };
    format!(
        "{}/{}/{} {hour}:{:02}:{:02} {meridiem}",
        u8::from(t.month()),
        t.day(),
        t.year(),
        t.minute(),
        t.second()
    )
}

fn trim(aud: &str) -> String {
    aud.trim_end_matches('/').to_ascii_lowercase()
}

/// ARM's check of the bearer token on a management request.
pub fn authenticate(
    store: &Store,
    uri: &Uri,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<Claims, ApiError> {
    let base = base_url(uri, headers);
    let tenant = &store.world.tenant_id;
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".to_owned(),
            "The authentication failed because of missing 'Authorization' header.",
            &base,
            tenant,
        ));
    };
    let bearer = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| token.trim());
    let Some(bearer) = bearer else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format."
                .to_owned(),
            "The authentication failed because of an invalid 'Authorization' header.",
            &base,
            tenant,
        ));
    };
    let claims = token::verify(&store.signing_key, bearer).map_err(|problem| {
        let detail = match problem {
            TokenProblem::Malformed => "The access token is malformed.",
            TokenProblem::BadSignature => "The access token signature is invalid.",
        };
        unauthorized(
            "InvalidAuthenticationToken",
            format!("The access token is invalid. {detail}"),
            "The access token is invalid.",
            &base,
            tenant,
        )
    })?;
    if claims.exp <= now.unix_timestamp() {
        let exp =
            OffsetDateTime::from_unix_timestamp(claims.exp).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        return Err(unauthorized(
            "ExpiredAuthenticationToken",
            format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                dotnet_time(exp),
                dotnet_time(now)
            ),
            "The access token has expired.",
            &base,
            tenant,
        ));
    }
    let mut allowed: Vec<String> = ARM_AUDIENCES.iter().map(|a| (*a).to_owned()).collect();
    allowed.push(base.clone());
    allowed.push(base.replace("://localhost", "://127.0.0.1"));
    allowed.push(base.replace("://127.0.0.1", "://localhost"));
    if !allowed.iter().any(|a| trim(a) == trim(&claims.aud)) {
        return Err(unauthorized(
            "InvalidAuthenticationToken",
            format!(
                "The access token has been obtained for wrong audience or resource '{}'. It should exactly match with \
                 one of the allowed audiences '{}'.",
                claims.aud,
                allowed.join("','")
            ),
            "The access token has been obtained for wrong audience or resource.",
            &base,
            tenant,
        ));
    }
    if !claims.tid.eq_ignore_ascii_case(tenant) {
        return Err(unauthorized(
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer '{}'. It must match the tenant 'https://sts.windows.net/{tenant}/' \
                 associated with this subscription.",
                claims.iss
            ),
            "The access token is from the wrong issuer.",
            &base,
            tenant,
        ));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{DEFAULT_TENANT_ID, World};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn jwt(payload: Value) -> String {
        format!("e30.{}.c2ln", URL_SAFE_NO_PAD.encode(payload.to_string()))
    }

    fn fields(assertion: &str) -> Vec<(String, String)> {
        vec![
            (
                "client_assertion_type".to_owned(),
                ASSERTION_TYPE.to_owned(),
            ),
            ("client_assertion".to_owned(), assertion.to_owned()),
        ]
    }

    #[test]
    fn assertions_need_a_trusted_issuer_subject_and_the_exchange_audience() {
        let now = OffsetDateTime::now_utc();
        let world = World::default();
        let trusted = &world.applications[0].federated_credentials;
        let credential = &trusted[0];
        let check = |aud: &str, sub: &str, exp: i64| {
            let token = jwt(json!({"iss": credential.issuer, "sub": sub, "aud": aud, "exp": exp}));
            check_assertion(&fields(&token), &token, trusted, now).map_err(|e| e.code)
        };
        let later = now.unix_timestamp() + 60;
        assert!(check(FEDERATION_AUDIENCE, &credential.subject, later).is_ok());
        assert_eq!(
            check(FEDERATION_AUDIENCE, "someone-else", later),
            Err(70021)
        );
        assert_eq!(
            check("api://other", &credential.subject, later),
            Err(700212)
        );
        assert_eq!(
            check(
                FEDERATION_AUDIENCE,
                &credential.subject,
                now.unix_timestamp()
            ),
            Err(700024)
        );
    }

    #[test]
    fn expiry_times_use_the_dotnet_format() {
        use time::macros::datetime;
        assert_eq!(
            dotnet_time(datetime!(2018-08-21 15:22:00 UTC)),
            "8/21/2018 3:22:00 PM"
        );
        assert_eq!(
            dotnet_time(datetime!(2026-01-05 00:07:09 UTC)),
            "1/5/2026 12:07:09 AM"
        );
        assert_eq!(
            dotnet_time(datetime!(2026-12-31 12:00:00 UTC)),
            "12/31/2026 12:00:00 PM"
        );
    }

    #[test]
    fn arm_checks_audience_and_tenant() {
        let now = OffsetDateTime::now_utc();
        let store = Store::new(World::default());
        let uri: Uri = "https://127.0.0.1:9/subscriptions/x".parse().unwrap();
        let bearer = |aud: &str, tid: &str| {
            let claims = Claims {
                aud: aud.to_owned(),
                iss: format!("https://sts.windows.net/{tid}/"),
                iat: now.unix_timestamp(),
                nbf: now.unix_timestamp(),
                exp: now.unix_timestamp() + 60,
                appid: "a".into(),
                appidacr: "1".into(),
                idtyp: "app".into(),
                oid: "o".into(),
                sub: "o".into(),
                tid: tid.to_owned(),
                uti: "u".into(),
                ver: "1.0".into(),
            };
            let mut headers = HeaderMap::new();
            let value = format!("Bearer {}", token::mint(&store.signing_key, &claims));
            headers.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(&value).unwrap(),
            );
            authenticate(&store, &uri, &headers, now).map_err(|e| e.code)
        };
        assert!(bearer("https://management.core.windows.net/", DEFAULT_TENANT_ID).is_ok());
        assert!(bearer("https://localhost:9/", DEFAULT_TENANT_ID).is_ok());
        assert_eq!(
            bearer("https://vault.azure.net", DEFAULT_TENANT_ID),
            Err("InvalidAuthenticationToken".into())
        );
        assert_eq!(
            bearer(
                "https://management.azure.com",
                "99999999-0000-0000-0000-000000000000"
            ),
            Err("InvalidAuthenticationTokenTenant".into())
        );
    }
}
