//! Declarative schemas: what a provider, resource or data source body may contain.
//!
//! A schema is built once, with a small builder, and drives everything else: the types the
//! codec decodes with, which attributes planning marks unknown, the validators and plan
//! modifiers the framework runs, and the description Terraform shows in
//! `terraform providers schema`. [`Schema::check`] enforces the rules Terraform itself
//! assumes (as terraform-plugin-framework does), because Terraform 1.0 panics on some violations
//! instead of reporting them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use super::codec::to_msgpack;
use super::planmod::{PlanModifier, Validator};
use super::value::{Type, Value};

/// Meta-arguments Terraform reserves in every resource body.
const RESERVED_NAMES: [&str; 7] = [
    "connection",
    "count",
    "depends_on",
    "for_each",
    "lifecycle",
    "provider",
    "provisioner",
];

/// Who sets an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The user must set it.
    Required,
    /// The user may set it; when unset it stays null.
    Optional,
    /// Only the provider sets it.
    Computed,
    /// The user may set it; when unset the provider chooses it.
    OptionalComputed,
}

impl Mode {
    /// Whether the provider may choose the value.
    pub fn is_computed(self) -> bool {
        matches!(self, Self::Computed | Self::OptionalComputed)
    }
}

/// One attribute of a block.
#[derive(Clone)]
pub struct Attribute {
    name: String,
    ty: Type,
    mode: Mode,
    sensitive: bool,
    description: String,
    deprecation: Option<String>,
    validators: Vec<Arc<dyn Validator>>,
    plan_modifiers: Vec<Arc<dyn PlanModifier>>,
    default: Option<Value>,
}

/// The documentation setters and getters, the same on an [`Attribute`] and a [`Block`]:
/// both carry a Markdown `description` and an optional `deprecation` message.
macro_rules! documentation_methods {
    () => {
        /// Markdown description shown in documentation and `terraform providers schema`.
        pub fn description(mut self, markdown: impl Into<String>) -> Self {
            self.description = markdown.into();
            self
        }

        /// Marks it deprecated; setting it in a configuration produces a warning with `message`.
        pub fn deprecated(mut self, message: impl Into<String>) -> Self {
            self.deprecation = Some(message.into());
            self
        }

        /// The Markdown description.
        pub fn description_text(&self) -> &str {
            &self.description
        }

        /// The deprecation message, if deprecated.
        pub fn deprecation(&self) -> Option<&str> {
            self.deprecation.as_deref()
        }
    };
}

