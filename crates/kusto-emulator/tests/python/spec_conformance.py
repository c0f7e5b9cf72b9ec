"""Every data-connection, operation-result and database-list response body conforms to the Kusto 2025-02-14 spec.

A raw HTTPS client (`requests`, trusting the emulator CA) drives a whole lifecycle: PUT, the
Azure-AsyncOperation and Location polls, GET, list, PATCH, dataConnectionValidation,
checkNameAvailability, DELETE (twice), and the error responses a client can provoke; the
lifecycle runs in api-version 2025-02-14 and again in 2024-04-13 (the version azurerm uses). The
cluster's databases are listed across pages (Databases_ListByCluster). Each
response is matched to the spec operation it answers (method + path template, the
`operationResultResponseType=Location` x-ms-path included) and its body validated against the
schema the spec declares for that status code, or `default` (ErrorResponse) for any status the
operation does not declare. A status with no declared schema must come with an empty body. The
Location URL's final 200 declares no schema in the spec; it is validated against the originating
operation's `final-state-schema`, which is how clients read it. How Swagger 2.0 is adapted to
JSON Schema is documented in swagger_schema.py.

Every response must also carry the headers ARM sends on all responses: `x-ms-request-id`,
`x-ms-correlation-request-id`, `x-ms-routing-request-id` (`REGION:yyyyMMddTHHmmssZ:guid`) and the
no-cache trio `cache-control`, `pragma`, `expires`.
"""

import json
import re
import signal
import time
from urllib.parse import urlsplit

import emulator_env as env
from swagger_schema import Operation, Spec, spec_dir

signal.alarm(600)

TERMINAL = {"succeeded", "failed", "canceled"}
ROUTING_ID = re.compile(r"^[A-Z0-9]+:\d{8}T\d{6}Z:[0-9a-f-]{36}$")


class Conformance:
    def __init__(self, emulator: env.Emulator) -> None:
        self.emulator = emulator
        self.arm = env.RawArm(emulator)
        self.spec = Spec()
        self.check = env.Checks("spec_conformance")
        self.validated = 0
        self.api_version = env.API_VERSION

    def send(self, what: str, method: str, url_or_path: str, expect: set[int], origin: Operation | None = None,
             code: str | None = None, **options):
        """Sends a request, checks its status (and ARM error `code` if given), validates the body."""
        options.setdefault("api_version", self.api_version)
        response = self.arm.call(method, url_or_path, **options)
        self.check.that(response.status_code in expect, f"{what}: status in {sorted(expect)}",
                        f"{response.status_code} {response.text[:300]}")
        self.conforms(what, method, response, origin)
        if code is not None:
            body = env.json_body(response) if response.content else None
            error = body.get("error") if isinstance(body, dict) else None
            self.check.equal((error or {}).get("code"), code, f"{what}: error code")
        if response.status_code == 401:
            challenge = response.headers.get("www-authenticate", "")
            self.check.that(challenge.startswith("Bearer "), f"{what}: 401 carries a Bearer WWW-Authenticate challenge",
                            challenge)
        return response

    def conforms(self, what: str, method: str, response, origin: Operation | None) -> Operation:
        url = urlsplit(response.request.url)
        operation = self.spec.operation_for(method, url.path, url.query)
        status = response.status_code
        body = env.json_body(response) if response.content else None
        self.standard_headers(what, response)
        if operation.operation_id == "OperationsResultsLocation_Get" and status == 200 and origin is not None:
            ref = origin.final_state_schema
        else:
            ref = self.spec.schema_ref(operation, status)
        label = f"{what}: {operation.operation_id} {status}"
        if ref is None:
            self.check.that(not response.content, f"{label}: no body declared, none sent", response.text[:200])
        else:
            self.check.that(response.content != b"", f"{label}: body present for schema {ref.rsplit('/', 1)[-1]}")
            if response.content:
                content_type = response.headers.get("content-type", "")
                self.check.that(content_type.startswith("application/json"), f"{label}: JSON content type",
                                content_type)
                errors = self.spec.errors(ref, body)
                self.check.that(not errors, f"{label}: body conforms to {ref.rsplit('/', 1)[-1]}", errors)
                self.validated += 1
        return operation

    def standard_headers(self, what: str, response) -> None:
        """The headers ARM puts on every response (from the recorded traffic)."""
        headers = response.headers
        for header in ("x-ms-request-id", "x-ms-correlation-request-id"):
            self.check.that(header in headers, f"{what}: {header} header", sorted(headers))
        routing = headers.get("x-ms-routing-request-id", "")
        self.check.that(bool(ROUTING_ID.match(routing)), f"{what}: x-ms-routing-request-id is REGION:time:guid",
                        routing)
        for header, value in (("cache-control", "no-cache"), ("pragma", "no-cache"), ("expires", "-1")):
            self.check.equal(headers.get(header), value, f"{what}: {header}")

    def operation_of(self, method: str, path: str) -> Operation:
        return self.spec.operation_for(method, path, "")

    def poll_async(self, what: str, response) -> dict | None:
        """Follows Azure-AsyncOperation to a terminal status; returns the last status body."""
        url = response.headers.get("azure-asyncoperation")
        if not url:
            return None
        url = url.replace(" ", "%20")
        last = None
        for _ in range(300):
            poll = self.send(f"{what} AAO poll", "GET", url, {200})
            last = env.json_body(poll) or {}
            if str(last.get("status", "")).lower() in TERMINAL:
                return last
            time.sleep(retry_after(poll))
        self.check.that(False, f"{what}: the operation reached a terminal status")
        return last

    def poll_location(self, what: str, response, origin: Operation):
        """Follows the Location header until it stops answering 202; returns the final response."""
        url = response.headers.get("location")
        if not url:
            return None
        url = url.replace(" ", "%20")
        for _ in range(300):
            final = self.send(f"{what} Location poll", "GET", url, {200, 202, 204}, origin=origin)
            if final.status_code != 202:
                return final
            time.sleep(retry_after(final))
        self.check.that(False, f"{what}: the Location URL stopped answering 202")
        return None


