//! Which process signals stop the server.
//!
//! Terraform starts providers in its own process group, so a Ctrl-C in the terminal also
//! sends SIGINT to every provider. Like go-plugin servers, a managed provider ignores it:
//! Terraform cancels work with the `StopProvider` RPC and ends the process with
//! `GRPCController.Shutdown`. In debug mode the provider runs in its own terminal and
//! Ctrl-C is how the user stops it. SIGTERM stops the server in both modes, so that the
//! socket file is removed.

use std::io;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The installed signal handlers. Installing the SIGINT handler is what makes the
/// process ignore SIGINT; tokio never restores the default action.
#[derive(Debug)]
pub struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
    interrupt_stops: bool,
}

impl StopSignals {
    /// Installs the handlers. `interrupt_stops` says whether SIGINT stops the server (debug
    /// mode) or is ignored (managed by Terraform).
    pub fn install(interrupt_stops: bool) -> io::Result<Self> {
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            interrupt_stops,
        })
    }

    /// Completes when a signal that stops the server arrives.
    pub async fn recv(&mut self) {
        loop {
            tokio::select! {
                _ = self.terminate.recv() => return,
                Some(()) = self.interrupt.recv() => {
                    if self.interrupt_stops {
                        return;
                    }
                    tracing::debug!("ignoring SIGINT; Terraform stops providers over gRPC");
                }
            }
        }
    }
}
