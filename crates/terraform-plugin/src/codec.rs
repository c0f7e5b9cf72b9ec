//! Wire encodings of [`Value`]: cty's msgpack (every `DynamicValue` Terraform sends and we
//! answer) and cty's JSON (the raw state handed to `UpgradeResourceState`).
//!
//! Both are decoded by walking the schema's [`Type`], because msgpack alone cannot tell a
//! list from a set or a map from an object. Unknowns arrive as any msgpack extension
//! (newer Terraform sends refined unknowns, extension 12, whose refinements we drop) and
//! are always written as the plain unknown `d4 00 00`, so we never promise a refinement.

use std::collections::BTreeMap;
use std::fmt;

use rmpv::Value as Mp;
use serde_json::value::RawValue;

use super::number::Number;
use super::path::AttributePath;
use super::value::{Type, Value};

/// A value that does not fit its type, or bytes that are not a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The bytes are not well-formed msgpack or JSON.
    Malformed(String),
    /// A value does not match the type the schema expects at `path`.
    TypeMismatch {
        /// Where in the value.
        path: AttributePath,
        /// What the schema expects there.
        expected: String,
    },
    /// An object carries an attribute its type does not declare.
    UnsupportedAttribute {
        /// The object's path.
        path: AttributePath,
        /// The undeclared attribute.
        name: String,
    },
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(reason) => write!(f, "malformed value: {reason}"),
            Self::TypeMismatch { path, expected } if path.is_root() => {
                write!(f, "expected {expected}")
            }
            Self::TypeMismatch { path, expected } => write!(f, "{path}: expected {expected}"),
            Self::UnsupportedAttribute { path, name } if path.is_root() => {
                write!(f, "unsupported attribute {name:?}")
            }
            Self::UnsupportedAttribute { path, name } => {
                write!(f, "{path}: unsupported attribute {name:?}")
            }
        }
    }
}

impl std::error::Error for CodecError {}

fn mismatch(path: &AttributePath, ty: &Type) -> CodecError {
    CodecError::TypeMismatch {
        path: path.clone(),
        expected: ty.to_json().to_string(),
    }
}

/// Encodes `value` as cty msgpack of type `ty`. Object attributes the type does not declare
/// are left out; declared ones missing from the value are written as null.
pub fn to_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mp = encode(value, ty, &AttributePath::root())?;
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, &mp).map_err(|e| CodecError::Malformed(e.to_string()))?;
    Ok(bytes)
}

fn encode(value: &Value, ty: &Type, path: &AttributePath) -> Result<Mp, CodecError> {
    Ok(match (value, ty) {
        (Value::Null, _) => Mp::Nil,
        (Value::Unknown, _) => Mp::Ext(0, vec![0]),
        (Value::String(s), Type::String) => Mp::from(s.as_str()),
        (Value::Bool(b), Type::Bool) => Mp::Boolean(*b),
        (Value::Number(n), Type::Number) => match n.to_i64() {
            Some(i) => Mp::from(i),
            None => Mp::from(n.to_string()),
        },
        (Value::List(items), Type::List(element)) | (Value::Set(items), Type::Set(element)) => {
            Mp::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| encode(item, element, &path.clone().index(i)))
                    .collect::<Result<_, _>>()?,
            )
        }
        (Value::Tuple(items), Type::Tuple(types)) if items.len() == types.len() => Mp::Array(
            items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (item, ty))| encode(item, ty, &path.clone().index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (Value::Map(items), Type::Map(element)) => Mp::Map(
            items
                .iter()
                .map(|(key, item)| {
                    Ok((
                        Mp::from(key.as_str()),
                        encode(item, element, &path.clone().key(key.clone()))?,
                    ))
                })
                .collect::<Result<_, CodecError>>()?,
        ),
        (Value::Object(attrs), Type::Object(types)) => Mp::Map(
            types
                .iter()
                .map(|(name, ty)| {
                    let item = attrs.get(name).unwrap_or(&Value::Null);
                    Ok((
                        Mp::from(name.as_str()),
                        encode(item, ty, &path.clone().attribute(name.clone()))?,
                    ))
                })
                .collect::<Result<_, CodecError>>()?,
        ),
        (Value::Dynamic(concrete, inner), Type::Dynamic) => Mp::Array(vec![
            Mp::Binary(concrete.to_json().to_string().into_bytes()),
            encode(inner, concrete, path)?,
        ]),
        _ => return Err(mismatch(path, ty)),
    })
}

