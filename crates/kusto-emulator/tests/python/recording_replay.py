"""Replay real Azure traffic against the emulator and compare what each side answered.

The recording (testdata/azure-spec/recordings/kusto-data-connections-2022-02-01.json) holds 13
interactions the Azure CLI had with live Kusto: create, show, list, update, validation and delete
of one EventHub data connection, with their operation polls. Each is re-issued against the
emulator with names mapped into its default world (subscription, `rg-demo`, `democluster`,
`demodb`, the `events` event hub, region West US 2 -> West Europe) and api-version 2025-02-14,
since 2022-02-01 is not served. Operation polls use the URL the emulator itself returned for the
operation the recording polled, and are repeated until terminal (the recorded client waited 30 s
and saw the terminal status at once); the terminal answer is the one compared.

Differences are printed one per line. Those that change what a client does are failures: status
codes, which async headers are present, the async URLs' shape (absolute, same host, operationResults
path, api-version, `operationResultResponseType=Location` on Location), body key sets, and the
values of id / name / type / location / kind / provisioningState and operation status. The rest
(unset optionals as "" vs null, raw space vs %20 in the region of Azure-AsyncOperation, operation
`properties` contents, `Value` vs `value`, which rate-limit headers appear, a content-type on empty
bodies) are reported as notes.
"""

import json
import re
import signal
import time
from urllib.parse import unquote, urlsplit

import emulator_env as env
from swagger_schema import spec_dir

signal.alarm(600)

RECORDED_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
RECORDED_EVENTHUB = (f"/subscriptions/{RECORDED_SUBSCRIPTION}/resourceGroups/testrg/providers/Microsoft.EventHub"
                     "/namespaces/testcli/eventhubs/eventhubTest1")
RECORDED_NAME = "dataConnectionTest"
OPERATION_ID = re.compile(r"/operationResults/([0-9a-fA-F-]{36})")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
VOLATILE_KEYS = {"startTime", "endTime"}
# Unset optionals: clients treat "", [] and null alike (the provider must too). `databaseRouting`
# is optional and absent from the recorded api-version's answers; present with its default
# "Single" it reads the same to clients. `retrievalStartDate` is newer than the recorded
# api-version (2022-02-01); the live service fills it in for the versions served here. `nextLink` null or absent both end a list.
SOFT_PROPERTY_KEYS = {"tableName", "mappingRuleName", "dataFormat", "managedIdentityResourceId",
                      "eventSystemProperties", "databaseRouting", "retrievalStartDate", "nextLink"}


class Mapper:
    """Rewrites recorded names into the emulator's world."""

    def __init__(self, emulator: env.Emulator, name: str) -> None:
        self.pairs = [
            (RECORDED_EVENTHUB, emulator.eventhub_id),
            (RECORDED_SUBSCRIPTION, emulator.subscription_id),
            ("clitest000001", env.RESOURCE_GROUP),
            ("kustoCluster", env.CLUSTER),
            ("KustoDatabase", env.DATABASE),
            (RECORDED_NAME, name),
            ("West US 2", env.CLUSTER_LOCATION_DISPLAY),
            ("West%20US%202", env.CLUSTER_LOCATION_DISPLAY.replace(" ", "%20")),
            ("westus2", "westeurope"),
            ("westus", "westeurope"),
            ("2022-02-01", env.API_VERSION),
        ]

    def text(self, value: str) -> str:
        for old, new in self.pairs:
            value = value.replace(old, new)
        return value

    def json(self, value):
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {key: self.json(item) for key, item in value.items()}
        return value


