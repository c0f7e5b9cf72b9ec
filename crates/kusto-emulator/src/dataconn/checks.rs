//! The data checks Kusto's engine makes after a write was accepted: the event hub, its
//! consumer group, the table, the mapping and whether the mapping's kind reads the data
//! format. Their problems fail the operation (and list as `dataConnectionValidation`
//! results), in the words the engine uses.

use super::model::EventHubProperties;
use super::validation::parse_event_hub_id;
use crate::world::{Cluster, World};

/// The code the live service reports for failed data checks (misspelt as in production).
pub const VALIDATION_FAILED_CODE: &str = "EventHubValidationErorFound";

/// The mapping kinds that can read a data format.
fn mapping_kinds_for(format: &str) -> &'static [&'static str] {
    match format.to_ascii_uppercase().as_str() {
        "JSON" | "MULTIJSON" | "SINGLEJSON" => &["Json"],
        "AVRO" | "APACHEAVRO" => &["Avro", "ApacheAvro"],
        "PARQUET" => &["Parquet"],
        "ORC" => &["Orc"],
        "W3CLOGFILE" => &["W3CLogFile"],
        _ => &["Csv"],
    }
}

/// The data problems Kusto's engine would find, in the words it uses.
pub fn data_problems(
    world: &World,
    cluster: &Cluster,
    database: &str,
    p: &EventHubProperties,
) -> Vec<String> {
    let mut problems = Vec::new();
    match parse_event_hub_id(&p.event_hub_resource_id)
        .ok()
        .and_then(|r| {
            world.event_hub(
                &r.subscription_id,
                &r.resource_group,
                &r.namespace,
                &r.event_hub,
            )
        }) {
        None => problems.push("event hub does not exist".to_owned()),
        Some(hub) if !hub.has_consumer_group(&p.consumer_group) => {
            problems.push("consumer group does not exist".to_owned());
        }
        Some(_) => {}
    }
    let table_name = p.table_name.as_deref().unwrap_or_default();
    if table_name.is_empty() {
        return problems;
    }
    let Some(table) = cluster.database(database).and_then(|d| d.table(table_name)) else {
        problems.push("table does not exist".to_owned());
        return problems;
    };
    let mapping_name = p.mapping_rule_name.as_deref().unwrap_or_default();
    if mapping_name.is_empty() {
        return problems;
    }
    match table.mapping(mapping_name) {
        None => problems.push("mapping does not exist".to_owned()),
        Some(mapping) => {
            let format = p.data_format.as_deref().unwrap_or_default();
            if !format.is_empty()
                && !mapping_kinds_for(format)
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&mapping.kind))
            {
                problems.push(format!(
                    "mapping kind '{}' does not match data format '{format}'",
                    mapping.kind
                ));
            }
        }
    }
    problems
}

/// The operation error for a non-empty problem list.
pub fn problems_message(problems: &[String]) -> String {
    format!(
        "[BadRequest] Validation Errors found: {}",
        problems.join(", ")
    )
}
