//! Spellings that mean the same value, and the documented spelling of each.
//!
//! Azure answers in its own spelling: `West Europe` for `westeurope`, re-cased ids,
//! upper-cased enumerations, `+00:00` for `Z`. A value Azure spells differently from the
//! configuration must not read as a change, or every refresh would plan an update (or a
//! replacement). These functions decide what is the same; [`super::attributes`] says which
//! one applies to which attribute.

use kusto_arm::{EventHubId, ManagedIdentityId};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Whether two `retrieval_start_date` values name the same instant, so that the service writing
/// `2024-01-15T08:30:00+00:00` back for `2024-01-15T08:30:00Z` is not a change. Values that do not
/// parse are compared as text.
pub(crate) fn same_instant(a: &str, b: &str) -> bool {
    match (
        OffsetDateTime::parse(a, &Rfc3339),
        OffsetDateTime::parse(b, &Rfc3339),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// An Azure region in the form ARM uses in ids: `"West Europe"` and `"WestEurope"` become
/// `"westeurope"`.
pub(crate) fn normalize_location(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether two spellings name the same region; Kusto answers with the display name
/// (`"West Europe"`) whatever was sent.
pub(crate) fn same_location(a: &str, b: &str) -> bool {
    normalize_location(a) == normalize_location(b)
}

/// Whether two Event Hub ids name the same hub (case-insensitively, as ARM compares).
pub(crate) fn same_eventhub_id(a: &str, b: &str) -> bool {
    match (EventHubId::parse(a), EventHubId::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Whether two identity ids name the same managed identity.
pub(crate) fn same_identity_id(a: &str, b: &str) -> bool {
    match (ManagedIdentityId::parse(a), ManagedIdentityId::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// An enumeration value in its documented spelling (`json` → `JSON`); unknown values as
/// Azure sent them.
pub(crate) fn canonical(value: &str, allowed: &[&str]) -> String {
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(value))
        .map_or_else(|| value.to_owned(), |a| (*a).to_owned())
}

/// A date-time in UTC with `Z`, the form users write (`2024-01-15T08:30:00+00:00` becomes
/// `2024-01-15T08:30:00Z`); text that does not parse stays as Azure sent it.
pub(crate) fn canonical_instant(text: &str) -> String {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .and_then(|instant| instant.to_offset(UtcOffset::UTC).format(&Rfc3339).ok())
        .unwrap_or_else(|| text.to_owned())
}

pub(crate) fn canonical_eventhub_id(id: &str) -> String {
    EventHubId::parse(id).map_or_else(|_| id.to_owned(), |id| id.to_string())
}

pub(crate) fn canonical_identity_id(id: &str) -> String {
    ManagedIdentityId::parse(id).map_or_else(|_| id.to_owned(), |id| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_compare_by_time_not_text() {
        let cases = [
            ("2024-01-15T08:30:00Z", "2024-01-15T08:30:00+00:00", true),
            ("2024-01-15T08:30:00Z", "2024-01-15T10:30:00+02:00", true),
            ("2024-01-15T08:30:00Z", "2024-01-15T08:30:00.0000000Z", true),
            ("2024-01-15T08:30:00Z", "2024-01-15T08:30:01Z", false),
            ("garbage", "garbage", true),
            ("garbage", "2024-01-15T08:30:00Z", false),
        ];
        for (a, b, same) in cases {
            assert_eq!(same_instant(a, b), same, "{a} vs {b}");
        }
    }

    #[test]
    fn locations_normalise_and_compare() {
        assert!(same_location("WestEurope", "westeurope"));
        assert!(same_location(" West  US 2 ", "westus2"));
        assert!(same_location("West Europe", "westeurope"));
        assert!(same_location("East US 2", "eastus2"));
        assert!(!same_location("West Europe", "North Europe"));
    }

    #[test]
    fn instants_are_written_in_utc() {
        assert_eq!(
            canonical_instant("2024-01-15T10:30:00.5+02:00"),
            "2024-01-15T08:30:00.5Z"
        );
        assert_eq!(canonical_instant("not a date"), "not a date");
    }
}
