#!/usr/bin/env python3
"""Builds a release of terraform-provider-kusto that users install without Rust.

For each platform (Terraform's OS_ARCH names) it cross-compiles both binaries with
`cargo build --release` and writes, into dist/ (or --dist DIR):

  terraform-provider-kusto_{VERSION}_{os}_{arch}.zip   the provider, in the Terraform registry's format:
                                                       one file, terraform-provider-kusto_v{VERSION}[.exe]
  kusto-emulator_{VERSION}_{os}_{arch}.zip             the local emulator (kusto-emulator[.exe]), to try
                                                       the provider without Azure
  terraform-provider-kusto_{VERSION}_manifest.json     the registry manifest: plugin protocol 6.0
  terraform-provider-kusto_{VERSION}_SHA256SUMS        sha256sum lines of every zip of VERSION in the
                                                       directory and of the manifest, sorted by name
  terraform-provider-kusto_{VERSION}_SHA256SUMS.sig    with --gpg-key: gpg's detached binary signature

VERSION is Cargo.toml's `[workspace.package] version`. With --mirror DIR the provider zips are also laid out as a
packed filesystem mirror, DIR/registry.terraform.io/kusto-tf/kusto/*.zip, the installation that
docs/guides/installation.md describes.

The platforms are linux_amd64 and linux_arm64, built on Linux, and darwin_amd64 and darwin_arm64, built on
macOS only (Apple's SDK and linker are not redistributable); --platform restricts them. windows_amd64
(x86_64-pc-windows-gnu, Debian's mingw-w64) is known but skipped until the plugin host builds on Windows.
The script installs what a platform needs: the Rust target through rustup and, on Debian as root, the
cross C compiler through apt-get (aws-lc-sys compiles C). A platform whose tools cannot be had on this
machine is skipped with one line saying why; the others are still built.

Building the same commit twice, in any directory, gives the same bytes: paths of the checkout, of Cargo's
home and of the Rust sysroot are remapped out of the binaries, and the zips hold one entry with a fixed
time (SOURCE_DATE_EPOCH, else the commit's time), mode 0755 and compression.

Usage: scripts/release.py [--platform OS_ARCH ...] [--dist DIR] [--mirror DIR] [--gpg-key KEYID]
Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tooling import PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE, PROVIDER_VERSION, REPO, log

PROVIDER = f"terraform-provider-{PROVIDER_TYPE}"
EMULATOR = "kusto-emulator"
# Cargo's own target/ is left to `cargo build`: these builds use other flags and would rebuild it all.
TARGET_DIR = REPO / "target" / "release-build"
# What the remapped paths read in the binaries.
REMAPPED_CHECKOUT = f"/build/{PROVIDER}"
REMAPPED_CARGO_HOME = "/cargo"
REMAPPED_SYSROOT = "/rust"
# The oldest time a zip entry can carry (MS-DOS dates start in 1980).
ZIP_EPOCH = 315532800
MANIFEST = {"version": 1, "metadata": {"protocol_versions": ["6.0"]}}


@dataclass(frozen=True)
class Platform:
    """A release platform: Terraform's OS_ARCH name and how to build for it."""

    name: str
    triple: str
    # Where it can be built: "linux" (cross C compilers from Debian) or "darwin" (Apple's clang).
    build_os: str
    # The GNU cross toolchain's prefix (aarch64-linux-gnu -> aarch64-linux-gnu-gcc) and the Debian
    # packages of the compiler and the C library it links against; unused on the machine whose own
    # compiler targets the platform.
    gnu_prefix: str = ""
    debian_packages: tuple[str, ...] = ()
    # What else its build needs in the environment.
    build_env: tuple[tuple[str, str], ...] = ()
    # Why the provider's source cannot be built for the platform yet, if it cannot.
    unsupported: str = ""

    @property
    def exe(self) -> str:
        return ".exe" if self.name.startswith("windows_") else ""


PLATFORMS = [
    Platform("linux_amd64", "x86_64-unknown-linux-gnu", "linux", "x86_64-linux-gnu",
             ("gcc-x86-64-linux-gnu", "libc6-dev-amd64-cross")),
    Platform("linux_arm64", "aarch64-unknown-linux-gnu", "linux", "aarch64-linux-gnu",
             ("gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross")),
    Platform("windows_amd64", "x86_64-pc-windows-gnu", "linux", "x86_64-w64-mingw32",
             ("gcc-mingw-w64-x86-64-win32",),
             # aws-lc-sys's own assembled objects where there is no nasm, rather than failing.
             build_env=(("AWS_LC_SYS_PREBUILT_NASM", "1"),),
             unsupported="the plugin host (src/plugin/listener.rs, signals.rs) uses unix sockets and signals"),
    Platform("darwin_amd64", "x86_64-apple-darwin", "darwin"),
    Platform("darwin_arm64", "aarch64-apple-darwin", "darwin"),
]


