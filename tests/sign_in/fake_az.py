#!/usr/bin/env python3
"""A stand-in for the Azure CLI in the sign-in tests: `az account show` and
`az account get-access-token`, answered as Azure CLI 2.54+ answers them, with a token the
emulator issues to its built-in application (client secret grant).

The tests put this file on PATH as `az`; it reads where the emulator is from FAKE_AZ_*.
With FAKE_AZ_LOGGED_OUT set it fails as the CLI does before `az login`.
"""

import json
import os
import ssl
import sys
import time
import urllib.parse
import urllib.request


def fail(message: str) -> None:
    print(f"ERROR: {message}", file=sys.stderr)
    sys.exit(1)


def option(args: list, name: str, default: str) -> str:
    return args[args.index(name) + 1] if name in args else default


def access_token(args: list) -> dict:
    tenant = option(args, "--tenant", os.environ["FAKE_AZ_TENANT"])
    form = urllib.parse.urlencode({
        "client_id": os.environ["FAKE_AZ_CLIENT_ID"],
        "client_secret": os.environ["FAKE_AZ_CLIENT_SECRET"],
        "grant_type": "client_credentials",
        "scope": option(args, "--scope", ""),
    }).encode()
    url = f"{os.environ['FAKE_AZ_AUTHORITY']}/{tenant}/oauth2/v2.0/token"
    context = ssl.create_default_context(cafile=os.environ["FAKE_AZ_CA"])
    with urllib.request.urlopen(url, data=form, context=context) as answer:
        token = json.load(answer)
    return {
        "accessToken": token["access_token"],
        "expires_on": int(time.time()) + int(token["expires_in"]),
        "subscription": os.environ["FAKE_AZ_SUBSCRIPTION"],
        "tenant": tenant,
        "tokenType": "Bearer",
    }


def main(args: list) -> None:
    if os.environ.get("FAKE_AZ_LOGGED_OUT"):
        fail("Please run 'az login' to setup account.")
    if args[:2] == ["account", "show"]:
        answer = {"id": os.environ["FAKE_AZ_SUBSCRIPTION"], "isDefault": True, "name": "Emulator"}
    elif args[:2] == ["account", "get-access-token"]:
        answer = access_token(args)
    else:
        fail(f"this stand-in does not know `az {' '.join(args)}`")
    print(json.dumps(answer))


main(sys.argv[1:])
