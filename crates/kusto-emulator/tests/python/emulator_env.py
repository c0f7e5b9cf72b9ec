"""Shared plumbing for the emulator fidelity scripts.

The Rust harness (tests/emulator_fidelity.rs) starts `kusto-emulator`, takes the one JSON line it
prints when ready and hands it to each script in the environment variable `KUSTO_EMULATOR`. The
same variable lets a person run a script by hand against an emulator started in another shell:

    KUSTO_EMULATOR="$(kusto-emulator | head -n1)" python tests/python/sdk_flow.py

Everything here is deliberately small and standard-library based (plus `requests`, which the
Azure SDK brings anyway) so that the checks stay independent of the Rust code under test.
"""

import json
import os
import sys
import time
import uuid
from dataclasses import dataclass

import requests

# Names of the emulator's built-in default world (issue #3, "World").
RESOURCE_GROUP = "rg-demo"
CLUSTER = "democluster"
CLUSTER_LOCATION_DISPLAY = "West Europe"
DATABASE = "demodb"
TABLE = "Events"
JSON_MAPPING = "events_json"
CSV_MAPPING = "events_csv"
EVENTHUB_NAMESPACE = "demo-ns"
EVENTHUB = "events"
CONSUMER_GROUP_KUSTO = "kusto"

API_VERSION = "2025-02-14"
DATA_CONNECTION_TYPE = "Microsoft.Kusto/Clusters/Databases/DataConnections"


@dataclass(frozen=True)
class Emulator:
    """The start-up line of `kusto-emulator`, as printed on its stdout."""

    endpoint: str
    metadata_host: str
    ca_cert: str
    tenant_id: str
    subscription_id: str
    client_id: str
    client_secret: str
    # Credential of the admin API (`/_emulator/...`): sent as `Authorization: Bearer <admin_token>`.
    admin_token: str
    # What CI jobs are given to fetch an OIDC token: GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_URL and
    # ACTIONS_ID_TOKEN_REQUEST_TOKEN, Azure Pipelines' SYSTEM_OIDCREQUESTURI, SYSTEM_ACCESSTOKEN and the
    # service connection id.
    github_oidc_request_url: str
    github_oidc_request_token: str
    azure_devops_oidc_request_uri: str
    azure_devops_access_token: str
    azure_devops_service_connection_id: str

    def __repr__(self) -> str:
        # The secret never reaches logs or assertion messages.
        return f"Emulator(endpoint={self.endpoint!r}, tenant_id={self.tenant_id!r})"

    @property
    def cluster_path(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{RESOURCE_GROUP}"
            f"/providers/Microsoft.Kusto/clusters/{CLUSTER}"
        )

    @property
    def database_path(self) -> str:
        return f"{self.cluster_path}/databases/{DATABASE}"

    def data_connection_path(self, name: str) -> str:
        return f"{self.database_path}/dataConnections/{name}"

    def expected_data_connection_id(self, name: str) -> str:
        """The id as the live service spells it: re-cased segment types, names as sent."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{RESOURCE_GROUP}"
            f"/providers/Microsoft.Kusto/Clusters/{CLUSTER}/Databases/{DATABASE}/DataConnections/{name}"
        )

    @property
    def eventhub_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{RESOURCE_GROUP}"
            f"/providers/Microsoft.EventHub/namespaces/{EVENTHUB_NAMESPACE}/eventhubs/{EVENTHUB}"
        )


def load_emulator() -> Emulator:
    raw = os.environ.get("KUSTO_EMULATOR")
    if not raw:
        sys.exit("KUSTO_EMULATOR is not set: it must hold the JSON line kusto-emulator prints at start-up")
    fields = json.loads(raw)
    return Emulator(**{name: fields[name] for name in Emulator.__dataclass_fields__})


def unique_name(prefix: str) -> str:
    """A fresh data-connection name, so scripts sharing one emulator never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Checks:
    """Collects failed expectations so that one run reports every discrepancy, not just the first."""

    def __init__(self, script: str) -> None:
        self.script = script
        self.failures: list[str] = []
        self.passed = 0
        self.started = time.monotonic()

    def that(self, condition: bool, what: str, detail: object = None) -> bool:
        if condition:
            self.passed += 1
        else:
            message = what if detail is None else f"{what}: {detail}"
            self.failures.append(message)
            print(f"  FAIL {message}", flush=True)
        return condition

    def equal(self, actual: object, expected: object, what: str) -> bool:
        return self.that(actual == expected, what, f"got {actual!r}, expected {expected!r}")

    def step(self, title: str) -> None:
        print(f"-- [{time.monotonic() - self.started:6.1f}s] {title}", flush=True)

    def finish(self) -> None:
        print(f"{self.script}: {self.passed} checks passed, {len(self.failures)} failed", flush=True)
        if self.failures:
            for failure in self.failures:
                print(f"FAILED: {failure}", flush=True)
            sys.exit(1)


