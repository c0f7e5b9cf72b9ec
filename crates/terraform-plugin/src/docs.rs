//! Registry documentation rendered from the schemas, so that the argument and attribute
//! references cannot drift from what the provider accepts.
//!
//! Each page is a hand-written Markdown template (`templates/<page>.md.tmpl`, in the layout
//! of the Terraform registry's `docs/`) holding the prose, with placeholders for what the
//! schema knows:
//!
//! | placeholder | becomes |
//! |---|---|
//! | `{{ description }}` | the schema's description |
//! | `{{ arguments }}` | one bullet per argument: required ones first, then optional ones, each with its flags, description, default and whether changing it replaces the resource |
//! | `{{ attributes }}` | one bullet per attribute only Azure sets (computed, not configurable) |
//! | `{{ timeouts }}` | one bullet per operation of the `timeouts` block, with its default |
//! | `{{ identity }}` | one bullet per attribute of a resource's identity, required for import or optional, with its type |
//! | `{{ example "path" }}` | the file at `path` (from the repository root) in a fenced code block |
//!
//! A function's page (`functions/<name>`) has `{{ description }}`, `{{ signature }}` (the call
//! with its parameter and return types), `{{ arguments }}` (one bullet per parameter),
//! `{{ return }}` (the result's type, an object's attributes listed) and `{{ example }}`.
//!
//! Pages follow the provider's types: `index` for the provider, `resources/<name>` and
//! `data-sources/<name>` for each type, `<name>` being the type name without the provider's
//! prefix (`kusto_eventhub_data_connection` → `eventhub_data_connection`). A type without a
//! template, or a template with an unknown placeholder, is an error, never a page with a hole.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use super::function::Signature;
use super::identity::IdentitySchema;
use super::provider::Provider;
use super::schema::{Attribute, Block, Mode, Schema};
use super::timeouts;
use super::value::{Type, Value};

/// One rendered page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Where it belongs, relative to `docs/`, such as `resources/eventhub_data_connection.md`.
    pub path: PathBuf,
    /// The Markdown.
    pub markdown: String,
}

/// Why the documentation could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocsError {
    /// The template or file at fault.
    pub file: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for DocsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.problem)
    }
}

impl std::error::Error for DocsError {}

/// Renders every page of `provider` from the templates under `root/templates`; `example`
/// paths are read from `root`.
pub fn render<P: Provider>(provider: &P, root: &Path) -> Result<Vec<Page>, DocsError> {
    let prefix = format!("{}_", provider.type_name());
    let page_name = |type_name: &str| {
        type_name
            .strip_prefix(&prefix)
            .unwrap_or(type_name)
            .to_owned()
    };
    let mut pages = vec![render_page(
        root,
        PathBuf::from("index.md"),
        &provider.schema(),
        None,
    )?];
    for resource in provider.resources() {
        let path = Path::new("resources").join(format!("{}.md", page_name(resource.0.type_name())));
        let identity = resource.0.identity_schema();
        pages.push(render_page(
            root,
            path,
            &resource.0.schema(),
            identity.as_ref(),
        )?);
    }
    for data_source in provider.data_sources() {
        let path =
            Path::new("data-sources").join(format!("{}.md", page_name(data_source.0.type_name())));
        pages.push(render_page(root, path, &data_source.0.schema(), None)?);
    }
    for function in provider.functions() {
        let path = Path::new("functions").join(format!("{}.md", function.name()));
        let signature = function.signature();
        let subject = Subject::Function {
            call: format!("provider::{}::{}", provider.type_name(), function.name()),
            signature: &signature,
        };
        pages.push(render_subject(root, path, &subject)?);
    }
    Ok(pages)
}

/// What a page documents.
enum Subject<'a> {
    /// A provider, resource or data source, by its schema, and a resource's identity.
    Schema(&'a Schema, Option<&'a IdentitySchema>),
    /// A function: how it is called, and its signature.
    Function {
        call: String,
        signature: &'a Signature,
    },
}

fn render_page(
    root: &Path,
    path: PathBuf,
    schema: &Schema,
    identity: Option<&IdentitySchema>,
) -> Result<Page, DocsError> {
    render_subject(root, path, &Subject::Schema(schema, identity))
}

fn render_subject(root: &Path, path: PathBuf, subject: &Subject<'_>) -> Result<Page, DocsError> {
    let template_path = Path::new("templates").join(path.with_extension("md.tmpl"));
    let template = read(root, &template_path)?;
    let markdown = fill(&template, subject, root).map_err(|problem| DocsError {
        file: template_path,
        problem,
    })?;
    Ok(Page { path, markdown })
}

