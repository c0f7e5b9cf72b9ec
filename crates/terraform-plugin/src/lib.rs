//! A thin Terraform plugin framework: everything between Terraform and a provider's
//! resources, and nothing of any particular cloud.
//!
//! Resource code implements [`resource::Resource`] against framework values and never
//! sees protobuf or msgpack; the framework does the protocol chores Terraform is strict
//! about (planning rules, private state, partial failures, cancellation), and [`serve`]
//! runs the go-plugin host Terraform starts.
//!
//! This crate must never know a cloud API: it names no Azure type, no HTTP client, no
//! resource of its own. Generated protobuf types stay private to it (the `testing`
//! feature exposes the Terraform side of the protocol to tests).
//!
//! - [`host`]: the go-plugin host (handshake, AutoMTLS, gRPC serving, hclog logging).
//! - [`value`], [`number`], [`codec`]: values (null / unknown / known of every cty type),
//!   exact decimal numbers, the msgpack and JSON wire encodings.
//! - [`schema`], [`planmod`], [`timeouts`]: declarative schemas with validators and plan
//!   modifiers; the `timeouts` block convention.
//! - [`identity`]: resource identity schemas (Terraform 1.12).
//! - [`list`]: list resources, for `terraform query` (Terraform 1.14).
//! - [`path`], [`diag`]: attribute paths and diagnostics.
//! - [`docs`]: registry documentation rendered from the schemas and page templates.
//! - [`provider`], [`resource`], [`datasource`]: the traits a provider implements.
//! - [`server`]: every RPC on framework types, with Terraform's semantics.
//! - [`proto6`]: the tfplugin6 gRPC service; with [`host`], the only modules that see
//!   generated types.
//! - `harness` (feature `testing`): Terraform's side of a plugin launch, for tests of a
//!   provider binary.
//!
//! A resource, in short:
//!
//! ```no_run
//! use terraform_plugin::{
//!     planmod::{RequiresReplace, UseStateForUnknown},
//!     resource::*,
//!     schema::{Attribute, Schema},
//! };
//!
//! struct Client; // what the provider's `configure` produces
//! struct Thing;
//!
//! impl Resource<Client> for Thing {
//!     fn type_name(&self) -> &'static str {
//!         "example_thing"
//!     }
//!
//!     fn schema(&self) -> Schema {
//!         Schema::new(0)
//!             .attribute(Attribute::string("id").computed().plan_modifier(UseStateForUnknown))
//!             .attribute(Attribute::string("name").required().plan_modifier(RequiresReplace))
//!     }
//!
//!     async fn create(&self, req: CreateRequest<Client>, resp: &mut CreateResponse) {
//!         let name = req.plan.get_string("name").unwrap_or_default();
//!         resp.state.set("id", format!("/things/{name}"));
//!     }
//!
//!     async fn read(&self, _req: ReadRequest<Client>, _resp: &mut ReadResponse) {}
//!
//!     async fn update(&self, _req: UpdateRequest<Client>, _resp: &mut UpdateResponse) {}
//!
//!     async fn delete(&self, _req: DeleteRequest<Client>, _resp: &mut DeleteResponse) {}
//! }
//! ```

pub mod codec;
pub mod datasource;
pub mod diag;
pub mod docs;
pub mod function;
#[cfg(feature = "testing")]
pub mod harness;
pub mod host;
pub mod identity;
pub mod list;
pub mod number;
pub mod path;
pub mod planmod;
#[cfg(not(feature = "testing"))]
mod proto;
/// The generated protocol bindings, for tests that play Terraform's side.
#[cfg(feature = "testing")]
pub mod proto;
pub mod proto6;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod server;
pub mod timeouts;
pub mod value;

#[cfg(test)]
mod proto_numbers;
#[cfg(test)]
mod testing;
