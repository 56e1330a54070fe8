"""A JSON document walked against its contract schema, field by field.

Each field the schema names gets a verdict (as expected, missing, of a different type, outside
its enum); each field it does not name is extra, and one it names but does not require may be
absent. `$ref`s are followed within and across schema files, a nullable (`anyOf`) field is
judged by the branch its value is meant to follow, and of an `allOf` (a profile's schema: the
shape, then what each status adds) the member that has the shape is walked.
"""

from __future__ import annotations

from typing import Any

from seedream_contracts.loader import load_schema

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def walk(
    schema: dict[str, Any], value: Any, owner: str, path: str = ""
) -> list[tuple[str, str, Any]]:
    """(field path, verdict, value) for every field the schema names, and every extra one.
    `owner` is the schema file that `#/$defs/…` references inside `schema` belong to."""
    node, owner = _resolve(schema, owner)
    found: list[tuple[str, str, Any]] = []
    properties = node.get("properties")
    if not isinstance(properties, dict) or not isinstance(value, dict):
        return found
    for name, sub in properties.items():
        where = f"{path}.{name}" if path else name
        if name not in value:
            if name in node.get("required", ()):
                found.append((where, "missing", None))
            continue
        child, child_owner = _branch(*_resolve(sub, owner), value[name])
        found.append((where, _verdict(child, value[name]), value[name]))
        if isinstance(value[name], dict):
            found += walk(child, value[name], child_owner, where)
    for name in value:
        if name not in properties:
            where = f"{path}.{name}" if path else name
            found.append((where, "extra", value[name]))
    return found


def _resolve(node: dict[str, Any], owner: str) -> tuple[dict[str, Any], str]:
    """Follow `$ref`s (within a file and across files) to the node that has the shape."""
    while True:
        if "$ref" in node:
            ref = node["$ref"]
            if ref.startswith("#/$defs/"):
                node = load_schema(owner)["$defs"][ref.removeprefix("#/$defs/")]
            else:
                owner = ref.removesuffix(".schema.json")
                node = load_schema(owner)
            continue
        parts = [p for p in node.get("allOf", []) if "$ref" in p or "properties" in p]
        if "properties" not in node and parts:
            node = parts[0]
            continue
        return node, owner


def _branch(node: dict[str, Any], owner: str, value: Any) -> tuple[dict[str, Any], str]:
    """For `anyOf` (a shape or null), the branch the value is meant to follow."""
    options = [_resolve(option, owner) for option in node.get("anyOf", [])]
    for resolved, where in options:
        null = resolved.get("type") == "null" or resolved.get("const", ...) is None
        if null == (value is None):
            return resolved, where
    return options[0] if options else (node, owner)


def _verdict(node: dict[str, Any], value: Any) -> str:
    kinds = node.get("type")
    if kinds is not None:
        allowed = kinds if isinstance(kinds, list) else [kinds]
        if not any(_is(value, kind) for kind in allowed):
            return "type"
    if "enum" in node and value not in node["enum"]:
        return "enum"
    if "const" in node and value != node["const"]:
        return "enum"
    return "ok"


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES.get(kind, object))
