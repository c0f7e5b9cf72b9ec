#!/usr/bin/env python3
"""The main job: build, start the emulator, and run the quickstart example through Terraform.

Steps: `cargo build --release`; start `kusto-emulator` on a free local port; put the provider
into a filesystem mirror; then `terraform init`, `apply`, a `plan` that must report no changes,
and `destroy` in examples/quickstart, with the emulator's credentials in the ARM_* variables the
provider reads. The emulator stops when the script ends, whatever happens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tooling import REPO, ensure_terraform, log, write_mirror

EXAMPLE = REPO / "examples" / "quickstart"
# Long enough that the apply visibly waits on the long-running operation, short enough for a demo.
LRO_SECONDS = "3"


def start_emulator(binary: Path, workdir: Path) -> tuple[subprocess.Popen, dict]:
    """Starts the emulator and returns it with the JSON line it prints when ready."""
    process = subprocess.Popen(
        [str(binary), "--lro-seconds", LRO_SECONDS, "--retry-after", "1"],
        cwd=workdir, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise SystemExit(f"kusto-emulator exited with {process.returncode} before it was ready")
    return process, json.loads(line)


def terraform_env(emulator: dict, cli_config: Path) -> dict:
    """The environment a user would export to point the provider at the emulator."""
    return dict(
        os.environ,
        TF_CLI_CONFIG_FILE=str(cli_config),
        TF_IN_AUTOMATION="1",
        ARM_METADATA_HOSTNAME=emulator["metadata_host"],
        ARM_TENANT_ID=emulator["tenant_id"],
        ARM_SUBSCRIPTION_ID=emulator["subscription_id"],
        ARM_CLIENT_ID=emulator["client_id"],
        ARM_CLIENT_SECRET=emulator["client_secret"],
        SSL_CERT_FILE=emulator["ca_cert"],
        TF_VAR_subscription_id=emulator["subscription_id"],
    )


def run(terraform: Path, args: list[str], env: dict, workdir: Path, ok_codes: tuple[int, ...] = (0,)) -> int:
    log("terraform " + " ".join(args))
    code = subprocess.run([str(terraform), *args], cwd=workdir, env=env).returncode
    if code not in ok_codes:
        raise SystemExit(f"terraform {args[0]} failed with exit code {code}")
    return code


def main() -> int:
    terraform = ensure_terraform()
    log("cargo build --release")
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=REPO, check=True)
    release = REPO / "target" / "release"

    with tempfile.TemporaryDirectory(prefix="kusto-quickstart-") as scratch:
        scratch_dir = Path(scratch)
        cli_config = write_mirror(release / "terraform-provider-kusto", scratch_dir)
        workdir = scratch_dir / "quickstart"
        workdir.mkdir()
        for source in EXAMPLE.glob("*.tf"):
            (workdir / source.name).write_text(source.read_text())

        emulator, details = start_emulator(release / "kusto-emulator", scratch_dir)
        try:
            log(f"emulator listening at {details['endpoint']}")
            env = terraform_env(details, cli_config)
            run(terraform, ["init", "-input=false"], env, workdir)
            run(terraform, ["apply", "-input=false", "-auto-approve"], env, workdir)
            run(terraform, ["plan", "-input=false", "-detailed-exitcode"], env, workdir)
            run(terraform, ["destroy", "-input=false", "-auto-approve"], env, workdir)
        finally:
            emulator.terminate()
            emulator.wait()
    log("quickstart finished: created, planned with no changes, destroyed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
