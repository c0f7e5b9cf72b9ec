//! Reading: GET of one data connection, and the paged lists of a database's connections and
//! of a cluster's databases (`--page-size` entries a page, a `nextLink` with a `$skiptoken`
//! to the rest).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::call::{Call, json_response};
use super::lookup::{cluster, existing, parents};
use crate::dataconn::model::{DataConnection, Names};
use crate::error::ApiError;
use crate::http::query_param;
use crate::world::{Cluster, Database};

/// Resource type of databases as the service spells it in responses.
const DATABASE_TYPE: &str = "Microsoft.Kusto/Clusters/Databases";

impl Call<'_> {
    pub fn get(&self, names: &Names) -> Result<Response, ApiError> {
        self.app.read(|store, _| {
            parents(store, names)?;
            let dc = existing(store, names)?;
            Ok(json_response(StatusCode::OK, dc.render()))
        })?
    }

    /// `DataConnections_ListByDatabase`.
    pub fn list(&self, names: &Names, api_version: &str) -> Result<Response, ApiError> {
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
            let body = self.page(&all, |dc| dc.render(), api_version);
            Ok(json_response(StatusCode::OK, body))
        })?
    }

    /// `Databases_ListByCluster`: the world's databases of the cluster, in the world's order.
    pub fn list_databases(&self, names: &Names, api_version: &str) -> Result<Response, ApiError> {
        self.app.read(|store, _| {
            let cluster = cluster(store, names)?;
            let body = self.page(
                &cluster.databases,
                |database| render_database(cluster, database),
                api_version,
            );
            Ok(json_response(StatusCode::OK, body))
        })?
    }

    /// The page of `all` this request's `$skiptoken` asks for, as ARM answers a list:
    /// `{"value": [...]}`, with a `nextLink` when entries remain.
    fn page<T>(&self, all: &[T], render: impl Fn(&T) -> Value, api_version: &str) -> Value {
        let page_size = self.app.settings().page_size.max(1);
        let skip = query_param(&self.uri, "$skiptoken")
            .and_then(|t| t.parse::<usize>().ok())
            .unwrap_or(0);
        let page: Vec<Value> = all.iter().skip(skip).take(page_size).map(render).collect();
        let mut body = json!({"value": page});
        let rest = skip.saturating_add(page_size);
        if rest < all.len() {
            body["nextLink"] = json!(format!(
                "{}{}?api-version={api_version}&$skiptoken={rest}",
                self.base,
                self.uri.path(),
            ));
        }
        body
    }
}

/// A database as the service returns it: a `ReadWrite` database in its cluster's region.
fn render_database(cluster: &Cluster, database: &Database) -> Value {
    json!({
        "id": format!("{}/Databases/{}", cluster.id(), database.name),
        "name": format!("{}/{}", cluster.name, database.name),
        "type": DATABASE_TYPE,
        "location": cluster.location,
        "kind": "ReadWrite",
        "properties": {"provisioningState": "Succeeded"},
    })
}