USE_OWN_TOKEN = "<own token>"


class RawArm:
    """A plain HTTPS client for the emulator: token by client credentials, then ARM calls.

    Used where a test must see exact status codes, headers and bodies, which the SDK hides.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        # Without this, REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the environment would override
        # the emulator's CA (requests prefers them to Session.verify), and proxies would apply.
        self.session.trust_env = False
        self.session.verify = emulator.ca_cert
        self._token: str | None = None

    def admin(self, method: str, path: str, **kwargs) -> requests.Response:
        """Calls the emulator's admin API (`/_emulator{path}`) with the admin token of the ready line."""
        headers = {"Authorization": f"Bearer {self.emulator.admin_token}"}
        return self.session.request(method, f"{self.emulator.endpoint}/_emulator{path}", headers=headers,
                                    timeout=30, **kwargs)

    def metadata(self) -> requests.Response:
        return self.session.get(
            f"https://{self.emulator.metadata_host}/metadata/endpoints",
            params={"api-version": "2022-09-01"},
            timeout=30,
        )

    def request_token(self, scope: str, secret: str | None = None) -> requests.Response:
        emulator = self.emulator
        return self.session.post(
            f"{emulator.endpoint}/{emulator.tenant_id}/oauth2/v2.0/token",
            data={
                "client_id": emulator.client_id,
                "client_secret": emulator.client_secret if secret is None else secret,
                "grant_type": "client_credentials",
                "scope": scope,
            },
            timeout=30,
        )

    def token(self) -> str:
        if self._token is None:
            response = self.request_token(arm_scope(self))
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def call(self, method: str, url_or_path: str, body: object = None, api_version: str | None = API_VERSION,
             raw_body: bytes | None = None, bearer: str | None = USE_OWN_TOKEN) -> requests.Response:
        """Sends one ARM request.

        `url_or_path` is either absolute (a header's URL, used verbatim) or a path; `bearer` replaces
        the client's own token (None sends no Authorization header).
        """
        url = url_or_path if url_or_path.startswith("https://") else f"{self.emulator.endpoint}{url_or_path}"
        params = {"api-version": api_version} if api_version and "api-version=" not in url else None
        headers = {"x-ms-client-request-id": str(uuid.uuid4()), "Accept": "application/json"}
        token = self.token() if bearer is USE_OWN_TOKEN else bearer
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw_body
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        elif raw_body is not None:
            headers["Content-Type"] = "application/json"
        return self.session.request(method, url, params=params, data=data, headers=headers, timeout=60)


def arm_scope(client: RawArm) -> str:
    """The ARM token scope an Azure client derives from the cloud metadata: `<audience>/.default`."""
    metadata = client.metadata().json()
    audience = metadata["authentication"]["audiences"][0]
    return f"{audience.rstrip('/')}/.default"


def json_body(response: requests.Response) -> object:
    """The parsed body, or None for an empty one (202/204 without content)."""
    if not response.content:
        return None
    return response.json()
