"""Validate response bodies against the Kusto Swagger 2.0 spec with `jsonschema`.

The spec files are used unmodified from the repository's testdata/azure-spec (or the directory
named by the environment variable AZURE_SPEC_DIR). Swagger 2.0 schemas are not JSON Schema, so they are
translated once, in memory, with these adaptations:

1. `$ref`s into the common-types file (`../../../../../../common-types/...`) are rewritten to the
   copy at `common-types/resource-management/v3/types.json` beside the Kusto folder (see
   testdata/README.md); both files are registered with `referencing`, so every `$ref` resolves.
2. `x-ms-*` keys are dropped (`x-ms-client-flatten`, `x-ms-identifiers`, ... only guide code
   generators); `x-ms-enum` is read first, see 3.
3. An `enum` marked `x-ms-enum: {modelAsString: true}` is an extensible enum: clients accept any
   string, so only `type: string` is enforced. Enums with `modelAsString: false` stay strict.
4. `discriminator` polymorphism: a body whose `kind` is `EventHub` must also satisfy
   `EventHubDataConnection` (and likewise for every `x-ms-discriminator-value` child), which is
   what a generated client does when it deserialises the base type.
5. Optional (not `required`) properties may be `null`: the live service sends
   `"managedIdentityResourceId": null` and, after an update, `"tableName": null` (recording seq 3
   and 8), and every Azure client treats null as absent.
6. Swagger allows unknown properties; this validator does not (JSON Schema
   `unevaluatedProperties: false`), because an emulator inventing fields is a fidelity bug. The
   only exception is `Value` (capital V), which the live service is recorded sending in the
   validation operation's `properties` and Location result (recording seq 10 and 11).
7. `format: date-time` is checked (RFC 3339, any number of fractional digits as Azure sends up to
   seven); numeric formats (`int32`, `double`) only constrain the JSON type, which `type` does.
8. `readOnly` is an annotation for responses and is ignored.
9. The ARM error contract requires `error.code` and `error.message` (RPC); the common-types
   `ErrorDetail` marks nothing required, so `ErrorResponse` bodies get that extra requirement.
"""

import copy
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

