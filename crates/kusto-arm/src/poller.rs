//! Waiting for ARM long-running operations.
//!
//! After a write is accepted, ARM says how to follow it, in this order of preference:
//!
//! 1. `Azure-AsyncOperation`: an operation-status document whose `status` ends `Succeeded`,
//!    `Failed` or `Canceled` (case-insensitive); on failure its `error {code, message}` is
//!    surfaced verbatim. After success of a PUT/PATCH the resource itself is read (Kusto's
//!    201 to a PUT has no `Location` header, so there is nothing else to read).
//! 2. `Location`: 202 while running; the final status and body once done.
//! 3. Neither, for a PUT/PATCH answered 201 or with a non-terminal `provisioningState`: the
//!    resource URL is polled until `properties.provisioningState` is terminal.
//!
//! Between polls the poller sleeps what the last response's `Retry-After` (or `retry-after-ms`)
//! asked for, else a configurable default (10 s, as go-azure-sdk), so it never polls faster than
//! the service wants, and never longer than [`MAX_WAIT`](super::retry::MAX_WAIT) at a time (a
//! longer or impossible `Retry-After` is logged at WARN). Every sleep and request is bounded by
//! the [`CallContext`] deadline and its cancellation token; a wait that would end after the
//! deadline is logged at WARN and ends at the deadline with [`Error::Timeout`]. Bodies are
//! decoded leniently and any shape the poller does not understand is an [`Error::Decode`],
//! never a panic. Polls re-use the operation's `x-ms-client-request-id`, so ARM's
//! logs tie them to the original request.

use std::time::Duration;

use http::{HeaderValue, Method, StatusCode};
use serde::Deserialize;
use url::Url;

use super::context::CallContext;
use super::error::{Error, Result};
use super::pipeline::Pipeline;
use super::policies::request_id::CLIENT_REQUEST_ID;
use super::retry::{next_wait, warn_past_deadline};
use super::transport::{Request, Response};

/// An accepted write, ready to be waited on.
#[derive(Debug)]
pub(crate) struct Accepted {
    /// The method of the initial request.
    pub method: Method,
    /// The URL of the resource (or action) the request addressed.
    pub resource_url: Url,
    /// The initial (2xx) response.
    pub response: Response,
    /// The client request id of the initial request, re-sent on polls.
    pub client_request_id: Option<HeaderValue>,
}

/// The outcome of a successful wait.
#[derive(Debug)]
pub(crate) struct Finished {
    /// The final resource (or action result) body; `None` when there is none (DELETE, 204).
    pub body: Option<Vec<u8>>,
    /// Status requests made while waiting (the final GET of the resource is not counted).
    pub polls: u32,
}

/// The operation-status document (and the subset of a resource body we look at).
#[derive(Deserialize, Default)]
struct StatusBody {
    status: Option<String>,
    properties: Option<StatusProperties>,
    error: Option<StatusError>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct StatusProperties {
    provisioning_state: Option<String>,
}

#[derive(Deserialize)]
struct StatusError {
    code: Option<String>,
    message: Option<String>,
}

enum State {
    Running(String),
    Succeeded,
    Failed(Error),
}

fn classify(status: &str, error: Option<StatusError>) -> State {
    match status.to_ascii_lowercase().as_str() {
        "succeeded" => State::Succeeded,
        "failed" | "canceled" | "cancelled" => {
            let (code, message) = match error {
                Some(e) => (e.code, e.message),
                None => (None, None),
            };
            State::Failed(Error::Lro {
                status: status.to_string(),
                code: code.unwrap_or_else(|| "Unknown".into()),
                message: message.unwrap_or_else(|| "the service gave no error details".into()),
            })
        }
        _ => State::Running(status.to_string()),
    }
}

fn parse_status(body: &[u8]) -> Result<StatusBody> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(StatusBody::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| Error::Decode(format!("operation status is not valid JSON: {e}")))
}

/// Whether a provisioning state (or operation status) is final: `Succeeded`, `Failed` or
/// `Canceled`.
pub(crate) fn is_terminal(state: &str) -> bool {
    !matches!(classify(state, None), State::Running(_))
}

/// The provisioning state in a resource body (`None` when it has none, which counts as
/// `Succeeded`).
pub(crate) fn provisioning_state(body: &[u8]) -> Result<Option<String>> {
    Ok(parse_status(body)?
        .properties
        .and_then(|p| p.provisioning_state))
}

