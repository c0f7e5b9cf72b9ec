//! How one provider argument is read: from the provider block, else from the first of its
//! environment variables that is set, checked either way. A bad value is reported at its
//! attribute when it comes from the configuration, and names the variable when it comes from
//! the environment, so the user knows where to look.

use std::collections::BTreeMap;
use terraform_plugin::diag::Diagnostics;
use terraform_plugin::path::AttributePath;
use terraform_plugin::planmod::StringCheck;
use terraform_plugin::schema::Attribute;
use terraform_plugin::value::Value;

/// Where environment variables come from: the process, or a fixed map in tests.
#[derive(Debug, Clone, Default)]
pub enum Env {
    /// The provider process's environment.
    #[default]
    Process,
    /// A fixed set of variables.
    Map(BTreeMap<String, String>),
}

impl Env {
    /// The variable's value; unset and empty are the same, as in Go's `os.Getenv`.
    pub fn var(&self, name: &str) -> Option<String> {
        let value = match self {
            Self::Process => std::env::var(name).ok(),
            Self::Map(vars) => vars.get(name).cloned(),
        };
        value.filter(|v| !v.is_empty())
    }
}

/// Whether a setting is text, a secret, a flag or a list of text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Secret,
    Flag,
    /// A list in configuration; `;`-separated in the environment, as azurerm reads it.
    List,
}

/// A check of a text value: `Err` holds a sentence that follows the value's name.
pub(crate) type Check = fn(&str) -> Result<(), String>;

/// One provider argument and its environment variables, the first one azurerm's own.
pub(crate) struct Setting {
    pub name: &'static str,
    pub env: &'static [&'static str],
    pub kind: Kind,
    pub description: &'static str,
    /// The rule in words, for documentation, and its check.
    pub check: Option<(&'static str, Check)>,
}

impl Setting {
    /// The argument with where else it can be set, for messages: "`tenant_id`
    /// (ARM_TENANT_ID)".
    pub fn named(&self) -> String {
        format!("`{}` ({})", self.name, self.env.join(", "))
    }

    /// The argument's schema attribute, its description ending with its variables.
    pub fn attribute(&self) -> Attribute {
        let mut attribute = match self.kind {
            Kind::Flag => Attribute::bool(self.name),
            Kind::Text | Kind::Secret => Attribute::string(self.name),
            Kind::List => Attribute::list_of_strings(self.name),
        };
        let variables = match self.env {
            [one] => format!("the `{one}` environment variable"),
            many => format!(
                "the first set of the `{}` environment variables",
                many.join("`, `")
            ),
        };
        attribute = attribute.description(format!(
            "{} Can also be set with {variables}.",
            self.description
        ));
        if self.kind == Kind::Secret {
            attribute = attribute.sensitive();
        }
        if let Some((rule, check)) = self.check {
            attribute = attribute.validator(StringCheck::new(rule, check));
        }
        attribute
    }
}

/// Reads settings one by one, collecting every problem rather than stopping at the first.
pub(crate) struct Resolver<'a> {
    pub config: &'a Value,
    pub env: &'a Env,
    pub diags: Diagnostics,
    /// Members of exclusive pairs the configuration sets: their variables are ignored.
    pub paired_from_config: Vec<&'static str>,
}

impl Resolver<'_> {
    /// The configuration's value, else the environment's, checked; the raw text.
    fn raw(&mut self, setting: &Setting) -> Option<String> {
        let name = setting.name;
        let value = self.config.attr(name);
        let (text, source) = match value {
            Value::Unknown => {
                self.not_known(name);
                return None;
            }
            Value::String(text) => (text.clone(), None),
            Value::Bool(flag) => return Some(flag.to_string()),
            _ if self.paired_from_config.contains(&name) => return None,
            _ => setting
                .env
                .iter()
                .find_map(|env| Some((self.env.var(env)?, Some(*env))))?,
        };
        let Some((_, check)) = setting.check else {
            return Some(text);
        };
        let Err(problem) = check(&text) else {
            return Some(text);
        };
        self.invalid(setting, source, &problem);
        None
    }

    fn not_known(&mut self, name: &str) {
        self.diags.add_attribute_error(
            AttributePath::attr(name),
            "Provider argument not known",
            format!(
                "The value of `{name}` is known only after apply, but the provider needs it to \
                 be configured. Use a value known at plan time."
            ),
        );
    }

    fn invalid(&mut self, setting: &Setting, source: Option<&str>, problem: &str) {
        let name = setting.name;
        match source {
            Some(env) => self.diags.add_error(
                format!("Invalid environment variable {env}"),
                format!("The environment variable {env} (used for `{name}`) {problem}"),
            ),
            None => self.diags.add_attribute_error(
                AttributePath::attr(name),
                "Invalid Attribute Value",
                format!("Attribute {name} {problem}"),
            ),
        }
    }

    /// A text setting.
    pub fn text(&mut self, setting: &Setting) -> Option<String> {
        self.raw(setting)
    }

    /// A flag: `Some` when set, in the configuration or the environment.
    pub fn flag(&mut self, setting: &Setting) -> Option<bool> {
        let text = self.raw(setting)?;
        let flag = parse_bool(&text);
        if flag.is_none() {
            let (name, env) = (setting.name, setting.env[0]);
            self.diags.add_error(
                format!("Invalid environment variable {env}"),
                format!(
                    "The environment variable {env} (used for `{name}`) must be `true` or `false`."
                ),
            );
        }
        flag
    }

    /// A list setting, each element checked.
    pub fn list(&mut self, setting: &Setting) -> Vec<String> {
        let (items, source) = match self.config.attr(setting.name) {
            Value::Null => {
                let Some((text, env)) = setting
                    .env
                    .iter()
                    .find_map(|env| Some((self.env.var(env)?, *env)))
                else {
                    return Vec::new();
                };
                let items = text
                    .split(';')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect();
                (items, Some(env))
            }
            _ => match self.config.get_strings(setting.name) {
                Some(items) => (items, None),
                None => {
                    self.not_known(setting.name);
                    return Vec::new();
                }
            },
        };
        let Some((_, check)) = setting.check else {
            return items;
        };
        items
            .into_iter()
            .filter(|item| match check(item) {
                Ok(()) => true,
                Err(problem) => {
                    self.invalid(setting, source, &problem);
                    false
                }
            })
            .collect()
    }
}

/// Go's `strconv.ParseBool`, which azurerm uses for `ARM_USE_*`.
fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}
