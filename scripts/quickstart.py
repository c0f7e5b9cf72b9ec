#!/usr/bin/env python3
"""The main job: build, start the emulator, and run the quickstart example through Terraform.

Steps: build a release for this machine's platform (scripts/release.py) into a packed filesystem
mirror and install the provider from it as docs/guides/installation.md says (a CLI configuration
naming the mirror, `terraform providers lock`); start the released `kusto-emulator` on a free local
port; then `terraform init`, `apply`, a `plan` that must report no changes, and `destroy` in
examples/quickstart, with the emulator's credentials in the ARM_* variables the provider reads.
The emulator stops when the script ends, whatever happens.
"""

from __future__ import annotations

import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import release
from tooling import (
    PROVIDER_VERSION, REPO, admin, ensure_terraform, log, platform_dir, start_emulator, stop, terraform_env,
    write_cli_config,
)

EXAMPLE = REPO / "examples" / "quickstart"
# Long enough that the apply visibly waits on the long-running operation, short enough for a demo.
LRO_SECONDS = "3"


def run(terraform: Path, args: list[str], env: dict, workdir: Path) -> None:
    log("terraform " + " ".join(args))
    code = subprocess.run([str(terraform), *args], cwd=workdir, env=env).returncode
    if code != 0:
        raise SystemExit(f"terraform {args[0]} failed with exit code {code}")


def unpack_emulator(archive: Path, into: Path) -> Path:
    """Unzips the released kusto-emulator and makes it executable (zipfile keeps no modes)."""
    with zipfile.ZipFile(archive) as reader:
        binary = Path(reader.extract("kusto-emulator", into))
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


def main() -> int:
    terraform = ensure_terraform()
    platform = platform_dir()

    with tempfile.TemporaryDirectory(prefix="kusto-quickstart-") as scratch:
        scratch_dir = Path(scratch)
        dist, mirror = scratch_dir / "dist", scratch_dir / "mirror"
        release.main(["--platform", platform, "--dist", str(dist), "--mirror", str(mirror)])
        emulator_binary = unpack_emulator(dist / f"kusto-emulator_{PROVIDER_VERSION}_{platform}.zip", scratch_dir)
        cli_config = write_cli_config(mirror, scratch_dir / "kusto.tfrc")
        workdir = scratch_dir / "quickstart"
        workdir.mkdir()
        for source in EXAMPLE.glob("*.tf"):
            (workdir / source.name).write_text(source.read_text())

        emulator, details = start_emulator(
            emulator_binary, scratch_dir, "--lro-seconds", LRO_SECONDS, "--retry-after", "1"
        )
        try:
            log(f"emulator listening at {details['endpoint']}")
            env = terraform_env(details, cli_config)
            run(terraform, ["providers", "lock", f"-fs-mirror={mirror}", f"-platform={platform}"], env, workdir)
            run(terraform, ["init", "-input=false"], env, workdir)
            run(terraform, ["apply", "-input=false", "-auto-approve"], env, workdir)
            run(terraform, ["plan", "-input=false", "-detailed-exitcode"], env, workdir)
            run(terraform, ["destroy", "-input=false", "-auto-approve"], env, workdir)
            leftovers = admin(details, "GET", "/data-connections")
            if leftovers:
                raise SystemExit(f"destroy left {len(leftovers)} data connection(s) in the emulator")
        finally:
            stop(emulator)
    log("quickstart finished: created, planned with no changes, destroyed, nothing left in the emulator")
    return 0


if __name__ == "__main__":
    sys.exit(main())
