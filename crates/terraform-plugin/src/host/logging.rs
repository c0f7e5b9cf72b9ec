//! Provider logs as Terraform wants them: one hclog JSON object per line on stderr.
//!
//! go-plugin reads the provider's stderr line by line and re-logs every line that parses
//! as an hclog JSON object with its level, message and key/value pairs; Terraform shows
//! them when `TF_LOG` or `TF_LOG_PROVIDER` is set. Two rules of that parser shape this
//! file: `@level` and `@message` must be strings, and `@timestamp`, when present, must
//! have exactly six fractional digits, or the whole line is treated as plain text.
//!
//! stdout is never touched (it carries the handshake), and write errors are ignored: once
//! Terraform has closed the pipe there is nobody left to tell.

use std::io::Write;
use std::sync::{Mutex, PoisonError};

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// Events from this crate's modules (and the provider's own, see [`init`]) are logged at
/// the chosen level; events from other dependencies (HTTP/2 frames, TLS internals) at
/// most at WARN, to keep traces readable.
const OWN_TARGET: &str = "terraform_plugin";

/// The `@module` of every line, as terraform-plugin-log names a provider's own logs.
const MODULE: &str = "provider";

/// Go layout `2006-01-02T15:04:05.000000Z07:00`, which hclog requires.
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Installs the hclog layer on stderr as the global subscriber, at the level the
/// environment asks for. Does nothing if a subscriber is already installed.
///
/// `provider_type` is the provider's type name (`kusto`), which names the most specific
/// level variable, `TF_LOG_PROVIDER_KUSTO`. `targets` are the tracing targets (crate
/// names) logged at that level besides this crate's own, e.g. the provider's crate and
/// the API client it uses.
pub fn init(provider_type: &str, targets: &'static [&'static str]) {
    let layer = HclogLayer::new(level_from_env(provider_type), std::io::stderr()).targets(targets);
    // Fails only when a global subscriber exists already, which then keeps logging.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// The level from `TF_LOG_PROVIDER_<TYPE>`, `TF_LOG_PROVIDER` or `TF_LOG` (first one
/// set), as Terraform and terraform-plugin-go read them.
fn level_from_env(provider_type: &str) -> LevelFilter {
    let specific = format!("TF_LOG_PROVIDER_{}", provider_type.to_ascii_uppercase());
    let values =
        [specific.as_str(), "TF_LOG_PROVIDER", "TF_LOG"].map(|name| std::env::var(name).ok());
    parse_level(values.iter().flatten().map(String::as_str))
}

/// Chooses the level from candidate values, most specific first; empty values count as
/// unset. Terraform reads an unknown level as TRACE and `JSON` as TRACE in JSON form. When
/// nothing is set, Terraform shows no provider logs, so only warnings and errors are
/// written (they help when the provider runs by hand, in debug mode).
fn parse_level<'a>(mut values: impl Iterator<Item = &'a str>) -> LevelFilter {
    let Some(value) = values.find(|value| !value.trim().is_empty()) else {
        return LevelFilter::WARN;
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "off" => LevelFilter::OFF,
        "error" => LevelFilter::ERROR,
        "warn" => LevelFilter::WARN,
        "info" => LevelFilter::INFO,
        "debug" => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// A tracing layer that writes each event as an hclog JSON line. Fields of the spans an
/// event is in are added to its line, the event's own fields taking precedence.
#[derive(Debug)]
pub struct HclogLayer<W> {
    max_level: LevelFilter,
    targets: &'static [&'static str],
    writer: Mutex<W>,
}

impl<W: Write> HclogLayer<W> {
    pub fn new(max_level: LevelFilter, writer: W) -> Self {
        HclogLayer {
            max_level,
            targets: &[],
            writer: Mutex::new(writer),
        }
    }

    /// Logs the events of these targets (crate names) at the chosen level too.
    pub fn targets(mut self, targets: &'static [&'static str]) -> Self {
        self.targets = targets;
        self
    }

    fn is_own(&self, target: &str) -> bool {
        std::iter::once(&OWN_TARGET).chain(self.targets).any(|own| {
            target == *own
                || target
                    .strip_prefix(own)
                    .is_some_and(|rest| rest.starts_with("::"))
        })
    }

    fn write_line(&self, line: &str) {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        // A closed stderr is not worth dying for, and there is nowhere to report it.
        let _ = writer.write_all(line.as_bytes());
        let _ = writer.flush();
    }
}

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: Write + Send + 'static,
{
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        let limit = if self.is_own(metadata.target()) {
            self.max_level
        } else {
            self.max_level.min(LevelFilter::WARN)
        };
        *metadata.level() <= limit
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max_level)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(fields) = extensions.get_mut::<Fields>() {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope {
                if let Some(span_fields) = span.extensions().get::<Fields>() {
                    fields.add_missing(span_fields);
                }
            }
        }
        let metadata = event.metadata();
        let line = HclogLine {
            level: *metadata.level(),
            timestamp: OffsetDateTime::now_utc().format(TIMESTAMP).ok(),
            caller: metadata
                .file()
                .zip(metadata.line())
                .map(|(file, line)| format!("{file}:{line}")),
            fields,
        };
        self.write_line(&line.into_json());
    }
}

