//! The common case: a plugin launched exactly as Terraform launches it, with AutoMTLS.

use std::ffi::OsStr;

use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;

use super::dial::{Security, channel, health, shutdown};
use super::handshake::Handshake;
use super::identity::ClientIdentity;
use super::process::{Exit, PluginProcess};

/// A plugin started with Terraform's environment and a fresh Terraform-like client
/// certificate, its handshake read.
pub struct Launched {
    /// The running process.
    pub process: PluginProcess,
    /// Its handshake line.
    pub handshake: Handshake,
    /// The certificate Terraform would present.
    pub client: ClientIdentity,
}

impl Launched {
    /// Launches `binary` with `env` on top of Terraform's variables and reads its handshake.
    pub async fn new(binary: impl AsRef<OsStr>, env: &[(&str, &str)]) -> Self {
        let client = ClientIdentity::like_terraform();
        let mut process = PluginProcess::launch(binary, Some(&client), env);
        let handshake = process.handshake().await;
        Launched {
            process,
            handshake,
            client,
        }
    }

    /// mTLS as Terraform dials: the announced server certificate, Terraform's client one.
    pub fn security(&self) -> Security<'_> {
        self.handshake.tls(Some(&self.client))
    }

    /// A gRPC channel to the plugin over mTLS.
    pub async fn channel(&self) -> Channel {
        channel(&self.handshake.address(), self.security())
            .await
            .unwrap_or_else(|error| panic!("cannot connect to the plugin: {error}"))
    }

    /// The plugin's answer to a health check over mTLS.
    pub async fn health(&self) -> Result<ServingStatus, String> {
        health(&self.handshake.address(), self.security()).await
    }

    /// Asks the plugin to shut down, as Terraform does when done, and waits for its exit.
    pub async fn shutdown(self) -> Exit {
        shutdown(self.channel().await).await;
        self.process.wait().await
    }
}
