//! terraform-provider-kusto: a Terraform provider for Azure Data Explorer (Kusto) Event Hub
//! data connections, and a local emulator of the Azure endpoints it talks to.
//!
//! The layers, each depending only on those listed after it:
//!
//! - [`plugin`]: the go-plugin host. Handshake, AutoMTLS, the gRPC server and go-plugin's
//!   own services. Knows tonic and TLS, nothing of Terraform semantics.
//! - [`provider`]: the Kusto provider, its configuration and its resources. The only layer
//!   that knows both Terraform and Azure.
//! - [`framework`]: Terraform semantics as plain Rust types (values, schemas, diagnostics,
//!   planning). Names neither Kusto nor Azure; generated protobuf types stay in its
//!   `proto6` adapter.
//! - [`azure`]: the ARM client (credentials, request pipeline, long-running operations,
//!   Kusto models). Names nothing of Terraform.
//! - [`emulator`]: a stand-in for the ARM and Entra ID endpoints, used by examples and
//!   tests. Shares no models with [`azure`], so the two cannot agree on the same mistake.
//!
//! [`proto`] holds the generated protocol bindings.

pub mod azure;
pub mod emulator;
pub mod framework;
pub mod plugin;
pub mod proto;
pub mod provider;