def retry_after(response) -> float:
    try:
        return min(max(float(response.headers.get("retry-after", "0.2")), 0.1), 2.0)
    except ValueError:
        return 0.2


def event_hub_body(emulator, **properties) -> dict:
    """A create body for the world's event hub and `$Default`, with `properties` added."""
    return {
        "kind": "EventHub",
        "location": "westeurope",
        "properties": {"eventHubResourceId": emulator.eventhub_id, "consumerGroup": "$Default", **properties},
    }


def lifecycle(run: Conformance) -> None:
    check = run.check
    emulator = run.emulator
    name = env.unique_name("spec")
    path = emulator.data_connection_path(name)
    body = event_hub_body(
        emulator, tableName=env.TABLE, mappingRuleName=env.JSON_MAPPING, dataFormat="JSON"
    )
    put_op = run.operation_of("PUT", path)
    patch_op = run.operation_of("PATCH", path)
    delete_op = run.operation_of("DELETE", path)
    validation_path = f"{emulator.database_path}/dataConnectionValidation"
    validation_op = run.operation_of("POST", validation_path)

    check.step("PUT create, polls")
    created = run.send("create", "PUT", path, {200, 201, 202}, body=body)
    status = run.poll_async("create", created)
    operation_url = created.headers.get("azure-asyncoperation", "")
    for spelling in ("West%20Europe", "WESTEUROPE", "west%20europe"):
        # Clients re-encode the region; ARM accepts any casing and spacing of it.
        respelled = re.sub(r"/locations/[^/]+/", f"/locations/{spelling}/", operation_url)
        run.send(f"create AAO poll as {spelling}", "GET", respelled, {200})
    check.that(status is not None and status.get("status") == "Succeeded", "create: operation Succeeded", status)
    run.poll_location("create", created, put_op)

    check.step("GET, list")
    run.send("get", "GET", path, {200})
    run.send("list", "GET", f"{emulator.database_path}/dataConnections", {200})

    check.step("PATCH, polls")
    patched_body = dict(body, properties=dict(body["properties"], mappingRuleName=env.JSON_MAPPING,
                                              eventSystemProperties=["x-opt-enqueued-time"]))
    patched = run.send("update", "PATCH", path, {200, 201, 202}, body=patched_body)
    run.poll_async("update", patched)
    run.poll_location("update", patched, patch_op)
    run.send("get after update", "GET", path, {200})

    check.step("dataConnectionValidation")
    for label, table in (("validation", env.TABLE), ("validation of a missing table", "NoSuchTable")):
        request = {"dataConnectionName": name,
                   "properties": dict(body, properties=dict(body["properties"], tableName=table))}
        started = run.send(label, "POST", validation_path, {200, 202}, body=request)
        run.poll_async(label, started)
        run.poll_location(label, started, validation_op)

    check.step("checkNameAvailability")
    check_path = f"{emulator.database_path}/checkNameAvailability"
    request_type = "Microsoft.Kusto/clusters/databases/dataConnections"
    for label, candidate in (("taken name", name), ("free name", env.unique_name("free")),
                             ("invalid name", "bad/name?")):
        run.send(f"checkNameAvailability {label}", "POST", check_path, {200},
                 body={"name": candidate, "type": request_type})

    check.step("DELETE, polls, GET 404, DELETE again")
    deleted = run.send("delete", "DELETE", path, {200, 202, 204})
    run.poll_async("delete", deleted)
    run.poll_location("delete", deleted, delete_op)
    run.send("get after delete", "GET", path, {404})
    run.send("delete again", "DELETE", path, {204})


