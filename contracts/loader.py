"""Loads the contract schemas from disk and compiles each validator exactly once."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_NAMES = ("generation_request", "create_response", "task", "error", "callback")


@cache
def _raw(name: str) -> dict[str, Any]:
    if name not in SCHEMA_NAMES:
        raise KeyError(f"no contract schema named {name!r}; known: {', '.join(SCHEMA_NAMES)}")
    text = (
        resources.files("contracts").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_schema(name: str) -> dict[str, Any]:
    """A private copy of one schema, safe for callers to adapt (e.g. a configured prompt cap)."""
    return copy.deepcopy(_raw(name))


@cache
def _registry() -> Registry:
    # Schemas refer to each other by file name ("task.schema.json"); resolve those offline.
    resources_by_uri = []
    for name in SCHEMA_NAMES:
        schema = _raw(name)
        resource = Resource.from_contents(schema)
        resources_by_uri.append((schema["$id"], resource))
    return Registry().with_resources(resources_by_uri)


def compile_schema(schema: dict[str, Any]) -> Draft202012Validator:
    """Compile a (possibly adapted) contract schema against the shared registry."""
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry())


@cache
def validator(name: str) -> Draft202012Validator:
    """The compiled validator for one contract schema; built on first use, then reused."""
    return compile_schema(_raw(name))