/// One [`Attribute`] setter per [`Mode`]: `$setter` gives the attribute mode `$mode`.
macro_rules! mode_setters {
    ($($(#[$doc:meta])* $setter:ident => $mode:ident;)*) => {$(
        $(#[$doc])*
        pub fn $setter(mut self) -> Self {
            self.mode = Mode::$mode;
            self
        }
    )*};
}

impl Attribute {
    /// An optional attribute of type `ty`; change the mode with [`Attribute::required`],
    /// [`Attribute::computed`] or [`Attribute::optional_computed`].
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Self {
            name: name.into(),
            ty,
            mode: Mode::Optional,
            sensitive: false,
            description: String::new(),
            deprecation: None,
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
            default: None,
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, Type::String)
    }

    /// A number attribute.
    pub fn number(name: impl Into<String>) -> Self {
        Self::new(name, Type::Number)
    }

    /// A bool attribute.
    pub fn bool(name: impl Into<String>) -> Self {
        Self::new(name, Type::Bool)
    }

    /// A list-of-strings attribute.
    pub fn list_of_strings(name: impl Into<String>) -> Self {
        Self::new(name, Type::list(Type::String))
    }

    mode_setters! {
        /// The user must set it.
        required => Required;
        /// The user may set it (the default).
        optional => Optional;
        /// Only the provider sets it.
        computed => Computed;
        /// The user may set it, otherwise the provider chooses it.
        optional_computed => OptionalComputed;
    }

    documentation_methods!();

    /// Terraform hides the value in plans and output.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Adds a validator, run on known non-null configuration values.
    pub fn validator(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// Adds a plan modifier, run in order while planning.
    pub fn plan_modifier(mut self, modifier: impl PlanModifier + 'static) -> Self {
        self.plan_modifiers.push(Arc::new(modifier));
        self
    }

    /// The value planned when the configuration leaves the attribute null, before any
    /// plan modifier runs: a drift away from it shows in the plan, and apply sets it back.
    /// Only an Optional+Computed attribute may have one (Terraform rejects a
    /// provider-chosen value for a plain Optional attribute); checked by [`Schema::check`].
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
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

    /// Who sets it.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether Terraform hides it.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// The validators, in order.
    pub fn validators(&self) -> &[Arc<dyn Validator>] {
        &self.validators
    }

    /// The plan modifiers, in order.
    pub fn plan_modifiers(&self) -> &[Arc<dyn PlanModifier>] {
        &self.plan_modifiers
    }

    /// The default value, if it has one.
    pub fn default_value(&self) -> Option<&Value> {
        self.default.as_ref()
    }
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("mode", &self.mode)
            .field("sensitive", &self.sensitive)
            .field("validators", &self.validators.len())
            .field("plan_modifiers", &self.plan_modifiers.len())
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; absent = null.
    Single,
    /// Exactly one block; absent = all attributes null.
    Group,
    /// An ordered list of blocks (`max_items` 0 = unlimited).
    List {
        /// Minimum number of blocks.
        min_items: u32,
        /// Maximum number of blocks; 0 = unlimited.
        max_items: u32,
    },
    /// An unordered set of blocks (`max_items` 0 = unlimited).
    Set {
        /// Minimum number of blocks.
        min_items: u32,
        /// Maximum number of blocks; 0 = unlimited.
        max_items: u32,
    },
    /// Blocks with one label each.
    Map,
}

/// A nested block type, such as `timeouts { ... }`.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    name: String,
    nesting: Nesting,
    block: Block,
}

impl NestedBlock {
    /// A block that may appear once.
    pub fn single(name: impl Into<String>, block: Block) -> Self {
        Self::new(name, Nesting::Single, block)
    }

    /// A block that appears any number of times, in order.
    pub fn list(name: impl Into<String>, block: Block) -> Self {
        let nesting = Nesting::List {
            min_items: 0,
            max_items: 0,
        };
        Self::new(name, nesting, block)
    }

    /// A block that appears any number of times, unordered.
    pub fn set(name: impl Into<String>, block: Block) -> Self {
        let nesting = Nesting::Set {
            min_items: 0,
            max_items: 0,
        };
        Self::new(name, nesting, block)
    }

    /// A block with the given nesting.
    pub fn new(name: impl Into<String>, nesting: Nesting, block: Block) -> Self {
        Self {
            name: name.into(),
            nesting,
            block,
        }
    }

    /// The block type name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How it repeats.
    pub fn nesting(&self) -> Nesting {
        self.nesting
    }

    /// The block's contents.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// The cty type of this block's value inside its parent object.
    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            Nesting::Single | Nesting::Group => object,
            Nesting::List { .. } => Type::list(object),
            Nesting::Set { .. } => Type::set(object),
            Nesting::Map => Type::map(object),
        }
    }

    /// The value of this block when the configuration has none of it.
    pub fn absent_value(&self) -> Value {
        match self.nesting {
            Nesting::Single => Value::Null,
            Nesting::Group => self.block.empty_value(),
            Nesting::List { .. } => Value::List(Vec::new()),
            Nesting::Set { .. } => Value::Set(Vec::new()),
            Nesting::Map => Value::Map(BTreeMap::new()),
        }
    }
}

/// The body of a resource, data source, provider or nested block.
#[derive(Debug, Clone, Default)]
pub struct Block {
    attributes: Vec<Attribute>,
    blocks: Vec<NestedBlock>,
    description: String,
    deprecation: Option<String>,
}

impl Block {
    /// An empty block.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an attribute.
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a nested block type.
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    documentation_methods!();

    /// The attributes, in declaration order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// The nested block types, in declaration order.
    pub fn blocks(&self) -> &[NestedBlock] {
        &self.blocks
    }

