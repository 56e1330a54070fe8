"""Loads the contract schemas from disk and compiles each validator exactly once."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError
    from referencing import Registry

# jsonschema (with referencing and attrs) is imported by the first compile, not with this
# module: it is about a fifth of the mock's start-up, and a serving mock that is never sent an
# invalid body never needs it (mock_server.core.validation accepts valid bodies without it).

SCHEMA_NAMES = (
    "generation_request",
    "create_response",
    "task",
    "error",
    "callback",
    "fault_rule",
    "scenario",
    "profile",
)


def fixture(*parts: str) -> Traversable:
    """A folder or file of the shared fixtures (`fixtures/` in the repository), found through the
    installed package, so a wheel and a checkout read the same files."""
    return resources.files("seedream_contracts.fixtures").joinpath(*parts)


@cache
def _raw(name: str) -> dict[str, Any]:
    if name not in SCHEMA_NAMES:
        raise KeyError(f"no contract schema named {name!r}; known: {', '.join(SCHEMA_NAMES)}")
    text = (
        resources.files("seedream_contracts")
        .joinpath("schemas", f"{name}.schema.json")
        .read_text("utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_schema(name: str) -> dict[str, Any]:
    """A private copy of one schema, safe for callers to adapt (e.g. a configured prompt cap)."""
    return copy.deepcopy(_raw(name))


@cache
def _registry() -> Registry:
    from referencing import Registry, Resource

    # Schemas refer to each other by file name ("task.schema.json"); resolve those offline.
    resources_by_uri = []
    for name in SCHEMA_NAMES:
        schema = _raw(name)
        resource = Resource.from_contents(schema)
        resources_by_uri.append((schema["$id"], resource))
    return Registry().with_resources(resources_by_uri)


def compile_schema(schema: dict[str, Any], check: bool = True) -> Draft202012Validator:
    """Compile a (possibly adapted) contract schema against the shared registry. `check=False`
    skips the meta-schema check (about 10 ms a schema) for schemas the test suite checks: the
    shipped files and what the shipped profiles make of them (tests/unit/test_contract_examples)."""
    from jsonschema import Draft202012Validator

    if check:
        Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry())


@cache
def validator(name: str) -> Draft202012Validator:
    """The compiled validator for one shipped contract schema; built on first use, then reused.
    The files never change at run time and a test checks each against the meta-schema, so a
    start-up does not pay for that check again."""
    return compile_schema(_raw(name), check=False)


def _narrow(error: ValidationError) -> ValidationError:
    """Descend from 'not valid under any of the given schemas' to the branch that was meant:
    the one whose `type` const names the instance's `type`, else the most relevant one."""
    from jsonschema.exceptions import best_match

    while error.validator in ("oneOf", "anyOf") and error.context:
        branches: list[Any] = list(error.validator_value)  # type: ignore[arg-type]
        instance = error.instance
        if isinstance(instance, dict) and "type" in instance:
            tags = [b.get("properties", {}).get("type", {}).get("const") for b in branches]
            if any(tags) and instance["type"] not in tags:
                return _tagged(error, "type", [t for t in tags if t])
            if instance["type"] in tags:
                index = tags.index(instance["type"])
                error = best_match(e for e in error.context if e.relative_schema_path[0] == index)
                continue
        error = best_match(error.context)
    return error


def _tagged(error: ValidationError, field: str, choices: list[str]) -> ValidationError:
    from jsonschema import ValidationError

    instance: Any = error.instance
    found = ValidationError(
        f"{instance[field]!r} is not one of {', '.join(choices)}",
        path=[*error.absolute_path, field],
    )
    return found


def explain(error: ValidationError) -> tuple[str, str]:
    """A readable location (`faults[2].action.status`) and sentence for a schema error."""
    narrowed = _narrow(error)
    path = list(narrowed.absolute_path)
    if narrowed.validator == "required" and isinstance(narrowed.instance, dict):
        # A missing field is the field at fault, not the object that lacks it (`param: null`
        # for a top-level `name` would point at nothing).
        wanted: Any = narrowed.validator_value
        path.append(next(name for name in wanted if name not in narrowed.instance))
    location = ""
    for part in path:
        location += f"[{part}]" if isinstance(part, int) else (f".{part}" if location else part)
    return location, f"{location or 'the document'}: {narrowed.message}"


def first_error(name: str, document: Any) -> tuple[str, str] | None:
    """The most relevant way `document` breaks schema `name`, explained; None if it conforms."""
    from jsonschema.exceptions import best_match

    errors = list(validator(name).iter_errors(document))
    return explain(best_match(errors)) if errors else None