/// Decodes cty msgpack of type `ty`. Empty input is null, as Terraform treats a missing
/// `DynamicValue`.
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mp = rmpv::decode::read_value(&mut &bytes[..])
        .map_err(|e| CodecError::Malformed(e.to_string()))?;
    decode(mp, ty, &AttributePath::root())
}

fn mp_key(key: Mp, path: &AttributePath, ty: &Type) -> Result<String, CodecError> {
    match key {
        Mp::String(s) => s.into_str().ok_or_else(|| mismatch(path, ty)),
        _ => Err(mismatch(path, ty)),
    }
}

fn decode(mp: Mp, ty: &Type, path: &AttributePath) -> Result<Value, CodecError> {
    Ok(match (mp, ty) {
        (Mp::Nil, _) => Value::Null,
        (Mp::Ext(..), _) => Value::Unknown,
        (Mp::String(s), Type::String) => {
            Value::String(s.into_str().ok_or_else(|| mismatch(path, ty))?)
        }
        (Mp::Boolean(b), Type::Bool) => Value::Bool(b),
        (Mp::Integer(i), Type::Number) => Value::Number(match (i.as_i64(), i.as_u64()) {
            (Some(i), _) => Number::from(i),
            (None, Some(u)) => Number::from(u),
            (None, None) => return Err(mismatch(path, ty)),
        }),
        (Mp::F64(f), Type::Number) => {
            Value::Number(Number::from_f64(f).ok_or_else(|| mismatch(path, ty))?)
        }
        (Mp::F32(f), Type::Number) => {
            Value::Number(Number::from_f64(f64::from(f)).ok_or_else(|| mismatch(path, ty))?)
        }
        (Mp::String(s), Type::Number) => Value::Number(
            s.as_str()
                .and_then(|text| Number::parse(text).ok())
                .ok_or_else(|| mismatch(path, ty))?,
        ),
        (Mp::Array(items), Type::List(element)) => Value::List(decode_items(items, element, path)?),
        (Mp::Array(items), Type::Set(element)) => {
            Value::set_of(decode_items(items, element, path)?)
        }
        (Mp::Array(items), Type::Tuple(types)) if items.len() == types.len() => Value::Tuple(
            items
                .into_iter()
                .zip(types)
                .enumerate()
                .map(|(i, (item, ty))| decode(item, ty, &path.clone().index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (Mp::Map(entries), Type::Map(element)) => Value::Map(
            entries
                .into_iter()
                .map(|(key, item)| {
                    let key = mp_key(key, path, ty)?;
                    let item = decode(item, element, &path.clone().key(key.clone()))?;
                    Ok((key, item))
                })
                .collect::<Result<_, CodecError>>()?,
        ),
        (Mp::Map(entries), Type::Object(types)) => {
            let mut attrs: BTreeMap<String, Value> = types
                .keys()
                .map(|name| (name.clone(), Value::Null))
                .collect();
            for (key, item) in entries {
                let name = mp_key(key, path, ty)?;
                let Some(attr_ty) = types.get(&name) else {
                    return Err(CodecError::UnsupportedAttribute {
                        path: path.clone(),
                        name,
                    });
                };
                let item = decode(item, attr_ty, &path.clone().attribute(name.clone()))?;
                attrs.insert(name, item);
            }
            Value::Object(attrs)
        }
        (Mp::Array(mut pair), Type::Dynamic) if pair.len() == 2 => {
            let inner = pair.pop().unwrap_or(Mp::Nil);
            let type_json = match pair.pop() {
                Some(Mp::Binary(bytes)) => bytes,
                Some(Mp::String(s)) => s.into_bytes(),
                _ => return Err(mismatch(path, ty)),
            };
            let concrete = serde_json::from_slice(&type_json)
                .ok()
                .and_then(|json| Type::from_json(&json))
                .ok_or_else(|| mismatch(path, ty))?;
            match decode(inner, &concrete, path)? {
                Value::Null => Value::Null,
                Value::Unknown => Value::Unknown,
                known => Value::Dynamic(concrete, Box::new(known)),
            }
        }
        _ => return Err(mismatch(path, ty)),
    })
}

fn decode_items(
    items: Vec<Mp>,
    element: &Type,
    path: &AttributePath,
) -> Result<Vec<Value>, CodecError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| decode(item, element, &path.clone().index(i)))
        .collect()
}

/// Decodes cty JSON of type `ty`, as found in a state file. Object attributes missing from
/// the JSON are null and attributes the type does not declare are dropped, so a state
/// written by an older schema of the same version still loads. Numbers keep their exact
/// decimal text.
pub fn from_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let text = std::str::from_utf8(bytes).map_err(|e| CodecError::Malformed(e.to_string()))?;
    let raw: &RawValue =
        serde_json::from_str(text).map_err(|e| CodecError::Malformed(e.to_string()))?;
    decode_json(raw, ty, &AttributePath::root())
}

