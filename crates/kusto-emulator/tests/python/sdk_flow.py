"""The MS Learn "create an Event Hubs data connection with Python" flow, run against the emulator.

This is the issue's proof of fidelity: the unmodified `azure-mgmt-kusto` 4.0.0 and `azure-identity`
packages drive the emulator exactly as they drive Azure. Only three things point them at the
emulator, as a user would do for any private cloud: the authority (token endpoint), the ARM
`base_url` and trusting the emulator's CA (`connection_verify`). The token scope is taken from
the emulator's cloud metadata, as Azure clients do for a non-public cloud.

Every response the SDK receives is also recorded through azure-core's public `raw_response_hook`,
so the script can assert the wire shapes the SDK itself does not expose (status codes, async
headers) without changing how the SDK behaves.

Steps: the how-to exactly as MS Learn writes it (which, with 4.0.0, sends no `kind`: the spec
makes `kind` required and Azure's exact answer to its absence is unrecorded, so only a 400 with an
ARM error body is asserted, not its code), then the same call with `kind="EventHub"`, get,
update, validation, list (also across pages), the cluster's databases, check name availability,
delete; then the error paths a user meets: a wrong client secret and a missing table.
"""

import datetime
import signal

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.mgmt.kusto import KustoManagementClient
from azure.mgmt.kusto.models import (
    DataConnectionCheckNameRequest,
    DataConnectionValidation,
    EventHubDataConnection,
)

import emulator_env as env

# The whole flow takes seconds against the emulator; a hang is a failure, not a wait.
signal.alarm(600)


