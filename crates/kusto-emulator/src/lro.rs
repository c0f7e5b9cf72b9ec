//! Long-running operations: the records behind `Azure-AsyncOperation` and `Location`.
//!
//! Every write on a data connection (and every `dataConnectionValidation`) starts an
//! operation that runs for `--lro-seconds` on the emulator's clock and then ends with its
//! planned [`Outcome`]. An operation is never advanced by a timer: its status is a pure
//! function of the clock, and `Store::settle` applies finished operations to the resources
//! at the start of each request. Status documents and URLs follow the recorded Kusto
//! traffic (see the crate README): the status `id` uses lower-case `operationresults`,
//! `percentComplete` is a 0-1 fraction, the Azure-AsyncOperation URL carries the region
//! with a raw space and the Location URL carries it `%20`-encoded.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::clock::arm_timestamp;
use super::dataconn::model::DataConnection;
use super::faults::CLUSTER_BUSY_CODE;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperationKind {
    Create,
    Update,
    Delete,
    Validate,
}

/// Where an operation stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Succeeded,
    Failed,
    Canceled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "Running",
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
            Status::Canceled => "Canceled",
        }
    }
}

/// How an operation ends once its time is up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status")]
pub enum Outcome {
    Succeeded,
    Failed { code: String, message: String },
    Canceled { code: String, message: String },
}

/// One operation record, persisted with the world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub subscription_id: String,
    /// The region as it appears in the operation URLs (raw, possibly with spaces).
    pub region: String,
    pub kind: OperationKind,
    /// Resource id of the data connection the operation concerns.
    pub resource_id: String,
    /// Lower-cased id of the cluster, to refuse concurrent writes on it.
    pub cluster_key: String,
    pub api_version: String,
    #[serde(with = "rfc3339")]
    pub started: OffsetDateTime,
    #[serde(with = "rfc3339")]
    pub finishes: OffsetDateTime,
    pub outcome: Outcome,
    /// Problems found by a `dataConnectionValidation` (its result list).
    #[serde(default)]
    pub validation_errors: Vec<String>,
    /// Whether the outcome has been applied to the resource.
    #[serde(default)]
    pub settled: bool,
    /// The connection as it was before an update, restored when the service rolls the
    /// update back (a failure with code `ServiceIsInMaintenance`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<DataConnection>,
}

impl Operation {
    pub fn status(&self, now: OffsetDateTime) -> Status {
        if now < self.finishes {
            return Status::Running;
        }
        match self.outcome {
            Outcome::Succeeded => Status::Succeeded,
            Outcome::Failed { .. } => Status::Failed,
            Outcome::Canceled { .. } => Status::Canceled,
        }
    }

    /// Whether the operation failed because the cluster was busy, which the service
    /// answers by rolling the write back.
    pub fn rolled_back(&self) -> bool {
        matches!(&self.outcome, Outcome::Failed { code, .. } if code == CLUSTER_BUSY_CODE)
    }

    /// The error of a failed or canceled operation.
    pub fn error(&self) -> Option<(&str, &str)> {
        match &self.outcome {
            Outcome::Succeeded => None,
            Outcome::Failed { code, message } | Outcome::Canceled { code, message } => {
                Some((code, message))
            }
        }
    }

    /// The operation's result list for a validation, in the casing the live service uses.
    pub fn validation_result(&self) -> Value {
        let entries: Vec<Value> = self
            .validation_errors
            .iter()
            .map(|m| json!({"errorMessage": m}))
            .collect();
        json!({"Value": entries})
    }

    /// The Azure-AsyncOperation status document.
    pub fn status_document(&self, now: OffsetDateTime) -> Value {
        let status = self.status(now);
        let mut doc = json!({
            "id": format!(
                "/subscriptions/{}/providers/Microsoft.Kusto/locations/{}/operationresults/{}",
                self.subscription_id, self.region, self.id
            ),
            "name": self.id,
            "status": status.as_str(),
            "startTime": arm_timestamp(self.started),
            "percentComplete": if status == Status::Running { 0.5 } else { 1.0 },
            "properties": {},
        });
        if status == Status::Running {
            return doc;
        }
        doc["endTime"] = json!(arm_timestamp(self.finishes));
        match (status, self.kind) {
            (Status::Succeeded, OperationKind::Validate) => {
                doc["properties"] = self.validation_result();
            }
            (Status::Succeeded, OperationKind::Delete) => {
                doc["properties"] = json!({
                    "operationKind": "DmServiceDataObtainerDrop",
                    "provisioningState": "Succeeded",
                    "operationState": "Completed",
                });
            }
            _ => {}
        }
        if let Some((code, message)) = self.error() {
            doc["error"] = json!({"code": code, "message": message});
        }
        doc
    }

