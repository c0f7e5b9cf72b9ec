//! Preflight: the service's `dataConnectionValidation`, which says whether a connection
//! would work (its table, mapping, consumer group, identity) without creating anything.
//!
//! It is asked at plan time whenever everything it checks is known, for a create and for an
//! update that sends new settings, so that a missing table fails `terraform plan` on the
//! `table_name` line instead of the apply. A check that passed travels to the apply in the
//! planned private data, marked with a digest of what was checked; the apply asks again only
//! when the plan could not (a value known only after apply) or what it sends differs.
//!
//! Terraform plans every change a second time during the apply, in a new provider process,
//! and before Terraform 1.16 hands that plan nothing from the first. So that this second plan
//! does not wait on another long-running validation, a passed check is also remembered for
//! [`REMEMBERED_FOR`] in a small ledger under the temporary directory (`TMPDIR`), keyed by
//! the cloud, the connection and its settings. The ledger only ever saves a repeated question:
//! when it cannot be read or written, the check is asked again.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kusto_arm::{CallContext, Cloud, DataConnectionId, DataConnections, EventHubSettings};
use terraform_plugin::diag::Diagnostics;
use terraform_plugin::path::AttributePath;

use super::model;
use crate::errors::explain;

/// How long a passed check spares the same check: long enough for the apply that follows a
/// plan, short enough that a table dropped since is found again.
pub(crate) const REMEMBERED_FOR: Duration = Duration::from_secs(5 * 60);

/// What a check is about: the cloud, the connection and the settings it would send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checked(u64);

impl Checked {
    pub(crate) fn new(cloud: &Cloud, id: &DataConnectionId, settings: &EventHubSettings) -> Self {
        // The hasher's keys are fixed, so the plan's process and the apply's (the same
        // binary) agree on every digest.
        let mut hasher = DefaultHasher::new();
        cloud.hash(&mut hasher);
        id.to_string().to_ascii_lowercase().hash(&mut hasher);
        settings.hash(&mut hasher);
        Self(hasher.finish())
    }

    /// The planned private data saying that this check passed at plan time.
    pub(crate) fn passed(self) -> Vec<u8> {
        format!("{{\"preflight_passed\":\"{:016x}\"}}", self.0).into_bytes()
    }

    /// Whether `private` (planned private data) says this check passed at plan time.
    pub(crate) fn passed_in(self, private: &[u8]) -> bool {
        private == self.passed()
    }
}

/// Asks Azure to validate `settings` for `id` before `operation` (`create`, `update`): true
/// when it finds nothing wrong. Each problem it reports is an error at the attribute it is
/// about; a failure to ask is an error naming the operation.
pub(crate) async fn check(
    api: DataConnections<'_>,
    ctx: &CallContext,
    id: &DataConnectionId,
    settings: &EventHubSettings,
    operation: &str,
    diags: &mut Diagnostics,
) -> bool {
    let summary = "Preflight validation of the Kusto data connection failed";
    tracing::info!(%id, "waiting for Azure to validate the data connection before the {operation}");
    match api.validate(ctx, id, settings).await {
        Ok(problems) => {
            for problem in &problems {
                let detail = format!(
                    "Azure reports that the data connection cannot work: {problem}. Fix the \
                     configuration or the Kusto database, or set \
                     `skip_preflight_validation = true` to {operation} it anyway."
                );
                match model::preflight_attribute(problem) {
                    Some(attribute) => {
                        diags.add_attribute_error(AttributePath::attr(attribute), summary, detail);
                    }
                    None => diags.add_error(summary, detail),
                }
            }
            problems.is_empty()
        }
        // Without a token, a connection or time left, skipping the check would not help.
        Err(
            error @ (kusto_arm::Error::Credential(_)
            | kusto_arm::Error::Connect(_)
            | kusto_arm::Error::Config(_)
            | kusto_arm::Error::Cancelled
            | kusto_arm::Error::Timeout { .. }),
        ) => {
            diags.add_error(
                format!("Failed to validate the Kusto data connection before the {operation}"),
                format!("{id}\n\n{}", explain(&error)),
            );
            false
        }
        Err(error) => {
            diags.add_error(
                summary,
                format!(
                    "Azure could not validate {id} before the {operation}.\n\n{}\n\nSet \
                     `skip_preflight_validation = true` to {operation} it without this check.",
                    explain(&error)
                ),
            );
            false
        }
    }
}

