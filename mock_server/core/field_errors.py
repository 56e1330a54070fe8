"""Schema errors on a generation request → the one field-level 400 a person can act on.

When a body breaks several rules, the first field in FIELD_ORDER wins (the body itself, when it
is no object, before any field), so the same body always gets the same error.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import ValidationError

from mock_server.core.errors import InvalidRequestError

FIELD_ORDER = ("prompt", "model", "aspect_ratio", "quality", "image_urls", "callback_url")


def explain(errors: list[ValidationError], body: Any, max_prompt: int) -> InvalidRequestError:
    """The 400 for the error that comes first in FIELD_ORDER (`errors` is not empty)."""
    return _explain_one(min(errors, key=_rank), body, max_prompt)


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


def _explain_one(error: ValidationError, body: Any, max_prompt: int) -> InvalidRequestError:
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
            f"got {preview(value)}."
        )
    return InvalidRequestError(text, name)


def _explain_prompt(kind: Any, value: Any, max_prompt: int) -> str:
    if kind == "type":
        return f"prompt must be a string; got {preview(value)}."
    if kind == "maxLength":
        return f"prompt must be at most {max_prompt} characters; got {len(value)}."
    return "prompt must not be empty or only whitespace."


def _explain_image_urls(error: ValidationError) -> str:
    path = list(error.absolute_path)
    if len(path) > 1:
        return (
            f"image_urls[{path[1]}] must be an absolute http(s) URL of at most 2048 characters; "
            f"got {preview(error.instance)}."
        )
    if error.validator == "minItems":
        return "image_urls must hold at least 1 image URL for an edit."
    if error.validator == "maxItems":
        count = len(error.instance) if isinstance(error.instance, list) else 0
        return f"image_urls holds {count} URLs; at most 14 are allowed."
    return f"image_urls must be an array of image URLs; got {preview(error.instance)}."


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


def preview(value: Any) -> str:
    """The value as JSON, cut to 60 characters, for a message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (RecursionError, ValueError):
        return "a deeply nested value"

    return text if len(text) <= 60 else text[:57] + "..."
