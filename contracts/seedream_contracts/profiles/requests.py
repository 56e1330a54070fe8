"""The generation request a profile accepts: the hand-written request schema, with the
profile's input rules (prompt bounds, image-URL count, model required, unknown and null fields)."""

from __future__ import annotations

from typing import Any

from seedream_contracts.loader import load_schema
from seedream_contracts.profiles.profile import Profile


def request_schema(profile: Profile, max_prompt_chars: int | None = None) -> dict[str, Any]:
    """The generation request the profile accepts (the hand-written schema, with its rules)."""
    rules = profile.input_rules
    schema = load_schema("generation_request")
    properties = schema["properties"]
    prompt = properties["prompt"]
    prompt["minLength"] = rules["prompt_min"]
    prompt["maxLength"] = max_prompt_chars or rules["prompt_max"]
    schema["$defs"]["image_urls"]["maxItems"] = rules["image_urls_max"]
    schema["$defs"]["image_urls"]["description"] = (
        f"1 to {rules['image_urls_max']} absolute http(s) URLs."
    )
    if rules["model"] == "required":  # and not null: with no default, null names no model
        schema["required"] = [*schema["required"], "model"]
        properties["model"]["enum"] = [v for v in properties["model"]["enum"] if v is not None]
    if rules["null_fields"] == "refuse":
        for name in ("model", "aspect_ratio", "quality"):
            properties[name]["enum"] = [v for v in properties[name]["enum"] if v is not None]
        properties["callback_url"] = {**properties["callback_url"]}
        properties["callback_url"]["anyOf"] = [
            b for b in properties["callback_url"]["anyOf"] if b != {"type": "null"}
        ]
        properties["image_urls"] = {**properties["image_urls"], "not": {"type": "null"}}
    if rules["unknown_fields"] == "refuse":
        schema["additionalProperties"] = False
    schema["description"] = f"What the generation route accepts under profile {profile.name!r}."
    return schema
