"""The OpenAPI 3.1 document of the public API in one profile's dialect, made from its schemas.

The profile stays the single source of truth: its answer schemas and the request schema its
input rules give (profiles/schemas.py) each become a component (`$defs` lifted to components
of their own, references rewritten), and the status of each error answer is the one the
profile gives that kind of error (a bad field: 400 by default, 422 under kie). The routes and
security are stated here once. Regex lookaheads the Python validator needs (`(?![\\s\\S])`,
"true end of string") are written as `$`, which means exactly that in the ECMAScript dialect
OpenAPI uses; a JSON-encoded string's `contentSchema` (KIE's `resultJson`) is plain 3.1.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from seedream_contracts.profiles import Profile, load_profile
from seedream_contracts.profiles.requests import request_schema
from seedream_contracts.profiles.schemas import ANSWER_SCHEMAS

VERSION = "0.1.0"
PUBLIC_SCHEMAS = ("generation_request", "create_response", "task", "error", "callback")
TRUE_END = "(?![\\s\\S])"
# What each error kind means, for the response descriptions.
SENTENCES = {
    "validation": "A field is wrong.",
    "invalid_request": "The body is not a JSON object sent as application/json.",
    "authentication": "Missing, malformed, unknown or revoked API key.",
    "insufficient_credits": "Not enough credits for this request.",
    "not_found": "No such task for this key (or no such route).",
    "method_not_allowed": "Method not allowed on this route.",
    "too_large": "The body is larger than the server accepts.",
    "rate_limit": "Too many requests; see Retry-After.",
    "server": "Server error.",
    "upstream": "Upstream unavailable.",
}
CREATE_ERRORS = (
    "validation",
    "invalid_request",
    "authentication",
    "insufficient_credits",
    "method_not_allowed",
    "too_large",
    "rate_limit",
    "server",
    "upstream",
)
TASK_ERRORS = (
    "authentication",
    "not_found",
    "method_not_allowed",
    "rate_limit",
    "server",
    "upstream",
)


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


def _errors(profile: Profile, kinds: tuple[str, ...]) -> dict[str, Any]:
    """The error responses of `kinds`, by the status the profile gives each (kinds that share
    a status share a response)."""
    said: dict[int, list[str]] = {}
    for kind in kinds:
        said.setdefault(profile.error_kind(kind)[0], []).append(SENTENCES[kind])
    return {
        str(status): {"description": " ".join(sentences), "content": _json("error")}
        for status, sentences in sorted(said.items())
    }


def _schemas(profile: Profile) -> dict[str, dict[str, Any]]:
    """The public schemas in the profile's dialect, each described by the profile's source."""
    made = {"generation_request": request_schema(profile)}
    made.update({name: ANSWER_SCHEMAS[name](profile) for name in PUBLIC_SCHEMAS[1:]})
    sources = profile.document.get("sources", {})
    for name, key in (("create_response", "create"), ("task", "task"), ("error", "error")):
        if f"answers.{key}" in sources:
            made[name]["description"] = sources[f"answers.{key}"]
    return made


def document(
    server_url: str | None = None,
    callback_pattern: str | None = None,
    profile: Profile | None = None,
) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (a fresh dict each call) in `profile`'s dialect (the
    default profile's when None). `callback_pattern` narrows `callback_url` to the hosts a
    particular server accepts (a mock's --callback-hosts)."""
    profile = profile or load_profile("default")
    components: dict[str, Any] = {}
    for name, schema in _schemas(profile).items():
        _component(name, schema, components)
    if callback_pattern is not None:
        callback = components["generation_request"]["properties"]["callback_url"]
        callback["anyOf"][0] = {"type": "string", "maxLength": 2048, "pattern": callback_pattern}
    components = {k: _rewrite(v, k.split(".")[0]) for k, v in components.items()}
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "API in One — Seedream 4.5 image generation (as emulated by seedream-mock)",
            "version": VERSION,
            "description": "Generated from seedream-mock's contract profile "
            f"{profile.name!r}: {profile.document['description']} Fields tagged [G] in "
            "contracts/README.md are unverified against the real service.",
        },
        "servers": [{"url": server_url or "https://apiin.one"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/images/generations": {"post": _create_operation(profile)},
            "/api/v1/tasks/{task_id}": {"get": _task_operation(profile)},
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API key: aio_…"}
            },
        },
    }
    return doc


def _create_operation(profile: Profile) -> dict[str, Any]:
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
            **_errors(profile, CREATE_ERRORS),
        },
    }


def _task_operation(profile: Profile) -> dict[str, Any]:
    return {
        "operationId": "getTask",
        "summary": "Read a task's status and result",
        "parameters": [
            {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {"description": "The task.", "content": _json("task")},
            **_errors(profile, TASK_ERRORS),
        },
    }


def render(server_url: str | None = None, profile: Profile | None = None) -> str:
    return json.dumps(document(server_url, profile=profile), indent=2, ensure_ascii=False) + "\n"
