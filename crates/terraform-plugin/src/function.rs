//! Provider-defined functions (Terraform 1.8 and later): `provider::NAME::FUNCTION(...)` in a
//! configuration or `terraform console`.
//!
//! A function is a pure computation on values with a typed signature, which Terraform checks
//! every call against before it reaches the provider. Terraform calls functions without
//! configuring the provider, so a function gets nothing but its arguments: no credentials,
//! no network. Its errors name the argument they are about, and Terraform shows them at that
//! argument in the configuration.

use std::fmt;

use super::value::{Type, Value};

/// One parameter of a function. Its arguments are never null or unknown: Terraform refuses
/// null arguments, and answers an unknown one with an unknown result, without a call.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// The name shown in documentation and error messages.
    pub name: &'static str,
    /// The type arguments are converted to before the call.
    pub ty: Type,
    /// What the parameter is, for documentation.
    pub description: &'static str,
}

impl Parameter {
    /// A string parameter.
    pub fn string(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            ty: Type::String,
            description,
        }
    }
}

/// A function's signature and documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// One line on what the function does.
    pub summary: &'static str,
    /// The full description (Markdown).
    pub description: &'static str,
    /// The parameters, in order.
    pub parameters: Vec<Parameter>,
    /// The type of the result.
    pub returns: Type,
}

/// Why a call failed; Terraform shows it at `argument` (zero-based) when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// What is wrong, as a sentence.
    pub text: String,
    /// The argument at fault.
    pub argument: Option<usize>,
}

impl FunctionError {
    /// An error about argument `index` (zero-based).
    pub fn at_argument(index: usize, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            argument: Some(index),
        }
    }

    /// An error about the call as a whole.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            argument: None,
        }
    }
}

impl fmt::Display for FunctionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A provider-defined function.
pub trait Function: Send + Sync + 'static {
    /// The name after `provider::NAME::`, such as `parse_data_connection_id`.
    fn name(&self) -> &'static str;

    /// The signature; read once when the server is built.
    fn signature(&self) -> Signature;

    /// Computes the result from `arguments`, one per parameter, each known, not null and of
    /// its parameter's type (the server checks that before calling).
    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError>;
}
