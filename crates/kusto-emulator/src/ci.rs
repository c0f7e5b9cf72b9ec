//! The CI systems' side of workload identity federation: the endpoints a GitHub Actions job
//! and an Azure Pipelines job call for the OIDC token they then exchange at Entra.
//!
//! - GitHub Actions: the runner gives a job `ACTIONS_ID_TOKEN_REQUEST_URL` (already carrying
//!   `?api-version=2.0`) and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the job sends
//!   `GET {url}&audience=...` with `Authorization: Bearer {token}` and gets
//!   `{"count": n, "value": "<JWT>"}`. Here: `GET /github/idtoken`.
//! - Azure Pipelines: the job has `SYSTEM_OIDCREQUESTURI` and `SYSTEM_ACCESSTOKEN`, and sends
//!   `POST {uri}?api-version=7.1&serviceConnectionId={id}` with the access token as bearer;
//!   it gets `{"oidcToken": "<JWT>"}` for the service connection. Here:
//!   `POST /azure-devops/oidctoken`. Errors have Azure DevOps' JSON shape.
//!
//! What a job is given, and what its tokens say (issuer, subject), is the world's `ci`
//! section; the built-in application trusts both systems' tokens. The tokens are signed like
//! the emulator's own, which Entra as the emulator plays it does not check.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::assertion::FEDERATION_AUDIENCE;
use super::error::ApiError;
use super::http::query_param;
use super::state::AppState;
use super::token;
use super::world::{AzureDevOps, Ci, GitHubActions, Secret};

/// How long a GitHub Actions ID token lasts.
const GITHUB_TOKEN_SECONDS: i64 = 300;
/// How long an Azure Pipelines OIDC token lasts.
const AZURE_DEVOPS_TOKEN_SECONDS: i64 = 600;

/// The bearer token of a request, if it sends one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// Whether the request's bearer token is `expected` (compared in constant time).
fn presents(headers: &HeaderMap, expected: &str) -> bool {
    bearer(headers).is_some_and(|token| {
        aws_lc_rs::constant_time::verify_slices_are_equal(token.as_bytes(), expected.as_bytes())
            .is_ok()
    })
}

/// The value of `name` in a GitHub OIDC subject such as
/// `repo:owner/name:environment:prod` or `repo:owner/name:ref:refs/heads/main`.
fn subject_part<'a>(subject: &'a str, name: &str) -> Option<&'a str> {
    let mut parts = subject.split(':');
    parts.find(|part| *part == name)?;
    parts.next()
}

/// The owner of a repository `owner/name`.
fn owner(repository: &str) -> &str {
    repository
        .split_once('/')
        .map_or(repository, |(owner, _)| owner)
}

/// The claims of a GitHub Actions ID token for `audience`, as GitHub fills them for a job
/// of the configured repository and subject.
fn github_claims(github: &GitHubActions, audience: &str, now: OffsetDateTime) -> Value {
    let iat = now.unix_timestamp();
    let subject = &github.subject;
    let owner = owner(&github.repository);
    let git_ref = subject_part(subject, "ref").unwrap_or("refs/heads/main");
    let event = if subject.ends_with(":pull_request") {
        "pull_request"
    } else {
        "push"
    };
    let mut claims = json!({
        "jti": uuid::Uuid::new_v4().to_string(),
        "sub": subject,
        "aud": audience,
        "ref": git_ref,
        "ref_type": if git_ref.starts_with("refs/tags/") { "tag" } else { "branch" },
        "sha": "0000000000000000000000000000000000000000",
        "repository": github.repository,
        "repository_owner": owner,
        "repository_visibility": "private",
        "actor": owner,
        "event_name": event,
        "workflow": "kusto-emulator",
        "run_id": "1",
        "run_number": "1",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "iss": github.issuer,
        "nbf": iat,
        "exp": iat.saturating_add(GITHUB_TOKEN_SECONDS),
        "iat": iat,
    });
    if let Some(environment) = subject_part(subject, "environment") {
        claims["environment"] = json!(environment);
    }
    claims
}

/// A CI system's token endpoint, as [`token`] serves it for the job of the world's CI
/// section.
pub trait Endpoint {
    /// The job of `ci` that calls the endpoint, and what it sends as the bearer of its
    /// requests.
    fn job(ci: &Ci) -> (&Self, &Secret);
    /// The answer to a request without that bearer.
    fn unauthorized() -> Response;
    /// The answer to the job's request for `uri`, its token signed with `signing_key`.
    fn answer(&self, uri: &Uri, signing_key: &str, now: OffsetDateTime) -> Response;
}

/// A CI token endpoint: the job's token for a request that carries the job's bearer, the
/// system's refusal for any other.
pub async fn token<E: Endpoint>(
    State(app): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.read(|store, now| {
        let (job, bearer) = E::job(&store.world.ci);
        if presents(&headers, bearer.expose()) {
            job.answer(&uri, &store.signing_key, now)
        } else {
            E::unauthorized()
        }
    })
}

