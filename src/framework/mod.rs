//! Terraform semantics as plain Rust types.
pub mod codec;
pub mod datasource;
pub mod diag;
pub mod number;
pub mod path;
pub mod planmod;
pub mod proto6;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod server;
pub mod timeouts;
pub mod value;

#[cfg(test)]
mod testing;