def error_responses(run: Conformance) -> None:
    check = run.check
    emulator = run.emulator
    name = env.unique_name("bad")
    path = emulator.data_connection_path(name)
    good = event_hub_body(emulator)
    check.step("error responses")
    # Error codes: those ARM is documented or observed to send (ARM's docs, the recording, public
    # issue reports); the rest only need the ErrorResponse shape.
    run.send("malformed JSON", "PUT", path, {400}, code="InvalidRequestContent",
             raw_body=b'{"kind": "EventHub", "properties": ')
    run.send("missing kind", "PUT", path, {400}, body={k: v for k, v in good.items() if k != "kind"})
    run.send("unknown kind", "PUT", path, {400}, body=dict(good, kind="NoSuchKind"))
    run.send("missing eventHubResourceId", "PUT", path, {400},
             body=dict(good, properties={"consumerGroup": "$Default"}))
    run.send("missing consumerGroup", "PUT", path, {400},
             body=dict(good, properties={"eventHubResourceId": emulator.eventhub_id}))
    # The service may reject this at once or fail the operation; either way wait for the cluster
    # to be idle again, since a write during a running operation is a 409 ServiceIsInMaintenance.
    wrong_group = run.send("unknown consumer group", "PUT", path, {201, 400},
                           body=dict(good, properties=dict(good["properties"], consumerGroup="nosuchgroup")))
    run.poll_async("unknown consumer group", wrong_group)
    run.send("unsupported api-version", "GET", path, {400}, code="NoRegisteredProviderFound",
             api_version="2019-01-21")
    run.send("missing api-version", "GET", path, {400}, code="MissingApiVersionParameter", api_version=None)
    run.send("no token", "GET", path, {401}, code="AuthenticationFailed", bearer=None)
    run.send("malformed token", "GET", path, {401}, code="InvalidAuthenticationToken", bearer="not-a-jwt")
    run.send("unknown cluster", "GET", path.replace(f"/clusters/{env.CLUSTER}/", "/clusters/nosuchcluster/"), {404},
             code="ParentResourceNotFound")
    run.send("unknown database", "GET", path.replace(f"/databases/{env.DATABASE}/", "/databases/nosuchdb/"), {404},
             code="ParentResourceNotFound")
    run.send("unknown resource group", "GET", path.replace(f"/resourceGroups/{env.RESOURCE_GROUP}/",
                                                           "/resourceGroups/nosuchrg/"), {404},
             code="ResourceGroupNotFound")
    run.send("absent connection", "GET", emulator.data_connection_path(env.unique_name("absent")), {404},
             code="ResourceNotFound")
    unknown_operation = (f"/subscriptions/{emulator.subscription_id}/providers/Microsoft.Kusto/locations/westeurope"
                         "/operationResults/00000000-0000-0000-0000-00000000abcd")
    run.send("unknown operation id", "GET", unknown_operation, {404})
    run.send("checkNameAvailability without type", "POST", f"{emulator.database_path}/checkNameAvailability",
             {400}, body={"name": "x"})

    check.step("a create that fails in the service: missing table")
    failing = env.unique_name("notable")
    failing_path = emulator.data_connection_path(failing)
    started = run.send("create with missing table", "PUT", failing_path, {201, 400},
                       body=dict(good, properties=dict(good["properties"], tableName="NoSuchTable")))
    if started.status_code == 201:
        status = run.poll_async("create with missing table", started) or {}
        check.equal(status.get("status"), "Failed", "missing table: the operation ends Failed")
        error = status.get("error") or {}
        check.that("table does not exist" in str(error.get("message", "")),
                   "missing table: error message carries the service's text", error)
        follow_up = run.arm.call("GET", failing_path)
        run.conforms("GET after failed create", "GET", follow_up, None)


