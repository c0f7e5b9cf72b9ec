#!/usr/bin/env python3
"""Rewrites docs/ from templates/ and the provider's schemas.

The registry pages under docs/ are generated: each is its template under templates/ with the
argument, attribute and timeout references filled in from the schemas' descriptions (see
crates/terraform-plugin/src/docs.rs). Edit the template or the schema's description, then run this script;
`cargo test --test docs` (part of scripts/test.py) fails while docs/ is out of date.
"""

import os
import subprocess
import sys

from tooling import REPO, log


def main() -> int:
    log("rendering docs/ from templates/ and the schemas")
    env = dict(os.environ, KUSTO_WRITE_DOCS="1")
    return subprocess.run(["cargo", "test", "--locked", "--package", "terraform-provider-kusto", "--test", "docs"], cwd=REPO, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
