//! Kusto data-connection operations, each one a request plus, for writes, the wait for Azure
//! to finish; and listing (`list`: a database's connections and a cluster's databases, a page
//! at a time).
//!
//! Writes to one cluster are serialised inside the process (Kusto runs one management
//! operation per cluster at a time and refuses the others as busy), and a busy refusal that
//! still happens (another process, the portal) is waited out and retried within the deadline.
//!
//! The write verbs, and what each promises:
//!
//! - [`DataConnections::create`]: the connection must not exist. The existence check (GET)
//!   and the PUT run under the same per-cluster lock, so two resource blocks with one name
//!   cannot both create it: the second gets [`Error::AlreadyExists`] with `by_this_process`.
//! - [`DataConnections::create_or_update`]: the full PUT of an update; repeating it is
//!   harmless.
//! - [`DataConnections::delete`]: gone already (404, 204) is success; `Deleting` is waited for.
//!
//! The reconcile rule, for a write whose answer was lost or whose operation failed because
//! the cluster was busy: **look before sending again.** GET the connection and wait while an
//! operation runs on it; then a create adopts a `Succeeded` connection (logged at WARN),
//! reports a `Failed` one as [`Error::Accepted`] and sends itself again if it is absent; an
//! update is sent again; a delete is done when the connection is gone. The full table and
//! what cannot be detected (no `If-None-Match`) are in `write.rs`. Once Azure may have carried
//! out a write, any failure is wrapped in [`Error::Accepted`], so the caller knows the
//! resource may exist and keeps it rather than orphan it.

mod list;
mod model;
mod write;

use http::{HeaderValue, Method, StatusCode};
use url::Url;

pub use list::{Database, Databases, Pages};
pub use model::{DataConnection, EventHubDataConnection, EventHubSettings};

use super::Client;
use super::context::CallContext;
use super::error::{Error, Result};
use super::ids::DataConnectionId;
use super::policies::request_id::{CLIENT_REQUEST_ID, new_request_id};
use super::poller::{self, Accepted, Finished};
use super::retry::RetryClass;
use super::transport::{Request, Response};
use write::Intent;

impl Client {
    /// The data-connection operations.
    pub fn data_connections(&self) -> DataConnections<'_> {
        DataConnections { client: self }
    }
}

/// Operations on `Microsoft.Kusto/clusters/databases/dataConnections`.
#[derive(Debug, Clone, Copy)]
pub struct DataConnections<'a> {
    client: &'a Client,
}

