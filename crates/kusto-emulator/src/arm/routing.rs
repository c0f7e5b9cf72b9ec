//! Which endpoint an ARM path names, matched by hand because ARM paths are
//! case-insensitive and region names arrive `%20`-encoded; and the fallback handler that
//! serves every ARM request: authentication first, then the api-version, then the
//! operation.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};

use super::call::Call;
use super::errors::{invalid_resource_type, method_not_allowed, not_found_route};
use crate::dataconn::model::Names;
use crate::entra;
use crate::error::ApiError;
use crate::faults::ForcedOutcome;
use crate::http::{BODY_LIMIT, base_url, percent_decode, too_large};
use crate::state::AppState;

/// Which endpoint a path names: the list of a cluster's databases, or a data-connection
/// endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The databases of a cluster (`database` and `name` are empty).
    Databases(Names),
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

/// The endpoint `path` names, with its names percent-decoded.
pub fn route(path: &str) -> Option<Route> {
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
    let databases_scope = s.len() >= 9
        && keyword(s[0], "subscriptions")
        && keyword(s[2], "resourceGroups")
        && keyword(s[4], "providers")
        && keyword(s[5], "Microsoft.Kusto")
        && keyword(s[6], "clusters")
        && keyword(s[8], "databases");
    if !databases_scope || s.iter().any(|p| p.is_empty()) {
        return None;
    }
    let names = |database: &str, name: &str| Names {
        subscription_id: s[1].to_owned(),
        resource_group: s[3].to_owned(),
        cluster: s[7].to_owned(),
        database: database.to_owned(),
        name: name.to_owned(),
    };
    if s.len() == 9 {
        return Some(Route::Databases(names("", "")));
    }
    let names = |name: &str| names(s[9], name);
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
            return too_large().into_response();
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

impl Call<'_> {
    /// Authenticates the request, checks its api-version and serves the operation it names.
    fn dispatch(self) -> Result<Response, ApiError> {
        let path = self.uri.path().to_owned();
        if !path.to_ascii_lowercase().starts_with("/subscriptions/") {
            return Err(not_found_route(&path));
        }
        self.app
            .read(|store, now| entra::authenticate(store, &self.uri, &self.headers, now))??;
        let route = route(&path).ok_or_else(|| invalid_resource_type(&self.uri))?;
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
            (Route::Databases(names), &Method::GET) => self.list_databases(&names, &api_version),
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
        assert!(matches!(
            route("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/CLUSTERS/c/Databases/"),
            Some(Route::Databases(names)) if names.cluster == "c" && names.database.is_empty()
        ));
        assert_eq!(
            route("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c"),
            None
        );
        assert_eq!(route("/subscriptions/s/resourceGroups/rg"), None);
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
