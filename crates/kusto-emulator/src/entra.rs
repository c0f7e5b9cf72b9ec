//! Entra ID: OIDC discovery, the client-credentials token endpoint, managed-identity
//! endpoints, and the check ARM makes on every bearer token.
//!
//! Token requests succeed for the applications of the world, in the world's tenant and in
//! each of its auxiliary tenants (the token's `tid`), authenticated by `client_secret` or by a
//! `client_assertion`: signed with a certificate of the application, or a workload's token
//! matching one of its federated credentials (see `assertion`). Errors carry the real
//! AADSTS codes and shape.
//!
//! Managed identity: App Service style (`IDENTITY_ENDPOINT=https://HOST/msi/token`,
//! `IDENTITY_HEADER` sent as `X-IDENTITY-HEADER`, api-version 2019-08-01) and IMDS style
//! (`/metadata/identity/oauth2/token` with `Metadata: true`). Both issue tokens for a
//! user-assigned identity of the world, chosen by `client_id`, `object_id`/`principal_id`
//! or `mi_res_id`/`msi_res_id`, else the first one.
//!
//! ARM checks the bearer token of every management request, and the auxiliary tokens of
//! `x-ms-authorization-auxiliary` (at most three, each a valid, unexpired ARM token of a
//! tenant of the world), with ARM's 401 errors.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::assertion::{self, Expected};
use super::entra_error::{AadError, no_store};
use super::error::ApiError;
use super::http::{base_url, query_param};
use super::state::AppState;
use super::store::Store;
use super::token::{self, Claims, TokenProblem};
use super::world::UserAssignedIdentity;

/// The header of ARM's auxiliary tokens (tokens of further tenants).
const AUXILIARY_HEADER: &str = "x-ms-authorization-auxiliary";
/// How many tokens [`AUXILIARY_HEADER`] may carry.
const MAX_AUXILIARY_TOKENS: usize = 3;
/// Audiences of the public cloud that ARM accepts besides the emulator's own address.
const ARM_AUDIENCES: &[&str] = &[
    "https://management.azure.com",
    "https://management.core.windows.net",
];

/// The tenant a discovery request names, as the world spells it: one of the world's
/// tenants, or the world's own for `common` and `organizations`.
fn discovered_tenant<'a>(store: &'a Store, tenant: &str) -> Option<&'a str> {
    store.world.tenant(tenant).or_else(|| {
        ["common", "organizations"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(tenant))
            .then_some(store.world.tenant_id.as_str())
    })
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
        let Some(t) = discovered_tenant(store, &tenant) else {
            return tenant_not_found(&tenant, now).into_response();
        };
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

