//! Reading data connections: GET of one, and the paged list of a database's connections
//! (`--page-size` entries a page, a `nextLink` to the rest).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::call::{Call, json_response};
use super::lookup::{existing, parents};
use crate::dataconn::model::{DataConnection, Names};
use crate::error::ApiError;
use crate::http::query_param;

impl Call<'_> {
    pub fn get(&self, names: &Names) -> Result<Response, ApiError> {
        self.app.read(|store, _| {
            parents(store, names)?;
            let dc = existing(store, names)?;
            Ok(json_response(StatusCode::OK, dc.render()))
        })?
    }

    pub fn list(&self, names: &Names, api_version: &str) -> Result<Response, ApiError> {
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
}
