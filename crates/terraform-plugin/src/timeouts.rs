//! The `timeouts` block convention shared by Terraform providers (terraform-plugin-framework's
//! timeouts module): a single optional block with `create`, `read`, `update` and `delete` strings in
//! Go duration syntax (`30s`, `1h30m`, `1.5h`).
//!
//! The values are client-side only: the provider bounds each operation with them. Which
//! value applies follows Terraform's data flow: create and update read the plan, read the
//! current state, delete the prior state (the configuration is null at destroy). Planning
//! never lists `timeouts` as forcing a replacement.

use std::fmt;
use std::time::Duration;

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::planmod::Validator;
use super::schema::{Attribute, Block, NestedBlock};
use super::value::Value;

/// The block's type name.
pub const BLOCK_NAME: &str = "timeouts";

/// How long each operation may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Creating the resource.
    pub create: Duration,
    /// Reading it.
    pub read: Duration,
    /// Updating it.
    pub update: Duration,
    /// Deleting it.
    pub delete: Duration,
}

impl Timeouts {
    /// The `timeouts` block, with these values as the documented defaults.
    pub fn block(&self) -> NestedBlock {
        let attribute = |name: &str, verb: &str, default: Duration| {
            Attribute::string(name)
                .description(format!(
                    "How long to wait for the resource to be {verb}, as a Go duration such as \
                     `30s` or `1h30m`. Defaults to `{}`.",
                    format_duration(default)
                ))
                .validator(GoDuration)
        };
        NestedBlock::single(
            BLOCK_NAME,
            Block::new()
                .description("Client-side time limits for each operation.")
                .attribute(attribute("create", "created", self.create))
                .attribute(attribute("read", "read", self.read))
                .attribute(attribute("update", "updated", self.update))
                .attribute(attribute("delete", "deleted", self.delete)),
        )
    }

    /// The timeouts set in `object`'s `timeouts` block (a resource's plan or state), these
    /// defaults filling in unset or unparseable values.
    pub fn resolve(&self, object: &Value) -> Timeouts {
        let block = object.attr(BLOCK_NAME);
        let pick = |name: &str, default: Duration| {
            block
                .get_str(name)
                .and_then(|text| parse_go_duration(text).ok())
                .unwrap_or(default)
        };
        Timeouts {
            create: pick("create", self.create),
            read: pick("read", self.read),
            update: pick("update", self.update),
            delete: pick("delete", self.delete),
        }
    }
}

/// Renders a default compactly: `60m`, `5m`, `90s`, `2h`.
fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds != 0 && seconds.is_multiple_of(3600) && seconds / 3600 < 24 {
        format!("{}h", seconds / 3600)
    } else if seconds != 0 && seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

/// Text that is not a Go duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    text: String,
    reason: &'static str,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a valid duration: {}",
            self.text, self.reason
        )
    }
}

impl std::error::Error for DurationError {}

/// The longest time limit accepted: a year (`8760h`). Longer ones are surely mistakes, and
/// the bound keeps every deadline computed from a limit far from overflowing.
pub const MAX_DURATION: Duration = Duration::from_secs(8760 * 3600);

/// Parses Go's `time.ParseDuration` syntax: a sequence of decimal numbers with units
/// `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`; `0` alone is allowed. Negative durations are
/// rejected, as no operation can have a negative time limit, and so are durations beyond
/// [`MAX_DURATION`]. Any text may be given: the arithmetic is checked, nothing panics.
pub fn parse_go_duration(text: &str) -> Result<Duration, DurationError> {
    let error = |reason| DurationError {
        text: text.to_owned(),
        reason,
    };
    let rest = text.strip_prefix('+').unwrap_or(text);
    if rest.starts_with('-') {
        return Err(error("must not be negative"));
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(error("empty"));
    }
    let mut total: u128 = 0;
    let mut rest = rest;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(error("expected a number"));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let nanos_per_unit: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(error("missing unit")),
            _ => return Err(error("unknown unit")),
        };
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| error("number too large"))?
        };
        // Digits beyond nanosecond resolution of an hour cannot change the result.
        let fraction = &fraction[..fraction.len().min(18)];
        let fraction_nanos = if fraction.is_empty() {
            0
        } else {
            let digits: u128 = fraction.parse().map_err(|_| error("expected a number"))?;
            digits * nanos_per_unit / 10u128.pow(fraction.len() as u32)
        };
        total = whole
            .checked_mul(nanos_per_unit)
            .and_then(|n| n.checked_add(fraction_nanos))
            .and_then(|n| n.checked_add(total))
            .ok_or_else(|| error("too large"))?;
        rest = next;
    }
    let duration = u64::try_from(total)
        .map(Duration::from_nanos)
        .ok()
        .filter(|duration| *duration <= MAX_DURATION);
    duration.ok_or_else(|| error("longer than the maximum of 8760h (a year)"))
}