fn read(root: &Path, path: &Path) -> Result<String, DocsError> {
    fs::read_to_string(root.join(path)).map_err(|error| DocsError {
        file: path.to_owned(),
        problem: format!("cannot be read: {error}"),
    })
}

/// `template` with every placeholder replaced.
fn fill(template: &str, subject: &Subject<'_>, root: &Path) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| {
            format!(
                "line {}: `{{{{` is never closed",
                line_of(template, rest, start)
            )
        })?;
        let placeholder = after[..end].trim();
        let text = expand(placeholder, subject, root)
            .map_err(|problem| format!("line {}: {problem}", line_of(template, rest, start)))?;
        out.push_str(text.trim_end_matches('\n'));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The 1-based line of `rest[offset]` within `template` (`rest` is a suffix of it).
fn line_of(template: &str, rest: &str, offset: usize) -> usize {
    let position = template.len() - rest.len() + offset;
    template[..position].matches('\n').count() + 1
}

fn expand(placeholder: &str, subject: &Subject<'_>, root: &Path) -> Result<String, String> {
    if let Some(quoted) = placeholder.strip_prefix("example ") {
        return example(quoted.trim(), root);
    }
    let unknown = || Err(format!("unknown placeholder `{{{{ {placeholder} }}}}`"));
    match subject {
        Subject::Schema(schema, identity) => {
            let body = schema.body();
            match placeholder {
                "description" => Ok(body.description_text().to_owned()),
                "arguments" => non_empty(arguments(body), "arguments"),
                "attributes" => non_empty(attributes(body), "attributes"),
                "timeouts" => timeouts_section(body),
                "identity" => identity
                    .map(identity_section)
                    .ok_or_else(|| "it documents no resource with an identity".to_owned()),
                _ => unknown(),
            }
        }
        Subject::Function { call, signature } => match placeholder {
            "description" => Ok(signature.description.to_owned()),
            "signature" => {
                let parameters: Vec<String> = signature
                    .parameters
                    .iter()
                    .map(|p| format!("{} {}", p.name, type_name(&p.ty)))
                    .collect();
                let returns = type_name(&signature.returns);
                Ok(format!(
                    "```text\n{call}({}) {returns}\n```",
                    parameters.join(", ")
                ))
            }
            "arguments" => Ok(signature
                .parameters
                .iter()
                .map(|p| format!("1. `{}` ({}) {}\n", p.name, type_name(&p.ty), p.description))
                .collect()),
            "return" => Ok(match &signature.returns {
                Type::Object(attributes) => {
                    let names: Vec<String> =
                        attributes.keys().map(|name| format!("`{name}`")).collect();
                    format!("An object with the attributes {}.", names.join(", "))
                }
                other => format!("A {}.", type_name(other)),
            }),
            _ => unknown(),
        },
    }
}

/// A type as Terraform's documentation writes it: `string`, `list of string`, `object`.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "string".to_owned(),
        Type::Number => "number".to_owned(),
        Type::Bool => "bool".to_owned(),
        Type::List(element) => format!("list of {}", type_name(element)),
        Type::Set(element) => format!("set of {}", type_name(element)),
        Type::Map(element) => format!("map of {}", type_name(element)),
        Type::Object(_) => "object".to_owned(),
        Type::Tuple(_) => "tuple".to_owned(),
        Type::Dynamic => "dynamic".to_owned(),
    }
}

fn non_empty(bullets: String, what: &str) -> Result<String, String> {
    if bullets.is_empty() {
        Err(format!("the schema has no {what} to list"))
    } else {
        Ok(bullets)
    }
}

/// Required arguments in schema order, then optional ones.
fn arguments(body: &Block) -> String {
    let configurable = |wanted: fn(Mode) -> bool| {
        body.attributes()
            .iter()
            .filter(move |attribute| wanted(attribute.mode()))
            .map(argument)
    };
    configurable(|mode| mode == Mode::Required)
        .chain(configurable(|mode| {
            matches!(mode, Mode::Optional | Mode::OptionalComputed)
        }))
        .collect()
}

fn argument(attribute: &Attribute) -> String {
    let mut flags = vec![if attribute.mode() == Mode::Required {
        "Required"
    } else {
        "Optional"
    }];
    if attribute.is_sensitive() {
        flags.push("Sensitive");
    }
    let mut text = attribute.description_text().to_owned();
    if let Some(default) = attribute.default_value() {
        text.push_str(&format!(" Defaults to `{}`.", hcl(default)));
    }
    if attribute.plan_modifiers().iter().any(|m| m.may_replace()) {
        text.push_str(" Changing this forces a new resource.");
    }
    bullet(attribute, &format!("({}) {text}", flags.join(", ")))
}

