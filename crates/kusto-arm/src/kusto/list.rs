//! Listing: the data connections of a database and the databases of a cluster, a page at a
//! time.
//!
//! ARM answers a list with one page, `{"value": […], "nextLink": "…"}`, whose `nextLink` is the
//! URL of the next page. [`Pages`] reads one page per call, so a caller that wants only the
//! first entries (a query's limit) stops without reading the rest; every page goes through the
//! pipeline like any other call (token, retries, throttling).
//!
//! A page is the service's word on what comes next, so it is checked before it is followed:
//!
//! - a `nextLink` must name the ARM endpoint the client was built for (same scheme, host and
//!   port), else it is refused and the token is sent nowhere else. (The poller re-points an
//!   operation URL at the endpoint instead; the next page of a list is not something to guess.)
//! - a `nextLink` naming the page just read, or a list longer than [`MAX_PAGES`] pages, is an
//!   error, so a service looping on `nextLink` cannot hold the caller forever;
//! - a page that is not a JSON object, or whose `value` is not a list, is an
//!   [`Error::Decode`] naming the list and the page.
//!
//! A `nextLink` without an `api-version` gets the client's, as the Azure SDKs add it.

use serde_json::{Map, Value};
use url::Url;

use super::DataConnections;
use super::model::DataConnection;
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::ids::{ClusterId, DatabaseId};
use crate::{API_VERSION, Client};

/// The most pages one listing reads. A Kusto cluster holds at most a few thousand databases
/// and connections, which ARM returns in far fewer pages; more means the service is looping.
const MAX_PAGES: usize = 1000;

impl Client {
    /// The database operations (listing only: the way to every data connection of a cluster).
    pub fn databases(&self) -> Databases<'_> {
        Databases { client: self }
    }
}

/// Operations on `Microsoft.Kusto/clusters/databases`.
#[derive(Debug, Clone, Copy)]
pub struct Databases<'a> {
    client: &'a Client,
}

impl<'a> Databases<'a> {
    /// The databases of `cluster` (`Databases_ListByCluster`), a page at a time.
    pub fn list(&self, cluster: &ClusterId) -> Pages<'a, Database> {
        let mut segments = cluster.segments();
        segments.push("databases");
        Pages {
            client: self.client,
            next: Some(self.client.url(&segments)),
            read: 0,
            what: format!("databases of cluster {}", cluster.cluster),
            decode: Database::from_resource,
        }
    }
}

impl<'a> DataConnections<'a> {
    /// The data connections of `database` (`DataConnections_ListByDatabase`), a page at a
    /// time; connections of kinds other than Event Hub are [`DataConnection::Other`].
    pub fn list(&self, database: &DatabaseId) -> Pages<'a, DataConnection> {
        let mut segments = database.segments();
        segments.push("dataConnections");
        Pages {
            client: self.client,
            next: Some(self.client.url(&segments)),
            read: 0,
            what: format!(
                "data connections of database {} in cluster {}",
                database.database, database.cluster.cluster
            ),
            decode: DataConnection::from_resource,
        }
    }
}

/// A database of a cluster, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// The database's id, to list its data connections with [`DataConnections::list`].
    pub id: DatabaseId,
    /// `ReadWrite`, or `ReadOnlyFollowing` for a follower database (read-only: its data is
    /// ingested by its leader's data connections).
    pub kind: String,
}

impl Database {
    fn from_resource(value: Value) -> Result<Self> {
        let Value::Object(resource) = value else {
            return Err(Error::Decode("a database is not a JSON object".into()));
        };
        let raw_id = text(&resource, "id").unwrap_or_default();
        let id = DatabaseId::parse(raw_id).map_err(|e| Error::Decode(e.to_string()))?;
        let kind = text(&resource, "kind")
            .filter(|kind| !kind.trim().is_empty())
            .unwrap_or("(none)")
            .to_string();
        Ok(Self { id, kind })
    }
}