KUSTO_URI = "urn:azure-spec:kusto/2025-02-14/kusto.json"
TYPES_URI = "urn:azure-spec:common-types/resource-management/v3/types.json"
COMMON_TYPES_PREFIX = "../../../../../../common-types/resource-management/v3/types.json"
RECORDED_EXTRA_KEYS = {"Value"}

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def spec_dir() -> Path:
    configured = os.environ.get("AZURE_SPEC_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[4] / "testdata" / "azure-spec"


def _allof_targets(definitions: dict) -> set[str]:
    """Definitions used as `allOf` parents: they must stay open for their children's properties."""
    targets = set()
    for schema in definitions.values():
        for part in schema.get("allOf", []):
            ref = part.get("$ref", "")
            targets.add(ref.rsplit("/", 1)[-1])
    return targets


def _translate(node, required: set[str] | None = None):
    """Swagger 2.0 schema node -> JSON Schema 2020-12 node (adaptations 2, 3, 5, 8)."""
    if isinstance(node, list):
        return [_translate(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    model_as_string = bool(node.get("x-ms-enum", {}).get("modelAsString"))
    for key, value in node.items():
        if key.startswith("x-ms-") or key in ("discriminator", "readOnly", "example", "externalDocs"):
            continue
        if key == "enum" and model_as_string:
            continue
        if key == "$ref":
            out[key] = value.replace(COMMON_TYPES_PREFIX, TYPES_URI)
        elif key == "properties":
            own_required = set(node.get("required", []))
            out[key] = {
                name: (_translate(prop) if name in own_required else {"anyOf": [{"type": "null"}, _translate(prop)]})
                for name, prop in value.items()
            }
        elif key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not"):
            out[key] = _translate(value)
        else:
            out[key] = value
    return out


def _translate_document(document: dict) -> dict:
    definitions = document.get("definitions", {})
    parents = _allof_targets(definitions)
    translated = {}
    for name, schema in definitions.items():
        body = _translate(schema)
        if name not in parents and "properties" in schema and "allOf" not in schema:
            body["unevaluatedProperties"] = False  # adaptation 6, for closed leaf objects
        translated[name] = body
    # Adaptation 4: split each discriminated base into its own shape plus a dispatch on `kind`.
    for name, schema in definitions.items():
        field = schema.get("discriminator")
        if not field:
            continue
        translated[f"{name}__base"] = translated[name]
        children = {}
        for child_name, child in definitions.items():
            value = child.get("x-ms-discriminator-value")
            refs = [part.get("$ref", "") for part in child.get("allOf", [])]
            if value and f"#/definitions/{name}" in refs:
                children[value] = child_name
                translated[child_name]["allOf"] = [
                    {"$ref": f"#/definitions/{name}__base"} if part.get("$ref") == f"#/definitions/{name}" else part
                    for part in translated[child_name]["allOf"]
                ]
        translated[name] = {
            "allOf": [{"$ref": f"#/definitions/{name}__base"}]
            + [
                {"if": {"properties": {field: {"const": value}}, "required": [field]},
                 "then": {"$ref": f"#/definitions/{child_name}"}}
                for value, child_name in children.items()
            ],
            "unevaluatedProperties": False,
        }
    result = {key: value for key, value in document.items() if key not in ("definitions", "paths", "x-ms-paths")}
    result["definitions"] = translated
    return result


def _allow_recorded_extras(schema: dict, definitions: list[str]) -> None:
    for name in definitions:
        target = schema["definitions"][name]
        target["properties"]["Value"] = {"type": "array"}


def _check_date_time(value) -> bool:
    return not isinstance(value, str) or bool(DATE_TIME.match(value))


@dataclass
class Operation:
    operation_id: str
    method: str
    pattern: re.Pattern
    query: str | None
    responses: dict
    final_state_schema: str | None


class Spec:
    """The Kusto spec, translated, with a lookup from (method, URL) to the declared responses."""

    def __init__(self) -> None:
        root = spec_dir()
        kusto_raw = json.loads((root / "kusto" / "2025-02-14" / "kusto.json").read_text())
        types_raw = json.loads((root / "common-types" / "resource-management" / "v3" / "types.json").read_text())
        self.kusto = _translate_document(kusto_raw)
        self.types = _translate_document(types_raw)
        _allow_recorded_extras(self.kusto, ["OperationResultProperties", "DataConnectionValidationListResult"])
        error_detail = self.types["definitions"]["ErrorDetail"]
        error_detail["required"] = ["code", "message"]  # adaptation 9
        self.types["definitions"]["ErrorResponse"]["required"] = ["error"]
        self.registry = Registry().with_resources([
            (KUSTO_URI, Resource(contents=self.kusto, specification=DRAFT202012)),
            (TYPES_URI, Resource(contents=self.types, specification=DRAFT202012)),
        ])
        checker = jsonschema.FormatChecker()
        checker.checkers["date-time"] = (_check_date_time, ())
        self.format_checker = checker
        self.operations = self._operations(kusto_raw)

    @staticmethod
    def _operations(raw: dict) -> list[Operation]:
        operations = []
        for section in ("paths", "x-ms-paths"):
            for template, item in raw.get(section, {}).items():
                path, _, query = template.partition("?")
                regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
                for method, operation in item.items():
                    if method == "parameters":
                        continue
                    lro_options = operation.get("x-ms-long-running-operation-options", {})
                    operations.append(Operation(
                        operation["operationId"], method.upper(), re.compile(f"^{regex}$", re.IGNORECASE),
                        query or None, operation["responses"], lro_options.get("final-state-schema"),
                    ))
        return operations

    def operation_for(self, method: str, path: str, query: str) -> Operation:
        """The operation a request hits; a query-qualified x-ms-path wins over the plain path."""
        candidates = [op for op in self.operations if op.method == method and op.pattern.match(path)]
        qualified = [op for op in candidates if op.query and op.query.lower() in query.lower()]
        if qualified:
            return qualified[0]
        plain = [op for op in candidates if not op.query]
        if not plain:
            raise LookupError(f"no operation in the spec for {method} {path}")
        return plain[0]

    def schema_ref(self, operation: Operation, status: int) -> str | None:
        """The `$ref` declared for this status (or `default` for an undeclared one), None if no body is declared."""
        response = operation.responses.get(str(status)) or operation.responses.get("default")
        schema = (response or {}).get("schema")
        if schema is None:
            return None
        return schema["$ref"].replace(COMMON_TYPES_PREFIX, TYPES_URI)

    def errors(self, ref: str, body) -> list[str]:
        """Every way `body` violates the schema at `ref` (empty when it conforms)."""
        if ref.startswith("#"):
            ref = f"{KUSTO_URI}{ref}"
        wrapper = {"$ref": ref, "unevaluatedProperties": False}
        validator = jsonschema.Draft202012Validator(
            copy.deepcopy(wrapper), registry=self.registry, format_checker=self.format_checker
        )
        messages: list[str] = []
        for error in _leaves(validator.iter_errors(body)):
            message = f"{'/'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message}"
            if message not in messages:
                messages.append(message)
        return messages


def _leaves(errors):
    """The innermost errors: an `anyOf` failure (adaptation 5's null branch) says little by itself."""
    for error in errors:
        inner = [sub for sub in error.context if sub.validator != "type" or sub.validator_value != "null"]
        if error.validator == "anyOf" and inner:
            yield from _leaves(inner)
        else:
            yield error
