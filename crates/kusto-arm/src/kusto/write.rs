//! Writes to a data connection, and what to do when their outcome is not known.
//!
//! A write is one PUT or DELETE, sent under the process's per-cluster lock and then
//! waited for. Most tries end plainly: Azure finishes the operation, or refuses the request
//! with an error that is final. Two kinds of answer are not plain:
//!
//! - **Busy.** Kusto runs one management operation per cluster and refuses others with a
//!   409 (`ServiceIsInMaintenance`, `Conflict`, "another operation is in progress"), or lets
//!   the operation end `Failed` with such a code. Either way nothing happened (a refused
//!   create leaves no connection, a refused update keeps the previous settings), so the write
//!   waits and is sent again.
//! - **Unknown outcome.** The request was sent and the answer was lost (connection closed,
//!   5xx or 504 after the retries, polling failed): Azure may have carried it out. Sending a
//!   create again blindly would be answered 200 and look like someone else's object, or be
//!   refused as busy because the first one is still running (azurerm issue #32161).
//!
//! The reconcile rule for an unknown outcome: **look before sending again.** GET the
//! connection; while its `provisioningState` is not terminal, wait; then
//!
//! | write   | absent          | `Succeeded`              | `Failed` / `Canceled`      |
//! |---------|-----------------|--------------------------|----------------------------|
//! | create  | send it again   | adopt it (WARN log)      | [`Error::Accepted`]        |
//! | update  | send it again   | send it again (harmless) | send it again              |
//! | delete  | done            | send it again            | send it again              |
//!
//! all within the operation's deadline. Any error that ends a write Azure may have carried out
//! is [`Error::Accepted`], so the caller keeps the object (tainted) instead of losing it.
//!
//! What cannot be known: the data-connection API has no `If-None-Match`, so a create cannot
//! ask Azure to refuse an existing object. The existence check and the PUT run under the
//! per-cluster lock, which makes them atomic within this process; against other processes
//! the only sign is the PUT's answer, 200 (updated) rather than 201 (created), which becomes
//! [`Error::AlreadyExists`] with `created_concurrently`. After an unknown outcome even that
//! sign is gone: a connection found `Succeeded` is taken to be the one this create made.

use std::time::Duration;

use http::{Method, StatusCode};
use url::Url;

use super::DataConnections;
use crate::context::CallContext;
use crate::error::{Error, HttpError, Result};
use crate::ids::DataConnectionId;
use crate::poller::{self, Finished};
use crate::retry::{MAX_WAIT, RetryClass, is_retryable_status, next_wait, warn_past_deadline};
use crate::transport::Response;

/// What a write is meant to do, which decides how it is retried and reconciled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Intent {
    /// PUT of a connection that must not exist yet.
    Create,
    /// PUT of every setting over an existing connection.
    Replace,
    /// DELETE.
    Delete,
}

impl Intent {
    fn method(self) -> Method {
        match self {
            Intent::Create | Intent::Replace => Method::PUT,
            Intent::Delete => Method::DELETE,
        }
    }

    fn retry_class(self) -> RetryClass {
        match self {
            Intent::Create => RetryClass::Create,
            Intent::Replace | Intent::Delete => RetryClass::Idempotent,
        }
    }

    /// `err` as it ends a write that Azure may have carried out: wrapped in
    /// [`Error::Accepted`] so the caller keeps the object. A delete that may have happened
    /// leaves nothing to keep.
    fn may_have_happened(self, err: Error) -> Error {
        match err {
            Error::Accepted(_) | Error::AlreadyExists { .. } => err,
            _ if self == Intent::Delete => err,
            _ => Error::Accepted(Box::new(err)),
        }
    }
}

/// ARM error codes that mean "the cluster is busy with another operation, try again later".
const BUSY_CODES: &[&str] = &[
    "Conflict",
    "ServiceIsInMaintenance",
    "OperationConflict",
    "AnotherOperationInProgress",
];

/// Whether an error code and message say the cluster was busy with another operation.
fn says_busy(code: Option<&str>, message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    code.is_some_and(|c| BUSY_CODES.iter().any(|b| c.eq_ignore_ascii_case(b)))
        || message.contains("not terminal")
        || message.contains("another operation")
        || message.contains("in progress")
}

/// A synchronous refusal because the cluster is busy.
fn is_busy(response: &Response) -> bool {
    if response.status != StatusCode::CONFLICT {
        return false;
    }
    match response.clone().into_error() {
        Error::Http(http) => says_busy(http.code.as_deref(), &http.message),
        _ => false,
    }
}

