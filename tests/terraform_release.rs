//! The release users install: what `scripts/release.py` writes, installed the way
//! docs/guides/installation.md says.
//!
//! The release is built once per test binary (every platform this machine can build; minutes
//! per platform the first time, Cargo's cache after that) into a temporary dist directory and
//! packed mirror. The tests then check it as a user and as the Terraform registry would: the
//! files, the manifest and SHA256SUMS; each zip holding exactly one executable for its
//! platform; the documented install (a CLI configuration naming the packed mirror, `terraform
//! providers lock` for every released platform, `terraform init`) and the quickstart through
//! it against the released emulator; and a second build giving the same bytes, signed.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use tempfile::TempDir;
use test_support::terraform;
use test_support::terraform::Workspace;
use test_support::terraform::emulator::Emulator;
use test_support::terraform::scenario::{APPLY, DESTROY, PLAN_DETAILED};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const REPO: &str = env!("CARGO_MANIFEST_DIR");
const PROVIDER_SOURCE: &str = "registry.terraform.io/kusto-tf/kusto";

/// Every platform release.py knows, with the executable format its binaries must have.
const PLATFORMS: [(&str, Executable); 5] = [
    ("linux_amd64", Executable::Elf { machine: 62 }),
    ("linux_arm64", Executable::Elf { machine: 183 }),
    ("windows_amd64", Executable::Pe { machine: 0x8664 }),
    ("darwin_amd64", Executable::MachO { cpu: 0x0100_0007 }),
    ("darwin_arm64", Executable::MachO { cpu: 0x0100_000c }),
];

/// An executable's format and the processor it is for, as its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Executable {
    /// 64-bit little-endian ELF, `e_machine` (62 = x86-64, 183 = AArch64).
    Elf { machine: u16 },
    /// PE32+, COFF `Machine` (0x8664 = x64).
    Pe { machine: u16 },
    /// 64-bit Mach-O, `cputype`.
    MachO { cpu: u32 },
}

impl Executable {
    /// What `bytes` are, if an executable of a format above.
    fn of(bytes: &[u8]) -> Option<Executable> {
        let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
        let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
        match bytes.get(..4)? {
            [0x7f, b'E', b'L', b'F'] if bytes.get(4..6)? == [2, 1] => Some(Executable::Elf {
                machine: u16_at(18)?,
            }),
            [b'M', b'Z', ..] => {
                let header = usize::try_from(u32_at(0x3c)?).ok()?;
                (bytes.get(header..header + 4)? == b"PE\0\0").then_some(())?;
                Some(Executable::Pe {
                    machine: u16_at(header + 4)?,
                })
            }
            [0xcf, 0xfa, 0xed, 0xfe] => Some(Executable::MachO { cpu: u32_at(4)? }),
            _ => None,
        }
    }
}

/// One built release: its dist directory, its packed mirror and what release.py said.
struct Release {
    dist: TempDir,
    mirror: TempDir,
    /// The platforms built (in [`PLATFORMS`] order).
    platforms: Vec<&'static str>,
    /// release.py's stderr: its progress and the one line per skipped platform.
    log: String,
}

impl Release {
    fn file(&self, name: &str) -> PathBuf {
        self.dist.path().join(name)
    }

    fn provider_zip(&self, platform: &str) -> PathBuf {
        self.file(&format!(
            "terraform-provider-kusto_{VERSION}_{platform}.zip"
        ))
    }

    fn emulator_zip(&self, platform: &str) -> PathBuf {
        self.file(&format!("kusto-emulator_{VERSION}_{platform}.zip"))
    }

    fn sha256sums(&self) -> PathBuf {
        self.file(&format!("terraform-provider-kusto_{VERSION}_SHA256SUMS"))
    }

    fn manifest(&self) -> PathBuf {
        self.file(&format!("terraform-provider-kusto_{VERSION}_manifest.json"))
    }

    /// The names of the zips built: the provider's and the emulator's for each platform.
    fn zip_names(&self) -> impl Iterator<Item = String> {
        self.platforms.iter().flat_map(|p| {
            [
                format!("terraform-provider-kusto_{VERSION}_{p}.zip"),
                format!("kusto-emulator_{VERSION}_{p}.zip"),
            ]
        })
    }
}