    /// The attribute called `name`.
    pub fn attribute_named(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The cty object type of this block's value.
    pub fn value_type(&self) -> Type {
        let attributes = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()));
        let blocks = self.blocks.iter().map(|b| (b.name.clone(), b.value_type()));
        Type::Object(attributes.chain(blocks).collect())
    }

    /// An object with every attribute null and every nested block absent: the starting
    /// point of an imported state.
    pub fn empty_value(&self) -> Value {
        let attributes = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null));
        let blocks = self
            .blocks
            .iter()
            .map(|b| (b.name.clone(), b.absent_value()));
        Value::Object(attributes.chain(blocks).collect())
    }

    /// Replaces null list, set, map and group blocks by their absent value, which
    /// Terraform requires ("must be empty to indicate no blocks, not null").
    pub fn normalize(&self, value: Value) -> Value {
        let Value::Object(mut attrs) = value else {
            return value;
        };
        for nested in &self.blocks {
            let current = attrs.remove(&nested.name).unwrap_or(Value::Null);
            let normalized = match (nested.nesting, current) {
                (Nesting::Single, Value::Null) => Value::Null,
                (_, Value::Null) => nested.absent_value(),
                (Nesting::Single | Nesting::Group, object) => nested.block.normalize(object),
                (Nesting::List { .. }, Value::List(items)) => Value::List(
                    items
                        .into_iter()
                        .map(|i| nested.block.normalize(i))
                        .collect(),
                ),
                (Nesting::Set { .. }, Value::Set(items)) => {
                    Value::set_of(items.into_iter().map(|i| nested.block.normalize(i)))
                }
                (Nesting::Map, Value::Map(items)) => Value::Map(
                    items
                        .into_iter()
                        .map(|(k, i)| (k, nested.block.normalize(i)))
                        .collect(),
                ),
                (_, other) => other,
            };
            attrs.insert(nested.name.clone(), normalized);
        }
        Value::Object(attrs)
    }

    fn check(&self, at: &str, problems: &mut Vec<String>) {
        let mut seen = BTreeSet::new();
        let names = self
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .chain(self.blocks.iter().map(|b| b.name.as_str()));
        for name in names {
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                problems.push(format!("{at}{name:?}: names must match ^[a-z0-9_]+$"));
            }
            if !seen.insert(name) {
                problems.push(format!("{at}{name}: declared more than once"));
            }
        }
        for attribute in &self.attributes {
            for modifier in &attribute.plan_modifiers {
                if modifier.needs_computed() && !attribute.mode.is_computed() {
                    problems.push(format!(
                        "{at}{}: plan modifier {:?} needs a computed attribute",
                        attribute.name,
                        modifier.description()
                    ));
                }
            }
            if let Some(default) = &attribute.default {
                if attribute.mode != Mode::OptionalComputed {
                    problems.push(format!(
                        "{at}{}: a default needs an Optional+Computed attribute",
                        attribute.name
                    ));
                }
                if !default.is_wholly_known() || to_msgpack(default, &attribute.ty).is_err() {
                    problems.push(format!(
                        "{at}{}: the default {default:?} is not a known value of its type",
                        attribute.name
                    ));
                }
            }
            for validator in &attribute.validators {
                if let Err(problem) = validator.check() {
                    problems.push(format!("{at}{}: {problem}", attribute.name));
                }
            }
        }
        for nested in &self.blocks {
            match nested.nesting {
                Nesting::List {
                    min_items,
                    max_items,
                }
                | Nesting::Set {
                    min_items,
                    max_items,
                } if max_items != 0 && min_items > max_items => problems.push(format!(
                    "{at}{}: min_items {min_items} exceeds max_items {max_items}",
                    nested.name
                )),
                _ => {}
            }
            nested
                .block
                .check(&format!("{at}{}.", nested.name), problems);
        }
    }
}

/// A versioned schema: a block plus the state schema version that drives state upgrades.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    version: i64,
    block: Block,
}

/// A schema that breaks the rules Terraform assumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// One line per problem, naming the attribute.
    pub problems: Vec<String>,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid schema: {}", self.problems.join("; "))
    }
}

impl std::error::Error for SchemaError {}

impl Schema {
    /// An empty schema at state version `version` (start at 0; bump on breaking changes
    /// to the state's shape).
    pub fn new(version: i64) -> Self {
        Self {
            version,
            block: Block::new(),
        }
    }

