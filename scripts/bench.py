#!/usr/bin/env python3
"""Measures terraform-provider-kusto and prints a small table.

Rows:
  - time from process start to the handshake line, started the way Terraform starts it
    (magic cookie, PLUGIN_PROTOCOL_VERSIONS, a P-521 PLUGIN_CLIENT_CERT when openssl is
    available, so the server certificate is generated as in real use), over N runs;
  - size of the stripped binary;
  - the provider's peak RSS during `terraform providers schema -json`;
  - `terraform apply`, `plan` (with state, no changes) and `destroy` of 1 and of 200 data
    connections against the emulator with --lro-seconds 0, and one apply against an emulator
    whose operations take 2 s (what exceeds 2 s is the provider's long-running-operation
    overhead, Terraform's own start-up included);
  - `terraform plan -out` and the apply of that saved plan for one connection, operations of
    2 s: the plan asks the preflight validation, the apply only creates (goal: 2 s + one
    Retry-After + 0.3 s);
  - the same 200-connection apply / destroy against an emulator persisting its state
    (`--state FILE`), beside the same without, and their ratio (the target is at most 1.5).
After every destroy the emulator's admin API must list no data connection (no leftovers).

Each row comes from a function in ROWS; add a function there to add rows.

Usage: scripts/bench.py [BINARY] [--runs N] [--terraform-runs N] [--rows NAME,...]
Needs `cargo build --release` first (the provider and kusto-emulator). Python 3 standard
library only (openssl and strip are used when present); Terraform as scripts/test.py finds it.
"""

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tooling import PROVIDER_VERSION, admin, ensure_terraform, start_emulator, stop, terraform_env, write_mirror

MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
DEFAULT_BINARY = Path(__file__).resolve().parent.parent / "target/release/terraform-provider-kusto"
HANDSHAKE_TIMEOUT_S = 60  # go-plugin's own limit
RETRY_AFTER_S = 1  # the Retry-After of the emulator with 2-second operations


def terraform_client_cert(workdir):
    """A client certificate like Terraform's (ECDSA P-521, SHA-512, self-signed, CA),
    or None when openssl is not installed."""
    if shutil.which("openssl") is None:
        return None
    key, cert = Path(workdir, "client.key"), Path(workdir, "client.pem")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521",
            "-sha512", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/O=HashiCorp/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-addext", "basicConstraints=critical,CA:TRUE",
        ],
        check=True,
        capture_output=True,
    )
    return cert.read_text()


