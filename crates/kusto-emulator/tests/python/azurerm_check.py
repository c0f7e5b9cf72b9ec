"""What terraform-provider-azurerm 5.x needs from the cloud metadata and Entra ID endpoints.

azurerm is pointed at a private cloud with `metadata_host`; it then takes every endpoint from
`GET https://{metadata_host}/metadata/endpoints?api-version=2022-09-01` and refuses to configure
unless the body meets go-azure-sdk's rules for that document, and it decodes
(without verifying) the access tokens it gets. This script replays those requests the way
go-azure-sdk sends them and asserts each rule, so the emulator is known to satisfy azurerm without
running Terraform. It also checks the OpenID discovery document msal needs, the Entra error for
a wrong secret, and ARM's answer to an expired token (the emulator's clock is moved past the
token's `exp` through the admin API, so nothing waits).
"""

import base64
import json
import re
import signal
import time

import emulator_env as env

signal.alarm(300)


# ARM's text, with .NET's invariant-culture dates, e.g. (quoted in public issues)
# "The access token expiry UTC time '8/21/2018 3:22:00 PM' is earlier than current UTC time '8/21/2018 3:48:45 PM'."
DOTNET_TIME = r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} (AM|PM)"
EXPIRY_MESSAGE = re.compile(
    rf"^The access token expiry UTC time '{DOTNET_TIME}' is earlier than current UTC time '{DOTNET_TIME}'\.$")


def claims_of(token: str) -> dict:
    return decode_segment(token.split(".")[1])


def decode_segment(segment: str) -> dict:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))


def check_metadata(check: env.Checks, arm: env.RawArm) -> dict:
    check.step("metadata endpoint (go-azure-sdk environment discovery)")
    response = arm.metadata()
    check.equal(response.status_code, 200, "metadata: status")
    raw = response.content.lstrip(b"\xef\xbb\xbf")
    metadata = json.loads(raw)
    check.that(isinstance(metadata, dict), "metadata: one JSON object (2022-09-01 shape)", type(metadata).__name__)
    for field in ("name", "resourceManager", "microsoftGraphResourceId"):
        check.that(bool(metadata.get(field)), f"metadata: `{field}` non-empty", metadata.get(field))
    authentication = metadata.get("authentication") or {}
    check.equal(authentication.get("identityProvider"), "AAD", "metadata: authentication.identityProvider")
    check.equal(authentication.get("tenant"), "common", "metadata: authentication.tenant (else Azure Stack)")
    login = authentication.get("loginEndpoint", "")
    check.that(bool(login) and not login.endswith("/"), "metadata: loginEndpoint has no trailing slash", login)
    check.equal(login, arm.emulator.endpoint, "metadata: loginEndpoint is the emulator")
    check.that(str(metadata.get("resourceManager", "")).rstrip("/") == arm.emulator.endpoint,
               "metadata: resourceManager is the emulator", metadata.get("resourceManager"))
    audiences = authentication.get("audiences")
    check.that(isinstance(audiences, list) and bool(audiences), "metadata: authentication.audiences non-empty",
               audiences)
    suffixes = metadata.get("suffixes") or {}
    for suffix in ("keyVaultDns", "storage"):
        check.that(bool(suffixes.get(suffix)), f"metadata: suffixes.{suffix} present", suffixes)
    return metadata


def check_token(check: env.Checks, arm: env.RawArm, scope: str, audience: str, what: str) -> str | None:
    response = arm.request_token(scope)
    check.equal(response.status_code, 200, f"{what}: token status")
    if response.status_code != 200:
        return None
    check.that("no-store" in response.headers.get("cache-control", ""), f"{what}: Cache-Control no-store",
               response.headers.get("cache-control"))
    body = response.json()
    check.equal(body.get("token_type"), "Bearer", f"{what}: token_type")
    check.that(isinstance(body.get("expires_in"), (int, str)) and int(body["expires_in"]) > 0,
               f"{what}: expires_in positive", body.get("expires_in"))
    token = body.get("access_token", "")
    parts = token.split(".")
    check.equal(len(parts), 3, f"{what}: access_token is a 3-part JWT")
    if len(parts) != 3:
        return None
    header, claims = decode_segment(parts[0]), decode_segment(parts[1])
    check.that("alg" in header, f"{what}: JWT header has alg", header)
    emulator = arm.emulator
    check.equal(claims.get("tid"), emulator.tenant_id, f"{what}: tid claim")
    check.equal(claims.get("appid"), emulator.client_id, f"{what}: appid claim")
    check.that(bool(claims.get("oid")), f"{what}: oid claim (else azurerm queries Graph)", sorted(claims))
    check.that("openid" not in str(claims.get("scp", "")).split(), f"{what}: scp has no openid (else a user)",
               claims.get("scp"))
    check.that(str(claims.get("aud", "")).rstrip("/") == audience.rstrip("/"), f"{what}: aud is the requested resource",
               claims.get("aud"))
    check.that(isinstance(claims.get("exp"), int) and claims["exp"] > time.time(), f"{what}: exp in the future",
               claims.get("exp"))
    return token


