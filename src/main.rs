//! The provider binary Terraform starts: reads the command line, starts logging and hands
//! the provider's gRPC routes to the plugin host.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use terraform_plugin::host::{self, Mode};
use terraform_plugin::proto6;
use terraform_provider_kusto::KustoProvider;

/// The source address users write in `required_providers`, and the key of
/// `TF_REATTACH_PROVIDERS` in debug mode.
const PROVIDER_ADDRESS: &str = "registry.terraform.io/kusto-tf/kusto";

const USAGE: &str = "\
Usage: terraform-provider-kusto [--debug]

Terraform starts this provider itself; it is not meant to be run by hand.

Options:
  --debug     Serve without Terraform managing the process, and print the
              TF_REATTACH_PROVIDERS value that makes Terraform use it
  --help      Show this help
  --version   Show the provider version";

/// What the command line asks for.
enum Command {
    Serve(Mode),
    Help,
    Version,
}

fn parse_args(mut args: impl Iterator<Item = OsString>) -> Result<Command, String> {
    let command = match args.next() {
        None => Command::Serve(Mode::Managed),
        Some(arg) => match arg.to_str() {
            Some("--debug") => Command::Serve(Mode::Debug {
                provider_address: PROVIDER_ADDRESS,
            }),
            Some("-h" | "--help") => Command::Help,
            Some("--version") => Command::Version,
            _ => return Err(format!("unknown argument {arg:?}")),
        },
    };
    match args.next() {
        None => Ok(command),
        Some(extra) => Err(format!("unexpected argument {extra:?}")),
    }
}

/// Writes a line, ignoring failure: the stream may already be closed, and there is no
/// other place to report to.
fn write_line(mut out: impl Write, text: &str) {
    let _ = writeln!(out, "{text}");
}

#[tokio::main]
async fn main() -> ExitCode {
    let mode = match parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Serve(mode)) => mode,
        Ok(Command::Help) => {
            write_line(std::io::stdout(), USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            write_line(
                std::io::stdout(),
                concat!("terraform-provider-kusto ", env!("CARGO_PKG_VERSION")),
            );
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            write_line(std::io::stderr(), &format!("{message}\n\n{USAGE}"));
            return ExitCode::from(2);
        }
    };

    host::logging::init("kusto", &["terraform_provider_kusto", "kusto_arm"]);
    match host::serve(proto6::provider_routes(KustoProvider::new()), mode).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            write_line(std::io::stderr(), &error.to_string());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(OsString::from))
    }

    #[test]
    fn no_arguments_means_terraform_started_us() {
        assert!(matches!(parse(&[]), Ok(Command::Serve(Mode::Managed))));
    }

    #[test]
    fn debug_flag_serves_for_reattaching_under_our_address() {
        assert!(matches!(
            parse(&["--debug"]),
            Ok(Command::Serve(Mode::Debug {
                provider_address: PROVIDER_ADDRESS
            }))
        ));
    }

    #[test]
    fn help_and_version_are_recognised() {
        assert!(matches!(parse(&["--help"]), Ok(Command::Help)));
        assert!(matches!(parse(&["-h"]), Ok(Command::Help)));
        assert!(matches!(parse(&["--version"]), Ok(Command::Version)));
    }

    #[test]
    fn unknown_or_extra_arguments_are_errors() {
        assert!(parse(&["--verbose"]).is_err());
        assert!(parse(&["--debug", "--debug"]).is_err());
        // Not valid UTF-8: an error, not a panic.
        let invalid = std::os::unix::ffi::OsStringExt::from_vec(vec![0xff, 0xfe]);
        assert!(parse_args([invalid].into_iter()).is_err());
    }
}
