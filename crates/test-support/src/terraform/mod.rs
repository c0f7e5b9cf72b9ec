//! Drives the real `terraform` binary against the provider of this build, for the provider
//! package's end-to-end tests.
//!
//! In the spirit of terraform-plugin-testing: every test gets a fresh working directory whose CLI
//! configuration installs `registry.terraform.io/kusto-tf/kusto` from a filesystem mirror holding
//! the freshly built provider binary, so `terraform init` works exactly as it does for users.
//!
//! The Terraform CLI is `$KUSTO_TEST_TERRAFORM` (set by `scripts/test.py`), else the one on PATH.
//!
//! [`emulator`] runs a `kusto-emulator` per test, [`scenario`] builds the resource tests'
//! steps on both, and [`faults`] adds the fault matrix's. The harness is a library rather than a
//! module each test binary compiles: every binary uses a different part of it.

pub mod emulator;
pub mod faults;
pub mod scenario;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use tempfile::TempDir;

/// The provider's version, as the release and the mirror name it (the workspace's version,
/// which every package shares).
pub const PROVIDER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The provider binary's name, as Cargo builds it and the mirror installs it.
const PROVIDER_BINARY: &str = "terraform-provider-kusto";

/// A Terraform working directory with the provider installable from the mirror.
pub struct Workspace {
    dir: TempDir,
    env: Vec<(String, String)>,
    /// The CLI configuration when not the harness's mirror of this build.
    cli_config: Option<PathBuf>,
}

/// What a Terraform command did.
pub struct Run {
    pub args: String,
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with the whole output unless the command succeeded.
    #[track_caller]
    pub fn success(self) -> Self {
        assert!(
            self.status.success(),
            "terraform {} failed:\n{}",
            self.args,
            self.output()
        );
        self
    }

    /// Panics with the whole output unless the command failed.
    #[track_caller]
    pub fn failure(self) -> Self {
        assert!(
            !self.status.success(),
            "terraform {} unexpectedly succeeded:\n{}",
            self.args,
            self.output()
        );
        self
    }

    /// Panics with the whole output unless stderr contains `text`; `what` says what it is.
    #[track_caller]
    pub fn assert_stderr_contains(&self, text: &str, what: &str) {
        assert!(
            self.stderr.contains(text),
            "{what}: stderr does not contain {text:?}:\n{}",
            self.output()
        );
    }

    /// Panics with the whole output unless the diagnostics ([`Run::stderr_text`]) contain
    /// `text`; `what` says what it is.
    #[track_caller]
    pub fn assert_says(&self, text: &str, what: &str) {
        assert!(
            self.stderr_text().contains(text),
            "{what}: the diagnostics do not say {text:?}:\n{}",
            self.output()
        );
    }

    /// The exit code (`-detailed-exitcode` gives 0 = no changes, 2 = changes, 1 = error).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// stderr with every run of whitespace made one space: Terraform wraps a diagnostic's
    /// text at 78 columns, so a message may span lines.
    pub fn stderr_text(&self) -> String {
        self.stderr.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// stdout and stderr together, as a user would read them.
    pub fn output(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace::new()
    }
}

impl Workspace {
    /// A new, empty working directory.
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().expect("temporary directory"),
            env: Vec::new(),
            cli_config: None,
        }
    }

    /// Uses the CLI configuration `config` (`TF_CLI_CONFIG_FILE`) instead of the one that
    /// installs this build, to install the provider as users do.
    pub fn installing_with(mut self, config: PathBuf) -> Self {
        self.cli_config = Some(config);
        self
    }

    /// Sets an environment variable for every Terraform command of this workspace (after the
    /// developer's `ARM_*`/`TF_*` settings are removed).
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The temporary directory of this workspace's Terraform and provider processes.
    fn temp_dir(&self) -> PathBuf {
        let dir = self.dir.path().join(".tmp");
        fs::create_dir_all(&dir).expect("create the workspace's temporary directory");
        dir
    }

    /// Writes (or replaces) `main.tf`.
    pub fn config(&self, hcl: &str) -> &Self {
        fs::write(self.dir.path().join("main.tf"), hcl).expect("write main.tf");
        self
    }

    /// Runs `terraform plan` (no saved plan, no prompts).
    pub fn plan(&self) -> Run {
        self.terraform(&scenario::PLAN)
    }

    /// Runs `terraform import` of `id` into `address`.
    pub fn import(&self, address: &str, id: &str) -> Run {
        self.terraform(&["import", "-input=false", "-no-color", address, id])
    }

    /// `terraform <args>` in the working directory with this workspace's environment, not
    /// started yet (to run it in the background and interrupt it).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(terraform_cli());
        command.args(args).current_dir(self.dir.path());
        for (key, _) in std::env::vars_os().filter(|(k, _)| is_ambient_setting(k)) {
            command.env_remove(key);
        }
        command
            .env(
                "TF_CLI_CONFIG_FILE",
                self.cli_config.clone().unwrap_or_else(cli_config),
            )
            // The provider's files outliving one process (what preflight validation found)
            // stay with this workspace.
            .env("TMPDIR", self.temp_dir())
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs `terraform <args>` in the working directory.
    pub fn terraform(&self, args: &[&str]) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = self.command(args).output().expect("run terraform");
        Run {
            args: args.join(" "),
            status,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// `terraform init` from the mirror; panics if it fails.
    pub fn init(&self) -> Run {
        self.terraform(&["init", "-input=false", "-no-color"])
            .success()
    }
}