fn parse_raw<'a, T: serde::Deserialize<'a>>(
    raw: &'a RawValue,
    path: &AttributePath,
    ty: &Type,
) -> Result<T, CodecError> {
    serde_json::from_str(raw.get()).map_err(|_| mismatch(path, ty))
}

fn decode_json(raw: &RawValue, ty: &Type, path: &AttributePath) -> Result<Value, CodecError> {
    let text = raw.get();
    if text == "null" {
        return Ok(Value::Null);
    }
    let first = text.as_bytes().first().copied().unwrap_or(b' ');
    let is_number_text = first == b'-' || first.is_ascii_digit();
    Ok(match ty {
        Type::String if first == b'"' => Value::String(parse_raw(raw, path, ty)?),
        Type::String if is_number_text || text == "true" || text == "false" => {
            Value::String(text.to_owned())
        }
        Type::Number if is_number_text => {
            Value::Number(Number::parse(text).map_err(|_| mismatch(path, ty))?)
        }
        Type::Number if first == b'"' => {
            let s: String = parse_raw(raw, path, ty)?;
            Value::Number(Number::parse(&s).map_err(|_| mismatch(path, ty))?)
        }
        Type::Bool if text == "true" || text == "false" => Value::Bool(text == "true"),
        Type::Bool if first == b'"' => match parse_raw::<String>(raw, path, ty)?.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(mismatch(path, ty)),
        },
        Type::List(element) => Value::List(json_items(raw, element, path, ty)?),
        Type::Set(element) => Value::set_of(json_items(raw, element, path, ty)?),
        Type::Tuple(types) => {
            let items: Vec<&RawValue> = parse_raw(raw, path, ty)?;
            if items.len() != types.len() {
                return Err(mismatch(path, ty));
            }
            Value::Tuple(
                items
                    .into_iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (item, ty))| decode_json(item, ty, &path.clone().index(i)))
                    .collect::<Result<_, _>>()?,
            )
        }
        Type::Map(element) => {
            let items: BTreeMap<String, &RawValue> = parse_raw(raw, path, ty)?;
            Value::Map(
                items
                    .into_iter()
                    .map(|(key, item)| {
                        let value = decode_json(item, element, &path.clone().key(key.clone()))?;
                        Ok((key, value))
                    })
                    .collect::<Result<_, CodecError>>()?,
            )
        }
        Type::Object(types) => {
            let mut items: BTreeMap<String, &RawValue> = parse_raw(raw, path, ty)?;
            Value::Object(
                types
                    .iter()
                    .map(|(name, attr_ty)| {
                        let value = match items.remove(name) {
                            Some(item) => {
                                decode_json(item, attr_ty, &path.clone().attribute(name.clone()))?
                            }
                            None => Value::Null,
                        };
                        Ok((name.clone(), value))
                    })
                    .collect::<Result<_, CodecError>>()?,
            )
        }
        Type::Dynamic => {
            #[derive(serde::Deserialize)]
            struct Typed<'a> {
                #[serde(rename = "type")]
                ty: serde_json::Value,
                #[serde(borrow)]
                value: &'a RawValue,
            }
            let typed: Typed<'_> = parse_raw(raw, path, ty)?;
            let concrete = Type::from_json(&typed.ty).ok_or_else(|| mismatch(path, ty))?;
            match decode_json(typed.value, &concrete, path)? {
                Value::Null => Value::Null,
                known => Value::Dynamic(concrete, Box::new(known)),
            }
        }
        _ => return Err(mismatch(path, ty)),
    })
}

