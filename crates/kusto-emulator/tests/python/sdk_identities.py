"""azure-identity's other credentials against the emulator: workload identity, Azure Pipelines,
certificates and managed identity.

Besides a client secret, the emulator's Entra ID serves client assertions (OIDC / workload identity
federation, as GitHub Actions and Azure Pipelines use, and assertions signed with a certificate)
and an App Service style managed-identity endpoint. Each is driven here by the unmodified
azure-identity credential a user would pick, configured only the way Azure documents (environment
variables or constructor arguments) plus the emulator's CA:

- `WorkloadIdentityCredential` with a federated token file whose `iss`/`sub` match the
  application's federated credential in the emulator's world; a wrong subject must fail with
  Entra's AADSTS70021 ("No matching federated identity record found");
- `AzurePipelinesCredential` with `SYSTEM_OIDCREQUESTURI`, the access token and the service
  connection of the ready line: it fetches the pipeline's OIDC token from the emulator's Azure
  DevOps endpoint and exchanges it; a wrong access token must fail;
- `CertificateCredential` with a certificate registered on the application (through the admin
  API); one that is not registered must fail with Entra's AADSTS700027;
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

import datetime

from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (AzurePipelinesCredential, CertificateCredential, ManagedIdentityCredential,
                            WorkloadIdentityCredential)
from azure.mgmt.kusto import KustoManagementClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

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


def client_certificate() -> tuple[bytes, bytes]:
    """A new self-signed RSA certificate and its key, both PEM, as `az ad sp credential reset --create-cert` makes."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kusto-emulator-client")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def signs_in(check: env.Checks, emulator: env.Emulator, credential, scope: str, what: str) -> dict:
    """The claims of the credential's token for `scope`, after checking that ARM accepts it for a list."""
    claims = claims_of(credential.get_token(scope).token)
    client = KustoManagementClient(credential, emulator.subscription_id, base_url=emulator.endpoint,
                                   credential_scopes=[scope], connection_verify=emulator.ca_cert)
    listed = list(client.data_connections.list_by_database(env.RESOURCE_GROUP, env.CLUSTER, env.DATABASE))
    check.that(isinstance(listed, list), f"{what}: ARM accepted the token for a list")
    return claims


def refused(check: env.Checks, credential, scope: str, what: str, code: str | None = None) -> None:
    """The credential gets no token for `scope`: a ClientAuthenticationError carrying `code`, if given."""
    try:
        credential.get_token(scope)
        check.that(False, f"{what} is refused")
    except ClientAuthenticationError as error:
        check.that(code is None or code in str(error), f"{what} is refused with {code}", str(error)[:300])


def main() -> None:
    emulator = env.load_emulator()
    check = env.Checks("sdk_identities")
    arm = env.RawArm(emulator)
    scope = env.arm_scope(arm)
    world = arm.admin("GET", "/world").json()
    application = next(app for app in world["applications"] if app["client_id"] == emulator.client_id)
    federation = application["federated_credentials"][0]
    identity = world["user_assigned_identities"][0]
    # How every Entra credential is pointed at the emulator instead of login.microsoftonline.com.
    at_emulator = {"authority": emulator.endpoint, "disable_instance_discovery": True,
                   "connection_verify": emulator.ca_cert}

    with tempfile.TemporaryDirectory() as scratch:
        def workload(subject: str) -> WorkloadIdentityCredential:
            """The credential of a workload whose federated token file holds a token for `subject`."""
            with tempfile.NamedTemporaryFile("w", dir=scratch, delete=False) as token_file:
                token_file.write(federated_token(federation["issuer"], subject))
            return WorkloadIdentityCredential(tenant_id=emulator.tenant_id, client_id=emulator.client_id,
                                              token_file_path=token_file.name, **at_emulator)

        check.step("WorkloadIdentityCredential with a federated token file")
        claims = signs_in(check, emulator, workload(federation["subject"]), scope, "workload identity")
        check.equal(claims.get("appid"), emulator.client_id, "workload identity: appid")
        check.equal(claims.get("oid"), application["object_id"], "workload identity: oid of the application")

        check.step("WorkloadIdentityCredential with an unknown subject")
        refused(check, workload("repo:someone/else:ref:refs/heads/main"), scope, "an unknown subject",
                "AADSTS70021")

    check.step("AzurePipelinesCredential with SYSTEM_OIDCREQUESTURI and the pipeline's access token")
    os.environ["SYSTEM_OIDCREQUESTURI"] = emulator.azure_devops_oidc_request_uri

    def pipelines(access_token: str) -> AzurePipelinesCredential:
        return AzurePipelinesCredential(
            tenant_id=emulator.tenant_id, client_id=emulator.client_id,
            service_connection_id=emulator.azure_devops_service_connection_id, system_access_token=access_token,
            **at_emulator)

    claims = signs_in(check, emulator, pipelines(emulator.azure_devops_access_token), scope, "azure pipelines")
    check.equal(claims.get("appid"), emulator.client_id, "azure pipelines: appid")

    check.step("AzurePipelinesCredential with a wrong access token")
    refused(check, pipelines("wrong"), scope, "a wrong access token", "TF400813")

    check.step("CertificateCredential with a certificate registered on the application")
    certificate_pem, key_pem = client_certificate()
    world["applications"][0]["certificates"] = [certificate_pem.decode()]
    registered = arm.admin("PUT", "/world", json=world)
    check.equal(registered.status_code, 200, "the certificate is registered")

    def certificate(pem: bytes, key: bytes) -> CertificateCredential:
        return CertificateCredential(emulator.tenant_id, emulator.client_id, certificate_data=key + pem,
                                     **at_emulator)

    claims = signs_in(check, emulator, certificate(certificate_pem, key_pem), scope, "certificate")
    check.equal(claims.get("appid"), emulator.client_id, "certificate: appid")
    tokens = [entry for entry in arm.admin("GET", "/requests").json()["requests"] if entry["kind"] == "token"]
    check.equal(tokens[-1].get("grant"), "client_assertion_certificate", "certificate: the logged grant")

    check.step("CertificateCredential with a certificate the application does not have")
    refused(check, certificate(*client_certificate()), scope, "an unregistered certificate", "AADSTS700027")

    check.step("ManagedIdentityCredential, App Service style (IDENTITY_ENDPOINT + IDENTITY_HEADER)")
    os.environ["IDENTITY_ENDPOINT"] = f"{emulator.endpoint}/msi/token"
    os.environ["IDENTITY_HEADER"] = world["identity_header"]
    managed = ManagedIdentityCredential(client_id=identity["client_id"], connection_verify=emulator.ca_cert)
    claims = signs_in(check, emulator, managed, scope, "managed identity")
    check.equal(claims.get("appid"), identity["client_id"], "managed identity: appid is the identity's client id")
    check.equal(claims.get("oid"), identity["principal_id"], "managed identity: oid is the identity's principal id")
    check.equal(claims.get("tid"), emulator.tenant_id, "managed identity: tid")

    check.step("ManagedIdentityCredential with a wrong IDENTITY_HEADER")
    os.environ["IDENTITY_HEADER"] = "not-the-header"
    refused(check, ManagedIdentityCredential(client_id=identity["client_id"], connection_verify=emulator.ca_cert),
            scope, "a wrong identity header")

    check.finish()


if __name__ == "__main__":
    main()