/// Azure and Terraform settings from the developer's shell (or a CI job's OIDC, managed
/// identity or AKS variables) must not leak into tests; its `TF_LOG*` settings may, to debug
/// a test.
fn is_ambient_setting(key: &OsString) -> bool {
    let key = key.to_string_lossy();
    key.starts_with("ARM_")
        || key.starts_with("AZURE_")
        || key.starts_with("ACTIONS_ID_TOKEN_REQUEST_")
        || (key.starts_with("TF_") && !key.starts_with("TF_LOG"))
        || [
            "SSL_CERT_FILE",
            "SYSTEM_OIDCREQUESTURI",
            "SYSTEM_ACCESSTOKEN",
            "IDENTITY_ENDPOINT",
            "IDENTITY_HEADER",
            "MSI_ENDPOINT",
        ]
        .contains(&key.as_ref())
}

/// The Terraform CLI under test.
pub fn terraform_cli() -> PathBuf {
    static CLI: OnceLock<PathBuf> = OnceLock::new();
    CLI.get_or_init(|| {
        if let Some(explicit) = std::env::var_os("KUSTO_TEST_TERRAFORM") {
            return PathBuf::from(explicit);
        }
        std::env::var_os("PATH")
            .and_then(|path| std::env::split_paths(&path).map(|dir| dir.join("terraform")).find(|p| p.is_file()))
            .expect("no Terraform CLI: run the tests with `python3 scripts/test.py`, which installs one")
    })
    .clone()
}

/// A provider the harness installs from its filesystem mirror: a binary of this workspace,
/// served at a registry address as one release.
struct Mirrored {
    address: &'static str,
    version: &'static str,
    package: &'static str,
    binary: &'static str,
}

/// This build of the provider.
const KUSTO: Mirrored = Mirrored {
    address: "registry.terraform.io/kusto-tf/kusto",
    version: PROVIDER_VERSION,
    package: PROVIDER_BINARY,
    binary: PROVIDER_BINARY,
};

/// The stand-in for azurerm (`crates/azurerm-stand-in`), as the release that wrote the state
/// fixture in `testdata/azurerm/`.
const AZURERM_STAND_IN: Mirrored = Mirrored {
    address: "registry.terraform.io/hashicorp/azurerm",
    version: "5.2.0",
    package: "azurerm-stand-in",
    binary: "terraform-provider-azurerm",
};

/// Whether the Terraform under test is release `major.minor` or later; when it is not, says
/// on stderr that the test has nothing to check, since `feature` came with that release.
pub fn terraform_has(feature: &str, (major, minor): (u32, u32)) -> bool {
    let output = Command::new(terraform_cli())
        .args(["version", "-json"])
        .output()
        .expect("terraform version");
    let version: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("terraform version -json");
    let text = version["terraform_version"].as_str().unwrap_or_default();
    let mut numbers = text.split('.').map(|n| n.parse::<u32>().unwrap_or(0));
    let found = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    let supported = found >= (major, minor);
    if !supported {
        eprintln!(
            "Terraform {text} has no {feature} ({major}.{minor} and later): nothing to check"
        );
    }
    supported
}

/// The CLI configuration that installs this provider from a mirror of the just-built binary.
fn cli_config() -> PathBuf {
    static CONFIG: OnceLock<PathBuf> = OnceLock::new();
    CONFIG.get_or_init(|| mirror("kusto", &[KUSTO])).clone()
}

/// The CLI configuration that installs this provider and, at azurerm's address, the
/// stand-in for azurerm: for states that azurerm wrote (see [`Workspace::installing_with`]).
pub fn cli_config_with_azurerm_stand_in() -> PathBuf {
    static CONFIG: OnceLock<PathBuf> = OnceLock::new();
    CONFIG
        .get_or_init(|| mirror("kusto-azurerm", &[KUSTO, AZURERM_STAND_IN]))
        .clone()
}

/// Installs `providers` into the mirror and writes a CLI configuration named after `name`
/// that installs them from it.
///
/// Each binary comes from [`crate::binary`]: the one Cargo built for the running test's
/// profile (built first when it is not, as for a test of another package). The mirror lives
/// in that profile directory and is refreshed once per test process and configuration; each
/// copy is written beside its final name and renamed, so concurrent test processes never see
/// a half-written binary.
fn mirror(name: &str, providers: &[Mirrored]) -> PathBuf {
    let root = crate::profile_dir().join("terraform-mirror");
    let mirror = root.join("mirror");
    let mut includes = Vec::new();
    for provider in providers {
        let built = crate::binary(provider.package, provider.binary);
        let package = mirror
            .join(provider.address)
            .join(provider.version)
            .join(platform());
        fs::create_dir_all(&package).expect("create mirror");
        let installed = package.join(format!("{}_v{}", provider.binary, provider.version));
        let partial = package.join(format!(".partial-{}", std::process::id()));
        fs::copy(&built, &partial).expect("copy provider");
        fs::rename(&partial, &installed).expect("install provider into mirror");
        includes.push(format!("\"{}\"", provider.address));
    }
    let config = root.join(format!("terraformrc-{name}-{}", std::process::id()));
    fs::write(
        &config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [{}]\n  }}\n}}\n",
            mirror.display(),
            includes.join(", ")
        ),
    )
    .expect("write CLI configuration");
    config
}

/// The platform this machine is, in Terraform's `OS_ARCH` form (`linux_amd64`).
pub fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}