/// The release every test checks, built on first use.
fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let dist = tempfile::tempdir().expect("dist directory");
        let mirror = tempfile::tempdir().expect("mirror directory");
        let log = run_release(
            &[
                "--dist".as_ref(),
                dist.path().as_os_str(),
                "--mirror".as_ref(),
                mirror.path().as_os_str(),
            ],
            &[],
        );
        let platforms = PLATFORMS
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| {
                dist.path()
                    .join(format!("terraform-provider-kusto_{VERSION}_{name}.zip"))
                    .exists()
            })
            .collect();
        Release {
            dist,
            mirror,
            platforms,
            log,
        }
    })
}

/// Runs `python3 scripts/release.py ARGS` with `env` added; panics unless it succeeds;
/// returns its stderr.
fn run_release(args: &[&OsStr], env: &[(&str, &Path)]) -> String {
    let output = Command::new("python3")
        .arg(Path::new(REPO).join("scripts/release.py"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(REPO)
        .output()
        .expect("run python3 scripts/release.py");
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "release.py failed ({}):\n{}\n{log}",
        output.status,
        String::from_utf8_lossy(&output.stdout)
    );
    log
}

fn sha256_hex(bytes: &[u8]) -> String {
    digest(&SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Terraform's `h1:` hash of an unpacked provider package holding the one file `name`
/// (golang.org/x/mod's dirhash `Hash1`: SHA-256 over the `sha256  name` lines of its files).
fn h1_of_one_file(name: &str, bytes: &[u8]) -> String {
    let summary = format!("{}  {name}\n", sha256_hex(bytes));
    format!(
        "h1:{}",
        BASE64.encode(digest(&SHA256, summary.as_bytes()).as_ref())
    )
}

/// One entry of a zip's central directory.
#[derive(Debug)]
struct ZipEntry {
    name: String,
    /// The upper byte of "version made by": 3 = Unix, whose mode `external_attributes >> 16` is.
    made_by_os: u8,
    mode: u32,
    /// 8 = deflate.
    method: u16,
}

/// Reads a zip's central directory (a zip without an archive comment, as release.py writes).
fn zip_entries(archive: &[u8]) -> Vec<ZipEntry> {
    let u16_at = |at: usize| u16::from_le_bytes([archive[at], archive[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(archive[at..at + 4].try_into().expect("4 bytes"));
    assert!(archive.len() >= 22, "not a zip: {} bytes", archive.len());
    let end = archive.len() - 22;
    assert_eq!(
        u32_at(end),
        0x0605_4b50,
        "no end of central directory record"
    );
    let count = u16_at(end + 10);
    let mut at = u32_at(end + 16) as usize;
    let mut entries = Vec::new();
    for _ in 0..count {
        assert_eq!(u32_at(at), 0x0201_4b50, "bad central directory entry");
        let name_length = usize::from(u16_at(at + 28));
        let skip = usize::from(u16_at(at + 30)) + usize::from(u16_at(at + 32));
        entries.push(ZipEntry {
            name: String::from_utf8(archive[at + 46..at + 46 + name_length].to_vec())
                .expect("UTF-8 entry name"),
            made_by_os: archive[at + 5],
            mode: u32_at(at + 38) >> 16,
            method: u16_at(at + 10),
        });
        at += 46 + name_length + skip;
    }
    entries
}

/// Unzips `archive` into a new directory (Python's zipfile, which release.py needs anyway)
/// and returns it with the one file it must hold.
fn unzip_one(archive: &Path, expected_name: &str) -> (TempDir, PathBuf) {
    let bytes = fs::read(archive).expect("read zip");
    let entries = zip_entries(&bytes);
    assert_eq!(
        entries.len(),
        1,
        "{} holds {entries:?}, not one file",
        archive.display()
    );
    let entry = &entries[0];
    assert_eq!(entry.name, expected_name, "{}", archive.display());
    assert_eq!(
        entry.made_by_os,
        3,
        "{} entry is not a Unix one",
        archive.display()
    );
    assert_eq!(
        entry.mode,
        0o100_755,
        "{} entry mode {:o}",
        archive.display(),
        entry.mode
    );
    assert_eq!(
        entry.method,
        8,
        "{} entry is not deflated",
        archive.display()
    );

    let dir = tempfile::tempdir().expect("unzip directory");
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(archive)
        .arg(dir.path())
        .status()
        .expect("run python3 -m zipfile");
    assert!(status.success(), "unzipping {} failed", archive.display());
    let listed: Vec<String> = fs::read_dir(dir.path())
        .expect("list unzipped")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listed, [expected_name], "{}", archive.display());
    let file = dir.path().join(expected_name);
    fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).expect("chmod");
    (dir, file)
}

fn executable_suffix(platform: &str) -> &'static str {
    if platform.starts_with("windows_") {
        ".exe"
    } else {
        ""
    }
}

fn provider_binary_name(platform: &str) -> String {
    format!(
        "terraform-provider-kusto_v{VERSION}{}",
        executable_suffix(platform)
    )
}

/// The `hashes` of the one provider entry of a `.terraform.lock.hcl`.
fn locked_hashes(lock_file: &str) -> BTreeSet<String> {
    assert_eq!(
        lock_file.matches("provider \"").count(),
        1,
        "one provider entry expected:\n{lock_file}"
    );
    assert!(
        lock_file.contains(&format!("provider \"{PROVIDER_SOURCE}\""))
            && lock_file.contains(&format!("version     = \"{VERSION}\"")),
        "{lock_file}"
    );
    lock_file
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_platform_is_built_or_skipped_with_a_reason() {
    let release = release();
    let host = terraform::platform();
    assert!(
        release.platforms.contains(&host.as_str()),
        "the host platform {host} was not built:\n{}",
        release.log
    );
    for (platform, _) in PLATFORMS {
        let skipped = format!("==> {platform}: skipped: ");
        let said = release
            .log
            .lines()
            .filter(|l| l.starts_with(&skipped))
            .count();
        if release.platforms.contains(&platform) {
            assert_eq!(
                said, 0,
                "{platform} was built and skipped:\n{}",
                release.log
            );
        } else {
            assert_eq!(
                said, 1,
                "{platform} was skipped without one line saying why:\n{}",
                release.log
            );
        }
    }

    let mut expected: BTreeSet<String> = release.zip_names().collect();
    expected.insert(format!("terraform-provider-kusto_{VERSION}_SHA256SUMS"));
    expected.insert(format!("terraform-provider-kusto_{VERSION}_manifest.json"));
    let written: BTreeSet<String> = fs::read_dir(release.dist.path())
        .expect("list dist")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        written, expected,
        "no signature without --gpg-key, nothing else"
    );

    let package = release.mirror.path().join(PROVIDER_SOURCE);
    let mirrored: BTreeSet<String> = fs::read_dir(&package)
        .expect("list the packed mirror")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let provider_zips: BTreeSet<String> = expected
        .iter()
        .filter(|name| name.starts_with("terraform-provider-kusto_") && name.ends_with(".zip"))
        .cloned()
        .collect();
    assert_eq!(
        mirrored, provider_zips,
        "the mirror holds the provider zips only"
    );
    for name in &mirrored {
        assert_eq!(
            fs::read(package.join(name)).expect("mirrored zip"),
            fs::read(release.file(name)).expect("dist zip"),
            "{name}"
        );
    }
}

#[test]
fn the_manifest_and_sha256sums_describe_the_release() {
    let release = release();
    let manifest: Value =
        serde_json::from_slice(&fs::read(release.manifest()).expect("manifest")).expect("JSON");
    assert_eq!(
        manifest,
        json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );

    let sums = fs::read_to_string(release.sha256sums()).expect("SHA256SUMS");
    let mut listed = Vec::new();
    for line in sums.lines() {
        let (hash, name) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("not a sha256sum line: {line:?}"));
        assert!(
            hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{line:?}"
        );
        let bytes = fs::read(release.file(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sha256_hex(&bytes), hash, "{name}");
        listed.push(name.to_owned());
    }
    assert!(sums.ends_with('\n'), "{sums:?}");
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "SHA256SUMS is sorted by name");
    let mut expected: Vec<String> = release.zip_names().collect();
    expected.push(format!("terraform-provider-kusto_{VERSION}_manifest.json"));
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn each_zip_holds_one_executable_for_its_platform() {
    let release = release();
    for (platform, format) in PLATFORMS {
        if !release.platforms.contains(&platform) {
            continue;
        }
        let suffix = executable_suffix(platform);
        for (archive, name) in [
            (
                release.provider_zip(platform),
                provider_binary_name(platform),
            ),
            (
                release.emulator_zip(platform),
                format!("kusto-emulator{suffix}"),
            ),
        ] {
            let (_dir, file) = unzip_one(&archive, &name);
            let bytes = fs::read(&file).expect("unzipped binary");
            assert_eq!(
                Executable::of(&bytes),
                Some(format),
                "{} is not a {platform} executable",
                archive.display()
            );
        }
    }
}

#[test]
fn terraform_installs_the_release_from_the_packed_mirror_and_runs_the_quickstart() {
    let release = release();
    let host = terraform::platform();
    let config_dir = tempfile::tempdir().expect("CLI configuration directory");
    let config = config_dir.path().join("kusto.tfrc");
    let mirror = release.mirror.path().to_str().expect("UTF-8 mirror path");
    fs::write(
        &config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {mirror:?}\n    include = [\"{PROVIDER_SOURCE}\"]\n  }}\n  direct {{\n    exclude = [\"{PROVIDER_SOURCE}\"]\n  }}\n}}\n"
        ),
    )
    .expect("write the CLI configuration");

    let (_emulator_dir, emulator_binary) =
        unzip_one(&release.emulator_zip(&host), "kusto-emulator");
    let emulator = Emulator::start_binary(
        &emulator_binary,
        &["--lro-seconds", "0", "--retry-after", "0"],
    );
    let mut workspace = Workspace::new().installing_with(config).env(
        "TF_VAR_subscription_id",
        emulator.ready().subscription_id.clone(),
    );
    for (key, value) in emulator.provider_env() {
        workspace = workspace.env(key, value);
    }
    let quickstart = Path::new(REPO).join("examples/quickstart/main.tf");
    workspace.config(&fs::read_to_string(quickstart).expect("examples/quickstart/main.tf"));

    let mut lock = vec![
        "providers".to_owned(),
        "lock".to_owned(),
        format!("-fs-mirror={mirror}"),
    ];
    lock.extend(release.platforms.iter().map(|p| format!("-platform={p}")));
    let lock: Vec<&str> = lock.iter().map(String::as_str).collect();
    workspace.terraform(&lock).success();

    let lock_path = workspace.path().join(".terraform.lock.hcl");
    let locked =
        fs::read_to_string(&lock_path).expect("terraform providers lock wrote the lock file");
    let hashes = locked_hashes(&locked);
    let sums = fs::read_to_string(release.sha256sums()).expect("SHA256SUMS");
    let mut expected_h1 = BTreeSet::new();
    for platform in &release.platforms {
        let name = provider_binary_name(platform);
        let (_dir, file) = unzip_one(&release.provider_zip(platform), &name);
        expected_h1.insert(h1_of_one_file(
            &name,
            &fs::read(file).expect("unzipped provider"),
        ));
    }
    let provider_zh: BTreeSet<String> = sums
        .lines()
        .filter(|l| l.contains("  terraform-provider-kusto_") && l.ends_with(".zip"))
        .filter_map(|l| l.split_once("  ").map(|(hash, _)| format!("zh:{hash}")))
        .collect();
    assert_eq!(
        hashes
            .iter()
            .filter(|h| h.starts_with("h1:"))
            .cloned()
            .collect::<BTreeSet<_>>(),
        expected_h1,
        "one h1: per released platform, each the hash of that zip's contents:\n{locked}"
    );
    let zh: BTreeSet<String> = hashes
        .iter()
        .filter(|h| h.starts_with("zh:"))
        .cloned()
        .collect();
    assert!(
        zh.is_subset(&provider_zh),
        "zh: hashes must be SHA256SUMS entries of provider zips:\n{locked}"
    );

    let init = workspace.init();
    let said = format!("{}{}", init.stdout, init.stderr);
    assert!(
        !said.contains("Incomplete lock file information"),
        "the lock covers every platform, so init must not warn:\n{said}"
    );
    assert_eq!(
        fs::read_to_string(&lock_path).expect("lock file after init"),
        locked,
        "init verified the archive against the lock and added nothing"
    );

    workspace.terraform(&APPLY).success();
    let plan = workspace.terraform(&PLAN_DETAILED);
    assert_eq!(
        plan.code(),
        Some(0),
        "a second plan must be empty:\n{}",
        plan.output()
    );
    assert_eq!(emulator.data_connections().len(), 1);
    workspace.terraform(&DESTROY).success();
    assert!(
        emulator.data_connections().is_empty(),
        "destroy left {:?}",
        emulator.data_connections()
    );
}

/// A GPG home with a throwaway signing key, removed (and its agent stopped) on drop.
struct ThrowawayKey {
    home: TempDir,
    fingerprint: String,
}

impl ThrowawayKey {
    fn new() -> ThrowawayKey {
        let home = tempfile::tempdir().expect("GNUPGHOME");
        gpg(
            home.path(),
            &[
                "--passphrase",
                "",
                "--quick-generate-key",
                "Release Test <release-test@example.invalid>",
                "ed25519",
                "sign",
                "never",
            ],
        );
        let listing = gpg(home.path(), &["--with-colons", "--list-secret-keys"]);
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:::::::::"))
            .and_then(|rest| rest.split(':').next())
            .expect("the new key's fingerprint")
            .to_owned();
        ThrowawayKey { home, fingerprint }
    }
}

impl Drop for ThrowawayKey {
    fn drop(&mut self) {
        // The agent gpg started for this home would outlive the test otherwise.
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.home.path())
            .status();
    }
}

/// `gpg --batch ARGS` in the GPG home `home`: its exit status and output.
fn gpg_output(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new("gpg")
        .arg("--batch")
        .args(args)
        .env("GNUPGHOME", home)
        .output()
        .expect("run gpg (Debian: apt-get install gnupg)")
}

/// `gpg --batch ARGS` in `home`; panics unless it succeeds; returns its stdout.
fn gpg(home: &Path, args: &[&str]) -> String {
    let output = gpg_output(home, args);
    assert!(
        output.status.success(),
        "gpg {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_second_build_gives_the_same_bytes_and_signs_the_sums() {
    let first = release();
    let key = ThrowawayKey::new();
    let dist = tempfile::tempdir().expect("second dist directory");
    run_release(
        &[
            "--dist".as_ref(),
            dist.path().as_os_str(),
            "--gpg-key".as_ref(),
            key.fingerprint.as_ref(),
        ],
        &[("GNUPGHOME", key.home.path())],
    );

    let second =
        |name: String| fs::read(dist.path().join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    for platform in &first.platforms {
        for archive in [first.provider_zip(platform), first.emulator_zip(platform)] {
            let name = archive
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            assert!(
                fs::read(&archive).expect("first zip") == second(name.clone()),
                "{name} differs between two builds of the same commit"
            );
        }
    }
    let sums_name = format!("terraform-provider-kusto_{VERSION}_SHA256SUMS");
    assert_eq!(
        String::from_utf8(second(sums_name.clone())).expect("UTF-8"),
        fs::read_to_string(first.sha256sums()).expect("first SHA256SUMS")
    );

    let signature = dist.path().join(format!("{sums_name}.sig"));
    let sums = dist.path().join(&sums_name);
    let (signature, sums) = (
        signature.to_str().expect("UTF-8"),
        sums.to_str().expect("UTF-8"),
    );
    let signed = fs::read(signature).expect("the detached signature");
    assert_ne!(
        signed.first(),
        Some(&b'-'),
        "a binary signature, not ASCII armour"
    );
    gpg(key.home.path(), &["--verify", signature, sums]);
    fs::write(dist.path().join(&sums_name), "tampered\n").expect("tamper");
    assert!(
        !gpg_output(key.home.path(), &["--verify", signature, sums])
            .status
            .success(),
        "a changed SHA256SUMS must not verify"
    );
}
