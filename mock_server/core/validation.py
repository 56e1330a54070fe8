"""Request body → a typed generation request, or one field-level 400 a person can act on.

The contract schema (seedream_contracts/schemas/generation_request.schema.json) says most of
it; this module adds what a schema cannot: the configured prompt cap, the alias resolution,
the callback URL's wire form (callback_urls.py) and the callback host allow-list. When a body
breaks several rules, the first field in FIELD_ORDER wins, so the same body always gets the
same error.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, ValidationError

from mock_server.core.callback_urls import CallbackUrlError, normalise
from mock_server.core.errors import InvalidRequestError
from mock_server.core.tasks import EDIT, TEXT_TO_IMAGE, TaskInput
from seedream_contracts.loader import compile_schema, load_schema

FIELD_ORDER = ("prompt", "model", "aspect_ratio", "quality", "image_urls", "callback_url")
ALIAS = "seedream-4-5"


@dataclass(frozen=True)
class GenerationRequest:
    """A valid request with every default applied."""

    model: str
    input: TaskInput
    callback_url: str | None


class RequestValidator:
    """Built once per server (the prompt cap and callback hosts are settings)."""

    def __init__(self, max_prompt_chars: int, callback_hosts: tuple[str, ...]) -> None:
        schema = load_schema("generation_request")
        schema["properties"]["prompt"]["maxLength"] = max_prompt_chars
        self._validator: Draft202012Validator = compile_schema(schema)
        self.max_prompt_chars = max_prompt_chars
        self.callback_hosts = callback_hosts

    def parse(self, body: Any) -> GenerationRequest:
        errors = list(self._validator.iter_errors(body))
        if errors:
            raise _explain(min(errors, key=_rank), body, self.max_prompt_chars)
        model = _resolve_model(body.get("model"), body.get("image_urls"))
        callback_url = body.get("callback_url")
        if callback_url is not None:
            callback_url = self._check_callback_url(callback_url)
        image_urls = tuple(body["image_urls"]) if model == EDIT else ()
        task_input = TaskInput(
            prompt=body["prompt"],
            aspect_ratio=body.get("aspect_ratio") or "1:1",
            quality=body.get("quality") or "basic",
            image_urls=image_urls,
        )
        return GenerationRequest(model, task_input, callback_url)

    def _check_callback_url(self, url: str) -> str:
        """The URL every attempt will request (normalised, see callback_urls.py), once its
        host, as it will be dialled, is allowed."""
        try:
            sendable = normalise(url)
        except CallbackUrlError as exc:
            raise InvalidRequestError(
                f"callback_url {exc}: {_preview(url)}.", "callback_url"
            ) from None
        if not callback_host_allowed(sendable, self.callback_hosts):
            raise InvalidRequestError(
                f"callback_url host {_hostname(sendable)!r} is not allowed by this server "
                f"(allowed: {', '.join(self.callback_hosts)}; see --callback-hosts).",
                "callback_url",
            )
        return sendable


def _resolve_model(model: str | None, image_urls: Any) -> str:
    if model == ALIAS:
        return EDIT if isinstance(image_urls, list) and image_urls else TEXT_TO_IMAGE
    return model or TEXT_TO_IMAGE


def callback_host_allowed(url: str, allowed: tuple[str, ...]) -> bool:
    """`loopback` allows localhost and 127.0.0.0/8 and ::1; `*` allows any host; other entries
    are host names or shell patterns (`*.example.test`)."""
    host = _hostname(url)
    if host is None:
        return False
    for entry in allowed:
        if entry == "loopback" and _is_loopback(host):
            return True
        if fnmatch(host, entry.lower()):
            return True
    return False


def _hostname(url: str) -> str | None:
    """The URL's host in lower case; None when it cannot be parsed (`http://[:::]/`)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _field(error: ValidationError) -> str | None:
    if error.absolute_path:
        return str(error.absolute_path[0])
    if error.validator == "required" and isinstance(error.instance, dict):
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        missing = [f for f in required if f not in error.instance]
        return str(missing[0]) if missing else None
    return None