/// Attributes only the provider sets.
fn attributes(body: &Block) -> String {
    body.attributes()
        .iter()
        .filter(|attribute| attribute.mode() == Mode::Computed)
        .map(|attribute| bullet(attribute, attribute.description_text()))
        .collect()
}

fn bullet(attribute: &Attribute, text: &str) -> String {
    let deprecation = attribute
        .deprecation()
        .map(|message| format!(" **Deprecated**: {message}"))
        .unwrap_or_default();
    format!("* `{}` - {text}{deprecation}\n", attribute.name())
}

fn timeouts_section(body: &Block) -> Result<String, String> {
    let block = body
        .blocks()
        .iter()
        .find(|block| block.name() == timeouts::BLOCK_NAME)
        .ok_or("the schema has no `timeouts` block")?;
    Ok(block
        .block()
        .attributes()
        .iter()
        .map(|attribute| bullet(attribute, attribute.description_text()))
        .collect())
}

/// The identity's attributes: those an `import` block must give first.
fn identity_section(identity: &IdentitySchema) -> String {
    let listed = |required: bool| {
        identity
            .attributes()
            .iter()
            .filter(move |attribute| attribute.is_required_for_import() == required)
            .map(move |attribute| {
                format!(
                    "* `{}` - ({}, {}) {}\n",
                    attribute.name(),
                    if required { "Required" } else { "Optional" },
                    type_name(attribute.ty()),
                    attribute.description_text()
                )
            })
    };
    listed(true).chain(listed(false)).collect()
}

/// `"path"`'s file in a code block fenced for its language.
fn example(quoted: &str, root: &Path) -> Result<String, String> {
    let path = quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .ok_or_else(|| format!("`example` takes a quoted path, not {quoted}"))?;
    let language = match Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("tf") => "terraform",
        Some("sh") => "shell",
        _ => return Err(format!("{path}: only .tf and .sh examples are known")),
    };
    let code = fs::read_to_string(root.join(path))
        .map_err(|error| format!("{path} cannot be read: {error}"))?;
    Ok(format!("```{language}\n{}\n```", code.trim_end()))
}

