//! Attribute plan modifiers and validators: small named values declared in the schema and
//! run by the framework, so that resource code states rules instead of re-implementing
//! planning chores.
//!
//! One trait each, over [`Value`] (no per-type copies): a modifier sees the attribute's
//! configuration, prior state and current plan and may change the plan or demand a
//! replacement; a validator sees a known, non-null configuration value and reports
//! diagnostics at its path.

use std::fmt;

use regex::Regex;

use super::diag::{Diagnostics, sentence};
use super::path::AttributePath;
use super::value::Value;

/// What a plan modifier sees.
#[derive(Debug)]
pub struct AttributePlanRequest<'a> {
    /// Where the attribute is.
    pub path: &'a AttributePath,
    /// Its configuration value (may be unknown).
    pub config: &'a Value,
    /// Its prior state value; null when creating.
    pub state: &'a Value,
    /// Whether the resource is being created (no prior state).
    pub creating: bool,
}

/// What a plan modifier may change.
#[derive(Debug)]
pub struct AttributePlanResponse {
    /// The planned value, as left by the framework and earlier modifiers.
    pub plan: Value,
    /// Set to force a replacement of the resource.
    pub requires_replace: bool,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// Adjusts one attribute's planned value.
pub trait PlanModifier: Send + Sync {
    /// What it does, for documentation.
    fn description(&self) -> String;

    /// Adjusts `resp` for the attribute described by `req`.
    fn modify(&self, req: &AttributePlanRequest<'_>, resp: &mut AttributePlanResponse);

    /// Whether the modifier plans values the user did not configure, which Terraform
    /// allows only for computed attributes; checked by
    /// [`Schema::check`](super::schema::Schema::check).
    fn needs_computed(&self) -> bool {
        false
    }

    /// Whether changing the value can replace the resource; the documentation then says
    /// "Changing this forces a new resource."
    fn may_replace(&self) -> bool {
        false
    }
}

impl fmt::Debug for dyn PlanModifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// Changing the attribute replaces the resource (destroy, then create).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequiresReplace;

impl PlanModifier for RequiresReplace {
    fn description(&self) -> String {
        "Changing this value replaces the resource.".to_owned()
    }

    fn modify(&self, req: &AttributePlanRequest<'_>, resp: &mut AttributePlanResponse) {
        if !req.creating && resp.plan != *req.state {
            resp.requires_replace = true;
        }
    }
    fn may_replace(&self) -> bool {
        true
    }
}

/// Like [`RequiresReplace`], except that a new spelling of the same value is no change: a
/// change replaces the resource unless `same(planned, prior)` says both strings name the
/// same thing (a region's display name for its short name, an id in other casing), in
/// which case the plan keeps the prior spelling.
#[derive(Clone, Copy)]
pub struct RequiresReplaceUnlessEquivalent {
    same: fn(&str, &str) -> bool,
}

impl RequiresReplaceUnlessEquivalent {
    /// Replaces unless `same(planned, prior)`.
    pub fn new(same: fn(&str, &str) -> bool) -> Self {
        Self { same }
    }
}

impl fmt::Debug for RequiresReplaceUnlessEquivalent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequiresReplaceUnlessEquivalent")
    }
}

impl PlanModifier for RequiresReplaceUnlessEquivalent {
    fn description(&self) -> String {
        "Changing this value replaces the resource, unless the new value is another spelling of \
         the same one."
            .to_owned()
    }

    /// An equivalent spelling plans the prior value: Terraform accepts a prior value in place
    /// of a configured one as "functionally equivalent", so the plan shows no change.
    fn modify(&self, req: &AttributePlanRequest<'_>, resp: &mut AttributePlanResponse) {
        if req.creating || resp.plan == *req.state {
            return;
        }
        let equivalent = match (resp.plan.as_str(), req.state.as_str()) {
            (Some(planned), Some(prior)) => (self.same)(planned, prior),
            _ => false,
        };
        if equivalent {
            resp.plan = req.state.clone();
        } else {
            resp.requires_replace = true;
        }
    }

    fn may_replace(&self) -> bool {
        true
    }
}

/// Keeps the prior state's value instead of "known after apply" when the attribute is not
/// configured: for computed values that never change after creation, such as `id`.
#[derive(Debug, Clone, Copy, Default)]
pub struct UseStateForUnknown;

impl PlanModifier for UseStateForUnknown {
    fn description(&self) -> String {
        "Once set, the value stays the same unless the resource is replaced.".to_owned()
    }

