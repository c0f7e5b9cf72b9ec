//! Resource identity (Terraform 1.12, protocol 6.9): a small object of known values that
//! names one remote object, stored by Terraform beside the state and used by
//! `import { identity = {...} }` blocks instead of an import id.
//!
//! A resource declares its [`IdentitySchema`] and says how its identity follows from a state
//! ([`Resource::identity`](crate::resource::Resource::identity)); the framework does the
//! rest in one place (`server::identity`): it fills the identity into every read, plan, apply,
//! import and move answer, and holds it to the rules Terraform and its Go framework enforce.
//! An identity sent to Terraform is whole ([`IdentitySchema::complete`]: every attribute of
//! its type, every value known, every attribute required for import set), and never changes
//! once Terraform stores it.

use std::collections::{BTreeMap, BTreeSet};

use super::codec;
use super::schema::SchemaError;
use super::value::{Type, Value};

/// One attribute of an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityAttribute {
    name: String,
    ty: Type,
    required_for_import: bool,
    description: String,
}

impl IdentityAttribute {
    /// An attribute of type `ty` that an `import` block must give.
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Self {
            name: name.into(),
            ty,
            required_for_import: true,
            description: String::new(),
        }
    }

    /// A string attribute that an `import` block must give.
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, Type::String)
    }

    /// An `import` block may leave it out: the resource finds it from the rest.
    pub fn optional_for_import(mut self) -> Self {
        self.required_for_import = false;
        self
    }

    /// Markdown description shown in documentation and `terraform providers schema`.
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }

    /// The attribute name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The attribute type.
    pub fn ty(&self) -> &Type {
        &self.ty
    }

    /// Whether an `import` block must give it.
    pub fn is_required_for_import(&self) -> bool {
        self.required_for_import
    }

    /// The Markdown description.
    pub fn description_text(&self) -> &str {
        &self.description
    }
}

/// A resource's identity: its attributes and a version that Terraform stores with every
/// identity, so that a later release can upgrade identities of an older shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentitySchema {
    version: i64,
    attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// An identity without attributes at `version` (start at 0, as Terraform records
    /// states written before the resource had an identity; bump it when the shape changes).
    pub fn new(version: i64) -> Self {
        Self {
            version,
            attributes: Vec::new(),
        }
    }

    /// Adds an attribute.
    pub fn attribute(mut self, attribute: IdentityAttribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// The identity schema version.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The attributes, in declaration order.
    pub fn attributes(&self) -> &[IdentityAttribute] {
        &self.attributes
    }

    /// The cty type of an identity.
    pub fn value_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect(),
        )
    }

    /// Checks the rules Terraform relies on: at least one attribute, names as in any schema
    /// and declared once, types that compare by value (primitives and lists of them), and
    /// a version that is not negative.
    pub fn check(&self) -> Result<(), SchemaError> {
        let mut problems = Vec::new();
        if self.version < 0 {
            problems.push(format!("identity version {} is negative", self.version));
        }
        if self.attributes.is_empty() {
            problems.push("an identity needs at least one attribute".to_owned());
        }
        let mut seen = BTreeSet::new();
        for attribute in &self.attributes {
            let name = attribute.name.as_str();
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                problems.push(format!("identity {name:?}: names must match ^[a-z0-9_]+$"));
            }
            if !seen.insert(name) {
                problems.push(format!("identity {name}: declared more than once"));
            }
            let primitive = |ty: &Type| matches!(ty, Type::String | Type::Number | Type::Bool);
            let comparable = match &attribute.ty {
                Type::List(element) => primitive(element),
                ty => primitive(ty),
            };
            if !comparable {
                problems.push(format!(
                    "identity {name}: type {} is not a primitive or a list of primitives",
                    attribute.ty.to_json()
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SchemaError { problems })
        }
    }

    /// The identity the state attributes of the same names hold: what
    /// [`Resource::identity`](crate::resource::Resource::identity) returns by default.
    pub fn from_state(&self, state: &Value) -> Value {
        Value::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), state.attr(&a.name).clone()))
                .collect(),
        )
    }

    /// `identity` as a whole identity of this schema, with exactly its attributes, or why it
    /// is not one: not an object, an attribute the schema lacks, a value of the wrong type
    /// or unknown, or an attribute required for import left null.
    pub fn complete(&self, identity: Value) -> Result<Value, String> {
        let Value::Object(mut given) = identity else {
            return Err(if identity.is_null() {
                "there is no identity".to_owned()
            } else {
                "the identity is not an object".to_owned()
            });
        };
        let mut whole = BTreeMap::new();
        let mut problems = Vec::new();
        for attribute in &self.attributes {
            let value = given.remove(&attribute.name).unwrap_or_default();
            if !value.is_wholly_known() {
                problems.push(format!("{} is unknown", attribute.name));
            } else if value.is_null() && attribute.required_for_import {
                problems.push(format!("{} is null", attribute.name));
            } else if let Err(error) = codec::to_msgpack(&value, &attribute.ty) {
                problems.push(format!("{}: {error}", attribute.name));
            }
            whole.insert(attribute.name.clone(), value);
        }
        problems.extend(given.keys().map(|name| format!("{name} is not declared")));
        if problems.is_empty() {
            Ok(Value::Object(whole))
        } else {
            Err(problems.join(", "))
        }
    }
}

