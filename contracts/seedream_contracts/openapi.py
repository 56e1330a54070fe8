"""The OpenAPI 3.1 document of the public API, generated from the contract schemas.

The schemas stay the single source of truth: each becomes a component (its `$defs` lifted to
components of their own, references rewritten), and the routes, statuses and security are
stated here once. Regex lookaheads the Python validator needs (`(?![\\s\\S])`, "true end of
string") are written as `$`, which means exactly that in the ECMAScript dialect OpenAPI uses.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from seedream_contracts.loader import load_schema
from seedream_contracts.profiles import Profile
from seedream_contracts.profiles.schemas import ANSWER_SCHEMAS, request_schema

VERSION = "0.1.0"
PUBLIC_SCHEMAS = ("generation_request", "create_response", "task", "error", "callback")
TRUE_END = "(?![\\s\\S])"


def _component(name: str, schema: dict[str, Any], components: dict[str, Any]) -> None:
    schema = copy.deepcopy(schema)
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    for sub, definition in schema.pop("$defs", {}).items():
        components[f"{name}.{sub}"] = definition
    components[name] = schema


def _rewrite(node: Any, owner: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = _ref(value, owner)
            elif key == "pattern" and isinstance(value, str):
                out[key] = value.replace(TRUE_END, "$")
            else:
                out[key] = _rewrite(value, owner)
        return out
    if isinstance(node, list):
        return [_rewrite(item, owner) for item in node]
    return node


def _ref(value: str, owner: str) -> str:
    if value.startswith("#/$defs/"):
        return f"#/components/schemas/{owner}.{value.removeprefix('#/$defs/')}"
    target = value.split("#")[0].removesuffix(".schema.json")
    return f"#/components/schemas/{target}"


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _errors(*statuses: int) -> dict[str, Any]:
    sentences = {
        400: "The body or a field is wrong; `param` names the field.",
        401: "Missing, malformed, unknown or revoked API key.",
        402: "Not enough credits for this request.",
        404: "No such task for this key (or no such file).",
        405: "Method not allowed on this route.",
        410: "The result file has expired.",
        413: "The body is larger than the server accepts.",
        429: "Too many requests; see Retry-After.",
        500: "Server error.",
        503: "Upstream unavailable.",
    }
    return {str(s): {"description": sentences[s], "content": _json("error")} for s in statuses}


def document(
    server_url: str | None = None,
    callback_pattern: str | None = None,
    *,
    profile: Profile | None = None,
) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (a fresh dict each call). `callback_pattern` narrows
    `callback_url` to the hosts a particular server accepts (a mock's --callback-hosts);
    `profile` makes the request and answer schemas those of that dialect (docs/profiles.md)."""
    components: dict[str, Any] = {}
    for name in PUBLIC_SCHEMAS:
        _component(name, _schema(name, profile), components)
    if callback_pattern is not None:
        callback = components["generation_request"]["properties"]["callback_url"]
        callback["anyOf"][0] = {"type": "string", "maxLength": 2048, "pattern": callback_pattern}
    components = {k: _rewrite(v, k.split(".")[0]) for k, v in components.items()}
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "API in One — Seedream 4.5 image generation (as emulated by seedream-mock)",
            "version": VERSION,
            "description": "Generated from seedream-mock's contract schemas. Fields tagged [G] "
            "in contracts/README.md are unverified against the real service.",
        },
        "servers": [{"url": server_url or "https://apiin.one"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/images/generations": {"post": _create_operation()},
            "/api/v1/tasks/{task_id}": {"get": _task_operation()},
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API key: aio_…"}
            },
        },
    }
    return doc


def _schema(name: str, profile: Profile | None) -> dict[str, Any]:
    if profile is None:
        return load_schema(name)
    if name == "generation_request":
        return request_schema(profile)
    return ANSWER_SCHEMAS[name](profile)


def _create_operation() -> dict[str, Any]:
    return {
        "operationId": "createGeneration",
        "summary": "Submit a Seedream 4.5 generation task",
        "requestBody": {"required": True, "content": _json("generation_request")},
        "callbacks": {
            "taskEnded": {
                "{$request.body#/callback_url}": {
                    "post": {
                        "requestBody": {"required": True, "content": _json("callback")},
                        "responses": {"200": {"description": "Any 2xx acknowledges it."}},
                    }
                }
            }
        },
        "responses": {
            "200": {"description": "The task was created.", "content": _json("create_response")},
            **_errors(400, 401, 402, 405, 413, 429, 500, 503),
        },
    }


def _task_operation() -> dict[str, Any]:
    return {
        "operationId": "getTask",
        "summary": "Read a task's status and result",
        "parameters": [
            {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {"description": "The task.", "content": _json("task")},
            **_errors(401, 404, 405, 429, 500, 503),
        },
    }


def render(server_url: str | None = None, profile: Profile | None = None) -> str:
    return json.dumps(document(server_url, profile=profile), indent=2, ensure_ascii=False) + "\n"