/// Validates Go duration syntax.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoDuration;

impl Validator for GoDuration {
    fn description(&self) -> String {
        "must be a Go duration such as `30s`, `10m` or `1h30m`".to_owned()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(text) = value.as_str()
            && let Err(error) = parse_go_duration(text)
        {
            diags.add_attribute_error(
                path.clone(),
                "Invalid Attribute Value",
                format!(
                    "Attribute {path} {}: {error}",
                    "must be a Go duration such as `30s`, `10m` or `1h30m`"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn parses_go_durations() {
        let cases = [
            ("0", 0),
            ("30s", 30_000_000_000),
            ("1h30m", 5_400_000_000_000),
            ("60m", 3_600_000_000_000),
            ("1.5h", 5_400_000_000_000),
            (".5s", 500_000_000),
            ("1ms2us3ns", 1_002_003),
            ("2µs", 2_000),
            ("+5s", 5_000_000_000),
        ];
        for (text, nanos) in cases {
            assert_eq!(
                parse_go_duration(text),
                Ok(Duration::from_nanos(nanos)),
                "{text}"
            );
        }
        for bad in [
            "",
            "5",
            "s",
            "1x",
            "-1s",
            "1.s.",
            "99999999999999999999h",
            "99999999999999h",
            "8760h1ns",
            "1h 2m",
        ] {
            assert!(parse_go_duration(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(parse_go_duration("8760h"), Ok(MAX_DURATION));
        let error = parse_go_duration("99999999999999h")
            .unwrap_err()
            .to_string();
        assert!(error.contains("maximum of 8760h"), "{error}");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const UNITS: [(&str, u128); 8] = [
            ("ns", 1),
            ("us", 1_000),
            ("µs", 1_000),
            ("ms", 1_000_000),
            ("s", 1_000_000_000),
            ("m", 60_000_000_000),
            ("h", 3_600_000_000_000),
            ("μs", 1_000),
        ];

        proptest! {
            /// Any text, including long digit runs and multi-byte characters, parses or
            /// fails without panicking, and never yields more than the maximum.
            #[test]
            fn any_text_parses_or_fails_within_the_bound(text in any::<String>()) {
                if let Ok(duration) = parse_go_duration(&text) {
                    prop_assert!(duration <= MAX_DURATION);
                }
            }

            #[test]
            fn digit_heavy_text_never_overflows(
                text in "[+-]?[0-9.]{0,40}(ns|us|µs|ms|s|m|h|x)?([0-9.]{0,30}(ns|ms|s|m|h))*"
            ) {
                if let Ok(duration) = parse_go_duration(&text) {
                    prop_assert!(duration <= MAX_DURATION);
                }
            }

            /// Whole numbers with units add up exactly, up to the bound, and are refused
            /// beyond it.
            #[test]
            fn sums_of_whole_units_are_exact(
                parts in proptest::collection::vec((any::<u64>(), 0..UNITS.len()), 1..6)
            ) {
                let text: String = parts
                    .iter()
                    .map(|(n, unit)| format!("{n}{}", UNITS[*unit].0))
                    .collect();
                let nanos: u128 = parts
                    .iter()
                    .map(|(n, unit)| u128::from(*n) * UNITS[*unit].1)
                    .sum();
                match parse_go_duration(&text) {
                    Ok(duration) => prop_assert_eq!(duration.as_nanos(), nanos),
                    Err(_) => prop_assert!(nanos > MAX_DURATION.as_nanos()),
                }
            }
        }
    }

    fn defaults() -> Timeouts {
        Timeouts {
            create: Duration::from_secs(3600),
            read: Duration::from_secs(300),
            update: Duration::from_secs(3600),
            delete: Duration::from_secs(3600),
        }
    }

    #[test]
    fn resolves_configured_values_over_defaults() {
        let block = Value::Object(BTreeMap::from([
            ("create".to_owned(), "90s".into()),
            ("read".to_owned(), Value::Null),
        ]));
        let object = Value::Object(BTreeMap::from([(BLOCK_NAME.to_owned(), block)]));
        let resolved = defaults().resolve(&object);
        assert_eq!(resolved.create, Duration::from_secs(90));
        assert_eq!(resolved.read, Duration::from_secs(300));
        assert_eq!(defaults().resolve(&Value::Null), defaults());
    }

    #[test]
    fn block_documents_defaults_and_validates() {
        let block = defaults().block();
        let read = block.block().attribute_named("read").unwrap();
        assert!(read.description_text().contains("Defaults to `5m`"));
        let create = block.block().attribute_named("create").unwrap();
        assert!(create.description_text().contains("Defaults to `1h`"));
        let mut diags = Diagnostics::new();
        let path = AttributePath::attr(BLOCK_NAME).attribute("create");
        GoDuration.validate(&path, &"soon".into(), &mut diags);
        assert_eq!(diags.iter().next().unwrap().path, Some(path));
    }
}