class WireLog:
    """Every HTTP response the SDK pipeline saw, in order (method, URL, status, headers)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, int, dict[str, str]]] = []

    def __call__(self, pipeline_response) -> None:
        request = pipeline_response.http_request
        response = pipeline_response.http_response
        headers = {name.lower(): value for name, value in response.headers.items()}
        self.entries.append((request.method, request.url, response.status_code, headers))

    def mark(self) -> int:
        return len(self.entries)

    def since(self, mark: int) -> list[tuple[str, str, int, dict[str, str]]]:
        return self.entries[mark:]


def make_client(emulator: env.Emulator, secret: str, scope: str, wire: WireLog) -> KustoManagementClient:
    credential = ClientSecretCredential(
        emulator.tenant_id,
        emulator.client_id,
        secret,
        authority=emulator.endpoint,
        disable_instance_discovery=True,
        connection_verify=emulator.ca_cert,
    )
    return KustoManagementClient(
        credential,
        emulator.subscription_id,
        base_url=emulator.endpoint,
        credential_scopes=[scope],
        connection_verify=emulator.ca_cert,
        raw_response_hook=wire,
    )


def how_to_parameters(emulator: env.Emulator, **overrides) -> EventHubDataConnection:
    """The model exactly as the MS Learn sample builds it (no `kind`), plus overrides."""
    fields = dict(
        location="westeurope",
        event_hub_resource_id=emulator.eventhub_id,
        consumer_group="$Default",
        table_name=env.TABLE,
        mapping_rule_name=env.CSV_MAPPING,
        data_format="csv",
        compression="None",
        database_routing="Single",
    )
    fields.update(overrides)
    return EventHubDataConnection(**fields)


def check_resource(check: env.Checks, emulator: env.Emulator, resource, name: str, what: str,
                   mapping: str, data_format: str) -> None:
    """The fields the live service returns for a settled EventHub data connection."""
    check.that(isinstance(resource, EventHubDataConnection), f"{what}: deserialises as EventHubDataConnection",
               type(resource).__name__)
    check.equal(resource.kind, "EventHub", f"{what}: kind")
    check.equal(resource.id, emulator.expected_data_connection_id(name), f"{what}: id re-cased like Azure")
    check.equal(resource.name, f"{env.CLUSTER}/{env.DATABASE}/{name}", f"{what}: name is cluster/db/connection")
    check.equal(resource.type, env.DATA_CONNECTION_TYPE, f"{what}: type")
    check.equal(resource.location, env.CLUSTER_LOCATION_DISPLAY, f"{what}: location as display name")
    properties = resource.get("properties") or {}
    check.equal(properties.get("provisioningState"), "Succeeded", f"{what}: provisioningState")
    check.that(str(properties.get("eventHubResourceId", "")).lower() == emulator.eventhub_id.lower(),
               f"{what}: eventHubResourceId", properties.get("eventHubResourceId"))
    check.equal(properties.get("consumerGroup"), "$Default", f"{what}: consumerGroup")
    check.equal(properties.get("tableName"), env.TABLE, f"{what}: tableName")
    check.equal(properties.get("mappingRuleName"), mapping, f"{what}: mappingRuleName")
    check.that(str(properties.get("dataFormat", "")).lower() == data_format.lower(),
               f"{what}: dataFormat (case-insensitive)", properties.get("dataFormat"))
    check.equal(properties.get("compression"), "None", f"{what}: compression")
    check.that(isinstance(resource.retrieval_start_date, datetime.datetime),
               f"{what}: the service's default retrievalStartDate deserialises to a datetime",
               properties.get("retrievalStartDate"))
    check.that("eventSystemProperties" in properties and "managedIdentityResourceId" in properties,
               f"{what}: unset optionals present as empty values like the live service",
               sorted(properties))


def validation_entries(result) -> list:
    """The validation errors, whichever spelling the service used.

    The spec says `value`; live Azure was recorded answering `{"Value": []}` (capital V), which the
    4.0.0 model does not map to `.value`, so a user reads it from the raw mapping.
    """
    if result.value is not None:
        return list(result.value)
    return list(result.get("Value") or [])


def initial_response(check: env.Checks, wire: WireLog, mark: int, method: str, what: str):
    """The first response to `method` after `mark`, i.e. the one that started an LRO."""
    for entry in wire.since(mark):
        if entry[0] == method:
            return entry
    check.that(False, f"{what}: the SDK sent a {method}")
    return None


def check_accepted(check: env.Checks, wire: WireLog, mark: int, method: str, what: str) -> None:
    """The first response to `method` after `mark` is 202 with both operation headers and
    Retry-After, as the live service answers a PATCH or a DELETE."""
    response = initial_response(check, wire, mark, method, what)
    if response:
        check.equal(response[2], 202, f"{what}: {method} answers 202 like the live service")
        for header in ("azure-asyncoperation", "location", "retry-after"):
            check.that(header in response[3], f"{what}: {method} carries {header}", sorted(response[3]))


def check_polls(check: env.Checks, wire: WireLog, mark: int, what: str) -> None:
    polls = [entry for entry in wire.since(mark) if "/operationResults/" in entry[1]]
    check.that(bool(polls), f"{what}: the SDK polled the operation", [entry[1] for entry in wire.since(mark)])
    check.that(all(entry[2] in (200, 202) for entry in polls), f"{what}: every poll answered 200/202",
               [entry[2] for entry in polls])


def main() -> None:
    emulator = env.load_emulator()
    check = env.Checks("sdk_flow")
    scope = env.arm_scope(env.RawArm(emulator))
    wire = WireLog()
    client = make_client(emulator, emulator.client_secret, scope, wire)
    operations = client.data_connections
    name = env.unique_name("howto")
    where = (env.RESOURCE_GROUP, env.CLUSTER, env.DATABASE)

    check.step("how-to as MS Learn writes it (4.0.0 omits kind)")
    try:
        operations.begin_create_or_update(*where, name, how_to_parameters(emulator)).result()
        check.that(False, "a PUT without the required discriminator `kind` is rejected like Azure does")
    except HttpResponseError as error:
        check.equal(error.status_code, 400, "missing kind: status")
        check.that(error.error is not None and bool(error.error.code), "missing kind: ARM error body with a code",
                   error.message)
    try:
        operations.get(*where, name)
        check.that(False, "missing kind: nothing was created")
    except ResourceNotFoundError:
        check.that(True, "missing kind: nothing was created")

    check.step("create with kind=EventHub, wait on the poller")
    mark = wire.mark()
    poller = operations.begin_create_or_update(*where, name, how_to_parameters(emulator, kind="EventHub"))
    created = poller.result()
    put = initial_response(check, wire, mark, "PUT", "create")
    if put:
        check.equal(put[2], 201, "create: PUT answers 201 like the live service")
        check.that("azure-asyncoperation" in put[3], "create: PUT carries Azure-AsyncOperation", sorted(put[3]))
        check.that("x-ms-request-id" in put[3], "create: x-ms-request-id present")
    check_polls(check, wire, mark, "create")
    check.equal(poller.status(), "Succeeded", "create: poller status")
    check_resource(check, emulator, created, name, "create result", env.CSV_MAPPING, "csv")

    check.step("get")
    fetched = operations.get(*where, name)
    check_resource(check, emulator, fetched, name, "get", env.CSV_MAPPING, "csv")

    check.step("update (begin_update) to the JSON mapping")
    mark = wire.mark()
    update = how_to_parameters(emulator, kind="EventHub", mapping_rule_name=env.JSON_MAPPING, data_format="json")
    updated = operations.begin_update(*where, name, update).result()
    check_accepted(check, wire, mark, "PATCH", "update")
    check_polls(check, wire, mark, "update")
    check_resource(check, emulator, updated, name, "update result", env.JSON_MAPPING, "json")
    check_resource(check, emulator, operations.get(*where, name), name, "get after update", env.JSON_MAPPING, "json")

    check.step("data connection validation")
    valid = DataConnectionValidation(data_connection_name=name, properties=update)
    result = operations.begin_data_connection_validation(*where, valid).result()
    check.equal(validation_entries(result), [], "validation of a valid connection: no errors")
    invalid = DataConnectionValidation(
        data_connection_name=name,
        properties=how_to_parameters(emulator, kind="EventHub", table_name="NoSuchTable"),
    )
    result = operations.begin_data_connection_validation(*where, invalid).result()
    messages = [str(item.get("errorMessage") or "") for item in validation_entries(result)]
    check.that(any("table" in message.lower() for message in messages),
               "validation with a missing table: an errorMessage names the table problem", messages)

    check.step("list")
    listed = list(operations.list_by_database(*where))
    ours = [item for item in listed if item.name == f"{env.CLUSTER}/{env.DATABASE}/{name}"]
    check.equal(len(ours), 1, "list: the connection appears once")
    if ours:
        check_resource(check, emulator, ours[0], name, "list entry", env.JSON_MAPPING, "json")

    check.step("list across pages (nextLink)")
    extra = [env.unique_name("page") for _ in range(2)]
    for other in extra:
        operations.begin_create_or_update(*where, other, how_to_parameters(emulator, kind="EventHub")).result()
    mark = wire.mark()
    names = {item.name.rsplit("/", 1)[-1] for item in operations.list_by_database(*where)}
    check.that({name, *extra} <= names, "list: every connection is reached through nextLink", sorted(names))
    pages = [entry for entry in wire.since(mark)
             if entry[0] == "GET" and entry[1].split("?")[0].endswith("/dataConnections")]
    print(f"  list took {len(pages)} page(s)", flush=True)
    for other in extra:
        operations.begin_delete(*where, other).result()

    check.step("list the cluster's databases")
    listed = client.databases.list_by_cluster(env.RESOURCE_GROUP, env.CLUSTER)
    databases = {database.name: database for database in listed}
    ours = databases.get(f"{env.CLUSTER}/{env.DATABASE}")
    check.that(ours is not None, "databases: the world's database is listed", sorted(databases))
    if ours is not None:
        check.equal((type(ours).__name__, ours.kind, ours.provisioning_state),
                    ("ReadWriteDatabase", "ReadWrite", "Succeeded"), "databases: a read-write database, provisioned")

    check.step("check name availability")
    request_type = "Microsoft.Kusto/clusters/databases/dataConnections"
    taken = operations.check_name_availability(*where, DataConnectionCheckNameRequest(name=name, type=request_type))
    check.equal(taken.name_available, False, "check name: existing name is unavailable")
    check.equal(taken.reason, "AlreadyExists", "check name: reason")
    check.equal(taken.name, name, "check name: echoes the name")
    fresh = env.unique_name("free")
    free = operations.check_name_availability(*where, DataConnectionCheckNameRequest(name=fresh, type=request_type))
    check.equal(free.name_available, True, "check name: unused name is available")

    check.step("delete, wait")
    mark = wire.mark()
    check.equal(operations.begin_delete(*where, name).result(), None, "delete: poller result")
    check_accepted(check, wire, mark, "DELETE", "delete")
    check_polls(check, wire, mark, "delete")
    try:
        operations.get(*where, name)
        check.that(False, "get after delete raises ResourceNotFoundError")
    except ResourceNotFoundError as error:
        check.equal(error.error.code if error.error else None, "ResourceNotFound", "get after delete: error code")
    mark = wire.mark()
    operations.begin_delete(*where, name).result()
    again = initial_response(check, wire, mark, "DELETE", "delete again")
    if again:
        check.equal(again[2], 204, "delete of an absent connection answers 204")

    check.step("error path: wrong client secret")
    bad_client = make_client(emulator, "not-the-secret", scope, WireLog())
    try:
        bad_client.data_connections.get(*where, name)
        check.that(False, "wrong secret raises ClientAuthenticationError")
    except ClientAuthenticationError as error:
        check.that("AADSTS7000215" in str(error), "wrong secret: message carries AADSTS7000215", str(error)[:300])

    check.step("error path: missing table fails the operation with the service's text")
    missing = env.unique_name("notable")
    try:
        operations.begin_create_or_update(
            *where, missing, how_to_parameters(emulator, kind="EventHub", table_name="NoSuchTable")
        ).result()
        check.that(False, "create with a missing table: the poller raises")
    except HttpResponseError as error:
        text = str(error)
        check.that("table does not exist" in text, "missing table: the service's error text reaches the user",
                   text[:400])
        check.equal(error.error.code if error.error else None, "EventHubValidationErorFound",
                    "missing table: the service's error code (sic)")

    check.finish()


if __name__ == "__main__":
    main()