/// The fields of an event or span, in the order they were recorded.
#[derive(Debug, Default, Clone, PartialEq)]
struct Fields(Vec<(&'static str, Value)>);

impl Fields {
    fn set(&mut self, name: &'static str, value: Value) {
        match self.0.iter_mut().find(|(existing, _)| *existing == name) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((name, value)),
        }
    }

    fn add_missing(&mut self, other: &Fields) {
        for (name, value) in &other.0 {
            if !self.0.iter().any(|(existing, _)| existing == name) {
                self.0.push((name, value.clone()));
            }
        }
    }

    /// Removes and returns the event's message (tracing's `message` field).
    fn take_message(&mut self) -> String {
        match self.0.iter().position(|(name, _)| *name == "message") {
            Some(index) => match self.0.remove(index).1 {
                Value::String(message) => message,
                other => other.to_string(),
            },
            None => String::new(),
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.set(field.name(), Value::String(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field.name(), Value::String(value.to_owned()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field.name(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field.name(), Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity; Value::from turns them into null.
        self.set(field.name(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field.name(), Value::Bool(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.set(field.name(), Value::String(value.to_string()));
    }
}

/// One log line before serialisation.
struct HclogLine {
    level: Level,
    timestamp: Option<String>,
    caller: Option<String>,
    fields: Fields,
}

impl HclogLine {
    /// The JSON object and its newline. `@`-keys come first, so the line reads well raw.
    fn into_json(mut self) -> String {
        let message = self.fields.take_message();
        let mut object = JsonObject::default();
        object.push("@level", &Value::from(hclog_level(self.level)));
        object.push("@message", &Value::from(message));
        object.push("@module", &Value::from(MODULE));
        if let Some(timestamp) = self.timestamp {
            object.push("@timestamp", &Value::from(timestamp));
        }
        if let Some(caller) = self.caller {
            object.push("@caller", &Value::from(caller));
        }
        for (name, value) in &self.fields.0 {
            object.push(name, value);
        }
        object.finish()
    }
}

fn hclog_level(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Writes a JSON object key by key, keeping the order of insertion.
#[derive(Default)]
struct JsonObject(String);

impl JsonObject {
    fn push(&mut self, key: &str, value: &Value) {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        // Display of a serde_json Value is its compact JSON form, escapes included.
        self.0.push_str(&Value::from(key).to_string());
        self.0.push(':');
        self.0.push_str(&value.to_string());
    }

    fn finish(mut self) -> String {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push_str("}\n");
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A writer that keeps what was written, shared with the test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<serde_json::Map<String, Value>> {
            let bytes = self.0.lock().unwrap().clone();
            String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect()
        }
    }

    fn capture(level: LevelFilter, log: impl FnOnce()) -> Vec<serde_json::Map<String, Value>> {
        let captured = Captured::default();
        let subscriber =
            tracing_subscriber::registry().with(HclogLayer::new(level, captured.clone()));
        tracing::subscriber::with_default(subscriber, log);
        captured.lines()
    }

    #[test]
    fn level_comes_from_the_most_specific_variable() {
        assert_eq!(
            parse_level(["debug", "error"].into_iter()),
            LevelFilter::DEBUG
        );
        assert_eq!(parse_level(["", "info"].into_iter()), LevelFilter::INFO);
        assert_eq!(
            parse_level(["  ", "", "ERROR"].into_iter()),
            LevelFilter::ERROR
        );
        assert_eq!(parse_level(["Warn"].into_iter()), LevelFilter::WARN);
        assert_eq!(parse_level(["off", "trace"].into_iter()), LevelFilter::OFF);
    }

    #[test]
    fn unknown_levels_and_json_mean_trace_and_unset_means_warn() {
        assert_eq!(parse_level(["JSON"].into_iter()), LevelFilter::TRACE);
        assert_eq!(parse_level(["verbose"].into_iter()), LevelFilter::TRACE);
        assert_eq!(parse_level(std::iter::empty()), LevelFilter::WARN);
    }

    #[test]
    fn event_becomes_an_hclog_object() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::info!(
                attempt = 3,
                ratio = 0.5,
                ok = true,
                name = "a\"b",
                "hello {}",
                "world"
            );
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["@level"], "info");
        assert_eq!(line["@message"], "hello world");
        assert_eq!(line["@module"], "provider");
        assert_eq!(line["attempt"], 3);
        assert_eq!(line["ratio"], 0.5);
        assert_eq!(line["ok"], true);
        assert_eq!(line["name"], "a\"b");
        assert!(line["@caller"].as_str().unwrap().contains("logging.rs:"));
        assert!(!line.contains_key("message"));
    }

    #[test]
    fn timestamp_has_exactly_six_fractional_digits() {
        let lines = capture(LevelFilter::TRACE, || tracing::warn!("tick"));
        let timestamp = lines[0]["@timestamp"].as_str().unwrap();
        // 2006-01-02T15:04:05.000000Z
        assert_eq!(timestamp.len(), 27, "{timestamp}");
        let (seconds, fraction) = timestamp.split_once('.').unwrap();
        assert_eq!(seconds.as_bytes()[10], b'T');
        assert_eq!(fraction.len(), 7);
        assert!(fraction[..6].bytes().all(|b| b.is_ascii_digit()));
        assert!(fraction.ends_with('Z'));
    }

    #[test]
    fn span_fields_are_added_and_event_fields_win() {
        let lines = capture(LevelFilter::TRACE, || {
            let span = tracing::error_span!("rpc", tf_rpc = "PlanResourceChange", shared = 1);
            let _entered = span.enter();
            tracing::debug!(shared = 2, "inside");
        });
        assert_eq!(lines[0]["tf_rpc"], "PlanResourceChange");
        assert_eq!(lines[0]["shared"], 2);
    }

    #[test]
    fn levels_below_the_chosen_one_are_dropped() {
        let lines = capture(LevelFilter::INFO, || {
            tracing::debug!("hidden");
            tracing::info!("shown");
            tracing::error!("shown too");
        });
        let levels: Vec<_> = lines.iter().map(|l| l["@level"].clone()).collect();
        assert_eq!(levels, ["info", "error"]);
        assert!(capture(LevelFilter::OFF, || tracing::error!("no")).is_empty());
    }

    #[test]
    fn dependencies_are_limited_to_warnings() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::trace!(target: "h2::codec", "frame");
            tracing::warn!(target: "h2::codec", "trouble");
            tracing::trace!("ours");
        });
        let messages: Vec<_> = lines.iter().map(|l| l["@message"].clone()).collect();
        assert_eq!(messages, ["trouble", "ours"]);
    }

    #[test]
    fn line_without_fields_is_still_an_object() {
        assert_eq!(JsonObject::default().finish(), "{}\n");
    }

    #[test]
    fn a_failing_writer_does_not_panic() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
        }
        let subscriber =
            tracing_subscriber::registry().with(HclogLayer::new(LevelFilter::TRACE, Closed));
        tracing::subscriber::with_default(subscriber, || tracing::error!("nobody listens"));
    }
}