    fn modify(&self, req: &AttributePlanRequest<'_>, resp: &mut AttributePlanResponse) {
        if req.state.is_null() || !resp.plan.is_unknown() || req.config.is_unknown() {
            return;
        }
        resp.plan = req.state.clone();
    }

    fn needs_computed(&self) -> bool {
        true
    }
}

/// For an optional and computed value the remote API chooses once: when the configuration
/// leaves it unset, an update keeps the prior value (even null) instead of "known after
/// apply".
#[derive(Debug, Clone, Copy, Default)]
pub struct KeepStateWhenUnset;

impl PlanModifier for KeepStateWhenUnset {
    fn description(&self) -> String {
        "When not configured, keeps the value chosen when the resource was created.".to_owned()
    }

    fn modify(&self, req: &AttributePlanRequest<'_>, resp: &mut AttributePlanResponse) {
        if !req.creating && req.config.is_null() && resp.plan.is_unknown() {
            resp.plan = req.state.clone();
        }
    }

    fn needs_computed(&self) -> bool {
        true
    }
}

/// Checks a configuration value.
pub trait Validator: Send + Sync {
    /// The rule, for documentation and messages.
    fn description(&self) -> String;

    /// Reports problems with `value` (known and not null; elements may be unknown) at `path`.
    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics);

    /// Reports a problem with the validator's own configuration; run by
    /// [`Schema::check`](super::schema::Schema::check).
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

impl fmt::Debug for dyn Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

const INVALID_VALUE: &str = "Invalid Attribute Value";

fn invalid(diags: &mut Diagnostics, path: &AttributePath, detail: String) {
    diags.add_attribute_error(path.clone(), INVALID_VALUE, detail);
}

/// The string must be one of a fixed set (case-sensitive).
#[derive(Debug, Clone)]
pub struct OneOf {
    allowed: Vec<String>,
}

impl OneOf {
    /// Allows exactly `allowed`.
    pub fn new<S: Into<String>>(allowed: impl IntoIterator<Item = S>) -> Self {
        Self {
            allowed: allowed.into_iter().map(Into::into).collect(),
        }
    }

    fn listed(&self) -> String {
        let quoted: Vec<String> = self.allowed.iter().map(|a| format!("{a:?}")).collect();
        quoted.join(", ")
    }
}

impl Validator for OneOf {
    fn description(&self) -> String {
        format!("value must be one of: {}", self.listed())
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str()
            && !self.allowed.iter().any(|a| a == s)
        {
            invalid(
                diags,
                path,
                format!(
                    "Attribute {path} value must be one of: {}, got: {s:?}",
                    self.listed()
                ),
            );
        }
    }
}

/// The string must match a regular expression.
#[derive(Debug, Clone)]
pub struct Matches {
    pattern: String,
    regex: Option<Regex>,
    explanation: String,
}

impl Matches {
    /// Requires a match of `pattern` (anchor it with `^…$` to match the whole value);
    /// `explanation` tells the user what is expected, in words.
    pub fn new(pattern: &str, explanation: impl Into<String>) -> Self {
        Self {
            pattern: pattern.to_owned(),
            regex: Regex::new(pattern).ok(),
            explanation: explanation.into(),
        }
    }
}

impl Validator for Matches {
    fn description(&self) -> String {
        self.explanation.clone()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        match &self.regex {
            Some(regex) if regex.is_match(s) => {}
            Some(_) => invalid(
                diags,
                path,
                format!("Attribute {path} {}, got: {s:?}", self.explanation),
            ),
            None => diags.add_attribute_error(
                path.clone(),
                "Provider bug: invalid validation pattern",
                format!("The pattern {:?} is not a valid regex.", self.pattern),
            ),
        }
    }

    fn check(&self) -> Result<(), String> {
        match self.regex {
            Some(_) => Ok(()),
            None => Err(format!("pattern {:?} is not a valid regex", self.pattern)),
        }
    }
}

/// The string's length in characters must lie in `min..=max`.
#[derive(Debug, Clone, Copy)]
pub struct LengthBetween {
    min: usize,
    max: usize,
}

impl LengthBetween {
    /// Between `min` and `max` characters, inclusive.
    pub fn new(min: usize, max: usize) -> Self {
        Self { min, max }
    }
}

impl Validator for LengthBetween {
    fn description(&self) -> String {
        format!(
            "string length must be between {} and {}",
            self.min, self.max
        )
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let length = s.chars().count();
        if length < self.min || length > self.max {
            invalid(
                diags,
                path,
                format!(
                    "Attribute {path} string length must be between {} and {}, got: {length}",
                    self.min, self.max
                ),
            );
        }
    }

