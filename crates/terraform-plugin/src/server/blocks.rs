//! Walking the elements of a nested block value (a single object, a list, a set or a map),
//! shared by planning, validation and data source reads.

use crate::path::{AttributePath, PathStep};
use crate::schema::Nesting;
use crate::value::Value;

/// Elements of a nested block value, paired with their path.
pub(super) fn block_elements<'a>(
    nesting: Nesting,
    value: &'a mut Value,
    path: &AttributePath,
) -> Vec<(AttributePath, Option<PathStep>, &'a mut Value)> {
    match (nesting, value) {
        (Nesting::Single | Nesting::Group, object @ Value::Object(_)) => {
            vec![(path.clone(), None, object)]
        }
        (Nesting::List { .. }, Value::List(items)) => items
            .iter_mut()
            .enumerate()
            .map(|(i, item)| (path.clone().index(i), Some(PathStep::Index(i as i64)), item))
            .collect(),
        // Set elements cannot be addressed: they are matched to config and prior elements
        // by position and reported at the set's path.
        (Nesting::Set { .. }, Value::Set(items)) => items
            .iter_mut()
            .enumerate()
            .map(|(i, item)| (path.clone(), Some(PathStep::Index(i as i64)), item))
            .collect(),
        (Nesting::Map, Value::Map(items)) => items
            .iter_mut()
            .map(|(key, item)| {
                (
                    path.clone().key(key.clone()),
                    Some(PathStep::Key(key.clone())),
                    item,
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The element of a nested block value (from config or prior state) matching `step`.
pub(super) fn matching<'a>(value: &'a Value, step: &Option<PathStep>) -> &'a Value {
    static NULL: Value = Value::Null;
    match (value, step) {
        (_, None) => value,
        (Value::List(items) | Value::Set(items), Some(PathStep::Index(i))) => usize::try_from(*i)
            .ok()
            .and_then(|i| items.get(i))
            .unwrap_or(&NULL),
        (Value::Map(items), Some(PathStep::Key(key))) => items.get(key).unwrap_or(&NULL),
        _ => &NULL,
    }
}

/// Elements of a nested block value in configuration, paired with their path (set
/// elements cannot be addressed, so they carry the set's path).
pub(super) fn config_elements<'a>(
    nesting: Nesting,
    value: &'a Value,
    path: &AttributePath,
) -> Vec<(AttributePath, &'a Value)> {
    match (nesting, value) {
        (Nesting::Single | Nesting::Group, object @ Value::Object(_)) => {
            vec![(path.clone(), object)]
        }
        (Nesting::List { .. }, Value::List(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (path.clone().index(i), item))
            .collect(),
        (Nesting::Set { .. }, Value::Set(items)) => {
            items.iter().map(|item| (path.clone(), item)).collect()
        }
        (Nesting::Map, Value::Map(items)) => items
            .iter()
            .map(|(key, item)| (path.clone().key(key.clone()), item))
            .collect(),
        _ => Vec::new(),
    }
}