/// Waits for `accepted` to finish.
pub(crate) async fn wait(
    pipeline: &Pipeline,
    ctx: &CallContext,
    accepted: Accepted,
    default_interval: Duration,
) -> Result<Finished> {
    let mut poller = Poller {
        pipeline,
        ctx,
        default_interval,
        client_request_id: accepted.client_request_id.clone(),
        origin: accepted.resource_url.clone(),
        polls: 0,
    };
    let response = &accepted.response;
    let delay = poller.delay_after(response);
    let is_write = accepted.method == Method::PUT || accepted.method == Method::PATCH;

    if let Some(url) = poller.follow_header(response, "azure-asyncoperation")? {
        poller.poll_operation(url, delay).await?;
        let body = if is_write {
            Some(poller.get_resource(&accepted.resource_url).await?)
        } else if accepted.method == Method::POST {
            match poller.follow_header(response, "location")? {
                Some(location) => {
                    poller
                        .poll_location(location, Duration::ZERO, false)
                        .await?
                }
                None => None,
            }
        } else {
            None
        };
        return Ok(poller.finish(body));
    }

    if let Some(url) = poller.follow_header(response, "location")? {
        let is_delete = accepted.method == Method::DELETE;
        let body = poller.poll_location(url, delay, is_delete).await?;
        return Ok(poller.finish(body));
    }

    if is_write {
        let state = provisioning_state(&response.body)?;
        let running = state
            .as_deref()
            .is_some_and(|s| matches!(classify(s, None), State::Running(_)));
        if response.status == StatusCode::CREATED || running {
            let body = poller
                .poll_provisioning_state(&accepted.resource_url, delay)
                .await?;
            return Ok(poller.finish(Some(body)));
        }
    }

    let body = (response.status != StatusCode::NO_CONTENT && !response.body.is_empty())
        .then(|| response.body.clone());
    Ok(poller.finish(body))
}

struct Poller<'a> {
    pipeline: &'a Pipeline,
    ctx: &'a CallContext,
    default_interval: Duration,
    client_request_id: Option<HeaderValue>,
    origin: Url,
    polls: u32,
}