    fn check(&self) -> Result<(), String> {
        if self.min <= self.max {
            Ok(())
        } else {
            Err(format!(
                "length minimum {} exceeds maximum {}",
                self.min, self.max
            ))
        }
    }
}

/// A custom check of a string value: the function returns a sentence describing the
/// problem, which follows "Attribute `path`" in the message.
#[derive(Clone)]
pub struct StringCheck {
    description: String,
    check: fn(&str) -> Result<(), String>,
}

impl StringCheck {
    /// A check described by `description`.
    pub fn new(description: impl Into<String>, check: fn(&str) -> Result<(), String>) -> Self {
        Self {
            description: description.into(),
            check,
        }
    }
}

impl fmt::Debug for StringCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StringCheck")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl Validator for StringCheck {
    fn description(&self) -> String {
        self.description.clone()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str()
            && let Err(problem) = (self.check)(s)
        {
            invalid(diags, path, format!("Attribute {path} {problem}"));
        }
    }
}

/// A rule on a string value whose message is the whole diagnostic: the rule's error text,
/// as a [`sentence`], is the detail of an "Invalid Attribute Value" error. For rules whose
/// messages name the attribute themselves or read better alone than after "Attribute
/// `path`" (compare [`StringCheck`]).
#[derive(Clone, Copy)]
pub struct Rule(pub fn(&str) -> Result<(), String>);

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Rule")
    }
}

impl Validator for Rule {
    fn description(&self) -> String {
        "must satisfy the attribute's rule".to_owned()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(text) = value.as_str()
            && let Err(problem) = (self.0)(text)
        {
            invalid(diags, path, sentence(&problem));
        }
    }
}

/// Applies a validator to each known element of a list or set, and refuses null elements
/// (`[null]`, or a variable that is null), which no element rule can accept and which the
/// remote API cannot store. List elements are reported at their index; set elements cannot
/// be addressed, so at the set.
pub struct Each(Box<dyn Validator>);

impl Each {
    /// Validates every element with `inner`.
    pub fn new(inner: impl Validator + 'static) -> Self {
        Self(Box::new(inner))
    }
}

impl fmt::Debug for Each {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Each").field(&self.0).finish()
    }
}