/// An operation that ended `Failed` because the cluster was busy: the service undid it.
fn is_busy_failure(err: &Error) -> bool {
    match err {
        Error::Lro {
            status,
            code,
            message,
        } => status.eq_ignore_ascii_case("failed") && says_busy(Some(code), message),
        _ => false,
    }
}

/// What one try of a write came to.
enum Try {
    /// Azure finished it.
    Done(Finished),
    /// It failed; the error is final.
    Failed(Error),
    /// The cluster refused it as busy, so nothing happened: send it again after the wait.
    Busy(Duration, Error),
    /// Azure may or may not have carried it out.
    Unknown(Error),
    /// Its operation failed because the cluster was busy: the service undid it.
    RolledBack(Error),
}

/// What looking the connection up after an unknown outcome showed.
enum Found {
    /// The write's goal is reached (the finished resource, or gone for a delete).
    Done(Finished),
    /// The write has to be sent again.
    SendAgain,
}

impl DataConnections<'_> {
    /// Carries out `intent` on `id` with `body`, serialised with the process's other writes
    /// to its cluster, and reconciled as the module documentation says.
    pub(super) async fn write(
        &self,
        ctx: &CallContext,
        id: &DataConnectionId,
        intent: Intent,
        body: Option<Vec<u8>>,
    ) -> Result<Finished> {
        let cluster = id.cluster();
        let _exclusive = self.client.lock_cluster(ctx, cluster).await?;
        if intent == Intent::Create && self.get(ctx, id).await?.is_some() {
            return Err(Error::AlreadyExists {
                id: id.to_string(),
                by_this_process: self.client.created_here(id),
                created_concurrently: false,
            });
        }
        let url = self.client.url(&id.segments());
        let method = intent.method();
        // Set once a try may have been carried out: from then on, every failure may leave
        // an object behind, and a 200 to a create is this write's own earlier try.
        let mut unsure = false;
        let end = |unsure: bool, err: Error| {
            if unsure {
                intent.may_have_happened(err)
            } else {
                err
            }
        };
        let mut resends: u32 = 0;
        loop {
            // What failed, and how long to pause before sending again if the lookup says so:
            // the cluster's own pace after a busy refusal, a short backoff after a lost answer.
            let (cause, pause) = match self
                .try_once(ctx, id, intent, &url, body.clone(), unsure)
                .await
            {
                Try::Done(finished) => return Ok(finished),
                Try::Failed(err) => return Err(end(unsure, err)),
                Try::Busy(wait, err) => {
                    if !ctx.has_time_for(wait) {
                        warn_past_deadline(
                            wait,
                            ctx.remaining(),
                            "sending the write again",
                            "reporting the cluster as busy",
                        );
                        return Err(end(unsure, err));
                    }
                    tracing::info!(
                        %id,
                        %method,
                        delay_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "cluster is busy with another operation; waiting before retrying"
                    );
                    ctx.sleep(
                        wait,
                        &format!("cluster {} to finish another operation", cluster.cluster),
                    )
                    .await
                    .map_err(|e| end(unsure, e))?;
                    if !unsure {
                        continue;
                    }
                    (err, Duration::ZERO)
                }
                Try::Unknown(err) => {
                    unsure = true;
                    tracing::warn!(%id, %method, error = %err, "the outcome of the request is unknown; looking the data connection up before anything else");
                    (err, self.client.inner.retry.backoff(resends))
                }
                Try::RolledBack(err) => {
                    tracing::info!(%id, %method, error = %err, "the operation failed because the cluster was busy; looking the data connection up");
                    (err, self.client.inner.poll_interval.min(MAX_WAIT))
                }
            };
            match self.find_out(ctx, id, intent).await {
                Ok(Found::Done(finished)) => {
                    tracing::warn!(%id, %method, cause = %cause, "the outcome had to be found out: the data connection is where this write was taking it");
                    return Ok(finished);
                }
                Ok(Found::SendAgain) => {
                    tracing::info!(%id, %method, "sending the write again");
                    resends = resends.saturating_add(1);
                    ctx.sleep(pause, "a pause before sending the write again")
                        .await
                        .map_err(|e| intent.may_have_happened(e))?;
                }
                Err(err) => return Err(intent.may_have_happened(err)),
            }
        }
    }

    /// Sends the write once and, when Azure accepts it, waits for its operation.
    async fn try_once(
        &self,
        ctx: &CallContext,
        id: &DataConnectionId,
        intent: Intent,
        url: &Url,
        body: Option<Vec<u8>>,
        unsure: bool,
    ) -> Try {
        let method = intent.method();
        let sent = self
            .send(ctx, method.clone(), url.clone(), body, intent.retry_class())
            .await;
        let (response, request_id) = match sent {
            Ok(sent) => sent,
            Err(err @ Error::Transport(_)) => return Try::Unknown(err),
            // The deadline or cancellation may have cut the request off after it was sent.
            Err(err @ (Error::Timeout { .. } | Error::Cancelled)) => {
                return Try::Failed(intent.may_have_happened(err));
            }
            Err(err) => return Try::Failed(err),
        };
        let status = response.status;
        if is_busy(&response) {
            let wait = next_wait(
                &response,
                self.client.inner.poll_interval,
                "sending the write again",
            );
            return Try::Busy(wait, response.into_error());
        }
        if intent == Intent::Delete && status == StatusCode::NOT_FOUND {
            return Try::Done(Finished {
                body: None,
                polls: 0,
            });
        }
        if status != StatusCode::TOO_MANY_REQUESTS && is_retryable_status(status) {
            return Try::Unknown(response.into_error());
        }
        if !status.is_success() {
            return Try::Failed(response.into_error());
        }
        if intent == Intent::Create && status == StatusCode::OK && !unsure {
            tracing::warn!(%id, "the create request was answered as an update: another client created the data connection after the existence check");
            return Try::Failed(Error::AlreadyExists {
                id: id.to_string(),
                by_this_process: false,
                created_concurrently: true,
            });
        }
        tracing::info!(%id, %method, status = status.as_u16(), "Azure accepted the request");
        match self
            .wait(ctx, method.clone(), url.clone(), response, request_id)
            .await
        {
            Ok(finished) => {
                tracing::info!(%id, %method, polls = finished.polls, "Azure operation completed");
                Try::Done(finished)
            }
            Err(err) if is_busy_failure(&err) => Try::RolledBack(Error::Accepted(Box::new(err))),
            Err(err @ Error::Transport(_)) => Try::Unknown(Error::Accepted(Box::new(err))),
            Err(err @ Error::Http(HttpError { status, .. }))
                if StatusCode::from_u16(status).is_ok_and(is_retryable_status) =>
            {
                Try::Unknown(Error::Accepted(Box::new(err)))
            }
            Err(err) => Try::Failed(Error::Accepted(Box::new(err))),
        }
    }

    /// Looks the connection up after a try whose outcome is unknown, waiting while an
    /// operation runs on it, and says whether the write is done or must be sent again.
    async fn find_out(
        &self,
        ctx: &CallContext,
        id: &DataConnectionId,
        intent: Intent,
    ) -> Result<Found> {
        let url = self.client.url(&id.segments());
        let mut polls: u32 = 0;
        loop {
            let response = self.client.get(ctx, url.clone()).await?;
            if response.status == StatusCode::NOT_FOUND {
                return Ok(match intent {
                    Intent::Delete => Found::Done(Finished { body: None, polls }),
                    _ => Found::SendAgain,
                });
            }
            if !response.status.is_success() {
                return Err(response.into_error());
            }
            let state =
                poller::provisioning_state(&response.body)?.unwrap_or_else(|| "Succeeded".into());
            if !poller::is_terminal(&state) {
                let wait = next_wait(
                    &response,
                    self.client.inner.poll_interval,
                    "looking the data connection up again",
                );
                tracing::info!(%id, provisioning_state = %state, "waiting for the operation running on the data connection to finish");
                if !ctx.has_time_for(wait) {
                    warn_past_deadline(
                        wait,
                        ctx.remaining(),
                        "looking the data connection up again",
                        "waiting until the timeout and reporting it",
                    );
                }
                ctx.sleep(
                    wait,
                    &format!(
                        "data connection {} to leave provisioning state {state}",
                        id.name
                    ),
                )
                .await?;
                polls = polls.saturating_add(1);
                continue;
            }
            return match intent {
                Intent::Create if state.eq_ignore_ascii_case("succeeded") => {
                    Ok(Found::Done(Finished {
                        body: Some(response.body),
                        polls,
                    }))
                }
                Intent::Create => Err(Error::Lro {
                    status: state.clone(),
                    code: "Unknown".into(),
                    message: format!(
                        "the data connection is in provisioning state {state}; the answer to the \
                         create request was lost, so the service's reason is not known"
                    ),
                }),
                Intent::Replace | Intent::Delete => Ok(Found::SendAgain),
            };
        }
    }
}