/// A token response for `subject` in `tenant`.
fn mint_response(
    store: &Store,
    app: &AppState,
    tenant: &str,
    audience: &str,
    subject: &Subject,
    now: OffsetDateTime,
) -> Value {
    let lifetime = app.settings().token_lifetime;
    let iat = now.unix_timestamp();
    let claims = Claims {
        aud: audience.to_owned(),
        iss: format!("https://sts.windows.net/{tenant}/"),
        iat,
        nbf: iat,
        exp: iat.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
        appid: subject.appid.clone(),
        appidacr: "1".to_owned(),
        idtyp: "app".to_owned(),
        oid: subject.oid.clone(),
        sub: subject.oid.clone(),
        tid: tenant.to_owned(),
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

/// How a token request's form authenticates, as the request log names it
/// (`client_secret`, `client_assertion_federated`, `client_assertion_certificate`), if it
/// names a credential at all.
pub fn grant(body: &[u8]) -> Option<&'static str> {
    let fields = form(body);
    match (
        field(&fields, "client_secret"),
        field(&fields, "client_assertion"),
    ) {
        (Some(_), _) => Some("client_secret"),
        (None, Some(assertion)) => {
            let client_id = field(&fields, "client_id").unwrap_or_default();
            Some(assertion::Kind::of(assertion, client_id).grant())
        }
        (None, None) => None,
    }
}

/// `POST /{tenant}/oauth2/v2.0/token` (scope) and `/{tenant}/oauth2/token` (v1, resource).
pub async fn token(
    State(app): State<AppState>,
    Path(tenant): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form(&body);
    let base = base_url(&uri, &headers);
    // A certificate assertion names the endpoint it was made for: this one, either version.
    let token_endpoints = vec![
        format!("{base}/{tenant}/oauth2/v2.0/token"),
        format!("{base}/{tenant}/oauth2/token"),
    ];
    app.read(|store, now| {
        match issue_client_token(&app, store, &tenant, &fields, token_endpoints, now) {
            Ok(body) => {
                let mut response = Json(body).into_response();
                no_store(response.headers_mut());
                response
            }
            Err(e) => e.into_response(),
        }
    })
}

fn issue_client_token(
    app: &AppState,
    store: &Store,
    tenant: &str,
    fields: &[(String, String)],
    token_endpoints: Vec<String>,
    now: OffsetDateTime,
) -> Result<Value, AadError> {
    let bad = |status: StatusCode, error: &str, code: u32, text: String| {
        AadError::new(status, error, code, text, now)
    };
    let Some(tenant) = store.world.tenant(tenant) else {
        return Err(tenant_not_found(tenant, now));
    };
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
            let expected = Expected {
                application,
                token_endpoints,
                now,
            };
            assertion::check(field(fields, "client_assertion_type"), assertion, &expected)?;
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
    Ok(mint_response(store, app, tenant, audience, &subject, now))
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
    let minted = mint_response(store, app, &store.world.tenant_id, &resource, &subject, now);
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
        (presented != Some(store.world.identity_header.expose())).then(|| {
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

/// Why ARM refuses a token: its error code and message, and the challenge's description.
struct Refusal {
    code: &'static str,
    message: String,
    description: &'static str,
}

/// The audiences ARM accepts: the public cloud's, and the emulator's own address under both
/// of its names.
fn arm_audiences(base: &str) -> Vec<String> {
    let mut allowed: Vec<String> = ARM_AUDIENCES.iter().map(|a| (*a).to_owned()).collect();
    allowed.push(base.to_owned());
    allowed.push(base.replace("://localhost", "://127.0.0.1"));
    allowed.push(base.replace("://127.0.0.1", "://localhost"));
    allowed
}

/// ARM's checks of a token that hold for primary and auxiliary tokens alike: the emulator
/// issued it, it has not expired, and it is for ARM.
fn check_arm_token(
    store: &Store,
    bearer: &str,
    allowed: &[String],
    now: OffsetDateTime,
) -> Result<Claims, Refusal> {
    let claims = token::verify(&store.signing_key, bearer).map_err(|problem| {
        let detail = match problem {
            TokenProblem::Malformed => "The access token is malformed.",
            TokenProblem::BadSignature => "The access token signature is invalid.",
        };
        Refusal {
            code: "InvalidAuthenticationToken",
            message: format!("The access token is invalid. {detail}"),
            description: "The access token is invalid.",
        }
    })?;
    if claims.exp <= now.unix_timestamp() {
        let exp =
            OffsetDateTime::from_unix_timestamp(claims.exp).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        return Err(Refusal {
            code: "ExpiredAuthenticationToken",
            message: format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                dotnet_time(exp),
                dotnet_time(now)
            ),
            description: "The access token has expired.",
        });
    }
    if !allowed.iter().any(|a| trim(a) == trim(&claims.aud)) {
        return Err(Refusal {
            code: "InvalidAuthenticationToken",
            message: format!(
                "The access token has been obtained for wrong audience or resource '{}'. It should exactly match with \
                 one of the allowed audiences '{}'.",
                claims.aud,
                allowed.join("','")
            ),
            description: "The access token has been obtained for wrong audience or resource.",
        });
    }
    Ok(claims)
}

/// The items of `x-ms-authorization-auxiliary` (all its values, comma-separated), empty
/// ones left out.
fn auxiliary_items(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(AUXILIARY_HEADER)
        .iter()
        .flat_map(|value| {
            String::from_utf8_lossy(value.as_bytes())
                .split(',')
                .map(|item| item.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|item| !item.is_empty())
        .collect()
}

/// The token of one auxiliary item, `Bearer <token>`.
fn auxiliary_bearer(item: &str) -> Option<&str> {
    item.split_once(' ')
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| token.trim())
}

/// The tenants (`tid`) of the auxiliary tokens a request carries, in order, read without
/// checking the tokens: what the request log records (at most the first eight).
pub fn auxiliary_tenants(headers: &HeaderMap) -> Vec<String> {
    auxiliary_items(headers)
        .iter()
        .take(8)
        .filter_map(|item| auxiliary_bearer(item))
        .filter_map(token::decode_payload)
        .filter_map(|claims| claims.get("tid")?.as_str().map(str::to_owned))
        .collect()
}

/// ARM's check of the auxiliary tokens of a request whose primary token passed.
fn check_auxiliary(
    store: &Store,
    headers: &HeaderMap,
    allowed: &[String],
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    let items = auxiliary_items(headers);
    if items.len() > MAX_AUXILIARY_TOKENS {
        return Err(Refusal {
            code: "AuthenticationFailed",
            message: format!(
                "Authentication failed. The '{AUXILIARY_HEADER}' header carries {} tokens; at most \
                 {MAX_AUXILIARY_TOKENS} are allowed.",
                items.len()
            ),
            description: "The authentication failed because of an invalid 'x-ms-authorization-auxiliary' header.",
        });
    }
    for (index, item) in items.iter().enumerate() {
        let Some(bearer) = auxiliary_bearer(item) else {
            return Err(Refusal {
                code: "AuthenticationFailed",
                message: format!(
                    "Authentication failed. The '{AUXILIARY_HEADER}' header is provided in an invalid format."
                ),
                description: "The authentication failed because of an invalid 'x-ms-authorization-auxiliary' header.",
            });
        };
        // ARM names the client and tenant of the token it refuses.
        let who = token::decode_payload(bearer)
            .map(|claims| {
                let text = |name: &str| {
                    claims
                        .get(name)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                format!(" (client id '{}', tenant '{}')", text("appid"), text("tid"))
            })
            .unwrap_or_default();
        let position = index + 1;
        let claims = check_arm_token(store, bearer, allowed, now).map_err(|refusal| Refusal {
            message: format!(
                "The auxiliary token {position}{who} of the '{AUXILIARY_HEADER}' header is not valid. {}",
                refusal.message
            ),
            ..refusal
        })?;
        if store.world.tenant(&claims.tid).is_none() {
            return Err(Refusal {
                code: "InvalidAuthenticationTokenTenant",
                message: format!(
                    "The auxiliary token {position}{who} of the '{AUXILIARY_HEADER}' header is from the issuer '{}', \
                     which is not a tenant this request can be authorized in.",
                    claims.iss
                ),
                description: "The access token is from the wrong issuer.",
            });
        }
    }
    Ok(())
}

/// ARM's check of the bearer token on a management request, and of its auxiliary tokens.
pub fn authenticate(
    store: &Store,
    uri: &Uri,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<Claims, ApiError> {
    let base = base_url(uri, headers);
    let tenant = &store.world.tenant_id;
    let refuse = |r: Refusal| unauthorized(r.code, r.message, r.description, &base, tenant);
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(refuse(Refusal {
            code: "AuthenticationFailed",
            message: "Authentication failed. The 'Authorization' header is missing.".to_owned(),
            description: "The authentication failed because of missing 'Authorization' header.",
        }));
    };
    let bearer = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| token.trim());
    let Some(bearer) = bearer else {
        return Err(refuse(Refusal {
            code: "AuthenticationFailed",
            message: "Authentication failed. The 'Authorization' header is provided in an invalid format."
                .to_owned(),
            description: "The authentication failed because of an invalid 'Authorization' header.",
        }));
    };
    let allowed = arm_audiences(&base);
    let claims = check_arm_token(store, bearer, &allowed, now).map_err(refuse)?;
    if !claims.tid.eq_ignore_ascii_case(tenant) {
        return Err(refuse(Refusal {
            code: "InvalidAuthenticationTokenTenant",
            message: format!(
                "The access token is from the wrong issuer '{}'. It must match the tenant 'https://sts.windows.net/{tenant}/' \
                 associated with this subscription.",
                claims.iss
            ),
            description: "The access token is from the wrong issuer.",
        }));
    }
    check_auxiliary(store, headers, &allowed, now).map_err(refuse)?;
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{DEFAULT_AUXILIARY_TENANT_ID, DEFAULT_TENANT_ID, World};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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

    /// An ARM token of the emulator's key for `tid`, expiring `lifetime` seconds from `now`.
    fn arm_token(
        store: &Store,
        aud: &str,
        tid: &str,
        now: OffsetDateTime,
        lifetime: i64,
    ) -> String {
        let claims = Claims {
            aud: aud.to_owned(),
            iss: format!("https://sts.windows.net/{tid}/"),
            iat: now.unix_timestamp(),
            nbf: now.unix_timestamp(),
            exp: now.unix_timestamp() + lifetime,
            appid: "a".into(),
            appidacr: "1".into(),
            idtyp: "app".into(),
            oid: "o".into(),
            sub: "o".into(),
            tid: tid.to_owned(),
            uti: "u".into(),
            ver: "1.0".into(),
        };
        token::mint(&store.signing_key, &claims)
    }

    fn check(
        store: &Store,
        primary: &str,
        auxiliary: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), String> {
        let uri: Uri = "https://127.0.0.1:9/subscriptions/x".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {primary}")).unwrap(),
        );
        if let Some(value) = auxiliary {
            headers.insert(AUXILIARY_HEADER, HeaderValue::from_str(value).unwrap());
        }
        authenticate(store, &uri, &headers, now)
            .map(|_| ())
            .map_err(|e| e.code)
    }

    #[test]
    fn arm_checks_audience_and_tenant() {
        let now = OffsetDateTime::now_utc();
        let store = Store::new(World::default());
        let bearer =
            |aud: &str, tid: &str| check(&store, &arm_token(&store, aud, tid, now, 60), None, now);
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
        assert_eq!(
            bearer("https://management.azure.com", DEFAULT_AUXILIARY_TENANT_ID),
            Err("InvalidAuthenticationTokenTenant".into()),
            "an auxiliary tenant's token is no primary token"
        );
    }

    #[test]
    fn auxiliary_tokens_must_be_valid_arm_tokens_of_the_world_s_tenants() {
        let now = OffsetDateTime::now_utc();
        let store = Store::new(World::default());
        let arm = "https://management.azure.com/";
        let primary = arm_token(&store, arm, DEFAULT_TENANT_ID, now, 60);
        let aux = arm_token(&store, arm, DEFAULT_AUXILIARY_TENANT_ID, now, 60);
        let with = |header: &str| check(&store, &primary, Some(header), now);
        assert_eq!(with(&format!("Bearer {aux}")), Ok(()));
        assert_eq!(
            with(&format!("Bearer {aux}, bearer {primary},Bearer {aux}")),
            Ok(()),
            "up to three, of any of the world's tenants"
        );
        assert_eq!(with(" , "), Ok(()), "an empty header carries no token");
        let four = format!("Bearer {aux}, Bearer {aux}, Bearer {aux}, Bearer {aux}");
        assert_eq!(with(&four), Err("AuthenticationFailed".into()));
        assert_eq!(with(&aux), Err("AuthenticationFailed".into()));
        assert_eq!(
            with(&format!("EncryptedBearer {aux}")),
            Err("AuthenticationFailed".into())
        );
        assert_eq!(
            with("Bearer not.a-token"),
            Err("InvalidAuthenticationToken".into())
        );
        let expired = arm_token(&store, arm, DEFAULT_AUXILIARY_TENANT_ID, now, 0);
        assert_eq!(
            with(&format!("Bearer {aux}, Bearer {expired}")),
            Err("ExpiredAuthenticationToken".into())
        );
        let vault = arm_token(
            &store,
            "https://vault.azure.net",
            DEFAULT_AUXILIARY_TENANT_ID,
            now,
            60,
        );
        assert_eq!(
            with(&format!("Bearer {vault}")),
            Err("InvalidAuthenticationToken".into())
        );
        let stranger = arm_token(&store, arm, "99999999-0000-0000-0000-000000000000", now, 60);
        assert_eq!(
            with(&format!("Bearer {stranger}")),
            Err("InvalidAuthenticationTokenTenant".into())
        );
        let foreign = Store::new(World::default());
        let forged = arm_token(&foreign, arm, DEFAULT_AUXILIARY_TENANT_ID, now, 60);
        assert_eq!(
            with(&format!("Bearer {forged}")),
            Err("InvalidAuthenticationToken".into())
        );
    }

    #[test]
    fn the_log_reads_the_tenants_of_auxiliary_tokens() {
        let now = OffsetDateTime::now_utc();
        let store = Store::new(World::default());
        let arm = "https://management.azure.com/";
        let mut headers = HeaderMap::new();
        assert!(auxiliary_tenants(&headers).is_empty());
        let aux = arm_token(&store, arm, DEFAULT_AUXILIARY_TENANT_ID, now, 60);
        let other = arm_token(&store, arm, "t2", now, 0);
        let value = format!("Bearer {aux}, garbage, Bearer x, Bearer {other}");
        headers.insert(AUXILIARY_HEADER, HeaderValue::from_str(&value).unwrap());
        assert_eq!(
            auxiliary_tenants(&headers),
            [DEFAULT_AUXILIARY_TENANT_ID, "t2"]
        );
    }

    #[test]
    fn tokens_are_issued_in_every_tenant_of_the_world() {
        let store = Store::new(World::default());
        assert_eq!(
            discovered_tenant(&store, &DEFAULT_AUXILIARY_TENANT_ID.to_uppercase()),
            Some(DEFAULT_AUXILIARY_TENANT_ID)
        );
        assert_eq!(discovered_tenant(&store, "Common"), Some(DEFAULT_TENANT_ID));
        assert_eq!(discovered_tenant(&store, "elsewhere"), None);
    }

    #[test]
    fn the_grant_of_a_token_request_is_named_for_the_log() {
        let form = |pairs: &[(&str, &str)]| {
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
        };
        let payload = |iss: &str| {
            format!(
                "e30.{}.c2ln",
                URL_SAFE_NO_PAD.encode(json!({"iss": iss}).to_string())
            )
        };
        assert_eq!(
            grant(form(&[("client_secret", "s"), ("client_assertion", "a")]).as_bytes()),
            Some("client_secret")
        );
        assert_eq!(
            grant(form(&[("client_id", "C"), ("client_assertion", &payload("c"))]).as_bytes()),
            Some("client_assertion_certificate")
        );
        assert_eq!(
            grant(
                form(&[
                    ("client_id", "c"),
                    ("client_assertion", &payload("https://x"))
                ])
                .as_bytes()
            ),
            Some("client_assertion_federated")
        );
        assert_eq!(
            grant(form(&[("client_assertion", "garbage")]).as_bytes()),
            Some("client_assertion_federated")
        );
        assert_eq!(grant(b"client_id=c"), None);
    }
}
