"""The Python SDK meets Azure-shaped failures: throttling, outages, dropped connections, failed LROs.

The emulator's fault plan (`POST /_emulator/faults`) makes chosen requests fail the way Azure
does. What is checked is that the failures look like Azure's to a client we did not write: the
unmodified azure-core retry policy must recognise a 429/503 with `Retry-After` and retry it, a
dropped connection on a poll must be retried, and an operation that ends Failed or Canceled must
surface as `HttpResponseError` carrying the operation's error. Each throttling answer is also
compared with Azure's documented shape (ARM's throttling documentation): 429 + `Retry-After` +
`SubscriptionRequestsThrottled`, with a message naming the subscription and the wait.
"""

import signal

from azure.core.exceptions import HttpResponseError
from azure.mgmt.kusto.models import EventHubDataConnection

import emulator_env as env
from sdk_flow import WireLog, make_client

signal.alarm(600)


def install(arm: env.RawArm, rules: list[dict]) -> None:
    response = arm.admin("POST", "/faults", json={"rules": rules})
    response.raise_for_status()


def parameters(emulator: env.Emulator, **overrides) -> EventHubDataConnection:
    fields = dict(kind="EventHub", location="westeurope", event_hub_resource_id=emulator.eventhub_id,
                  consumer_group="$Default", table_name=env.TABLE, mapping_rule_name=env.JSON_MAPPING,
                  data_format="JSON")
    fields.update(overrides)
    return EventHubDataConnection(**fields)


def statuses(wire: WireLog, mark: int, method: str, fragment: str) -> list[int]:
    return [entry[2] for entry in wire.since(mark) if entry[0] == method and fragment in entry[1]]


def main() -> None:
    emulator = env.load_emulator()
    check = env.Checks("sdk_faults")
    arm = env.RawArm(emulator)
    scope = env.arm_scope(arm)
    wire = WireLog()
    operations = make_client(emulator, emulator.client_secret, scope, wire).data_connections
    where = (env.RESOURCE_GROUP, env.CLUSTER, env.DATABASE)
    name = env.unique_name("faults")

    check.step("429 with Retry-After on the PUT: Azure's throttling shape, retried by azure-core")
    install(arm, [{"method": "PUT", "path": "*/dataConnections/*", "times": 1,
                   "action": {"type": "status", "status": 429, "retry_after": 1}}])
    throttled = arm.call("PUT", emulator.data_connection_path(env.unique_name("raw")),
                         body={"kind": "EventHub", "location": "westeurope",
                               "properties": {"eventHubResourceId": emulator.eventhub_id, "consumerGroup": "$Default"}})
    check.equal(throttled.status_code, 429, "throttled: status")
    check.equal(throttled.headers.get("retry-after"), "1", "throttled: Retry-After")
    error = (env.json_body(throttled) or {}).get("error", {})
    check.equal(error.get("code"), "SubscriptionRequestsThrottled", "throttled: code")
    message = str(error.get("message", ""))
    check.that(emulator.subscription_id in message and "Please try again after '1' seconds" in message,
               "throttled: message names the subscription and the Retry-After wait, like Azure's", message)
    install(arm, [{"method": "PUT", "path": "*/dataConnections/*", "times": 1,
                   "action": {"type": "status", "status": 429, "retry_after": 1}}])
    mark = wire.mark()
    created = operations.begin_create_or_update(*where, name, parameters(emulator)).result()
    check.equal(statuses(wire, mark, "PUT", name), [429, 201], "SDK retried the throttled PUT once")
    check.equal(created.get("properties", {}).get("provisioningState"), "Succeeded", "create after throttling")

    check.step("503 on an operation poll, then a dropped connection: both retried")
    install(arm, [
        {"method": "GET", "path": "*/operationResults/*", "times": 1,
         "action": {"type": "status", "status": 503, "retry_after": 1}},
        {"method": "GET", "path": "*/operationResults/*", "skip": 1, "times": 1, "action": {"type": "drop"}},
    ])
    mark = wire.mark()
    updated = operations.begin_update(*where, name, parameters(emulator, mapping_rule_name=env.JSON_MAPPING,
                                                                event_system_properties=["x-opt-offset"])).result()
    polls = statuses(wire, mark, "GET", "/operationResults/")
    check.that(polls[:1] == [503] and polls[-1:] == [200], "SDK retried the 503 poll and got the status", polls)
    check.equal(updated.get("properties", {}).get("provisioningState"), "Succeeded", "update after poll faults")

    check.step("operation ends Failed: the SDK raises with the operation's error")
    install(arm, [{"method": "PATCH", "path": "*", "times": 1,
                   "action": {"type": "lro", "outcome": "Failed", "code": "ServiceIsInMaintenance",
                              "message": "[Conflict] ServiceIsInMaintenance"}}])
    try:
        operations.begin_update(*where, name, parameters(emulator)).result()
        check.that(False, "a Failed operation raises HttpResponseError")
    except HttpResponseError as failure:
        check.equal(failure.error.code if failure.error else None, "ServiceIsInMaintenance", "Failed: error code")
        check.that("ServiceIsInMaintenance" in str(failure), "Failed: message reaches the user", str(failure)[:300])

    check.step("operation ends Canceled: the SDK raises")
    install(arm, [{"method": "DELETE", "path": "*", "times": 1, "action": {"type": "lro", "outcome": "Canceled"}}])
    try:
        operations.begin_delete(*where, name).result()
        check.that(False, "a Canceled operation raises HttpResponseError")
    except HttpResponseError as failure:
        check.that(failure.error is not None and bool(failure.error.code), "Canceled: an error code reaches the user",
                   str(failure)[:300])

    check.step("clean up without faults")
    install(arm, [])
    operations.begin_delete(*where, name).result()
    check.finish()


if __name__ == "__main__":
    main()