def database_list(run: Conformance) -> None:
    """Databases_ListByCluster across its pages (the world gets two more databases), and a missing cluster."""
    check = run.check
    emulator = run.emulator
    check.step("list the cluster's databases, page by page")
    world = run.arm.admin("GET", "/world").json()
    databases = world["clusters"][0]["databases"]
    databases += [{"name": env.unique_name("db")} for _ in range(2)]
    check.equal(run.arm.admin("PUT", "/world", json=world).status_code, 200, "the world takes two more databases")
    url = f"{emulator.cluster_path}/databases"
    listed = []
    pages = 0
    while url and pages < 10:
        pages += 1
        body = env.json_body(run.send(f"list databases, page {pages}", "GET", url, {200})) or {}
        listed += [entry.get("name") for entry in body.get("value") or []]
        url = body.get("nextLink")
    expected = [f"{env.CLUSTER}/{database['name']}" for database in databases]
    check.equal(listed, expected, "every database is listed once, in order")
    check.that(pages > 1, "the list took more than one page", pages)
    missing = emulator.cluster_path.replace(f"/clusters/{env.CLUSTER}", "/clusters/nosuchcluster")
    run.send("list databases of an unknown cluster", "GET", f"{missing}/databases", {404},
             code="ParentResourceNotFound")


def validator_accepts_azure(run: Conformance) -> None:
    """Control: the adapted schemas accept every body live Azure sent, so a failure below is the emulator's."""
    run.check.step("control: recorded Azure bodies pass the validator")
    recording = json.loads((spec_dir() / "recordings" / "kusto-data-connections-2022-02-01.json").read_text())
    for interaction in recording:
        url = urlsplit(interaction["uri"].replace(" ", "%20"))
        operation = run.spec.operation_for(interaction["method"], url.path, url.query)
        ref = run.spec.schema_ref(operation, interaction["response"]["status"])
        body = interaction["response"]["body"]
        if ref and body != "":
            errors = run.spec.errors(ref, body)
            run.check.that(not errors, f"recorded seq {interaction['seq']} conforms", errors)


def main() -> None:
    run = Conformance(env.load_emulator())
    validator_accepts_azure(run)
    lifecycle(run)
    # azurerm speaks 2024-04-13; its data-connection shapes equal 2025-02-14's (compare the two kusto.json), so the
    # same schemas apply to the emulator's answers in that version.
    run.api_version = "2024-04-13"
    run.check.step("the lifecycle again with api-version 2024-04-13")
    lifecycle(run)
    run.api_version = env.API_VERSION
    database_list(run)
    error_responses(run)
    print(f"{run.validated} response bodies validated against the spec", flush=True)
    run.check.that(run.validated >= 20, "a meaningful number of bodies was validated", run.validated)
    run.check.finish()


if __name__ == "__main__":
    main()
