//! Terraform semantics as plain Rust types.
pub mod codec;
pub mod diag;
pub mod number;
pub mod path;
pub mod planmod;
pub mod schema;
pub mod value;