/// `GET /github/idtoken?api-version=2.0[&audience=AUD]`: a GitHub Actions ID token.
impl Endpoint for GitHubActions {
    fn job(ci: &Ci) -> (&Self, &Secret) {
        (&ci.github, &ci.github.request_token)
    }

    fn unauthorized() -> Response {
        let message = "Bad credentials: the bearer token is missing or is not this job's \
                       ACTIONS_ID_TOKEN_REQUEST_TOKEN.";
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": message })),
        )
            .into_response()
    }

    fn answer(&self, uri: &Uri, signing_key: &str, now: OffsetDateTime) -> Response {
        // Without an audience GitHub uses the URL of the repository owner.
        let audience = query_param(uri, "audience")
            .unwrap_or_else(|| format!("https://github.com/{}", owner(&self.repository)));
        let value = token::mint(signing_key, &github_claims(self, &audience, now));
        Json(json!({"count": value.len(), "value": value})).into_response()
    }
}

/// An Azure DevOps error: its status and JSON body (`$id`, `message`, `typeName`, ...).
fn devops_error(status: StatusCode, message: String, type_key: &str, type_name: &str) -> Response {
    let body = json!({
        "$id": "1",
        "innerException": null,
        "message": message,
        "typeName": type_name,
        "typeKey": type_key,
        "errorCode": 0,
        "eventId": 3000,
    });
    (status, Json(body)).into_response()
}

/// The claims of an Azure Pipelines OIDC token for the service connection named `connection`.
fn devops_claims(devops: &AzureDevOps, connection: &str, now: OffsetDateTime) -> Value {
    let iat = now.unix_timestamp();
    json!({
        "jti": uuid::Uuid::new_v4().to_string(),
        "sub": devops.subject(connection),
        "aud": FEDERATION_AUDIENCE,
        "iss": devops.issuer(),
        "nbf": iat,
        "exp": iat.saturating_add(AZURE_DEVOPS_TOKEN_SECONDS),
        "iat": iat,
    })
}

/// `POST /azure-devops/oidctoken?api-version=7.1&serviceConnectionId=ID`: an Azure Pipelines
/// OIDC token for a service connection.
impl Endpoint for AzureDevOps {
    fn job(ci: &Ci) -> (&Self, &Secret) {
        (&ci.azure_devops, &ci.azure_devops.access_token)
    }

    fn unauthorized() -> Response {
        devops_error(
            StatusCode::UNAUTHORIZED,
            "TF400813: Resource not available for anonymous access. Client authentication \
             required."
                .to_owned(),
            "UnauthorizedRequestException",
            "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, \
             Microsoft.TeamFoundation.Framework.Server",
        )
    }

    fn answer(&self, uri: &Uri, signing_key: &str, now: OffsetDateTime) -> Response {
        let Some(id) = query_param(uri, "serviceConnectionId").filter(|id| !id.is_empty()) else {
            return devops_error(
                StatusCode::BAD_REQUEST,
                "Value cannot be null.\r\nParameter name: serviceConnectionId".to_owned(),
                "ArgumentNullException",
                "System.ArgumentNullException, mscorlib",
            );
        };
        let Some(connection) = self.service_connection(&id) else {
            return devops_error(
                StatusCode::NOT_FOUND,
                format!(
                    "Service connection with id '{id}' was not found in project '{}'.",
                    self.project
                ),
                "ServiceEndpointNotFoundException",
                "Microsoft.TeamFoundation.DistributedTask.WebApi.ServiceEndpointNotFoundException, \
                 Microsoft.TeamFoundation.DistributedTask.WebApi",
            );
        };
        let claims = devops_claims(self, &connection.name, now);
        Json(json!({"oidcToken": token::mint(signing_key, &claims)})).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn github_claims_follow_the_subject() {
        let now = OffsetDateTime::now_utc();
        let mut github = GitHubActions::default();
        let claims = github_claims(&github, "api://x", now);
        assert_eq!(claims["sub"], github.subject);
        assert_eq!(claims["environment"], "emulator");
        assert_eq!(claims["ref"], "refs/heads/main");
        assert_eq!(claims["repository_owner"], "example");
        let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert!((300..=600).contains(&lifetime), "{lifetime}");

        github.subject = "repo:o/r:ref:refs/tags/v1".to_owned();
        let claims = github_claims(&github, "api://x", now);
        assert_eq!(claims["ref"], "refs/tags/v1");
        assert_eq!(claims["ref_type"], "tag");
        assert!(claims.get("environment").is_none());
        github.subject = "repo:o/r:pull_request".to_owned();
        assert_eq!(
            github_claims(&github, "a", now)["event_name"],
            "pull_request"
        );
    }

    #[test]
    fn only_the_configured_bearer_is_accepted() {
        let mut headers = HeaderMap::new();
        assert!(!presents(&headers, "t"));
        for (value, accepted) in [
            ("Bearer t", true),
            ("bearer  t ", true),
            ("Bearer u", false),
            ("Basic t", false),
            ("t", false),
        ] {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(presents(&headers, "t"), accepted, "{value}");
        }
    }
}
