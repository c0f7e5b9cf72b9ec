#!/usr/bin/env python3
"""Measures terraform-provider-kusto and prints a small table.

Rows:
  - time from process start to the handshake line, started the way Terraform starts it
    (magic cookie, PLUGIN_PROTOCOL_VERSIONS, a P-521 PLUGIN_CLIENT_CERT when openssl is
    available, so the server certificate is generated as in real use), over N runs;
  - size of the stripped binary.

Each row comes from a function in ROWS; add a function there to add rows.

Usage: scripts/bench.py [BINARY] [--runs N]
Python 3 standard library only (openssl and strip are used when present).
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
DEFAULT_BINARY = Path(__file__).resolve().parent.parent / "target/release/terraform-provider-kusto"
HANDSHAKE_TIMEOUT_S = 60  # go-plugin's own limit


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


def handshake_rows(binary, runs):
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


def size_rows(binary, runs):
    del runs  # a size needs one look
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


# Each function takes (binary: Path, runs: int) and returns rows of
# (metric, median or value, min, max); the table shows them in this order.
ROWS = [handshake_rows, size_rows]


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
    parser.add_argument("--runs", type=int, default=50, help="runs per timed row (default: 50)")
    args = parser.parse_args()
    if not args.binary.is_file():
        sys.exit(f"no provider binary at {args.binary}; build it with `cargo build --release`")
    if args.runs < 1:
        sys.exit("--runs must be at least 1")
    rows = [row for measure in ROWS for row in measure(args.binary, args.runs)]
    print_table(rows)


if __name__ == "__main__":
    main()