class Unavailable(Exception):
    """A platform's tools cannot be had on this machine; the message says why, in one line."""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, **kwargs)


def output(command: list[str]) -> str:
    return run(command, capture_output=True, text=True, cwd=REPO).stdout.strip()


def rustc_host() -> str:
    for line in output(["rustc", "-vV"]).splitlines():
        if line.startswith("host: "):
            return line.removeprefix("host: ")
    raise SystemExit("`rustc -vV` names no host")


class Toolchains:
    """Installs, once each, what the platforms need: Rust targets and Debian's cross compilers."""

    def __init__(self) -> None:
        self.host = rustc_host()
        self.apt_updated = False

    def prepare(self, platform: Platform) -> dict[str, str]:
        """Makes `platform` buildable here and returns the environment `cargo build` needs for it."""
        if platform.unsupported:
            raise Unavailable(f"not supported yet: {platform.unsupported}")
        if platform.build_os != sys.platform:
            where = {"linux": "Linux", "darwin": "macOS"}[platform.build_os]
            raise Unavailable(f"built on {where} only, this is {sys.platform}")
        self.ensure_rust_target(platform.triple)
        if platform.triple == self.host or platform.build_os == "darwin":
            return {}
        compiler = f"{platform.gnu_prefix}-gcc"
        if shutil.which(compiler) is None or not debian_installed(platform.debian_packages):
            self.apt_install(platform.debian_packages, compiler)
        suffix = platform.triple.replace("-", "_")
        return {
            f"CARGO_TARGET_{suffix.upper()}_LINKER": compiler,
            f"CC_{suffix}": compiler,
            f"AR_{suffix}": f"{platform.gnu_prefix}-ar",
            **dict(platform.build_env),
        }

    def ensure_rust_target(self, triple: str) -> None:
        libdir = Path(output(["rustc", "--print", "target-libdir", "--target", triple]))
        if any(libdir.glob("libstd-*.rlib")):
            return
        if shutil.which("rustup") is None:
            raise Unavailable(f"Rust's standard library for {triple} is not installed and there is no rustup")
        log(f"rustup target add {triple}")
        if subprocess.run(["rustup", "target", "add", triple], cwd=REPO).returncode != 0:
            raise Unavailable(f"`rustup target add {triple}` failed")

    def apt_install(self, packages: tuple[str, ...], command: str) -> None:
        names = " ".join(packages)
        if shutil.which("apt-get") is None:
            raise Unavailable(f"needs {command} (Debian: {names}) and there is no apt-get")
        if os.geteuid() != 0:
            raise Unavailable(f"needs {command}: install it as root with `apt-get install {names}`")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
        log(" ".join(install))
        installed = subprocess.run(install, env=env, stdout=sys.stderr).returncode == 0
        if not installed and not self.apt_updated:
            self.apt_updated = True
            subprocess.run(["apt-get", "update", "-q"], env=env, stdout=sys.stderr)
            installed = subprocess.run(install, env=env, stdout=sys.stderr).returncode == 0
        if not installed or shutil.which(command) is None:
            raise Unavailable(f"`apt-get install {names}` did not give {command}")


def debian_installed(packages: tuple[str, ...]) -> bool:
    """Whether dpkg has all of `packages` installed; True where there is no dpkg (the compiler alone counts)."""
    if shutil.which("dpkg-query") is None:
        return True
    query = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}\\n", *packages], capture_output=True, text=True)
    return query.returncode == 0 and query.stdout.split() == ["installed"] * len(packages)


def reproducible_env(platform_env: dict[str, str]) -> dict[str, str]:
    """The environment of a release build: this machine's paths remapped out of the output."""
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo")).resolve()
    sysroot = Path(output(["rustc", "--print", "sysroot"])).resolve()
    remaps = [(sysroot, REMAPPED_SYSROOT), (cargo_home, REMAPPED_CARGO_HOME), (REPO, REMAPPED_CHECKOUT)]
    # CARGO_ENCODED_RUSTFLAGS wins over RUSTFLAGS and build.rustflags, so nothing of the user's own adds to it.
    # rustc applies the last matching remap, so the checkout's wins over a Cargo home inside it.
    rustflags = [f"--remap-path-prefix={path}={virtual}" for path, virtual in remaps]
    env = {key: value for key, value in os.environ.items() if not key.startswith("CARGO_PROFILE_")}
    env.update(platform_env)
    env.update(
        CARGO_TARGET_DIR=str(TARGET_DIR),
        CARGO_ENCODED_RUSTFLAGS="\x1f".join(rustflags),
        # Never link an AWS-LC found installed on the machine: build the one Cargo.lock pins.
        AWS_LC_SYS_USE_SYSTEM="0",
    )
    return env


