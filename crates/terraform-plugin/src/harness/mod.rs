//! Terraform's side of a plugin launch, for tests of a provider binary (behind the
//! `testing` feature): a client certificate made like Terraform's, the plugin process with
//! Terraform's environment, the handshake line, and gRPC channels over the socket it
//! names, secured with go-plugin's AutoMTLS.
//!
//! A test that only needs a connected provider uses [`Launched`]; tests of the launch
//! itself use the parts. Failures panic with a message saying what was awaited: this is
//! test code, and a panic is the test's failure. Every wait is bounded by [`GUARD`].
//!
//! ```no_run
//! # async fn example() {
//! use terraform_plugin::harness::Launched;
//! use terraform_plugin::proto::tfplugin6::get_provider_schema;
//! use terraform_plugin::proto::tfplugin6::provider_client::ProviderClient;
//!
//! let plugin = Launched::new("target/debug/terraform-provider-example", &[]).await;
//! let schema = ProviderClient::new(plugin.channel().await)
//!     .get_provider_schema(get_provider_schema::Request {})
//!     .await
//!     .unwrap();
//! assert!(plugin.shutdown().await.status.success());
//! # }
//! ```

mod dial;
mod guard;
mod handshake;
mod identity;
mod launched;
mod process;

pub use dial::{Address, Security, channel, health, shutdown};
pub use guard::{GUARD, guarded};
pub use handshake::Handshake;
pub use identity::ClientIdentity;
pub use launched::Launched;
pub use process::{Exit, MAGIC_COOKIE, PluginProcess};
