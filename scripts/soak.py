#!/usr/bin/env python3
"""Soak benchmark: 300 data connections through Terraform while Azure throttles and fails at random.

Starts the release `kusto-emulator` with a fault plan that answers about 5 % of the ARM requests
(`/subscriptions/...`, polls included) with 429 (Retry-After 1 s) or 503, at random from a fixed
seed so that runs repeat; then `terraform apply`, `plan -detailed-exitcode` and `destroy` of 300
connections on one cluster. It prints each command's wall time and exit code, the injected faults
(from the emulator's request log), the operations that did not succeed (from its operations list),
the connections left in the emulator after destroy and the provider processes' peak RSS (measured
as scripts/bench.py does, by wrapping the provider binary).

Exits non-zero when a command failed, the plan after apply was not empty, an operation failed or
something was left behind. This is a benchmark, not a test: run it by hand after
`cargo build --release`.

Usage: scripts/soak.py [--connections N] [--fault-rate P] [--seed S] [--lro-seconds N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import CONNECTIONS, REQUIRED_PROVIDERS, RSS_WRAPPER
from tooling import REPO, admin, ensure_terraform, log, start_emulator, stop, terraform_env, write_mirror

RELEASE = REPO / "target" / "release"


def fault_plan(rate: float, seed: int) -> dict:
    """Half of `rate` as 429 with Retry-After 1 s, half as 503, on every ARM request."""
    half = rate / 2
    return {
        "seed": seed,
        "rules": [
            {"path": "/subscriptions/*", "probability": half,
             "action": {"type": "status", "status": 429, "retry_after": 1}},
            {"path": "/subscriptions/*", "probability": half,
             "action": {"type": "status", "status": 503}},
        ],
    }


def terraform(cli: Path, args: list[str], env: dict, workdir: Path) -> tuple[float, int, str]:
    """Runs one Terraform command; returns (wall seconds, exit code, output tail)."""
    started = time.perf_counter()
    result = subprocess.run([str(cli), *args], cwd=workdir, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
    return elapsed, result.returncode, tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--fault-rate", type=float, default=0.05,
                        help="share of ARM requests answered 429 or 503 (default 0.05)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lro-seconds", type=int, default=0)
    args = parser.parse_args()
    provider = RELEASE / "terraform-provider-kusto"
    emulator_binary = RELEASE / "kusto-emulator"
    if not provider.is_file() or not emulator_binary.is_file():
        sys.exit("no release build: run `cargo build --release` first")
    cli = ensure_terraform()

    with tempfile.TemporaryDirectory(prefix="kusto-soak-") as scratch:
        work = Path(scratch)
        rss_log = work / "rss.log"
        wrapper = work / "measured-provider"
        wrapper.write_text(RSS_WRAPPER.format(python=sys.executable, real=str(provider), log=str(rss_log)))
        wrapper.chmod(0o755)
        cli_config = write_mirror(wrapper, work)
        project = work / "project"
        project.mkdir()
        (project / "main.tf").write_text(REQUIRED_PROVIDERS + CONNECTIONS % args.connections)

        emulator, ready = start_emulator(
            # As scripts/bench.py: no wait between polls when operations end at once.
            emulator_binary, work, "--lro-seconds", str(args.lro_seconds),
            "--retry-after", str(min(args.lro_seconds, 1)),
        )
        try:
            env = terraform_env(ready, cli_config)
            _, code, tail = terraform(cli, ["init", "-input=false", "-no-color"], env, project)
            if code != 0:
                sys.exit(f"terraform init failed:\n{tail}")
            admin(ready, "POST", "/faults", fault_plan(args.fault_rate, args.seed))
            rss_log.write_text("")

            rows, problems = [], []
            commands = [
                ("apply", ["apply", "-input=false", "-auto-approve", "-no-color"], {0}),
                ("plan", ["plan", "-input=false", "-detailed-exitcode", "-no-color"], {0}),
                ("destroy", ["destroy", "-input=false", "-auto-approve", "-no-color"], {0}),
            ]
            for name, command, accepted in commands:
                admin(ready, "DELETE", "/requests")
                log(f"terraform {name} of {args.connections} connections")
                elapsed, code, tail = terraform(cli, command, env, project)
                requests = admin(ready, "GET", "/requests")["requests"]
                injected = sum(1 for r in requests if r.get("fault"))
                rows.append((name, elapsed, code, len(requests), injected))
                if code not in accepted:
                    problems.append(f"terraform {name} exited {code}:\n{tail}")
            operations = admin(ready, "GET", "/operations")["operations"]
            failed = [o for o in operations if o["status"] != "Succeeded"]
            leftovers = admin(ready, "GET", "/data-connections")
        finally:
            stop(emulator)
        peaks_kib = [int(line) for line in rss_log.read_text().split()]

    print(f"soak: {args.connections} connections, {args.fault_rate:.0%} faults (429/503), seed {args.seed}, "
          f"--lro-seconds {args.lro_seconds}")
    print(f"| {'command':<8} | {'wall':>8} | exit | requests | injected faults |")
    print(f"|{'-' * 10}|{'-' * 10}|------|----------|-----------------|")
    for name, elapsed, code, requests, injected in rows:
        print(f"| {name:<8} | {elapsed:>6.2f} s | {code:>4} | {requests:>8} | {injected:>15} |")
    print(f"injected faults: {sum(r[4] for r in rows)}")
    print(f"operations: {len(operations)}, not succeeded: {len(failed)}")
    print(f"left in the emulator after destroy: {len(leftovers)}")
    if peaks_kib:
        print(f"provider peak RSS: {max(peaks_kib) / 1024:.1f} MiB (max of {len(peaks_kib)} processes)")
    for operation in failed:
        problems.append(f"operation {operation['kind']} of {operation['resourceId']} ended {operation['status']}")
    if leftovers:
        problems.append(f"left behind: {sorted(leftovers)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
