//! The framework-native provider server: every Terraform RPC as a method on framework
//! types, with the planning and apply semantics Terraform's plugin protocol documents for
//! resources. The `proto6` adapter only converts messages to and from these calls.
//!
//! The chores every resource would otherwise get wrong live here: unconfigured attributes
//! take their schema default, other unconfigured computed attributes become unknown (unless
//! nothing changed), plan modifiers run, required attributes set to null are refused, private
//! state is echoed on every hop, apply dispatches on which state is null,
//! failures return diagnostics together with the state that exists, and StopProvider
//! cancels in-flight operations and then re-arms for later ones.
//!
//! One module per RPC family, each with its tests: `provider` (the provider block),
//! `plan` (resource validation and planning), `apply`, `state` (read, import, upgrade),
//! `moved` (state from another resource type), `identity` (identity upgrades, and the
//! identity rules every other family's answers follow), `list` (list resources, for
//! `terraform query`), `data_source`, `function` and
//! `generate` (configuration for imported objects). `core` holds the registry they share;
//! `validation` and `blocks` the schema walks several families need.

mod apply;
mod blocks;
mod core;
mod data_source;
#[cfg(test)]
mod fixtures;
mod function;
mod generate;
mod identity;
mod list;
mod moved;
mod plan;
mod provider;
mod state;
mod validation;

pub use apply::{ApplyResourceChangeRequest, ApplyResourceChangeResponse};
pub use core::Server;
pub use generate::GenerateResourceConfigResponse;
pub use identity::UpgradeResourceIdentityResponse;
pub use list::{ListResourceRequest, ListResourceResponse, ListResult};
pub use moved::{MoveResourceStateRequest, MoveResourceStateResponse};
pub use plan::{PlanResourceChangeRequest, PlanResourceChangeResponse};
pub use state::{ImportResourceStateResponse, ReadResourceResponse, StateResponse};
