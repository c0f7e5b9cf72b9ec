#!/usr/bin/env python3
"""The main job: build, start the emulator, and run the quickstart example through Terraform.

Steps: `cargo build --release`; start `kusto-emulator` on a free local port; put the provider
into a filesystem mirror; then `terraform init`, `apply`, a `plan` that must report no changes,
and `destroy` in examples/quickstart, with the emulator's credentials in the ARM_* variables the
provider reads. The emulator stops when the script ends, whatever happens.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tooling import REPO, admin, ensure_terraform, log, start_emulator, stop, terraform_env, write_mirror

EXAMPLE = REPO / "examples" / "quickstart"
# Long enough that the apply visibly waits on the long-running operation, short enough for a demo.
LRO_SECONDS = "3"


def run(terraform: Path, args: list[str], env: dict, workdir: Path) -> None:
    log("terraform " + " ".join(args))
    code = subprocess.run([str(terraform), *args], cwd=workdir, env=env).returncode
    if code != 0:
        raise SystemExit(f"terraform {args[0]} failed with exit code {code}")


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

        emulator, details = start_emulator(
            release / "kusto-emulator", scratch_dir, "--lro-seconds", LRO_SECONDS, "--retry-after", "1"
        )
        try:
            log(f"emulator listening at {details['endpoint']}")
            env = terraform_env(details, cli_config)
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
