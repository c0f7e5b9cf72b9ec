//! Configuration validation shared by the provider block, resources and data sources:
//! schema validators on known values, refusal of null required attributes, deprecation
//! warnings, then the type's own checks.

use super::blocks::config_elements;
use crate::diag::{Diagnostic, Diagnostics};
use crate::path::AttributePath;
use crate::schema::{Block, Mode, Schema};
use crate::value::Value;

/// Whether a required attribute may be null in a configuration: a provider block may be left
/// out (Terraform then sends nulls and the provider reads its environment), a resource or data
/// source block may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NullRequired {
    Allowed,
    Refused,
}

/// Validates `config` against `schema`, then runs `own_checks` (the provider's, resource's or
/// data source's own validation) on the same diagnostics.
pub(super) fn validate_config(
    schema: &Schema,
    config: &Value,
    null_required: NullRequired,
    own_checks: impl FnOnce(&mut Diagnostics),
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let root = AttributePath::root();
    validate_block(schema.body(), &root, config, null_required, &mut diags);
    own_checks(&mut diags);
    diags
}

/// Runs validators on known configuration values, refuses null required ones (when
/// `null_required` says so) and warns about deprecated ones.
fn validate_block(
    block: &Block,
    path: &AttributePath,
    config: &Value,
    null_required: NullRequired,
    diags: &mut Diagnostics,
) {
    if !matches!(config, Value::Object(_)) {
        return;
    }
    for attribute in block.attributes() {
        let value = config.attr(attribute.name());
        let at = path.clone().attribute(attribute.name());
        if value.is_null() {
            // Terraform itself refuses a missing required argument, but passes an explicit
            // `null` (a literal, or a variable or function that yields null) on to the
            // provider, which would only fail at apply.
            if attribute.mode() == Mode::Required && null_required == NullRequired::Refused {
                diags.add_attribute_error(
                    at.clone(),
                    "Missing Configuration for Required Attribute",
                    format!(
                        "The argument {at} is required, but its value is null. Give it a \
                         value, or check the variable or expression it comes from."
                    ),
                );
            }
            continue;
        }
        if let Some(message) = attribute.deprecation() {
            diags.push(Diagnostic::warning("Attribute Deprecated", message).at(at.clone()));
        }
        if value.is_unknown() {
            continue;
        }
        let mut found = Diagnostics::new();
        for validator in attribute.validators() {
            validator.validate(&at, value, &mut found);
        }
        for mut diagnostic in found {
            // Validators quote the value they reject; a sensitive one must not be echoed.
            if attribute.is_sensitive() {
                diagnostic.detail =
                    format!("Attribute {at} has an invalid value (not shown: sensitive).");
            }
            diags.push(diagnostic);
        }
    }
    for nested in block.blocks() {
        let value = config.attr(nested.name());
        let at = path.clone().attribute(nested.name());
        let elements = config_elements(nested.nesting(), value, &at);
        if !elements.is_empty()
            && let Some(message) = nested.block().deprecation()
        {
            diags.push(Diagnostic::warning("Block Deprecated", message).at(at.clone()));
        }
        for (element_path, element) in elements {
            validate_block(nested.block(), &element_path, element, null_required, diags);
        }
    }
}
