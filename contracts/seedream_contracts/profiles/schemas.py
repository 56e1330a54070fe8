"""JSON Schemas made from a profile: what its answers look like and which requests it accepts.

Answer schemas are written from the templates: a literal becomes a `const`, a value its schema
from fields.py, an object its members (each required where the template always writes it). The
task schema then ties the rest to the status, as the hand-written default schema does: for each
status name, the members that exist only in some states are required or absent, and the
per-state rules (progress 100 when completed, …) apply. A `$json` string carries its content's
schema in `contentSchema`, which `compile_schema` here asserts (plain 2020-12 only annotates it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from seedream_contracts.profiles import template
from seedream_contracts.profiles.fields import (
    CREATE_FIELDS,
    ERROR_FIELDS,
    STATE_RULES,
    STATES,
    TASK_FIELDS,
    TERMINAL,
    TIMES,
    time_schema,
)
from seedream_contracts.profiles.profile import Profile

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _content_schema(
    validator: Any, schema: Any, instance: Any, owner: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if owner.get("contentMediaType") != "application/json" or not isinstance(instance, str):
        return
    try:
        decoded = json.loads(instance)
    except ValueError:
        from jsonschema import ValidationError

        yield ValidationError(f"{instance[:60]!r} is not a JSON-encoded string")
        return
    for error in validator.descend(decoded, schema):
        error.message = f"in the JSON string: {error.message}"
        yield error


@cache
def _validator_class() -> Any:
    """Draft 2020-12 plus `contentSchema`; built (and jsonschema imported) on first use, so a
    serving mock that never checks an answer never imports jsonschema."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, {"contentSchema": _content_schema}
    )


def compile_schema(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator that also checks JSON-encoded strings against their `contentSchema`."""
    _validator_class().check_schema(schema)
    compiled: Draft202012Validator = _validator_class()(schema)
    return compiled


# -- answers ---------------------------------------------------------------------------------


class _Writer:
    """Turns one template into a schema, for one state or (state None) for any state."""

    def __init__(
        self,
        fields: Mapping[str, Any],
        status_schema: dict[str, Any] | None,
        state_names: Mapping[str, Any] | None = None,
    ) -> None:
        self.fields = fields
        self.status_schema = status_schema
        self.state_names = dict(state_names or {})

    def node(self, node: Any, state: str | None) -> dict[str, Any]:
        if template.is_value(node):
            return self.value(node, state)
        if template.is_json(node):
            return {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": self.node(node[template.JSON_STEP], state),
            }
        if isinstance(node, dict):
            return self.members(node, state)
        if isinstance(node, list):
            return {"type": "array", "prefixItems": [self.node(n, state) for n in node]}
        return {"const": node}

    def members(self, node: dict[str, Any], state: str | None) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        absent: list[dict[str, Any]] = []
        for key, child in node.items():
            if not template.is_when(child):
                properties[key] = self.node(child, state)
                required.append(key)
                continue
            then = self.node(child["then"], state)
            otherwise = {"const": child["else"]} if "else" in child else None
            if state is None:
                properties[key] = then if otherwise is None else {"anyOf": [then, otherwise]}
                if otherwise is not None:
                    required.append(key)
            elif state in child["$when"]:
                properties[key] = then
                required.append(key)
            elif otherwise is not None:
                properties[key] = otherwise
                required.append(key)
            else:
                absent.append({"not": {"required": [key]}})
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        if absent:
            schema["allOf"] = absent
        return schema

    def value(self, node: dict[str, Any], state: str | None) -> dict[str, Any]:
        name = node["$value"]
        if name == "status" and self.status_schema is not None:
            base = self.status_schema if state is None else {"const": self.state_names[state]}
        elif name in TIMES:
            base = time_schema(node.get("format"))
            if name == "completed_at":
                base = self.completed_at(base, state)
        else:
            base = dict(self.fields[name])
        rule = STATE_RULES.get(state or "", {}).get(name)
        return {"allOf": [base, rule]} if rule else base

    @staticmethod
    def completed_at(base: dict[str, Any], state: str | None) -> dict[str, Any]:
        if state is None:
            return {"anyOf": [base, {"type": "null"}]}
        return base if state in TERMINAL else {"type": "null"}


def _status_names(profile: Profile) -> list[Any]:
    names: list[Any] = []
    for name in [profile.wire_status(s) for s in STATES] + list(
        profile.statuses.get("also_in_progress", [])
    ):
        if name not in names:
            names.append(name)
    return names


def _task_like(profile: Profile, shape: Any, states: tuple[str, ...], title: str) -> dict[str, Any]:
    wire = {s: profile.wire_status(s) for s in STATES}
    names = [n for n in _status_names(profile) if profile.state_of(n) in states]
    names += [wire[s] for s in states if wire[s] not in names]
    fields = dict(TASK_FIELDS)
    fields["input.image_urls"] = {
        **fields["input.image_urls"],
        "maxItems": profile.input_rules["image_urls_max"],
    }
    writer = _Writer(fields, {"enum": names}, wire)
    schema = writer.node(shape, None)
    path = template.locate(shape)["status"].path
    if template.JSON_STEP not in path:
        couplings = []
        for name in names:
            group = [s for s in states if profile.wire_status(s) == name] or ["processing"]
            then = [writer.node(shape, s) for s in group]
            couplings.append(
                {
                    "if": _at(path, {"const": name}),
                    "then": then[0] if len(then) == 1 else {"anyOf": then},
                }
            )
        schema = {"allOf": [schema, *couplings]}
    return {"$schema": DIALECT, "title": title, **schema}


def _at(path: tuple[str | int, ...], leaf: dict[str, Any]) -> dict[str, Any]:
    """A schema that holds when the value at `path` (object members only) matches `leaf`."""
    schema = leaf
    for step in reversed(path):
        schema = {"type": "object", "properties": {str(step): schema}, "required": [str(step)]}
    return schema


def task_schema(profile: Profile) -> dict[str, Any]:
    """GET /api/v1/tasks/{task_id} success, in this profile's dialect."""
    return _task_like(profile, profile.document["answers"]["task"], STATES, "task")


def callback_schema(profile: Profile) -> dict[str, Any]:
    """The callback body: a task that has ended, as the profile's callback template writes it."""
    return _task_like(profile, profile.callback_template, TERMINAL, "callback")


def create_schema(profile: Profile) -> dict[str, Any]:
    status = {"const": profile.statuses["on_create"]}
    writer = _Writer(CREATE_FIELDS, status)
    return {
        "$schema": DIALECT,
        "title": "create_response",
        **writer.node(profile.document["answers"]["create"], None),
    }


def error_schema(profile: Profile) -> dict[str, Any]:
    types = sorted({str(entry["type"]) for entry in profile.document["errors"].values()})
    fields = dict(ERROR_FIELDS)
    fields["type"] = {"enum": types}
    writer = _Writer(fields, None)
    return {
        "$schema": DIALECT,
        "title": "error",
        **writer.node(profile.document["answers"]["error"], None),
    }


ANSWER_SCHEMAS = {
    "create_response": create_schema,
    "task": task_schema,
    "error": error_schema,
    "callback": callback_schema,
}