    /// Absolute Azure-AsyncOperation URL (region with a raw space, as Kusto sends it).
    pub fn async_operation_url(&self, base: &str) -> String {
        format!(
            "{base}/subscriptions/{}/providers/Microsoft.Kusto/locations/{}/operationResults/{}?api-version={}",
            self.subscription_id, self.region, self.id, self.api_version
        )
    }

    /// Absolute Location URL (region `%20`-encoded, Location response type).
    pub fn location_url(&self, base: &str) -> String {
        format!(
            "{base}/subscriptions/{}/providers/Microsoft.Kusto/locations/{}/operationResults/{}?api-version={}&operationResultResponseType=Location",
            self.subscription_id,
            self.region.replace(' ', "%20"),
            self.id,
            self.api_version
        )
    }
}

/// serde for timestamps as RFC 3339 strings (the `time` crate's serde feature is not enabled).
mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::Error as _};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format(&Rfc3339).map_err(S::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(d)?;
        OffsetDateTime::parse(&text, &Rfc3339).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    fn op(kind: OperationKind, outcome: Outcome) -> Operation {
        let started = datetime!(2026-01-01 00:00:00 UTC);
        Operation {
            id: "op1".to_owned(),
            subscription_id: "sub".to_owned(),
            region: "West Europe".to_owned(),
            kind,
            resource_id: "/x".to_owned(),
            cluster_key: "/c".to_owned(),
            api_version: "2025-02-14".to_owned(),
            started,
            finishes: started + Duration::seconds(10),
            outcome,
            validation_errors: vec!["table does not exist".to_owned()],
            settled: false,
            previous: None,
        }
    }

    #[test]
    fn status_runs_then_ends_with_the_outcome() {
        let o = op(OperationKind::Create, Outcome::Succeeded);
        let running = o.status_document(o.started);
        assert_eq!(running["status"], "Running");
        assert_eq!(running["percentComplete"], 0.5);
        assert!(running.get("endTime").is_none());
        let done = o.status_document(o.finishes);
        assert_eq!(done["status"], "Succeeded");
        assert_eq!(done["percentComplete"], 1.0);
        assert_eq!(
            done["id"],
            "/subscriptions/sub/providers/Microsoft.Kusto/locations/West Europe/operationresults/op1"
        );
    }

    #[test]
    fn failed_operation_carries_the_error() {
        let o = op(
            OperationKind::Create,
            Outcome::Failed {
                code: "EventHubValidationErorFound".to_owned(),
                message: "[BadRequest] Validation Errors found: table does not exist".to_owned(),
            },
        );
        let doc = o.status_document(o.finishes);
        assert_eq!(doc["status"], "Failed");
        assert_eq!(doc["error"]["code"], "EventHubValidationErorFound");
    }

    #[test]
    fn urls_use_raw_space_and_percent_twenty() {
        let o = op(OperationKind::Delete, Outcome::Succeeded);
        assert_eq!(
            o.async_operation_url("https://h"),
            "https://h/subscriptions/sub/providers/Microsoft.Kusto/locations/West Europe/operationResults/op1?api-version=2025-02-14"
        );
        assert!(
            o.location_url("https://h")
                .contains("/locations/West%20Europe/")
        );
        assert!(
            o.location_url("https://h")
                .ends_with("&operationResultResponseType=Location")
        );
        let validate = op(OperationKind::Validate, Outcome::Succeeded);
        assert_eq!(
            validate.status_document(validate.finishes)["properties"],
            json!({"Value": [{"errorMessage": "table does not exist"}]})
        );
    }

    #[test]
    fn operation_round_trips_through_json() {
        let o = op(
            OperationKind::Update,
            Outcome::Canceled {
                code: "c".into(),
                message: "m".into(),
            },
        );
        let back: Operation = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
        assert_eq!(back, o);
    }
}