impl Validator for Each {
    fn description(&self) -> String {
        format!("each element: {}", self.0.description())
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let is_list = matches!(value, Value::List(_) | Value::Tuple(_));
        let Some(items) = value.as_elements() else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            if item.is_unknown() {
                continue;
            }
            let at = if is_list {
                path.clone().index(i)
            } else {
                path.clone()
            };
            if item.is_null() {
                invalid(
                    diags,
                    &at,
                    format!("Attribute {at} is null; every element must have a value"),
                );
                continue;
            }
            self.0.validate(&at, item, diags);
        }
    }

    fn check(&self) -> Result<(), String> {
        self.0.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;

    fn run(validator: &dyn Validator, value: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validator.validate(&AttributePath::attr("a"), &value, &mut diags);
        diags
    }

    fn plan(
        modifier: &dyn PlanModifier,
        config: Value,
        state: Value,
        planned: Value,
    ) -> AttributePlanResponse {
        let path = AttributePath::attr("a");
        let req = AttributePlanRequest {
            path: &path,
            config: &config,
            state: &state,
            creating: state.is_null(),
        };
        let mut resp = AttributePlanResponse {
            plan: planned,
            requires_replace: false,
            diagnostics: Diagnostics::new(),
        };
        modifier.modify(&req, &mut resp);
        resp
    }

    #[test]
    fn one_of_names_the_attribute_and_choices() {
        let v = OneOf::new(["GZip", "None"]);
        assert!(run(&v, "None".into()).is_empty());
        let diags = run(&v, "gzip".into());
        let d = diags.iter().next().unwrap();
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.path, Some(AttributePath::attr("a")));
        assert_eq!(
            d.detail,
            r#"Attribute a value must be one of: "GZip", "None", got: "gzip""#
        );
    }

    #[test]
    fn matches_and_length() {
        let m = Matches::new("^[a-z]+$", "must be lower-case letters");
        assert!(run(&m, "abc".into()).is_empty());
        assert!(run(&m, "aBc".into()).has_error());
        assert!(m.check().is_ok());
        assert!(Matches::new("(", "x").check().is_err());
        let l = LengthBetween::new(1, 3);
        assert!(run(&l, "äöü".into()).is_empty());
        assert!(run(&l, "abcd".into()).has_error());
    }

    #[test]
    fn each_checks_known_elements_at_their_index() {
        let v = Each::new(StringCheck::new("not empty", |s| {
            if s.is_empty() {
                Err("must not be empty".to_owned())
            } else {
                Ok(())
            }
        }));
        let diags = run(&v, Value::List(vec!["x".into(), Value::Unknown, "".into()]));
        let paths: Vec<_> = diags.iter().map(|d| d.path.clone().unwrap()).collect();
        assert_eq!(paths, vec![AttributePath::attr("a").index(2)]);
        let diags = run(&v, Value::List(vec!["x".into(), Value::Null]));
        let found: Vec<_> = diags
            .iter()
            .map(|d| (d.path.clone().unwrap(), d.detail.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![(
                AttributePath::attr("a").index(1),
                "Attribute a[1] is null; every element must have a value"
            )]
        );
    }

    #[test]
    fn requires_replace_only_on_change_of_existing() {
        assert!(!plan(&RequiresReplace, "a".into(), Value::Null, "a".into()).requires_replace);
        assert!(!plan(&RequiresReplace, "a".into(), "a".into(), "a".into()).requires_replace);
        assert!(plan(&RequiresReplace, "b".into(), "a".into(), "b".into()).requires_replace);
    }

    #[test]
    fn use_state_for_unknown_keeps_prior() {
        let kept = plan(
            &UseStateForUnknown,
            Value::Null,
            "id-1".into(),
            Value::Unknown,
        );
        assert_eq!(kept.plan, "id-1".into());
        let created = plan(
            &UseStateForUnknown,
            Value::Null,
            Value::Null,
            Value::Unknown,
        );
        assert_eq!(created.plan, Value::Unknown);
        let configured_unknown = plan(
            &UseStateForUnknown,
            Value::Unknown,
            "x".into(),
            Value::Unknown,
        );
        assert_eq!(configured_unknown.plan, Value::Unknown);
    }

    fn same_ignoring_case(a: &str, b: &str) -> bool {
        a.eq_ignore_ascii_case(b)
    }

    #[test]
    fn requires_replace_unless_equivalent_plans_no_change_for_new_spellings() {
        let modifier = RequiresReplaceUnlessEquivalent::new(same_ignoring_case);
        let replaces = |planned: Value, prior: Value| {
            plan(&modifier, planned.clone(), prior, planned).requires_replace
        };
        assert!(!replaces("a".into(), Value::Null), "creating");
        assert!(!replaces("a".into(), "a".into()), "unchanged");
        let respelled = plan(&modifier, "A".into(), "a".into(), "A".into());
        assert!(!respelled.requires_replace, "another spelling");
        assert_eq!(respelled.plan, "a".into(), "keeps the prior spelling");
        assert!(replaces("b".into(), "a".into()), "another value");
        assert!(replaces(Value::Null, "a".into()), "removed");
        assert!(replaces(Value::Unknown, "a".into()), "not yet known");
        assert!(modifier.may_replace());
    }

    #[test]
    fn keep_state_when_unset_keeps_prior_values_of_unconfigured_updates() {
        let kept = plan(
            &KeepStateWhenUnset,
            Value::Null,
            "chosen".into(),
            Value::Unknown,
        );
        assert_eq!(kept.plan, "chosen".into());
        let creating = plan(
            &KeepStateWhenUnset,
            Value::Null,
            Value::Null,
            Value::Unknown,
        );
        assert_eq!(creating.plan, Value::Unknown);
        let configured = plan(
            &KeepStateWhenUnset,
            "new".into(),
            "chosen".into(),
            "new".into(),
        );
        assert_eq!(configured.plan, "new".into());
        assert!(KeepStateWhenUnset.needs_computed());
    }

    #[test]
    fn rule_messages_become_the_whole_detail_as_a_sentence() {
        let rule = Rule(|text| {
            if text == "gzip" {
                Err("compression values are case-sensitive: use GZip".to_owned())
            } else {
                Ok(())
            }
        });
        assert!(run(&rule, "GZip".into()).is_empty());
        let diags = run(&rule, "gzip".into());
        let found: Vec<_> = diags
            .iter()
            .map(|d| (d.path.clone(), d.summary.as_str(), d.detail.as_str()))
            .collect();
        assert_eq!(
            found,
            [(
                Some(AttributePath::attr("a")),
                "Invalid Attribute Value",
                "Compression values are case-sensitive: use GZip."
            )]
        );
    }
}
