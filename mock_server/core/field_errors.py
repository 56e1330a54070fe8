"""Schema errors on a generation request → the one field-level error a person can act on.

When a body breaks several rules, the first field in FIELD_ORDER wins (the body itself, when it
is no object, before any field), so the same body always gets the same error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mock_server.core.errors import InvalidRequestError
from seedream_contracts.profiles import Profile

if TYPE_CHECKING:
    from jsonschema import ValidationError

FIELD_ORDER = ("prompt", "model", "aspect_ratio", "quality", "image_urls", "callback_url")
MODEL_CHOICES = "seedream/4.5-text-to-image, seedream/4.5-edit or seedream-4-5"


@dataclass(frozen=True)
class InputRules:
    """The active profile's input rules, as the messages state them."""

    profile: str
    prompt_min: int
    prompt_max: int
    image_urls_max: int
    nulls_refused: bool

    @classmethod
    def of(cls, profile: Profile, max_prompt_chars: int | None = None) -> InputRules:
        rules = profile.input_rules
        return cls(
            profile.name,
            int(rules["prompt_min"]),
            int(max_prompt_chars or rules["prompt_max"]),
            int(rules["image_urls_max"]),
            rules["null_fields"] == "refuse",
        )


def explain(errors: list[ValidationError], body: Any, rules: InputRules) -> InvalidRequestError:
    """The error for the schema error that comes first in FIELD_ORDER (`errors` is not empty):
    kind `validation` for a field, `invalid_request` when the body is no object."""
    return _explain_one(min(errors, key=_rank), body, rules)


def _unknown(error: ValidationError) -> list[str]:
    """The fields an `additionalProperties: false` error is about, sorted (the same body
    always names the same one first, whatever order its keys came in)."""
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    instance: dict[str, Any] = error.instance  # type: ignore[assignment]
    return sorted(str(k) for k in instance if k not in known)


def _field(error: ValidationError) -> str | None:
    if error.absolute_path:
        return str(error.absolute_path[0])
    if error.validator == "required" and isinstance(error.instance, dict):
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        missing = [f for f in required if f not in error.instance]
        return str(missing[0]) if missing else None
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        unknown = _unknown(error)
        return unknown[0] if unknown else None
    return None


def _rank(error: ValidationError) -> tuple[int, int]:
    name = _field(error)
    if name is None:
        return (-1, 0)  # the body itself is wrong: say that first
    position = FIELD_ORDER.index(name) if name in FIELD_ORDER else len(FIELD_ORDER)
    return (position, len(error.absolute_path))


def _explain_one(error: ValidationError, body: Any, rules: InputRules) -> InvalidRequestError:
    name = _field(error)
    if name is None:
        return InvalidRequestError(
            f"The request body must be a JSON object, not {_json_kind(body)}."
        )
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties":
        text = _explain_unknown(_unknown(error), rules)
    elif kind == "required":
        text = _explain_required(name, rules)
    elif value is None and rules.nulls_refused and name in FIELD_ORDER[1:]:
        text = (
            f"{name} must not be null: the active profile {rules.profile!r} refuses null "
            "fields (give a value, or leave an optional field out for its default)."
        )
    elif name == "model" and value is None:  # a required model: null names none
        text = _explain_required(name, rules)
    elif name == "prompt":
        text = _explain_prompt(kind, value, rules)
    elif name in ("model", "aspect_ratio", "quality"):
        allowed: list[Any] = list(error.validator_value)  # type: ignore[arg-type]
        choices = ", ".join(str(v) for v in allowed if v is not None)
        text = f"{name} must be one of {choices}; got {json.dumps(value)}."
    elif name == "image_urls":
        text = _explain_image_urls(error, rules)
    else:
        text = (
            f"{name} must be an absolute http(s) URL of at most 2048 characters; "
            f"got {preview(value)}."
        )
    return InvalidRequestError(text, name, kind="validation")


def _explain_required(name: str, rules: InputRules) -> str:
    if name == "image_urls":
        return (
            "image_urls is required for model seedream/4.5-edit: "
            f"give 1 to {rules.image_urls_max} image URLs."
        )
    if name == "model":
        return (
            f"model is required: the active profile {rules.profile!r} has no default model; "
            f"give {MODEL_CHOICES}."
        )
    return f"{name} is required."


def _explain_unknown(unknown: list[str], rules: InputRules) -> str:
    listed = ", ".join(unknown)
    noun = "field" if len(unknown) == 1 else "fields"
    return (
        f"Unknown {noun} {listed}: the active profile {rules.profile!r} refuses unknown fields "
        "(known: " + ", ".join(FIELD_ORDER) + ")."
    )


def _explain_prompt(kind: Any, value: Any, rules: InputRules) -> str:
    if kind == "type":
        return f"prompt must be a string; got {preview(value)}."
    if kind == "maxLength":
        return f"prompt must be at most {rules.prompt_max} characters; got {len(value)}."
    if kind == "minLength" and rules.prompt_min > 1:
        return (
            f"prompt must be at least {rules.prompt_min} characters under the active profile "
            f"{rules.profile!r}; got {len(value)}."
        )
    return "prompt must not be empty or only whitespace."


def _explain_image_urls(error: ValidationError, rules: InputRules) -> str:
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
        return (
            f"image_urls holds {count} URLs; at most {rules.image_urls_max} are allowed "
            f"under the active profile {rules.profile!r}."
        )
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