impl DataConnections<'_> {
    /// Reads a data connection; `None` when it does not exist (404).
    pub async fn get(
        &self,
        ctx: &CallContext,
        id: &DataConnectionId,
    ) -> Result<Option<DataConnection>> {
        let url = self.client.url(&id.segments());
        let response = self.client.get(ctx, url).await?;
        match response.status {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => DataConnection::from_body(&response.body).map(Some),
            _ => Err(response.into_error()),
        }
    }

    /// Creates an Event Hub data connection that must not exist yet, and waits until Azure has
    /// finished; returns the connection as stored.
    ///
    /// Under the per-cluster write lock: a GET (present: [`Error::AlreadyExists`]), the PUT,
    /// the wait. The PUT is never re-sent blindly; when its outcome is unknown the connection
    /// is looked up and adopted, waited for or created again (see the module documentation).
    /// A PUT answered 200 (Azure updated an object that appeared after the check) is
    /// [`Error::AlreadyExists`] with `created_concurrently`.
    pub async fn create(
        &self,
        ctx: &CallContext,
        id: &DataConnectionId,
        settings: &EventHubSettings,
    ) -> Result<EventHubDataConnection> {
        let body = settings.to_body()?;
        let created = match self.write(ctx, id, Intent::Create, Some(body)).await {
            Ok(finished) => self.stored(ctx, id, finished).await,
            Err(err) => Err(err),
        };
        // Also when the outcome is unknown: the connection may be this process's own.
        if created
            .as_ref()
            .map_or_else(Error::resource_may_exist, |_| true)
        {
            self.client.remember_created(id);
        }
        created
    }

    /// Creates or fully replaces an Event Hub data connection (PUT) and waits until Azure has
    /// finished; returns the connection as stored. Used for updates: repeating the PUT is
    /// harmless, so an unknown outcome is resolved by waiting for any running operation and
    /// sending it again.
    pub async fn create_or_update(
        &self,
        ctx: &CallContext,
        id: &DataConnectionId,
        settings: &EventHubSettings,
    ) -> Result<EventHubDataConnection> {
        let finished = self
            .write(ctx, id, Intent::Replace, Some(settings.to_body()?))
            .await?;
        self.stored(ctx, id, finished).await
    }

    /// Deletes a data connection and waits until it is gone. A connection that is already
    /// gone (204 or 404) is not an error; one still `Deleting` is waited for.
    pub async fn delete(&self, ctx: &CallContext, id: &DataConnectionId) -> Result<()> {
        self.write(ctx, id, Intent::Delete, None).await?;
        self.client.forget_created(id);
        Ok(())
    }

    /// Asks the service to check `settings` for the connection `id` (table, mapping, Event Hub
    /// access, ...) without creating anything; returns the service's error messages, empty
    /// when the connection would be valid.
    pub async fn validate(
        &self,
        ctx: &CallContext,
        id: &DataConnectionId,
        settings: &EventHubSettings,
    ) -> Result<Vec<String>> {
        let mut segments = id.database.segments();
        segments.push("dataConnectionValidation");
        let url = self.client.url(&segments);
        let body = settings.to_validation_body(&id.name)?;
        let (response, request_id) = self
            .send(
                ctx,
                Method::POST,
                url.clone(),
                Some(body),
                RetryClass::Idempotent,
            )
            .await?;
        if !response.status.is_success() {
            return Err(response.into_error());
        }
        let finished = self
            .wait(ctx, Method::POST, url, response, request_id)
            .await?;
        model::validation_errors(finished.body.as_deref())
    }

    /// The connection after a finished write: the final body, or a fresh GET when the
    /// operation ended without one.
    async fn stored(
        &self,
        ctx: &CallContext,
        id: &DataConnectionId,
        finished: Finished,
    ) -> Result<EventHubDataConnection> {
        let connection = match finished.body {
            Some(body) => DataConnection::from_body(&body),
            None => self.get(ctx, id).await.and_then(|found| {
                found.ok_or_else(|| {
                    Error::Decode(format!(
                        "data connection {id} vanished after it was written"
                    ))
                })
            }),
        };
        match connection {
            Ok(DataConnection::EventHub(connection)) => Ok(*connection),
            Ok(DataConnection::Other { kind, .. }) => {
                Err(Error::Accepted(Box::new(Error::Decode(format!(
                    "data connection {id} is of kind {kind}, not EventHub"
                )))))
            }
            Err(err) => Err(Error::Accepted(Box::new(err))),
        }
    }

    /// Sends one request with a fresh client request id, returning that id for the poller.
    async fn send(
        &self,
        ctx: &CallContext,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        class: RetryClass,
    ) -> Result<(Response, HeaderValue)> {
        let request_id = new_request_id();
        let request = Request::new(method, url).retried_as(class);
        let mut request = match body {
            Some(body) => request.with_json(body),
            None => request,
        };
        request
            .headers
            .insert(CLIENT_REQUEST_ID, request_id.clone());
        let response = self.client.inner.pipeline.send(ctx, request).await?;
        Ok((response, request_id))
    }

    async fn wait(
        &self,
        ctx: &CallContext,
        method: Method,
        resource_url: Url,
        response: Response,
        request_id: HeaderValue,
    ) -> Result<Finished> {
        let accepted = Accepted {
            method,
            resource_url,
            response,
            client_request_id: Some(request_id),
        };
        poller::wait(
            &self.client.inner.pipeline,
            ctx,
            accepted,
            self.client.inner.poll_interval,
        )
        .await
    }
}

#[cfg(test)]
mod tests;