def build(platform: Platform, env: dict[str, str]) -> dict[str, Path]:
    """Builds both binaries for `platform`; returns their paths by name."""
    command = [
        "cargo", "build", "--release", "--locked", "--target", platform.triple,
        "--bin", PROVIDER, "--bin", EMULATOR,
    ]
    log(" ".join(command))
    run(command, cwd=REPO, env=env)
    out = TARGET_DIR / platform.triple / "release"
    return {name: out / f"{name}{platform.exe}" for name in (PROVIDER, EMULATOR)}


def source_date_epoch() -> int:
    """The time the zip entries carry: SOURCE_DATE_EPOCH, else the checked-out commit's time."""
    explicit = os.environ.get("SOURCE_DATE_EPOCH")
    if explicit:
        return max(int(explicit), ZIP_EPOCH)
    commit = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=REPO, capture_output=True, text=True)
    if commit.returncode != 0 or not commit.stdout.strip():
        raise SystemExit("not a git checkout: set SOURCE_DATE_EPOCH to the time the zips should carry")
    return max(int(commit.stdout), ZIP_EPOCH)


def write_zip(archive: Path, member: str, binary: Path, epoch: int) -> None:
    """Writes `archive` holding `binary` as its one entry `member`, the same bytes for the same binary."""
    entry = zipfile.ZipInfo(member, date_time=time.gmtime(epoch)[:6])
    entry.create_system = 3  # Unix, so that unzip and Terraform apply the mode below
    entry.external_attr = (stat.S_IFREG | 0o755) << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    partial = archive.with_name(archive.name + ".partial")
    with zipfile.ZipFile(partial, "w") as writer:
        writer.writestr(entry, binary.read_bytes(), compresslevel=9)
    partial.replace(archive)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(dist: Path, gpg_key: str | None) -> list[Path]:
    """Writes the manifest, SHA256SUMS over every zip of this version in `dist` and the manifest, and its
    signature when `gpg_key` is given. Returns the provider zips listed."""
    prefix = f"{PROVIDER}_{PROVIDER_VERSION}"
    manifest = dist / f"{prefix}_manifest.json"
    manifest.write_text(json.dumps(MANIFEST) + "\n")
    zips = sorted(
        path for name in (PROVIDER, EMULATOR) for path in dist.glob(f"{name}_{PROVIDER_VERSION}_*.zip")
    )
    listed = sorted([*zips, manifest], key=lambda path: path.name)
    sums = dist / f"{prefix}_SHA256SUMS"
    sums.write_text("".join(f"{sha256(path)}  {path.name}\n" for path in listed))
    signature = sums.with_name(sums.name + ".sig")
    signature.unlink(missing_ok=True)
    if gpg_key:
        gpg = shutil.which("gpg")
        if gpg is None:
            raise SystemExit("--gpg-key needs gpg (Debian: apt-get install gnupg)")
        run([gpg, "--batch", "--yes", "--local-user", gpg_key, "--output", str(signature), "--detach-sign", str(sums)])
    return [path for path in zips if path.name.startswith(f"{PROVIDER}_")]


def write_mirror(provider_zips: list[Path], mirror: Path) -> Path:
    """Copies the provider zips into the packed filesystem mirror layout under `mirror`."""
    package = mirror / PROVIDER_HOST / PROVIDER_NAMESPACE / PROVIDER_TYPE
    package.mkdir(parents=True, exist_ok=True)
    for archive in provider_zips:
        shutil.copyfile(archive, package / archive.name)
    return package


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    names = [platform.name for platform in PLATFORMS]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", action="append", choices=names, metavar="OS_ARCH",
                        help=f"build only this platform (repeatable; one of {', '.join(names)})")
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="output directory (default dist/)")
    parser.add_argument("--mirror", type=Path, help="also lay the provider zips out as a packed mirror here")
    parser.add_argument("--gpg-key", help="sign SHA256SUMS with this GPG key")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = [platform for platform in PLATFORMS if args.platform is None or platform.name in args.platform]
    dist = args.dist.resolve()
    dist.mkdir(parents=True, exist_ok=True)
    epoch = source_date_epoch()
    toolchains = Toolchains()
    built = []
    for platform in wanted:
        try:
            env = reproducible_env(toolchains.prepare(platform))
        except Unavailable as reason:
            log(f"{platform.name}: skipped: {reason}")
            continue
        started = time.monotonic()
        binaries = build(platform, env)
        for name, binary in binaries.items():
            member = f"{name}_v{PROVIDER_VERSION}{platform.exe}" if name == PROVIDER else binary.name
            write_zip(dist / f"{name}_{PROVIDER_VERSION}_{platform.name}.zip", member, binary, epoch)
        log(f"{platform.name}: built in {time.monotonic() - started:.0f} s")
        built.append(platform.name)
    if not built:
        raise SystemExit("no platform could be built on this machine")
    provider_zips = write_checksums(dist, args.gpg_key)
    for path in sorted(dist.glob(f"*_{PROVIDER_VERSION}_*")):
        log(f"{path.stat().st_size:>10} {path}")
    if args.mirror:
        log(f"packed mirror: {write_mirror(provider_zips, args.mirror.resolve())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