class Replay:
    def __init__(self, emulator: env.Emulator) -> None:
        self.emulator = emulator
        self.arm = env.RawArm(emulator)
        self.check = env.Checks("recording_replay")
        self.name = env.unique_name("dataConnectionTest")
        self.map = Mapper(emulator, self.name)
        self.started: dict[int, object] = {}
        self.notes: list[str] = []

    def differ(self, seq: int, matters: bool, what: str, actual, recorded) -> None:
        line = f"seq {seq}: {what}: emulator {actual!r}, Azure {recorded!r}"
        if matters:
            self.check.that(False, line)
        else:
            self.notes.append(line)
            print(f"  note {line}", flush=True)

    def run(self, interaction: dict) -> None:
        seq = interaction["seq"]
        method = interaction["method"]
        recorded = interaction["response"]
        self.check.step(f"seq {seq}: {method} {urlsplit(interaction['uri']).path.rsplit('/', 1)[-1]}")
        started_by = interaction.get("polls_operation_started_by_seq")
        if started_by is None:
            url = self.map.text(interaction["uri"]).replace("https://management.azure.com", self.emulator.endpoint)
            body = interaction["request"]["body"]
            response = self.arm.call(method, url, body=self.map.json(body) if body is not None else None,
                                     api_version=None)
            self.started[seq] = response
        else:
            response = self.poll(seq, interaction, started_by)
            if response is None:
                return
        self.compare(seq, interaction["uri"], response, recorded)

    def poll(self, seq: int, interaction: dict, started_by: int):
        origin = self.started.get(started_by)
        header = interaction["operation_url_source"]
        url = origin.headers.get(header) if origin is not None else None
        if not url:
            self.differ(seq, True, f"{header} header of seq {started_by} to poll", None, "present")
            return None
        url = url.replace(" ", "%20")
        for _ in range(300):
            response = self.arm.call("GET", url, api_version=None)
            body = env.json_body(response) if response.content else None
            running = response.status_code == 202 or (
                header == "azure-asyncoperation" and isinstance(body, dict)
                and str(body.get("status", "")).lower() not in ("succeeded", "failed", "canceled"))
            if not running:
                return response
            time.sleep(0.2)
        self.differ(seq, True, "operation reached a terminal state", "still running", "terminal")
        return None

    def compare(self, seq: int, recorded_uri: str, response, recorded: dict) -> None:
        self.check.that(response.status_code == recorded["status"], f"seq {seq}: status",
                        f"emulator {response.status_code} {response.text[:300]}, Azure {recorded['status']}")
        self.compare_async_headers(seq, response, recorded["headers"])
        actual = env.json_body(response) if response.content else ""
        expected = self.map.json(recorded["body"])
        if expected == "" or actual == "":
            if expected != actual:
                self.differ(seq, True, "body presence", actual, expected)
            return
        operation = OPERATION_ID.search(urlsplit(response.request.url).path)
        if operation:
            recorded_operation = OPERATION_ID.search(urlsplit(recorded_uri).path).group(1)
            expected = json.loads(json.dumps(expected).replace(recorded_operation, operation.group(1)))
        if isinstance(actual, dict) and isinstance(actual.get("value"), list) and "value" in expected:
            # The emulator may hold other connections; the recording's list held only this one.
            actual = dict(actual, value=[item for item in actual["value"] if item.get("name", "").endswith(self.name)])
        self.compare_json(seq, "body", actual, expected)

    def compare_async_headers(self, seq: int, response, recorded: dict) -> None:
        for header in ("azure-asyncoperation", "location"):
            present = header in response.headers
            if present != (header in recorded):
                self.differ(seq, True, f"{header} header present", present, header in recorded)
            if not (present and header in recorded):
                continue
            actual = response.headers[header]
            expected = self.map.text(recorded[header]).replace("https://management.azure.com",
                                                               self.emulator.endpoint)
            self.compare_operation_url(seq, header, actual, expected)
        for header in recorded:
            if header.startswith("x-ms-ratelimit-remaining-") and header not in response.headers:
                self.differ(seq, False, f"{header} header present", False, True)
        if ("content-type" in recorded) != ("content-type" in response.headers):
            self.differ(seq, False, "content-type header present", "content-type" in response.headers,
                        "content-type" in recorded)

    def compare_operation_url(self, seq: int, header: str, actual: str, expected: str) -> None:
        shape = re.compile(
            r"^(?P<base>https://[^/]+)/subscriptions/[^/]+/providers/Microsoft\.Kusto/locations/(?P<region>[^/]+)"
            r"/operationResults/(?P<id>[0-9a-fA-F-]{36})\?(?P<query>.*)$")
        got = shape.match(actual)
        want = shape.match(expected)
        if not got or not want:
            self.differ(seq, True, f"{header} URL shape", actual, expected)
            return
        self.check.equal(got["base"], self.emulator.endpoint, f"seq {seq}: {header} points back at the emulator")
        self.check.equal(sorted(got["query"].split("&")), sorted(want["query"].split("&")),
                         f"seq {seq}: {header} query (api-version, operationResultResponseType)")
        if unquote(got["region"]).replace(" ", "").lower() != unquote(want["region"]).replace(" ", "").lower():
            self.differ(seq, True, f"{header} region", got["region"], want["region"])
        elif got["region"] != want["region"]:
            self.differ(seq, False, f"{header} region spelling", got["region"], want["region"])

    def compare_json(self, seq: int, where: str, actual, expected, soft: bool = False) -> None:
        """Structural comparison; `soft` marks a subtree whose differences are notes only."""
        if isinstance(expected, dict) and isinstance(actual, dict):
            extra = set(actual) ^ set(expected)
            if extra:
                harmless = extra <= SOFT_PROPERTY_KEYS or {key.lower() for key in extra} == {"value"}
                self.differ(seq, not (soft or harmless), f"{where} keys", sorted(actual), sorted(expected))
            for key in sorted(set(actual) & set(expected)):
                self.compare_value(seq, f"{where}/{key}", key, actual[key], expected[key], soft)
        elif isinstance(expected, list) and isinstance(actual, list):
            if len(actual) != len(expected):
                self.differ(seq, not soft, f"{where} length", len(actual), len(expected))
            for index, (left, right) in enumerate(zip(actual, expected)):
                self.compare_json(seq, f"{where}/{index}", left, right, soft)
        elif actual != expected:
            self.differ(seq, not soft, where, actual, expected)

    def compare_value(self, seq: int, where: str, key: str, actual, expected, soft: bool) -> None:
        if key in VOLATILE_KEYS:
            if not (isinstance(actual, str) and DATE_TIME.match(actual)):
                self.differ(seq, True, f"{where} is a UTC date-time", actual, expected)
            return
        if where == "body/properties" and isinstance(expected, dict) and (
                not expected or "operationKind" in expected or "Value" in expected):
            soft = True  # the contents of an operation status's `properties`
        if isinstance(expected, (dict, list)) and isinstance(actual, type(expected)):
            self.compare_json(seq, where, actual, expected, soft)
            return
        if actual == expected:
            return
        if key == "id" and isinstance(actual, str) and "/operationresults/" in str(expected):
            # The region inside an operation id mirrors the URL it was polled through.
            soft = soft or unquote(actual).replace(" ", "").lower() == unquote(expected).replace(" ", "").lower()
        self.differ(seq, not (soft or key in SOFT_PROPERTY_KEYS), where, actual, expected)


def main() -> None:
    replay = Replay(env.load_emulator())
    recording = json.loads((spec_dir() / "recordings" / "kusto-data-connections-2022-02-01.json").read_text())
    for interaction in recording:
        replay.run(interaction)
    print(f"{len(replay.notes)} notes (differences that do not change client behaviour)", flush=True)
    replay.check.finish()


if __name__ == "__main__":
    main()