/// An identity as a person reads it in a diagnostic: `{name = "w1", size = 3}`.
pub(crate) fn describe(identity: &Value) -> String {
    match identity {
        Value::Null => "null".to_owned(),
        Value::Unknown => "(unknown)".to_owned(),
        Value::String(text) => format!("{text:?}"),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            let items: Vec<String> = items.iter().map(describe).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(attributes) | Value::Object(attributes) => {
            let attributes: Vec<String> = attributes
                .iter()
                .map(|(name, value)| format!("{name} = {}", describe(value)))
                .collect();
            format!("{{{}}}", attributes.join(", "))
        }
        Value::Dynamic(_, inner) => describe(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::object;

    fn schema() -> IdentitySchema {
        IdentitySchema::new(1)
            .attribute(IdentityAttribute::string("name").description("The name."))
            .attribute(IdentityAttribute::new("zone", Type::Number).optional_for_import())
    }

    #[test]
    fn the_type_is_an_object_of_the_attributes() {
        assert_eq!(
            schema().value_type().to_json().to_string(),
            r#"["object",{"name":"string","zone":"number"}]"#
        );
        let schema = schema();
        let [name, zone] = schema.attributes() else {
            panic!("two attributes");
        };
        assert!(name.is_required_for_import());
        assert_eq!(name.description_text(), "The name.");
        assert!(!zone.is_required_for_import());
    }

    #[test]
    fn check_refuses_what_terraform_cannot_compare_or_name() {
        assert_eq!(schema().check(), Ok(()));
        let problems = IdentitySchema::new(-1)
            .attribute(IdentityAttribute::string("Name"))
            .attribute(IdentityAttribute::string("a"))
            .attribute(IdentityAttribute::string("a"))
            .attribute(IdentityAttribute::new("m", Type::map(Type::String)))
            .attribute(IdentityAttribute::new("l", Type::list(Type::String)))
            .check()
            .unwrap_err()
            .problems;
        assert_eq!(
            problems,
            [
                "identity version -1 is negative",
                r#"identity "Name": names must match ^[a-z0-9_]+$"#,
                "identity a: declared more than once",
                r#"identity m: type ["map","string"] is not a primitive or a list of primitives"#,
            ]
        );
        assert!(IdentitySchema::new(0).check().is_err(), "no attributes");
    }

    #[test]
    fn a_complete_identity_has_every_attribute_known_and_the_required_ones_set() {
        let whole = schema().complete(object(&[("name", "w1".into())])).unwrap();
        assert_eq!(
            whole,
            object(&[("name", "w1".into()), ("zone", Value::Null)]),
            "an optional attribute may be null, and is filled in"
        );
        let problem = |identity: Value| schema().complete(identity).unwrap_err();
        assert_eq!(problem(Value::Null), "there is no identity");
        assert_eq!(problem("w1".into()), "the identity is not an object");
        assert_eq!(
            problem(object(&[("name", Value::Unknown), ("extra", "x".into())])),
            "name is unknown, extra is not declared"
        );
        assert_eq!(problem(object(&[("zone", 3i64.into())])), "name is null");
        assert_eq!(
            problem(object(&[("name", "w1".into()), ("zone", "x".into())])),
            r#"zone: expected "number""#
        );
    }

    #[test]
    fn the_default_identity_is_the_state_attributes_of_the_same_names() {
        let state = object(&[
            ("name", "w1".into()),
            ("zone", 2i64.into()),
            ("x", true.into()),
        ]);
        assert_eq!(
            schema().from_state(&state),
            object(&[("name", "w1".into()), ("zone", 2i64.into())])
        );
    }

    #[test]
    fn identities_read_as_terraform_writes_them() {
        let identity = object(&[
            ("name", "w1".into()),
            ("zone", 2i64.into()),
            ("tags", Value::strings(["a"])),
            ("on", Value::Null),
        ]);
        assert_eq!(
            describe(&identity),
            r#"{name = "w1", on = null, tags = ["a"], zone = 2}"#
        );
    }
}