def main() -> None:
    emulator = env.load_emulator()
    check = env.Checks("azurerm_check")
    arm = env.RawArm(emulator)
    metadata = check_metadata(check, arm)

    check.step("OpenID discovery (msal)")
    discovery = arm.session.get(f"{emulator.endpoint}/{emulator.tenant_id}/v2.0/.well-known/openid-configuration",
                                timeout=30)
    check.equal(discovery.status_code, 200, "discovery: status")
    document = discovery.json() if discovery.status_code == 200 else {}
    check.equal(document.get("token_endpoint"), f"{emulator.endpoint}/{emulator.tenant_id}/oauth2/v2.0/token",
                "discovery: token_endpoint")
    check.that(bool(document.get("authorization_endpoint")), "discovery: authorization_endpoint present")
    check.that(bool(document.get("issuer")), "discovery: issuer present")

    check.step("tokens as go-azure-sdk requests them")
    graph = str(metadata.get("microsoftGraphResourceId", "")).rstrip("/")
    manager = str(metadata.get("resourceManager", "")).rstrip("/")
    check_token(check, arm, f"{graph}/.default", graph, "Graph token")
    arm_token = check_token(check, arm, f"{manager}/.default", manager, "ARM token")

    check.step("ARM accepts the resourceManager-scoped token")
    if arm_token:
        listed = arm.call("GET", f"{emulator.database_path}/dataConnections", api_version="2024-04-13",
                          bearer=arm_token)
        check.equal(listed.status_code, 200, "list with azurerm's token and api-version 2024-04-13")
        check.that(isinstance(env.json_body(listed), dict) and "value" in env.json_body(listed),
                   "list body has value", listed.text[:200])
        missing = arm.call("GET", emulator.data_connection_path(env.unique_name("absent")),
                           api_version="2024-04-13", bearer=arm_token)
        check.equal(missing.status_code, 404, "azurerm existence check on an absent connection answers 404")

    check.step("wrong secret")
    wrong = arm.request_token(f"{manager}/.default", secret="not-the-secret")
    check.equal(wrong.status_code, 401, "wrong secret: status")
    error = wrong.json() if wrong.content else {}
    check.equal(error.get("error"), "invalid_client", "wrong secret: error")
    check.that("AADSTS7000215" in str(error.get("error_description", "")), "wrong secret: AADSTS7000215 text",
               error.get("error_description"))
    check.equal(error.get("error_codes"), [7000215], "wrong secret: error_codes")
    check.that(emulator.client_secret not in wrong.text, "wrong secret: the real secret is not echoed")

    check.step("expired token (emulator clock moved past the token's exp)")
    if arm_token:
        expiry = claims_of(arm_token)["exp"]
        advance = int(expiry - time.time()) + 60
        moved = arm.admin("POST", "/clock/advance", json={"seconds": advance})
        check.equal(moved.status_code, 200, "admin: clock advanced")
        expired = arm.call("GET", f"{emulator.database_path}/dataConnections", api_version="2024-04-13",
                           bearer=arm_token)
        check.equal(expired.status_code, 401, "expired token: status")
        error = (env.json_body(expired) or {}).get("error", {})
        check.equal(error.get("code"), "ExpiredAuthenticationToken", "expired token: code")
        check.that(bool(EXPIRY_MESSAGE.match(str(error.get("message", "")))),
                   "expired token: message in ARM's wording and .NET date format", error.get("message"))
        challenge = expired.headers.get("www-authenticate", "")
        check.that(challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge,
                   "expired token: Bearer challenge with error=invalid_token", challenge)

    check.finish()


if __name__ == "__main__":
    main()