fn json_items(
    raw: &RawValue,
    element: &Type,
    path: &AttributePath,
    ty: &Type,
) -> Result<Vec<Value>, CodecError> {
    let items: Vec<&RawValue> = parse_raw(raw, path, ty)?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| decode_json(item, element, &path.clone().index(i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::attributes;

    fn obj_type(attrs: &[(&str, Type)]) -> Type {
        Type::Object(attributes(attrs))
    }

    fn obj(attrs: &[(&str, Value)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn round_trip(value: &Value, ty: &Type) {
        let bytes = to_msgpack(value, ty).unwrap();
        assert_eq!(
            &from_msgpack(&bytes, ty).unwrap(),
            value,
            "bytes {bytes:02x?}"
        );
    }

    #[test]
    fn matches_the_protocol_test_vectors() {
        assert_eq!(to_msgpack(&Value::Null, &Type::String).unwrap(), [0xc0]);
        assert_eq!(
            to_msgpack(&Value::Unknown, &Type::String).unwrap(),
            [0xd4, 0, 0]
        );
        let ty = obj_type(&[("a", Type::String), ("b", Type::String)]);
        let value = obj(&[("a", "x".into()), ("b", Value::Null)]);
        let bytes = [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0];
        assert_eq!(to_msgpack(&value, &ty).unwrap(), bytes);
        assert_eq!(from_msgpack(&bytes, &ty).unwrap(), value);
    }

    #[test]
    fn accepts_refined_unknowns() {
        // ext8, length 3, type 12, payload {1: false}: "unknown but not null".
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(
            from_msgpack(&refined, &Type::String).unwrap(),
            Value::Unknown
        );
        let list = Type::list(Type::String);
        let mut bytes = vec![0x92, 0xa1, b'a'];
        bytes.extend_from_slice(&refined);
        assert_eq!(
            from_msgpack(&bytes, &list).unwrap(),
            Value::List(vec!["a".into(), Value::Unknown])
        );
    }

    #[test]
    fn round_trips_nested_values() {
        let inner = obj_type(&[("n", Type::Number), ("flag", Type::Bool)]);
        let ty = obj_type(&[
            ("id", Type::String),
            ("list", Type::list(inner.clone())),
            ("set", Type::set(Type::String)),
            ("map", Type::map(Type::Number)),
            ("tuple", Type::Tuple(vec![Type::String, Type::Bool])),
            ("single", inner.clone()),
            ("any", Type::Dynamic),
        ]);
        let value = obj(&[
            ("id", Value::Unknown),
            (
                "list",
                Value::List(vec![
                    obj(&[
                        ("n", Number::parse("0.1").unwrap().into()),
                        ("flag", Value::Null),
                    ]),
                    obj(&[("n", Value::Unknown), ("flag", true.into())]),
                ]),
            ),
            ("set", Value::set_of(["b".into(), "a".into()])),
            (
                "map",
                Value::Map(BTreeMap::from([
                    ("big".to_owned(), Number::parse("1e40").unwrap().into()),
                    ("neg".to_owned(), (-5i64).into()),
                ])),
            ),
            ("tuple", Value::Tuple(vec!["t".into(), Value::Null])),
            ("single", Value::Null),
            (
                "any",
                Value::Dynamic(
                    Type::list(Type::Bool),
                    Box::new(Value::List(vec![false.into()])),
                ),
            ),
        ]);
        round_trip(&value, &ty);
        round_trip(&Value::Null, &ty);
        round_trip(&Value::List(vec![]), &Type::list(Type::String));
    }

    #[test]
    fn numbers_use_int_or_exact_text() {
        assert_eq!(to_msgpack(&7i64.into(), &Type::Number).unwrap(), [0x07]);
        let text = to_msgpack(&Number::parse("0.1").unwrap().into(), &Type::Number).unwrap();
        assert_eq!(text, [0xa3, b'0', b'.', b'1']);
        // floats and unsigned integers from other encoders decode exactly
        let mut f = Vec::new();
        rmpv::encode::write_value(&mut f, &Mp::F64(0.5)).unwrap();
        assert_eq!(
            from_msgpack(&f, &Type::Number).unwrap(),
            Number::parse("0.5").unwrap().into()
        );
        let mut u = Vec::new();
        rmpv::encode::write_value(&mut u, &Mp::from(u64::MAX)).unwrap();
        assert_eq!(
            from_msgpack(&u, &Type::Number).unwrap(),
            Number::from(u64::MAX).into()
        );
    }

    #[test]
    fn rejects_mismatches_with_a_path() {
        let ty = obj_type(&[("tags", Type::list(Type::String))]);
        let value = obj(&[("tags", Value::List(vec![true.into()]))]);
        let err = to_msgpack(&value, &ty).unwrap_err();
        assert_eq!(err.to_string(), r#"tags[0]: expected "string""#);
        let extra = [0x81, 0xa1, b'z', 0xc0];
        assert!(matches!(
            from_msgpack(&extra, &ty),
            Err(CodecError::UnsupportedAttribute { .. })
        ));
        assert!(matches!(
            from_msgpack(&[0x92, 0xa1], &ty),
            Err(CodecError::Malformed(_))
        ));
        assert_eq!(from_msgpack(&[], &ty).unwrap(), Value::Null);
    }

    #[test]
    fn decodes_raw_state_json() {
        let ty = obj_type(&[
            ("id", Type::String),
            ("count", Type::Number),
            ("tags", Type::set(Type::String)),
            ("added_later", Type::Bool),
            ("any", Type::Dynamic),
        ]);
        let json = br#"{"id":"x","count":123456789012345678901234567890,
            "tags":["b","a"],"removed":1,"any":{"type":"string","value":"v"}}"#;
        let value = from_json(json, &ty).unwrap();
        assert_eq!(value.get_str("id"), Some("x"));
        assert_eq!(
            value.attr("count").as_number().map(ToString::to_string),
            Some("123456789012345678901234567890".to_owned())
        );
        assert_eq!(value.attr("tags"), &Value::set_of(["a".into(), "b".into()]));
        assert!(value.is_null_attr("added_later"));
        assert_eq!(
            value.attr("any"),
            &Value::Dynamic(Type::String, Box::new("v".into()))
        );
        assert!(from_json(br#"{"id":true}"#, &ty).is_ok());
        assert!(from_json(br#"{"count":"abc"}"#, &ty).is_err());
        assert!(from_json(b"{", &ty).is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Types without `dynamic` (the concrete types a dynamic value may carry).
        fn concrete_type() -> impl Strategy<Value = Type> {
            let leaf = prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)];
            leaf.prop_recursive(3, 16, 3, |inner| {
                prop_oneof![
                    inner.clone().prop_map(Type::list),
                    inner.clone().prop_map(Type::set),
                    inner.clone().prop_map(Type::map),
                    proptest::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4)
                        .prop_map(Type::Object),
                    proptest::collection::vec(inner, 0..3).prop_map(Type::Tuple),
                ]
            })
        }

        /// Any type, `dynamic` included at the leaves.
        fn any_type() -> impl Strategy<Value = Type> {
            prop_oneof![
                4 => concrete_type(),
                1 => Just(Type::Dynamic),
                1 => concrete_type().prop_map(|t| Type::Object(
                    [("any".to_owned(), Type::Dynamic), ("t".to_owned(), t)].into()
                )),
            ]
        }

        fn number() -> BoxedStrategy<Number> {
            prop_oneof![
                any::<i64>().prop_map(Number::from),
                any::<u64>().prop_map(Number::from),
                any::<f64>().prop_filter_map("finite", Number::from_f64),
                "-?[0-9]{1,30}(\\.[0-9]{1,30})?(e-?[0-9]{1,19})?"
                    .prop_filter_map("parses", |text| Number::parse(&text).ok()),
            ]
            .boxed()
        }

        /// A known value of type `ty` (nested values may be null or unknown).
        fn known(ty: &Type) -> BoxedStrategy<Value> {
            match ty {
                Type::String => any::<String>().prop_map(Value::String).boxed(),
                Type::Number => number().prop_map(Value::Number).boxed(),
                Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
                Type::List(element) => proptest::collection::vec(value(element), 0..4)
                    .prop_map(Value::List)
                    .boxed(),
                Type::Set(element) => proptest::collection::vec(value(element), 0..4)
                    .prop_map(Value::set_of)
                    .boxed(),
                Type::Map(element) => {
                    proptest::collection::btree_map(".{0,8}", value(element), 0..4)
                        .prop_map(Value::Map)
                        .boxed()
                }
                Type::Object(types) => {
                    let fields: Vec<BoxedStrategy<(String, Value)>> = types
                        .iter()
                        .map(|(name, ty)| {
                            let name = name.clone();
                            value(ty).prop_map(move |v| (name.clone(), v)).boxed()
                        })
                        .collect();
                    fields
                        .prop_map(|fields| Value::Object(fields.into_iter().collect()))
                        .boxed()
                }
                Type::Tuple(types) => {
                    let items: Vec<BoxedStrategy<Value>> = types.iter().map(value).collect();
                    items.prop_map(Value::Tuple).boxed()
                }
                Type::Dynamic => concrete_type()
                    .prop_flat_map(|concrete| {
                        known(&concrete)
                            .prop_map(move |v| Value::Dynamic(concrete.clone(), Box::new(v)))
                    })
                    .boxed(),
            }
        }

        /// Null, unknown or a known value of type `ty`.
        fn value(ty: &Type) -> BoxedStrategy<Value> {
            prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => known(ty)].boxed()
        }

        fn typed_value() -> impl Strategy<Value = (Type, Value)> {
            any_type().prop_flat_map(|ty| {
                let strategy = value(&ty);
                (Just(ty), strategy)
            })
        }

        /// The type of a resource with every kind of attribute.
        fn schema_type() -> Type {
            Type::Object(
                [
                    ("s".to_owned(), Type::String),
                    ("n".to_owned(), Type::Number),
                    ("b".to_owned(), Type::Bool),
                    ("l".to_owned(), Type::list(Type::String)),
                    ("set".to_owned(), Type::set(Type::Number)),
                    ("m".to_owned(), Type::map(Type::Bool)),
                    ("d".to_owned(), Type::Dynamic),
                    (
                        "block".to_owned(),
                        Type::list(Type::Object([("x".to_owned(), Type::String)].into())),
                    ),
                ]
                .into(),
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Generated values of generated types survive msgpack encoding unchanged.
            #[test]
            fn msgpack_round_trips((ty, value) in typed_value()) {
                let bytes = to_msgpack(&value, &ty).expect("a value of its type encodes");
                prop_assert_eq!(from_msgpack(&bytes, &ty), Ok(value));
            }

            /// Arbitrary bytes decode to a value or an error, never a panic; whatever
            /// decodes encodes again.
            #[test]
            fn msgpack_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
                let ty = schema_type();
                if let Ok(value) = from_msgpack(&bytes, &ty) {
                    prop_assert!(to_msgpack(&value, &ty).is_ok());
                }
                let _ = from_msgpack(&bytes, &Type::Dynamic);
            }

            /// Valid msgpack of the wrong shape, truncated or with a byte changed, is an
            /// error or a value, never a panic.
            #[test]
            fn damaged_msgpack_never_panics(
                (ty, value) in typed_value(),
                cut in any::<prop::sample::Index>(),
                flip in any::<(prop::sample::Index, u8)>(),
            ) {
                let bytes = to_msgpack(&value, &ty).expect("encodes");
                let _ = from_msgpack(&bytes[..cut.index(bytes.len() + 1)], &ty);
                let mut changed = bytes.clone();
                if !changed.is_empty() {
                    let at = flip.0.index(changed.len());
                    changed[at] ^= flip.1;
                }
                let _ = from_msgpack(&changed, &ty);
                let _ = from_msgpack(&bytes, &schema_type());
            }

            /// Arbitrary bytes, and arbitrary JSON text, given as a stored state.
            #[test]
            fn json_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
                let _ = from_json(&bytes, &schema_type());
                let _ = from_json(&bytes, &Type::Dynamic);
            }

            #[test]
            fn json_text_decoding_never_panics(
                text in r#"[\[\]{}",:0-9a-z.eE+\- ]{0,64}"#,
                ty in any_type(),
            ) {
                let _ = from_json(text.as_bytes(), &ty);
                let _ = from_json(text.as_bytes(), &schema_type());
            }
        }
    }
}
