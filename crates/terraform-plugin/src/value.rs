//! Terraform values: every cty type, each of which may also be null or unknown.
//!
//! Resource code reads configuration, plan and state through the getters on [`Value`]
//! (`get_str("name")`, `get_strings("tags")`, `is_unknown("id")`) and writes state with
//! [`Value::set`], so it never handles msgpack or JSON. Values carry no type of their own:
//! the schema supplies it when encoding (see `codec`), which is also how Terraform itself
//! tells a list from a set or a map from an object on the wire. Maps and objects are
//! ordered and sets are kept in a canonical order, so equal values encode to equal bytes.

use std::collections::BTreeMap;

use super::number::Number;
use super::path::AttributePath;

/// A Terraform (cty) type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    /// `string`
    String,
    /// `number`
    Number,
    /// `bool`
    Bool,
    /// `list(T)`
    List(Box<Type>),
    /// `set(T)`
    Set(Box<Type>),
    /// `map(T)`
    Map(Box<Type>),
    /// `object({...})`
    Object(BTreeMap<String, Type>),
    /// `tuple([...])`
    Tuple(Vec<Type>),
    /// `any`: the concrete type travels with the value.
    Dynamic,
}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Self {
        Self::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Self {
        Self::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Self {
        Self::Map(Box::new(element))
    }

    /// The type's JSON form, as used in schemas and dynamic values: `"string"`,
    /// `["list","string"]`, `["object",{"a":"bool"}]`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Value as J, json};
        match self {
            Self::String => J::from("string"),
            Self::Number => J::from("number"),
            Self::Bool => J::from("bool"),
            Self::Dynamic => J::from("dynamic"),
            Self::List(t) => json!(["list", t.to_json()]),
            Self::Set(t) => json!(["set", t.to_json()]),
            Self::Map(t) => json!(["map", t.to_json()]),
            Self::Object(attrs) => {
                let attrs: serde_json::Map<String, J> = attrs
                    .iter()
                    .map(|(name, t)| (name.clone(), t.to_json()))
                    .collect();
                json!(["object", attrs])
            }
            Self::Tuple(elements) => {
                json!([
                    "tuple",
                    elements.iter().map(Type::to_json).collect::<Vec<_>>()
                ])
            }
        }
    }

    /// Parses the JSON form produced by [`Type::to_json`].
    pub fn from_json(json: &serde_json::Value) -> Option<Self> {
        use serde_json::Value as J;
        match json {
            J::String(s) => match s.as_str() {
                "string" => Some(Self::String),
                "number" => Some(Self::Number),
                "bool" => Some(Self::Bool),
                "dynamic" => Some(Self::Dynamic),
                _ => None,
            },
            J::Array(parts) => match (parts.first()?.as_str()?, parts.get(1)?, parts.len()) {
                ("list", t, 2) => Some(Self::list(Self::from_json(t)?)),
                ("set", t, 2) => Some(Self::set(Self::from_json(t)?)),
                ("map", t, 2) => Some(Self::map(Self::from_json(t)?)),
                ("object", J::Object(attrs), 2) => attrs
                    .iter()
                    .map(|(name, t)| Some((name.clone(), Self::from_json(t)?)))
                    .collect::<Option<_>>()
                    .map(Self::Object),
                ("tuple", J::Array(elements), 2) => elements
                    .iter()
                    .map(Self::from_json)
                    .collect::<Option<_>>()
                    .map(Self::Tuple),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A Terraform value of some [`Type`]: null, unknown (known only after apply) or known.
///
/// Sets must hold their elements in canonical order: build them with [`Value::set_of`].
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// Absent.
    #[default]
    Null,
    /// Known only after apply.
    Unknown,
    /// A string.
    String(String),
    /// A number.
    Number(Number),
    /// A bool.
    Bool(bool),
    /// A list.
    List(Vec<Value>),
    /// A set, in canonical order without duplicate known elements.
    Set(Vec<Value>),
    /// A map.
    Map(BTreeMap<String, Value>),
    /// An object (also a block's body).
    Object(BTreeMap<String, Value>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A known value of a `dynamic` attribute, with its concrete type.
    Dynamic(Type, Box<Value>),
}

/// Returned by getters for absent attributes.
static NULL: Value = Value::Null;

impl Value {
    /// A set holding `elements` in canonical order, duplicates of wholly known elements
    /// removed (unknown elements may stand for different values, so they all stay).
    pub fn set_of(elements: impl IntoIterator<Item = Value>) -> Self {
        let mut elements: Vec<Value> = elements.into_iter().collect();
        elements.sort();
        elements.dedup_by(|a, b| a == b && a.is_wholly_known());
        Self::Set(elements)
    }

    /// A list of strings.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Self {
        Self::List(items.into_iter().map(|s| Self::String(s.into())).collect())
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// Whether this (the value itself, not its elements) is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown)
    }

    /// Whether this and everything inside it is known.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Self::Unknown => false,
            Self::List(items) | Self::Set(items) | Self::Tuple(items) => {
                items.iter().all(Self::is_wholly_known)
            }
            Self::Map(items) | Self::Object(items) => items.values().all(Self::is_wholly_known),
            Self::Dynamic(_, value) => value.is_wholly_known(),
            _ => true,
        }
    }

    /// Paths of every unknown inside this value, for error messages.
    pub fn unknown_paths(&self) -> Vec<AttributePath> {
        let mut paths = Vec::new();
        self.collect_unknowns(AttributePath::root(), &mut paths);
        paths
    }

    fn collect_unknowns(&self, at: AttributePath, paths: &mut Vec<AttributePath>) {
        match self {
            Self::Unknown => paths.push(at),
            Self::List(items) | Self::Tuple(items) => {
                for (i, item) in items.iter().enumerate() {
                    item.collect_unknowns(at.clone().index(i), paths);
                }
            }
            Self::Set(items) if items.iter().any(|item| !item.is_wholly_known()) => {
                paths.push(at);
            }
            Self::Map(items) => {
                for (key, item) in items {
                    item.collect_unknowns(at.clone().key(key.clone()), paths);
                }
            }
            Self::Object(items) => {
                for (name, item) in items {
                    item.collect_unknowns(at.clone().attribute(name.clone()), paths);
                }
            }
            Self::Dynamic(_, value) => value.collect_unknowns(at, paths),
            _ => {}
        }
    }

    /// This value with every unknown inside it replaced by null.
    pub fn unknowns_to_null(self) -> Self {
        match self {
            Self::Unknown => Self::Null,
            Self::List(items) => {
                Self::List(items.into_iter().map(Self::unknowns_to_null).collect())
            }
            Self::Tuple(items) => {
                Self::Tuple(items.into_iter().map(Self::unknowns_to_null).collect())
            }
            Self::Set(items) => Self::set_of(items.into_iter().map(Self::unknowns_to_null)),
            Self::Map(items) => Self::Map(
                items
                    .into_iter()
                    .map(|(k, v)| (k, v.unknowns_to_null()))
                    .collect(),
            ),
            Self::Object(items) => Self::Object(
                items
                    .into_iter()
                    .map(|(k, v)| (k, v.unknowns_to_null()))
                    .collect(),
            ),
            Self::Dynamic(ty, value) => Self::Dynamic(ty, Box::new(value.unknowns_to_null())),
            known => known,
        }
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Self::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The elements, if this is a known list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Self::List(items) | Self::Set(items) | Self::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The attribute `name` of an object; null when absent or when this is not a known
    /// object.
    pub fn attr(&self, name: &str) -> &Value {
        match self {
            Self::Object(attrs) => attrs.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// The string attribute `name`, if known and not null.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.attr(name).as_str()
    }

    /// The string attribute `name`, owned, if known and not null.
    pub fn get_string(&self, name: &str) -> Option<String> {
        self.get_str(name).map(str::to_owned)
    }

    /// The bool attribute `name`, if known and not null.
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        self.attr(name).as_bool()
    }

    /// The number attribute `name` as an `i64`, if known, not null and an integer in range.
    pub fn get_i64(&self, name: &str) -> Option<i64> {
        self.attr(name).as_number().and_then(Number::to_i64)
    }

    /// The list or set of strings `name`, if it and all its elements are known and not null.
    pub fn get_strings(&self, name: &str) -> Option<Vec<String>> {
        self.attr(name)
            .as_elements()?
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect()
    }

    /// Whether attribute `name` is unknown.
    pub fn is_unknown_attr(&self, name: &str) -> bool {
        self.attr(name).is_unknown()
    }

    /// Whether attribute `name` is null (or absent).
    pub fn is_null_attr(&self, name: &str) -> bool {
        self.attr(name).is_null()
    }

    /// Sets attribute `name` of an object. Has no effect on a value that is not a known
    /// object (a null or unknown block has no attributes to set).
    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        if let Self::Object(attrs) = self {
            attrs.insert(name.to_owned(), value.into());
        }
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Self::String(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::String(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Self::Number(Number::from(value))
    }
}

impl From<Number> for Value {
    fn from(value: Number) -> Self {
        Self::Number(value)
    }
}

/// `None` becomes null.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::object;

    #[test]
    fn getters_read_known_values_only() {
        let v = object(&[
            ("name", "x".into()),
            ("id", Value::Unknown),
            ("n", 3i64.into()),
            ("flag", true.into()),
            ("tags", Value::strings(["a", "b"])),
            ("partial", Value::List(vec!["a".into(), Value::Unknown])),
        ]);
        assert_eq!(v.get_str("name"), Some("x"));
        assert_eq!(v.get_string("id"), None);
        assert!(v.is_unknown_attr("id"));
        assert!(v.is_null_attr("missing"));
        assert_eq!(v.get_i64("n"), Some(3));
        assert_eq!(v.get_bool("flag"), Some(true));
        assert_eq!(
            v.get_strings("tags"),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(v.get_strings("partial"), None);
        assert_eq!(Value::Null.get_str("name"), None);
    }

    #[test]
    fn sets_are_canonical() {
        let a = Value::set_of(["b".into(), "a".into(), "b".into()]);
        let b = Value::set_of(["a".into(), "b".into()]);
        assert_eq!(a, b);
        let unknowns = Value::set_of([Value::Unknown, Value::Unknown]);
        assert_eq!(unknowns.as_elements().map(<[Value]>::len), Some(2));
    }

    #[test]
    fn finds_and_clears_unknowns() {
        let v = object(&[
            ("id", Value::Unknown),
            ("list", Value::List(vec!["a".into(), Value::Unknown])),
        ]);
        assert_eq!(
            v.unknown_paths(),
            vec![
                AttributePath::attr("id"),
                AttributePath::attr("list").index(1)
            ]
        );
        let cleared = v.unknowns_to_null();
        assert!(cleared.is_wholly_known());
        assert!(cleared.is_null_attr("id"));
    }

    #[test]
    fn set_writes_objects_only() {
        let mut v = object(&[]);
        v.set("id", "abc");
        v.set("gone", None::<String>);
        assert_eq!(v.get_str("id"), Some("abc"));
        assert!(v.is_null_attr("gone"));
        let mut null = Value::Null;
        null.set("id", "abc");
        assert_eq!(null, Value::Null);
    }

    #[test]
    fn type_json_round_trips() {
        let ty = Type::Object(BTreeMap::from([
            ("a".to_owned(), Type::list(Type::String)),
            (
                "b".to_owned(),
                Type::Tuple(vec![Type::Bool, Type::map(Type::Number)]),
            ),
            ("c".to_owned(), Type::set(Type::Dynamic)),
        ]));
        let json = ty.to_json();
        assert_eq!(
            json.to_string(),
            r#"["object",{"a":["list","string"],"b":["tuple",["bool",["map","number"]]],"c":["set","dynamic"]}]"#
        );
        assert_eq!(Type::from_json(&json), Some(ty));
        assert_eq!(Type::from_json(&serde_json::json!(["list"])), None);
    }
}