/// A default value as it is written in HCL.
fn hcl(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::List(items) | Value::Set(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| format!("\"{}\"", hcl(item)))
                .collect();
            format!("[{}]", items.join(", "))
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityAttribute;
    use crate::planmod::RequiresReplace;
    use crate::timeouts::Timeouts;
    use std::time::Duration;

    fn schema() -> Schema {
        Schema::new(0)
            .description("Manages a thing.")
            .attribute(Attribute::string("id").computed().description("The id."))
            .attribute(
                Attribute::string("label")
                    .optional()
                    .description("A label."),
            )
            .attribute(
                Attribute::string("name")
                    .required()
                    .plan_modifier(RequiresReplace)
                    .description("The name."),
            )
            .attribute(
                Attribute::string("secret")
                    .optional()
                    .sensitive()
                    .description("A secret."),
            )
            .attribute(
                Attribute::list_of_strings("tags")
                    .optional_computed()
                    .default(Value::List(vec!["a".into()]))
                    .description("Tags."),
            )
            .attribute(
                Attribute::string("old")
                    .optional()
                    .deprecated("Use `label`.")
                    .description("Old."),
            )
            .block(
                Timeouts {
                    create: Duration::from_secs(60),
                    read: Duration::from_secs(60),
                    update: Duration::from_secs(60),
                    delete: Duration::from_secs(30),
                }
                .block(),
            )
    }

    /// `template` filled from [`schema`], examples read from the working directory.
    fn filled(template: &str) -> Result<String, String> {
        let identity = IdentitySchema::new(0)
            .attribute(
                IdentityAttribute::string("zone")
                    .optional_for_import()
                    .description("The zone."),
            )
            .attribute(IdentityAttribute::string("name").description("The name."));
        fill(
            template,
            &Subject::Schema(&schema(), Some(&identity)),
            Path::new("."),
        )
    }

    #[test]
    fn arguments_list_required_first_with_flags_and_defaults() {
        let text = filled("{{ arguments }}").unwrap();
        assert_eq!(
            text,
            "* `name` - (Required) The name. Changing this forces a new resource.\n\
             * `label` - (Optional) A label.\n\
             * `secret` - (Optional, Sensitive) A secret.\n\
             * `tags` - (Optional) Tags. Defaults to `[\"a\"]`.\n\
             * `old` - (Optional) Old. **Deprecated**: Use `label`."
        );
    }

    #[test]
    fn attributes_list_what_only_the_provider_sets() {
        let text = filled("before\n{{attributes}}\nafter").unwrap();
        assert_eq!(text, "before\n* `id` - The id.\nafter");
    }

    #[test]
    fn timeouts_come_from_the_block_with_their_defaults() {
        let text = filled("{{ timeouts }}").unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[3].starts_with("* `delete` - "), "{text}");
        assert!(lines[3].ends_with("Defaults to `30s`."), "{text}");
    }

    #[test]
    fn identities_list_what_an_import_block_must_give_first() {
        let text = filled("{{ identity }}").unwrap();
        assert_eq!(
            text,
            "* `name` - (Required, string) The name.\n\
             * `zone` - (Optional, string) The zone."
        );
        assert_eq!(
            fill(
                "{{ identity }}",
                &Subject::Schema(&schema(), None),
                Path::new(".")
            )
            .unwrap_err(),
            "line 1: it documents no resource with an identity"
        );
    }

    #[test]
    fn examples_are_fenced_by_language() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("main.tf"), "resource \"x\" \"y\" {}\n\n").unwrap();
        let text = fill(
            "{{ example \"main.tf\" }}",
            &Subject::Schema(&schema(), None),
            root.path(),
        )
        .unwrap();
        assert_eq!(text, "```terraform\nresource \"x\" \"y\" {}\n```");
    }

    #[test]
    fn mistakes_in_templates_name_the_line() {
        let cases = [
            (
                "\n{{ argument }}",
                "line 2: unknown placeholder `{{ argument }}`",
            ),
            ("{{ arguments", "line 1: `{{` is never closed"),
            (
                "\n\n{{ example main.tf }}",
                "line 3: `example` takes a quoted path, not main.tf",
            ),
            (
                "{{ example \"x.py\" }}",
                "line 1: x.py: only .tf and .sh examples are known",
            ),
        ];
        for (template, expected) in cases {
            assert_eq!(filled(template).unwrap_err(), expected);
        }
        let no_timeouts = Schema::new(0).attribute(Attribute::string("id").computed());
        assert_eq!(
            fill(
                "{{ timeouts }}",
                &Subject::Schema(&no_timeouts, None),
                Path::new(".")
            )
            .unwrap_err(),
            "line 1: the schema has no `timeouts` block"
        );
        assert_eq!(
            fill(
                "{{ arguments }}",
                &Subject::Schema(&no_timeouts, None),
                Path::new(".")
            )
            .unwrap_err(),
            "line 1: the schema has no arguments to list"
        );
    }

    #[test]
    fn pages_follow_the_provider_types() {
        let root = tempfile::tempdir().unwrap();
        let templates = root.path().join("templates");
        fs::create_dir_all(templates.join("resources")).unwrap();
        fs::write(templates.join("index.md.tmpl"), "# Provider\n").unwrap();
        let provider = crate::testing::TestProvider::default();
        let missing = render(&provider, root.path()).unwrap_err();
        assert!(missing.file.starts_with("templates/resources"), "{missing}");
        assert!(missing.problem.starts_with("cannot be read"), "{missing}");
    }

    #[test]
    fn function_pages_show_the_call_its_arguments_and_its_result() {
        use crate::function::Parameter;
        let signature = Signature {
            summary: "Splits.",
            description: "Splits an id.",
            parameters: vec![
                Parameter::string("id", "The id."),
                Parameter::string("separator", "Where to split."),
            ],
            returns: Type::Object(
                [("a", Type::String), ("b", Type::list(Type::String))]
                    .map(|(name, ty)| (name.to_owned(), ty))
                    .into(),
            ),
        };
        let subject = Subject::Function {
            call: "provider::test::split".to_owned(),
            signature: &signature,
        };
        let text = fill(
            "{{ description }}\n{{ signature }}\n{{ arguments }}\n{{ return }}",
            &subject,
            Path::new("."),
        )
        .unwrap();
        assert_eq!(
            text,
            "Splits an id.\n```text\nprovider::test::split(id string, separator string) object\n```\n\
             1. `id` (string) The id.\n1. `separator` (string) Where to split.\n\
             An object with the attributes `a`, `b`."
        );
        assert!(fill("{{ timeouts }}", &subject, Path::new(".")).is_err());
    }
}
