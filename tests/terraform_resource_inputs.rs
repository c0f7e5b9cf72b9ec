//! `kusto_eventhub_data_connection` and untidy input: values with control characters or
//! whitespace at either end (a name read with `file()` ends with a newline), explicit `null`s,
//! values too long, and characters outside ASCII where Azure's names are ASCII. Each stops at
//! `terraform validate` with the argument's line quoted, before any request reaches Azure.

use serde_json::{Value, json};
use test_support::terraform::scenario::*;

#[test]
fn untidy_values_and_nulls_stop_at_validate_naming_the_argument() {
    let scenario = Scenario::new();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("name", json!("dc-input\n"), "trimspace(file(...))"),
        ("name", json!("dc\tinput"), "control characters"),
        ("name", json!("dc-input "), "start or end with whitespace"),
        ("name", json!(" dc-input"), "start or end with whitespace"),
        ("name", json!("d".repeat(41)), "1 to 40 characters long"),
        ("name", json!("connéction"), "contains 'é'"),
        ("name", json!("dc-🚀"), "contains '🚀'"),
        // HCL normalises strings to NFC: the combining accent reaches the provider as 'é'.
        ("name", json!("dc-e\u{301}"), "contains 'é'"),
        (
            "resource_group_name",
            json!("rg-demo\n"),
            "control characters",
        ),
        ("cluster_name", json!("democluster\t"), "control characters"),
        ("database_name", json!("demodb\n"), "control characters"),
        ("consumer_group", json!("kusto\r\n"), "control characters"),
        ("table_name", json!("Events\t"), "control characters"),
        ("mapping_rule_name", json!(" events_json"), "whitespace"),
        ("location", json!("West Europe\n"), "control characters"),
        (
            "eventhub_id",
            json!(format!("{}\n", eventhub_id())),
            "control characters",
        ),
        (
            "identity_id",
            json!(format!("{} ", cluster_id())),
            "whitespace",
        ),
        (
            "event_system_properties",
            json!(["x-opt-offset", null]),
            "event_system_properties[1] is null",
        ),
        (
            "event_system_properties",
            json!(["x-opt-offset\n"]),
            "control characters",
        ),
        ("name", Value::Null, "is required, but its value is null"),
        (
            "consumer_group",
            Value::Null,
            "is required, but its value is null",
        ),
    ];
    for (argument, value, fragment) in cases {
        let case = line(argument, &value);
        let run = scenario.assert_refused_offline(
            &connection("test", "dc-input", &[(argument, value.clone())]),
            &VALIDATE,
            &format!("{case:?}: validation"),
        );
        run.assert_stderr_contains(&case, "the error does not quote the argument's line");
        let errors = run.stderr.matches("Error: ").count();
        assert_eq!(
            errors,
            1,
            "{case:?}: not exactly one error:\n{}",
            run.output()
        );
        run.assert_stderr_contains(fragment, &format!("{case:?}: the error"));
    }
}

/// A name with spaces inside is a valid name (Microsoft's rule for data connections:
/// "Alphanumerics, hyphens, spaces, and periods"): it validates.
#[test]
fn a_name_with_inner_spaces_validates() {
    let scenario = Scenario::new();
    scenario.write(&connection("test", "dc with spaces.v2", &[]));
    scenario.workspace.terraform(&VALIDATE).success();
    assert!(scenario.emulator.requests().is_empty());
}