/// The entry `key` of `map`, its name compared case-insensitively.
fn field<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Removes the entry `key` of `map`, its name compared case-insensitively.
fn take(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let name = map.keys().find(|k| k.eq_ignore_ascii_case(key))?.clone();
    map.remove(&name)
}

fn text<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m str> {
    field(map, key).and_then(Value::as_str)
}

/// One listing, read a page at a time with [`Pages::next_page`].
#[derive(Debug)]
pub struct Pages<'a, T> {
    client: &'a Client,
    /// The URL of the next page; `None` once the last page was read.
    next: Option<Url>,
    /// Pages read so far.
    read: usize,
    /// What is listed, for error messages.
    what: String,
    decode: fn(Value) -> Result<T>,
}

impl<T> Pages<'_, T> {
    /// The entries of the next page, or `None` after the last one. A page that failed (the
    /// service's error, a page that cannot be read, a `nextLink` refused) is asked for again by
    /// the next call.
    pub async fn next_page(&mut self, ctx: &CallContext) -> Result<Option<Vec<T>>> {
        let Some(url) = self.next.clone() else {
            return Ok(None);
        };
        let page = self.read + 1;
        let response = self.client.get(ctx, url.clone()).await?;
        if !response.status.is_success() {
            return Err(response.into_error());
        }
        let body: Value = serde_json::from_slice(&response.body)
            .map_err(|e| self.unreadable(page, &format!("is not valid JSON: {e}")))?;
        let Value::Object(mut body) = body else {
            return Err(self.unreadable(page, "is not a JSON object"));
        };
        let entries = match take(&mut body, "value") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(entries)) => entries,
            Some(_) => return Err(self.unreadable(page, "has a \"value\" that is not a list")),
        };
        let following = match field(&body, "nextLink") {
            None | Some(Value::Null) => None,
            Some(Value::String(link)) if link.trim().is_empty() => None,
            Some(Value::String(link)) => Some(self.follow(&url, link, page)?),
            Some(_) => return Err(self.unreadable(page, "has a \"nextLink\" that is not text")),
        };
        let items = entries
            .into_iter()
            .enumerate()
            .map(|(index, entry)| {
                (self.decode)(entry).map_err(|err| match err {
                    Error::Decode(why) => {
                        self.unreadable(page, &format!("has an unreadable entry {index}: {why}"))
                    }
                    other => other,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.read = page;
        self.next = following;
        Ok(Some(items))
    }

    /// The URL of the page after page `page` (read from `current`), given its `nextLink`.
    fn follow(&self, current: &Url, link: &str, page: usize) -> Result<Url> {
        let mut next = current.join(link.trim()).map_err(|e| {
            self.unreadable(page, &format!("has a nextLink that is not a URL: {e}"))
        })?;
        let endpoint = &self.client.inner.resource_manager;
        if next.origin() != endpoint.origin() {
            return Err(self.unreadable(
                page,
                &format!(
                    "continues at {}, which is not the Azure Resource Manager endpoint {}; the \
                     next page was not requested, so that the access token goes nowhere else",
                    next.origin().ascii_serialization(),
                    endpoint.origin().ascii_serialization()
                ),
            ));
        }
        if next == *current {
            return Err(self.unreadable(page, "names itself as the next page"));
        }
        if page >= MAX_PAGES {
            return Err(self.unreadable(
                page,
                &format!("is not the last one, and no list is read past {MAX_PAGES} pages"),
            ));
        }
        if !next
            .query_pairs()
            .any(|(key, _)| key.eq_ignore_ascii_case("api-version"))
        {
            next.query_pairs_mut()
                .append_pair("api-version", API_VERSION);
        }
        Ok(next)
    }

    fn unreadable(&self, page: usize, problem: &str) -> Error {
        Error::Decode(format!("page {page} of the {} {problem}", self.what))
    }
}

#[cfg(test)]
mod tests;