/// Checks that passed recently, one file each.
pub(crate) struct Ledger {
    dir: PathBuf,
}

impl Ledger {
    /// The ledger kept under `temp_dir`.
    pub(crate) fn under(temp_dir: &Path) -> Self {
        Self {
            dir: temp_dir.join("terraform-provider-kusto-preflight"),
        }
    }

    fn entry(&self, checked: Checked) -> PathBuf {
        self.dir.join(format!("{:016x}", checked.0))
    }

    /// Whether `checked` passed less than [`REMEMBERED_FOR`] ago.
    pub(crate) fn passed_recently(&self, checked: Checked) -> bool {
        std::fs::metadata(self.entry(checked))
            .and_then(|entry| entry.modified())
            .ok()
            .and_then(|written| SystemTime::now().duration_since(written).ok())
            .is_some_and(|age| age < REMEMBERED_FOR)
    }

    /// Records that `checked` passed now, and forgets checks older than [`REMEMBERED_FOR`].
    /// Best effort: a ledger that cannot be written only means asking again.
    pub(crate) fn record(&self, checked: Checked) {
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let now = SystemTime::now();
        let stamp = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let partial = self
            .dir
            .join(format!(".{:016x}-{}", checked.0, std::process::id()));
        if std::fs::write(&partial, stamp.to_string()).is_ok() {
            let _ = std::fs::rename(&partial, self.entry(checked));
        }
        for entry in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|written| now.duration_since(written).ok())
                .is_some_and(|age| age >= REMEMBERED_FOR);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> DataConnectionId {
        DataConnectionId::parse(&format!(
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections/{name}"
        ))
        .unwrap()
    }

    fn settings(table: &str) -> EventHubSettings {
        EventHubSettings {
            table_name: Some(table.to_owned()),
            ..EventHubSettings::default()
        }
    }

    const CLOUD: Cloud = Cloud::Public;

    #[test]
    fn a_check_is_about_the_connection_and_its_settings() {
        let checked = Checked::new(&CLOUD, &id("dc1"), &settings("Events"));
        assert_eq!(
            checked,
            Checked::new(&CLOUD, &id("DC1"), &settings("Events"))
        );
        assert_ne!(
            checked,
            Checked::new(&CLOUD, &id("dc2"), &settings("Events"))
        );
        assert_ne!(
            checked,
            Checked::new(&CLOUD, &id("dc1"), &settings("Other"))
        );
        assert!(checked.passed_in(&checked.passed()));
        let other = Checked::new(&CLOUD, &id("dc1"), &settings("Other"));
        assert!(!other.passed_in(&checked.passed()));
        assert!(!checked.passed_in(b""));
    }

    #[test]
    fn the_ledger_remembers_passes_for_a_while() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::under(dir.path());
        let checked = Checked::new(&CLOUD, &id("dc1"), &settings("Events"));
        assert!(!ledger.passed_recently(checked));
        ledger.record(checked);
        assert!(ledger.passed_recently(checked));
        let other = Checked::new(&CLOUD, &id("dc2"), &settings("Events"));
        assert!(!ledger.passed_recently(other));

        let old = SystemTime::now() - REMEMBERED_FOR - Duration::from_secs(1);
        std::fs::File::options()
            .write(true)
            .open(ledger.entry(checked))
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(!ledger.passed_recently(checked), "too old");
        ledger.record(other);
        assert!(!ledger.entry(checked).exists(), "old entries are removed");
    }

    #[test]
    fn an_unwritable_ledger_remembers_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let ledger = Ledger {
            dir: file.join("ledger"),
        };
        let checked = Checked::new(&CLOUD, &id("dc1"), &settings("Events"));
        ledger.record(checked);
        assert!(!ledger.passed_recently(checked));
    }
}
