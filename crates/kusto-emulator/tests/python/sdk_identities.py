"""azure-identity's other credentials against the emulator: workload identity and managed identity.

Besides a client secret, the issue's Entra ID serves client assertions (OIDC / workload identity
federation, as GitHub Actions uses) and an App Service style managed-identity endpoint. Each is
driven here by the unmodified azure-identity credential a user would pick, configured only the
way Azure documents (environment variables or constructor arguments) plus the emulator's CA:

- `WorkloadIdentityCredential` with a federated token file whose `iss`/`sub` match the
  application's federated credential in the emulator's world; a wrong subject must fail with
  Entra's AADSTS70021 ("No matching federated identity record found");
- `ManagedIdentityCredential` with `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (App Service), for the
  world's user-assigned identity chosen by client id.

Every token is then used by `KustoManagementClient` to list data connections, so ARM must accept
it, and its claims must name the principal it was issued for.
"""

import base64
import json
import os
import signal
import tempfile
import time

from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ManagedIdentityCredential, WorkloadIdentityCredential
from azure.mgmt.kusto import KustoManagementClient

import emulator_env as env

signal.alarm(300)


def segment(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def federated_token(issuer: str, subject: str) -> str:
    """An OIDC token as a CI system issues it (the emulator, like any test double, cannot check its signature)."""
    now = int(time.time())
    claims = {"iss": issuer, "sub": subject, "aud": "api://AzureADTokenExchange",
              "iat": now, "nbf": now, "exp": now + 600}
    return f"{segment({'alg': 'RS256', 'typ': 'JWT'})}.{segment(claims)}.{segment({'sig': 'unchecked'})}"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def lists_with(check: env.Checks, emulator: env.Emulator, credential, scope: str, what: str) -> None:
    client = KustoManagementClient(credential, emulator.subscription_id, base_url=emulator.endpoint,
                                   credential_scopes=[scope], connection_verify=emulator.ca_cert)
    listed = list(client.data_connections.list_by_database(env.RESOURCE_GROUP, env.CLUSTER, env.DATABASE))
    check.that(isinstance(listed, list), f"{what}: ARM accepted the token for a list")


def main() -> None:
    emulator = env.load_emulator()
    check = env.Checks("sdk_identities")
    arm = env.RawArm(emulator)
    scope = env.arm_scope(arm)
    world = arm.admin("GET", "/world").json()
    application = next(app for app in world["applications"] if app["client_id"] == emulator.client_id)
    federation = application["federated_credentials"][0]
    identity = world["user_assigned_identities"][0]

    with tempfile.TemporaryDirectory() as scratch:
        check.step("WorkloadIdentityCredential with a federated token file")
        token_file = os.path.join(scratch, "federated-token")
        with open(token_file, "w") as handle:
            handle.write(federated_token(federation["issuer"], federation["subject"]))
        workload = WorkloadIdentityCredential(
            tenant_id=emulator.tenant_id, client_id=emulator.client_id, token_file_path=token_file,
            authority=emulator.endpoint, disable_instance_discovery=True, connection_verify=emulator.ca_cert)
        token = workload.get_token(scope).token
        claims = claims_of(token)
        check.equal(claims.get("appid"), emulator.client_id, "workload identity: appid")
        check.equal(claims.get("oid"), application["object_id"], "workload identity: oid of the application")
        lists_with(check, emulator, workload, scope, "workload identity")

        check.step("WorkloadIdentityCredential with an unknown subject")
        wrong_file = os.path.join(scratch, "wrong-token")
        with open(wrong_file, "w") as handle:
            handle.write(federated_token(federation["issuer"], "repo:someone/else:ref:refs/heads/main"))
        wrong = WorkloadIdentityCredential(
            tenant_id=emulator.tenant_id, client_id=emulator.client_id, token_file_path=wrong_file,
            authority=emulator.endpoint, disable_instance_discovery=True, connection_verify=emulator.ca_cert)
        try:
            wrong.get_token(scope)
            check.that(False, "unknown subject raises ClientAuthenticationError")
        except ClientAuthenticationError as error:
            check.that("AADSTS70021" in str(error), "unknown subject: AADSTS70021", str(error)[:300])

    check.step("ManagedIdentityCredential, App Service style (IDENTITY_ENDPOINT + IDENTITY_HEADER)")
    os.environ["IDENTITY_ENDPOINT"] = f"{emulator.endpoint}/msi/token"
    os.environ["IDENTITY_HEADER"] = world["identity_header"]
    managed = ManagedIdentityCredential(client_id=identity["client_id"], connection_verify=emulator.ca_cert)
    token = managed.get_token(scope).token
    claims = claims_of(token)
    check.equal(claims.get("appid"), identity["client_id"], "managed identity: appid is the identity's client id")
    check.equal(claims.get("oid"), identity["principal_id"], "managed identity: oid is the identity's principal id")
    check.equal(claims.get("tid"), emulator.tenant_id, "managed identity: tid")
    lists_with(check, emulator, managed, scope, "managed identity")

    check.step("ManagedIdentityCredential with a wrong IDENTITY_HEADER")
    os.environ["IDENTITY_HEADER"] = "not-the-header"
    try:
        ManagedIdentityCredential(client_id=identity["client_id"], connection_verify=emulator.ca_cert).get_token(scope)
        check.that(False, "a wrong identity header is refused")
    except ClientAuthenticationError as error:
        check.that(True, "a wrong identity header is refused", str(error)[:200])

    check.finish()


if __name__ == "__main__":
    main()
