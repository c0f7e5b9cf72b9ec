//! Starting the long-running operation of a write or a validation: its record in the
//! store, ending after `--lro-seconds` as the data checks decide unless the fault plan
//! forces another outcome.

use time::{Duration, OffsetDateTime};

use super::call::Call;
use super::errors::busy_message;
use crate::dataconn::checks::{VALIDATION_FAILED_CODE, problems_message};
use crate::dataconn::model::{DataConnection, Names};
use crate::faults::{CLUSTER_BUSY_CODE, LroOutcome};
use crate::http::query_param;
use crate::lro::{Operation, OperationKind, Outcome};
use crate::store::Store;

impl Call<'_> {
    /// Creates an operation on the store, ending as planned unless the fault plan forces
    /// another outcome.
    pub fn start_operation(
        &self,
        store: &mut Store,
        now: OffsetDateTime,
        kind: OperationKind,
        names: &Names,
        region: &str,
        natural: Outcome,
    ) -> Operation {
        let outcome = match &self.forced {
            None => natural,
            Some(f) => {
                let (default_code, default_message) = match f.outcome {
                    LroOutcome::Failed => (
                        "InternalServerError",
                        "[InternalServerError] The operation failed.",
                    ),
                    LroOutcome::Canceled => ("OperationCanceled", "The operation was canceled."),
                };
                let code = f.code.clone().unwrap_or_else(|| default_code.to_owned());
                let message = f.message.clone().unwrap_or_else(|| {
                    if code == CLUSTER_BUSY_CODE {
                        busy_message(names)
                    } else {
                        default_message.to_owned()
                    }
                });
                match f.outcome {
                    LroOutcome::Failed => Outcome::Failed { code, message },
                    LroOutcome::Canceled => Outcome::Canceled { code, message },
                }
            }
        };
        let seconds = i64::try_from(self.app.settings().lro_seconds).unwrap_or(i64::MAX);
        let op = Operation {
            id: uuid::Uuid::new_v4().to_string(),
            subscription_id: names.subscription_id.clone(),
            region: region.to_owned(),
            kind,
            resource_id: names.id(),
            cluster_key: names.cluster_key(),
            api_version: query_param(&self.uri, "api-version").unwrap_or_default(),
            started: now,
            finishes: now.saturating_add(Duration::seconds(seconds)),
            outcome,
            validation_errors: Vec::new(),
            settled: false,
            previous: None,
        };
        store
            .operations
            .insert(op.id.to_ascii_lowercase(), op.clone());
        op
    }
}

/// How a write ends given the data problems Kusto's engine finds.
pub fn outcome_for(problems: &[String]) -> Outcome {
    if problems.is_empty() {
        Outcome::Succeeded
    } else {
        Outcome::Failed {
            code: VALIDATION_FAILED_CODE.to_owned(),
            message: problems_message(problems),
        }
    }
}

/// Keeps the connection as it was before an update on its operation, for a rollback.
pub fn remember_previous(store: &mut Store, op: &Operation, previous: Option<DataConnection>) {
    if let Some(stored) = store.operations.get_mut(&op.id.to_ascii_lowercase()) {
        stored.previous = previous;
    }
}