impl Poller<'_> {
    fn finish(self, body: Option<Vec<u8>>) -> Finished {
        tracing::debug!(polls = self.polls, "Azure operation finished");
        Finished {
            body,
            polls: self.polls,
        }
    }

    /// The wait the service asked for before the next poll, else the default interval.
    fn delay_after(&self, response: &Response) -> Duration {
        next_wait(
            response,
            self.default_interval,
            "polling the Azure operation again",
        )
    }

    /// The URL in header `name`, re-pointed at the resource's own host if it names another
    /// one: the bearer token must only ever go to the ARM endpoint (azurerm does the same).
    fn follow_header(&self, response: &Response, name: &str) -> Result<Option<Url>> {
        let Some(value) = response.header(name).filter(|v| !v.trim().is_empty()) else {
            return Ok(None);
        };
        let url = self
            .origin
            .join(value.trim())
            .map_err(|e| Error::Decode(format!("the {name} header {value:?} is not a URL: {e}")))?;
        if url.origin() == self.origin.origin() {
            return Ok(Some(url));
        }
        let mut same_host = self.origin.clone();
        same_host.set_path(url.path());
        same_host.set_query(url.query());
        Ok(Some(same_host))
    }

    async fn get(&self, url: &Url) -> Result<Response> {
        let mut request = Request::new(Method::GET, url.clone());
        if let Some(id) = &self.client_request_id {
            request.headers.insert(CLIENT_REQUEST_ID, id.clone());
        }
        self.pipeline.send(self.ctx, request).await
    }

    async fn pause(&self, delay: Duration, last_status: &str) -> Result<()> {
        tracing::info!(
            wait_seconds = delay.as_secs_f64(),
            last_status,
            polls = self.polls,
            "waiting for the Azure operation to finish before polling it again"
        );
        if !self.ctx.has_time_for(delay) {
            warn_past_deadline(
                delay,
                self.ctx.remaining(),
                "the next poll of the Azure operation",
                "waiting until the timeout and reporting it",
            );
        }
        self.ctx
            .sleep(
                delay,
                &format!("the Azure operation to finish (last status: {last_status})"),
            )
            .await
    }

    async fn poll_operation(&mut self, url: Url, mut delay: Duration) -> Result<()> {
        let mut last = String::from("Accepted");
        loop {
            self.pause(delay, &last).await?;
            self.polls = self.polls.saturating_add(1);
            let response = self.get(&url).await?;
            delay = self.delay_after(&response);
            if response.status == StatusCode::ACCEPTED {
                continue;
            }
            if !response.status.is_success() {
                return Err(response.into_error());
            }
            let body = parse_status(&response.body)?;
            let status = body
                .status
                .or_else(|| body.properties.and_then(|p| p.provisioning_state))
                .unwrap_or_else(|| "Succeeded".into());
            match classify(&status, body.error) {
                State::Succeeded => return Ok(()),
                State::Failed(err) => return Err(err),
                State::Running(s) => last = s,
            }
        }
    }

    async fn poll_location(
        &mut self,
        url: Url,
        mut delay: Duration,
        is_delete: bool,
    ) -> Result<Option<Vec<u8>>> {
        loop {
            self.pause(delay, "Running").await?;
            self.polls = self.polls.saturating_add(1);
            let response = self.get(&url).await?;
            delay = self.delay_after(&response);
            match response.status {
                StatusCode::ACCEPTED => continue,
                StatusCode::NO_CONTENT => return Ok(None),
                StatusCode::NOT_FOUND if is_delete => return Ok(None),
                s if s.is_success() => {
                    return Ok((!response.body.is_empty()).then_some(response.body));
                }
                _ => return Err(response.into_error()),
            }
        }
    }

    async fn poll_provisioning_state(&mut self, url: &Url, mut delay: Duration) -> Result<Vec<u8>> {
        let mut last = String::from("Creating");
        loop {
            self.pause(delay, &last).await?;
            self.polls = self.polls.saturating_add(1);
            let response = self.get(url).await?;
            delay = self.delay_after(&response);
            if !response.status.is_success() {
                return Err(response.into_error());
            }
            let state = provisioning_state(&response.body)?.unwrap_or_else(|| "Succeeded".into());
            match classify(&state, parse_status(&response.body)?.error) {
                State::Succeeded => return Ok(response.body),
                State::Failed(err) => return Err(err),
                State::Running(s) => last = s,
            }
        }
    }

    async fn get_resource(&self, url: &Url) -> Result<Vec<u8>> {
        let response = self.get(url).await?;
        if !response.status.is_success() {
            return Err(response.into_error());
        }
        Ok(response.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MockHttp, response};
    use std::sync::{Arc, Mutex};
    use tokio::time::Instant;
    use tokio_util::sync::CancellationToken;

    const RESOURCE: &str = "https://arm.example/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections/n?api-version=2025-02-14";
    const AAO: &str = "https://arm.example/subscriptions/s/providers/Microsoft.Kusto/locations/westeurope/operationResults/op1?api-version=2025-02-14";

    fn pipeline(http: Arc<MockHttp>) -> Pipeline {
        crate::testing::pipeline_over(http).0
    }

    fn accepted(method: Method, initial: Result<Response>) -> Accepted {
        Accepted {
            method,
            resource_url: Url::parse(RESOURCE).unwrap(),
            response: initial.unwrap(),
            client_request_id: Some(HeaderValue::from_static("op-request-id")),
        }
    }

    /// A 202 pointing at the operation `url` with `header`.
    fn accepted_at(header: &str, url: &str) -> Result<Response> {
        response(202, &[(header, url)], "")
    }

    /// Waits for the operation `initial` started, through `http`, polling every 10 s unless
    /// the service says otherwise.
    async fn wait_on(
        http: Arc<MockHttp>,
        ctx: &CallContext,
        method: Method,
        initial: Result<Response>,
    ) -> Result<Finished> {
        wait(
            &pipeline(http),
            ctx,
            accepted(method, initial),
            Duration::from_secs(10),
        )
        .await
    }

    /// A mock that answers the operation URL with `Running` until `done_after` has elapsed
    /// on tokio's clock, with `Retry-After: retry_after`.
    fn timed_operation(
        done_after: Duration,
        retry_after: u64,
        terminal: &'static str,
    ) -> Arc<MockHttp> {
        let start = Instant::now();
        let retry = retry_after.to_string();
        Arc::new(MockHttp::with_handler(move |req| {
            if req.url.path().contains("operationResults") {
                if start.elapsed() < done_after {
                    response(
                        200,
                        &[("retry-after", &retry)],
                        r#"{"status":"Running","percentComplete":0.5}"#,
                    )
                } else {
                    response(200, &[], terminal)
                }
            } else {
                response(
                    200,
                    &[],
                    r#"{"name":"c/d/n","kind":"EventHub","properties":{"provisioningState":"Succeeded"}}"#,
                )
            }
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn async_operation_honours_retry_after_and_reads_the_resource() {
        let http = timed_operation(Duration::from_secs(30), 5, r#"{"status":"Succeeded"}"#);
        let ctx = CallContext::with_timeout(Duration::from_secs(600));
        let start = Instant::now();
        let initial = response(
            201,
            &[("azure-asyncoperation", AAO), ("retry-after", "5")],
            "{}",
        );
        let finished = wait_on(http.clone(), &ctx, Method::PUT, initial)
            .await
            .unwrap();
        let elapsed = start.elapsed();
        assert!(finished.body.unwrap().starts_with(b"{\"name\""));
        assert_eq!(elapsed, Duration::from_secs(30));
        assert!(
            u64::from(finished.polls) <= elapsed.as_secs() / 5 + 1,
            "{} polls",
            finished.polls
        );
        let requests = http.requests();
        assert_eq!(requests.len() as u32, finished.polls + 1);
        assert!(
            requests
                .iter()
                .all(|r| r.headers[CLIENT_REQUEST_ID] == "op-request-id")
        );
        assert!(
            requests
                .last()
                .unwrap()
                .url
                .path()
                .ends_with("/dataConnections/n")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn default_interval_applies_without_retry_after() {
        let start = Instant::now();
        let http = Arc::new(MockHttp::with_handler(move |_| {
            if start.elapsed() < Duration::from_secs(25) {
                response(200, &[], r#"{"status":"InProgress"}"#)
            } else {
                response(200, &[], r#"{"status":"succeeded"}"#)
            }
        }));
        let ctx = CallContext::with_timeout(Duration::from_secs(600));
        let initial = response(202, &[("azure-asyncoperation", AAO)], "");
        let finished = wait_on(http, &ctx, Method::DELETE, initial).await.unwrap();
        assert_eq!(finished.polls, 3);
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        assert!(finished.body.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn failed_operation_surfaces_the_service_error_verbatim() {
        let terminal = r#"{"status":"Failed","error":{"code":"EventHubValidationErorFound","message":"[BadRequest] Validation Errors found: table does not exist"}}"#;
        let http = timed_operation(Duration::from_secs(2), 1, terminal);
        let ctx = CallContext::with_timeout(Duration::from_secs(600));
        let initial = response(
            201,
            &[("azure-asyncoperation", AAO), ("retry-after", "1")],
            "{}",
        );
        let err = wait_on(http, &ctx, Method::PUT, initial).await.unwrap_err();
        assert_eq!(
            err,
            Error::Lro {
                status: "Failed".into(),
                code: "EventHubValidationErorFound".into(),
                message: "[BadRequest] Validation Errors found: table does not exist".into(),
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_and_cancellation_stop_the_wait() {
        let http = timed_operation(Duration::from_secs(3600), 10, "{}");
        let ctx = CallContext::with_timeout(Duration::from_secs(45));
        let start = Instant::now();
        let initial = response(201, &[("azure-asyncoperation", AAO)], "{}");
        let err = wait_on(http.clone(), &ctx, Method::PUT, initial)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Timeout { ref waiting_for, .. } if waiting_for.contains("Running")),
            "{err}"
        );
        assert_eq!(start.elapsed(), Duration::from_secs(45));

        let cancel = CancellationToken::new();
        let ctx = CallContext::new(Duration::from_secs(600), cancel.clone());
        let initial = response(201, &[("azure-asyncoperation", AAO)], "{}");
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(15)).await;
            cancel.cancel();
        });
        let err = wait_on(http, &ctx, Method::PUT, initial).await.unwrap_err();
        canceller.await.unwrap();
        assert_eq!(err, Error::Cancelled);
    }

    #[tokio::test(start_paused = true)]
    async fn location_polling_until_final_status() {
        let calls = Arc::new(Mutex::new(0));
        let counter = calls.clone();
        let http = Arc::new(MockHttp::with_handler(move |_| {
            let mut n = counter.lock().unwrap();
            *n += 1;
            if *n < 3 {
                response(202, &[("retry-after", "2")], "")
            } else {
                response(
                    200,
                    &[],
                    r#"{"value":[{"errorMessage":"table does not exist"}]}"#,
                )
            }
        }));
        let ctx = CallContext::with_timeout(Duration::from_secs(600));
        let initial = accepted_at(
            "location",
            "/subscriptions/s/providers/Microsoft.Kusto/locations/w/operationResults/op1?operationResultResponseType=Location",
        );
        let finished = wait_on(http.clone(), &ctx, Method::POST, initial)
            .await
            .unwrap();
        assert_eq!(finished.polls, 3);
        assert!(
            String::from_utf8(finished.body.unwrap())
                .unwrap()
                .contains("table does not exist")
        );
        assert_eq!(http.requests()[0].url.host_str(), Some("arm.example"));
    }

    #[tokio::test(start_paused = true)]
    async fn provisioning_state_polling_without_headers() {
        let start = Instant::now();
        let http = Arc::new(MockHttp::with_handler(move |_| {
            let state = if start.elapsed() < Duration::from_secs(20) {
                "Creating"
            } else {
                "Succeeded"
            };
            response(
                200,
                &[],
                &format!(r#"{{"properties":{{"provisioningState":"{state}"}}}}"#),
            )
        }));
        let ctx = CallContext::with_timeout(Duration::from_secs(600));
        let initial = response(
            201,
            &[],
            r#"{"properties":{"provisioningState":"Creating"}}"#,
        );
        let finished = wait_on(http, &ctx, Method::PUT, initial).await.unwrap();
        assert_eq!(finished.polls, 2);
        assert!(
            String::from_utf8(finished.body.unwrap())
                .unwrap()
                .contains("Succeeded")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn synchronous_answers_need_no_polling() {
        let http = Arc::new(MockHttp::new(vec![]));
        let ctx = CallContext::with_timeout(Duration::from_secs(60));
        let ok = response(
            200,
            &[],
            r#"{"properties":{"provisioningState":"Succeeded"}}"#,
        );
        let finished = wait_on(http.clone(), &ctx, Method::PUT, ok).await.unwrap();
        assert_eq!(finished.polls, 0);
        assert!(finished.body.is_some());
        let gone = response(204, &[], "");
        let finished = wait_on(http.clone(), &ctx, Method::DELETE, gone)
            .await
            .unwrap();
        assert!(finished.body.is_none());
        assert!(http.requests().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn foreign_hosts_in_headers_are_redirected_to_the_arm_endpoint() {
        let http = timed_operation(Duration::ZERO, 0, r#"{"status":"Succeeded"}"#);
        let ctx = CallContext::with_timeout(Duration::from_secs(60));
        let initial = accepted_at(
            "azure-asyncoperation",
            "https://evil.example/subscriptions/s/providers/Microsoft.Kusto/locations/w/operationResults/op1?x=1",
        );
        wait(
            &pipeline(http.clone()),
            &ctx,
            accepted(Method::DELETE, initial),
            Duration::ZERO,
        )
        .await
        .unwrap();
        let first = &http.requests()[0];
        assert_eq!(first.url.host_str(), Some("arm.example"));
        assert_eq!(first.url.query(), Some("x=1"));
    }

    #[tokio::test(start_paused = true)]
    async fn weird_operation_bodies_are_decode_errors_not_panics() {
        for body in [
            "[]",
            "\"Succeeded\"",
            r#"{"status":5}"#,
            r#"{"status":null,"properties":{"provisioningState":7}}"#,
            r#"{"error":"x","status":"Failed"}"#,
            &"[".repeat(100_000),
            "\u{0}\u{1}",
        ] {
            let http = Arc::new(MockHttp::with_handler({
                let body = body.to_string();
                move |_| response(200, &[], &body)
            }));
            let ctx = CallContext::with_timeout(Duration::from_secs(60));
            let initial = response(201, &[("azure-asyncoperation", AAO)], "{}");
            let result = wait_on(http, &ctx, Method::PUT, initial).await;
            assert!(
                matches!(result, Err(Error::Decode(_))),
                "{body:.40}: {result:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn status_bodies_of_any_bytes_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            if let Ok(status) = parse_status(&body)
                && let Some(state) = status.status
            {
                let _ = is_terminal(&state);
                let _ = classify(&state, status.error);
            }
            let _ = provisioning_state(&body);
        }

        #[test]
        fn status_documents_of_any_text_never_panic(status in "\\PC{0,30}", code in "\\PC{0,30}") {
            let body = serde_json::json!({"status": status, "error": {"code": code}}).to_string();
            let parsed = parse_status(body.as_bytes()).unwrap();
            let _ = classify(parsed.status.as_deref().unwrap_or(""), parsed.error);
        }
    }
}