    /// Markdown description of the whole body.
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.block = self.block.description(markdown);
        self
    }

    /// Adds an attribute to the body.
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.block = self.block.attribute(attribute);
        self
    }

    /// Adds a nested block type to the body.
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.block = self.block.block(block);
        self
    }

    /// The state schema version.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The body.
    pub fn body(&self) -> &Block {
        &self.block
    }

    /// The cty type of the body's value.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    /// Checks the rules Terraform relies on: names, uniqueness, block item counts, and
    /// each validator's own configuration (such as a regular expression that compiles).
    pub fn check(&self) -> Result<(), SchemaError> {
        let mut problems = Vec::new();
        if self.version < 0 {
            problems.push(format!("version {} is negative", self.version));
        }
        self.block.check("", &mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SchemaError { problems })
        }
    }

    /// [`Schema::check`] plus the meta-argument names a resource body cannot use.
    pub fn check_resource(&self) -> Result<(), SchemaError> {
        let mut problems = self.check().err().map(|e| e.problems).unwrap_or_default();
        for attribute in &self.block.attributes {
            if RESERVED_NAMES.contains(&attribute.name.as_str()) {
                problems.push(format!("{}: reserved by Terraform", attribute.name));
            }
        }
        for nested in &self.block.blocks {
            if RESERVED_NAMES.contains(&nested.name.as_str()) {
                problems.push(format!("{}: reserved by Terraform", nested.name));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SchemaError { problems })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planmod::{Matches, UseStateForUnknown};

    fn sample() -> Schema {
        Schema::new(1)
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::list_of_strings("tags"))
            .block(NestedBlock::single(
                "timeouts",
                Block::new().attribute(Attribute::string("create")),
            ))
            .block(NestedBlock::list(
                "rule",
                Block::new().attribute(Attribute::bool("on").required()),
            ))
    }

    #[test]
    fn derives_the_object_type() {
        let json = sample().value_type().to_json().to_string();
        assert_eq!(
            json,
            r#"["object",{"id":"string","rule":["list",["object",{"on":"bool"}]],"tags":["list","string"],"timeouts":["object",{"create":"string"}]}]"#
        );
    }

    #[test]
    fn empty_value_has_every_key() {
        let empty = sample().body().empty_value();
        assert!(empty.is_null_attr("id"));
        assert!(empty.is_null_attr("timeouts"));
        assert_eq!(empty.attr("rule"), &Value::List(vec![]));
    }

    #[test]
    fn normalize_turns_null_blocks_into_empty_collections() {
        let schema = sample();
        let value = Value::Object(BTreeMap::from([
            ("id".to_owned(), Value::Null),
            ("rule".to_owned(), Value::Null),
        ]));
        let normalized = schema.body().normalize(value);
        assert_eq!(normalized.attr("rule"), &Value::List(vec![]));
        assert!(normalized.is_null_attr("timeouts"));
    }

    #[test]
    fn check_reports_rule_violations() {
        assert_eq!(sample().check(), Ok(()));
        let bad = Schema::new(0)
            .attribute(Attribute::string("Name"))
            .attribute(Attribute::string("x").plan_modifier(UseStateForUnknown))
            .attribute(Attribute::string("plain").default("a"))
            .attribute(Attribute::number("size").optional_computed().default("big"))
            .attribute(Attribute::string("count").validator(Matches::new("(", "anything")))
            .block(NestedBlock::single("x", Block::new()))
            .block(NestedBlock::new(
                "b",
                Nesting::List {
                    min_items: 2,
                    max_items: 1,
                },
                Block::new(),
            ));
        let problems = bad.check_resource().unwrap_err().problems;
        assert_eq!(problems.len(), 8, "{problems:#?}");
        assert!(
            problems
                .iter()
                .any(|p| p == "plain: a default needs an Optional+Computed attribute")
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("size: the default") && p.contains("not a known value"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("needs a computed attribute"))
        );
        assert!(problems.iter().any(|p| p.contains("Name")));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("x: declared more than once"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("count: ") && p.contains("regex"))
        );
        assert!(problems.iter().any(|p| p.contains("min_items")));
        assert!(problems.iter().any(|p| p == "count: reserved by Terraform"));
    }
}