def time_to_handshake(binary, env):
    """Starts the provider, returns seconds until its first stdout line, then stops it
    with SIGTERM (it removes its socket and exits 0)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(binary)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        line = process.stdout.readline()
        elapsed = time.perf_counter() - started
        if not line.startswith(b"1|6|"):
            raise RuntimeError(f"unexpected handshake line: {line!r}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=HANDSHAKE_TIMEOUT_S)
        process.stdout.close()
    return elapsed


def handshake_rows(binary, runs, terraform_runs):
    del terraform_runs
    with tempfile.TemporaryDirectory() as workdir:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "TMPDIR": workdir,
            "TF_PLUGIN_MAGIC_COOKIE": MAGIC_COOKIE,
            "PLUGIN_PROTOCOL_VERSIONS": "5,6",
            "PLUGIN_MIN_PORT": "10000",
            "PLUGIN_MAX_PORT": "25000",
        }
        cert = terraform_client_cert(workdir)
        if cert is not None:
            env["PLUGIN_CLIENT_CERT"] = cert
        mode = "mTLS" if cert is not None else "plaintext, no openssl"
        time_to_handshake(binary, env)  # warm the page cache
        samples_ms = [time_to_handshake(binary, env) * 1000 for _ in range(runs)]
    return [(
        f"start -> handshake line ({mode}, {runs} runs)",
        f"{statistics.median(samples_ms):.2f} ms",
        f"{min(samples_ms):.2f} ms",
        f"{max(samples_ms):.2f} ms",
    )]


def size_rows(binary, runs, terraform_runs):
    del runs, terraform_runs  # a size needs one look
    with tempfile.TemporaryDirectory() as workdir:
        copy = Path(workdir, binary.name)
        shutil.copyfile(binary, copy)
        if shutil.which("strip") is not None:
            subprocess.run(["strip", str(copy)], check=True, capture_output=True)
            label = "binary size, stripped"
        else:
            label = "binary size (strip not installed)"
        size = copy.stat().st_size
    return [(label, f"{size / 1_000_000:.2f} MB", "", "")]


# Runs the real provider in a child and appends the child's peak RSS (KiB) to a log on exit:
# exact, unlike sampling /proc, and it measures the provider, not Terraform.
RSS_WRAPPER = """#!{python}
import os, sys
pid = os.fork()
if pid == 0:
    os.execv({real!r}, [{real!r}] + sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
with open({log!r}, "a") as log:
    log.write(f"{{usage.ru_maxrss}}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""

REQUIRED_PROVIDERS = f"""terraform {{
  required_providers {{
    kusto = {{
      source  = "kusto-tf/kusto"
      version = "{PROVIDER_VERSION}"
    }}
  }}
}}

provider "kusto" {{}}
"""

CONNECTIONS = """
variable "subscription_id" {
  type = string
}

resource "kusto_eventhub_data_connection" "bench" {
  count               = %d
  name                = "bench-${count.index}"
  resource_group_name = "rg-demo"
  location            = "West Europe"
  cluster_name        = "democluster"
  database_name       = "demodb"
  eventhub_id         = "/subscriptions/${var.subscription_id}/resourceGroups/rg-demo/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events"
  consumer_group      = "$Default"
  table_name          = "Events"
  mapping_rule_name   = "events_json"
  data_format         = "JSON"
}
"""


def summary(label, samples, unit, scale=1.0):
    values = [v * scale for v in samples]
    return (label, f"{statistics.median(values):.2f} {unit}", f"{min(values):.2f} {unit}", f"{max(values):.2f} {unit}")


def terraform(cli, args, env, workdir):
    """Runs one Terraform command quietly; returns its wall time in seconds."""
    started = time.perf_counter()
    result = subprocess.run([str(cli), *args], cwd=workdir, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def schema_rss_rows(binary, runs, terraform_runs):
    del runs
    cli = ensure_terraform()
    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        rss_log = work / "rss.log"
        wrapper = work / "measured-provider"
        wrapper.write_text(RSS_WRAPPER.format(python=sys.executable, real=str(binary), log=str(rss_log)))
        wrapper.chmod(0o755)
        env = dict(os.environ, TF_CLI_CONFIG_FILE=str(write_mirror(wrapper, work)), CHECKPOINT_DISABLE="1")
        project = work / "project"
        project.mkdir()
        (project / "main.tf").write_text(REQUIRED_PROVIDERS)
        terraform(cli, ["init", "-input=false"], env, project)
        rss_log.write_text("")
        for _ in range(terraform_runs):
            terraform(cli, ["providers", "schema", "-json"], env, project)
        samples_kib = [int(line) for line in rss_log.read_text().split()]
    return [summary(f"provider peak RSS, providers schema -json ({len(samples_kib)} runs)", samples_kib, "MB", 1024 / 1e6)]


@contextlib.contextmanager
def emulated_project(binary, count, *flags):
    """A Terraform project of `count` connections, initialised, against a fresh emulator started
    with `flags` (`{work}` in a flag becomes the scratch directory): yields (run, details,
    forget), where `run(args)` times one Terraform command in the project and `forget()` empties
    the provider's ledger of passed preflight validations (under TMPDIR), so that the next plan
    that creates asks for it, as a first plan does."""
    cli = ensure_terraform()
    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        cli_config = write_mirror(binary, work)
        project = work / "project"
        project.mkdir()
        (project / "main.tf").write_text(REQUIRED_PROVIDERS + CONNECTIONS % count)
        flags = [flag.format(work=work) for flag in flags]
        emulator, details = start_emulator(binary.parent / "kusto-emulator", work, *flags)
        scratch = work / "tmp"
        scratch.mkdir()
        try:
            env = dict(terraform_env(details, cli_config), TMPDIR=str(scratch))
            terraform(cli, ["init", "-input=false"], env, project)

            def run(args):
                return terraform(cli, args, env, project)

            def forget():
                shutil.rmtree(scratch / "terraform-provider-kusto-preflight", ignore_errors=True)

            yield run, details, forget
        finally:
            stop(emulator)


def lifecycle(binary, count, lro_seconds, rounds, state=False):
    """Times apply / plan / destroy of `count` connections against a fresh emulator
    (persisting to a state file when `state`)."""
    timings = {"apply": [], "plan": [], "destroy": []}
    flags = ["--lro-seconds", str(lro_seconds), "--retry-after", str(min(lro_seconds, 1))]
    if state:
        flags += ["--state", "{work}/emulator-state.json"]
    with emulated_project(binary, count, *flags) as (run, details, forget):
        for _ in range(rounds):
            forget()
            timings["apply"].append(run(["apply", "-input=false", "-auto-approve"]))
            timings["plan"].append(run(["plan", "-input=false", "-detailed-exitcode"]))
            timings["destroy"].append(run(["destroy", "-input=false", "-auto-approve"]))
            leftovers = admin(details, "GET", "/data-connections")
            if leftovers:
                raise SystemExit(f"{len(leftovers)} data connection(s) left in the emulator after destroy")
    return timings


def lifecycle_rows(binary, runs, terraform_runs):
    del runs
    rows = []
    for count in (1, 200):
        timings = lifecycle(binary, count, 0, terraform_runs)
        for command in ("apply", "plan", "destroy"):
            rows.append(summary(f"terraform {command}, {count} connection(s), --lro-seconds 0", timings[command], "s"))
    slow = lifecycle(binary, 1, 2, terraform_runs)
    # Two operations: the preflight validation (at plan time) and the create, 2 s each.
    rows.append(summary("terraform apply, 1 connection, --lro-seconds 2 (2 operations)", slow["apply"], "s"))
    return rows


def saved_plan_rows(binary, runs, terraform_runs):
    """`terraform plan -out` then `terraform apply` of that plan, for one connection against an
    emulator whose operations take 2 s and ask for polls every RETRY_AFTER_S: the plan asks the
    preflight validation, the apply only creates. Goal: the apply within 2 s + one Retry-After
    + 0.3 s."""
    del runs
    timings = {"plan": [], "apply": []}
    flags = ["--lro-seconds", "2", "--retry-after", str(RETRY_AFTER_S)]
    with emulated_project(binary, 1, *flags) as (run, _, forget):
        for _ in range(terraform_runs):
            forget()
            timings["plan"].append(run(["plan", "-input=false", "-out=tfplan"]))
            timings["apply"].append(run(["apply", "-input=false", "tfplan"]))
            run(["destroy", "-input=false", "-auto-approve"])
    goal = 2 + RETRY_AFTER_S + 0.3
    return [
        summary("terraform plan -out, 1 connection, --lro-seconds 2 (preflight validation)", timings["plan"], "s"),
        summary(f"terraform apply of that plan, 1 connection, --lro-seconds 2 (goal <= {goal:.2f} s)",
                timings["apply"], "s"),
    ]


def state_rows(binary, runs, terraform_runs):
    del runs
    rows = []
    medians = {}
    for state in (False, True):
        timings = lifecycle(binary, 200, 0, terraform_runs, state=state)
        label = "--state FILE" if state else "no --state"
        for command in ("apply", "destroy"):
            rows.append(summary(f"terraform {command}, 200 connections, --lro-seconds 0, {label}",
                                timings[command], "s"))
            medians[(command, state)] = statistics.median(timings[command])
    for command in ("apply", "destroy"):
        ratio = medians[(command, True)] / medians[(command, False)]
        rows.append((f"terraform {command}, 200 connections: --state / no --state", f"{ratio:.2f}x", "", ""))
    return rows


# Each function takes (binary: Path, runs: int, terraform_runs: int) and returns rows of
# (metric, median or value, min, max); the table shows them in this order.
ROWS = [handshake_rows, size_rows, schema_rss_rows, lifecycle_rows, saved_plan_rows, state_rows]


def print_table(rows):
    header = ("metric", "median / value", "min", "max")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", nargs="?", type=Path, default=DEFAULT_BINARY,
                        help=f"provider binary (default: {DEFAULT_BINARY})")
    parser.add_argument("--runs", type=int, default=50, help="runs per start-up row (default: 50)")
    parser.add_argument("--terraform-runs", type=int, default=3,
                        help="rounds per Terraform-driven row (default: 3)")
    parser.add_argument("--rows", default=",".join(measure.__name__ for measure in ROWS),
                        help="comma-separated row functions to run (default: all)")
    args = parser.parse_args()
    by_name = {measure.__name__: measure for measure in ROWS}
    chosen = args.rows.split(",")
    unknown = [name for name in chosen if name not in by_name]
    if unknown:
        sys.exit(f"unknown rows {unknown}; choose from {sorted(by_name)}")
    args.binary = args.binary.resolve()  # the emulator is found beside it and run from elsewhere
    if not args.binary.is_file():
        sys.exit(f"no provider binary at {args.binary}; build it with `cargo build --release`")
    if args.runs < 1 or args.terraform_runs < 1:
        sys.exit("--runs and --terraform-runs must be at least 1")
    rows = [row for name in chosen for row in by_name[name](args.binary, args.runs, args.terraform_runs)]
    print_table(rows)


if __name__ == "__main__":
    main()