def _rank(error: ValidationError) -> tuple[int, int]:
    name = _field(error)
    if name is None:
        return (-1, 0)  # the body itself is wrong: say that first
    position = FIELD_ORDER.index(name) if name in FIELD_ORDER else len(FIELD_ORDER)
    return (position, len(error.absolute_path))


def _explain(error: ValidationError, body: Any, max_prompt: int) -> InvalidRequestError:
    name = _field(error)
    if name is None:
        return InvalidRequestError(
            f"The request body must be a JSON object, not {_json_kind(body)}."
        )
    value = error.instance
    kind = error.validator
    if kind == "required":
        if name == "image_urls":
            text = "image_urls is required for model seedream/4.5-edit: give 1 to 14 image URLs."
        else:
            text = f"{name} is required."
    elif name == "prompt":
        text = _explain_prompt(kind, value, max_prompt)
    elif name in ("model", "aspect_ratio", "quality"):
        allowed: list[Any] = list(error.validator_value)  # type: ignore[arg-type]
        choices = ", ".join(str(v) for v in allowed if v is not None)
        text = f"{name} must be one of {choices}; got {json.dumps(value)}."
    elif name == "image_urls":
        text = _explain_image_urls(error)
    else:
        text = (
            f"{name} must be an absolute http(s) URL of at most 2048 characters; "
            f"got {_preview(value)}."
        )
    return InvalidRequestError(text, name)


def _explain_prompt(kind: Any, value: Any, max_prompt: int) -> str:
    if kind == "type":
        return f"prompt must be a string; got {_preview(value)}."
    if kind == "maxLength":
        return f"prompt must be at most {max_prompt} characters; got {len(value)}."
    return "prompt must not be empty or only whitespace."


def _explain_image_urls(error: ValidationError) -> str:
    path = list(error.absolute_path)
    if len(path) > 1:
        return (
            f"image_urls[{path[1]}] must be an absolute http(s) URL of at most 2048 characters; "
            f"got {_preview(error.instance)}."
        )
    if error.validator == "minItems":
        return "image_urls must hold at least 1 image URL for an edit."
    if error.validator == "maxItems":
        count = len(error.instance) if isinstance(error.instance, list) else 0
        return f"image_urls holds {count} URLs; at most 14 are allowed."
    return f"image_urls must be an array of image URLs; got {_preview(error.instance)}."


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _preview(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (RecursionError, ValueError):
        return "a deeply nested value"

    return text if len(text) <= 60 else text[:57] + "..."


# "Not whitespace" as ECMAScript and Python agree: \\S differs on \\x1c-\\x1f, \\x85, \\ufeff.
NO_SPACE = r"[^\s\x1c-\x1f\x85\ufeff]"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# Only what normalising keeps as it is (callback_urls.py): no `%`, no empty or overlong label,
# a port from 1 to 65535 in at most 5 digits, so a URL this pattern accepts is never a 400.
_LABEL = "[A-Za-z0-9][A-Za-z0-9_~-]{0,62}(?:\\.[A-Za-z0-9][A-Za-z0-9_~-]{0,62})*"
_PORT = (
    "(?=[0-9]{1,5}(?![0-9]))0*"
    "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
)


def _anycase(text: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in text)


def callback_url_pattern(allowed: tuple[str, ...]) -> str | None:
    """An ECMAScript regex for the callback URLs `allowed` lets through (for the OpenAPI
    document this server serves), or None when any host is allowed."""
    if "*" in allowed:
        return None
    hosts = []
    for entry in allowed:
        if entry == "loopback":
            localhost = _anycase("localhost")
            hosts += [
                f"(?:{_LABEL}\\.)?{localhost}",
                f"127\\.{_OCTET}\\.{_OCTET}\\.{_OCTET}",
                "\\[::1\\]",
                "\\[0:0:0:0:0:0:0:1\\]",
            ]
        else:
            hosts.append(
                "\\.".join(
                    f"{_LABEL}" if part == "*" else _anycase(part) for part in entry.split(".")
                )
            )
    scheme = _anycase("http") + "[Ss]?"
    return f"^{scheme}://(?:{'|'.join(hosts)})(?::{_PORT})?(?:[/?#]{NO_SPACE}*)?$"
