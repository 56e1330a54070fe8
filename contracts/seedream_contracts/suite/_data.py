"""Request bodies shared with users (fixtures/requests/{valid,invalid}.json), written as a
client of the run's dialect writes them: its input rules decide what a body must carry."""

from __future__ import annotations

import json
from typing import Any

from seedream_contracts.loader import fixture, load_schema
from seedream_contracts.profiles import Profile

TEXT_MODEL = "seedream/4.5-text-to-image"  # what the default profile assumes when none is sent
EDIT_MODEL = "seedream/4.5-edit"


def cases(name: str) -> list[dict[str, Any]]:
    text = fixture("requests", f"{name}.json").read_text("utf-8")
    loaded: list[dict[str, Any]] = json.loads(text)
    return loaded


def fit(profile: Profile, body: dict[str, Any], at_fault: str | None = None) -> dict[str, Any]:
    """`body` as a client of this dialect sends it: with `model` where the profile requires one
    (the model the default profile assumes), a short prompt lengthened to the profile's minimum.
    `at_fault`, the field a refusal is about, is left as it is."""
    fitted = dict(body)
    rules = profile.input_rules
    if rules["model"] == "required" and "model" not in fitted and at_fault != "model":
        fitted["model"] = TEXT_MODEL
    prompt = fitted.get("prompt")
    short = isinstance(prompt, str) and prompt.strip() and len(prompt) < rules["prompt_min"]
    if short and at_fault != "prompt":
        fitted["prompt"] = (str(prompt) * rules["prompt_min"])[: rules["prompt_min"]]
    return fitted


def refusing_rule(profile: Profile, body: dict[str, Any]) -> str | None:
    """The input rule of `profile` under which a body the default profile accepts is refused
    (None when it is accepted here too). test_input_rules.py exercises each of these rules."""
    rules = profile.input_rules
    known = set(load_schema("generation_request")["properties"])
    if rules["null_fields"] == "refuse" and any(v is None for v in body.values()):
        return f"null fields are refused under profile {profile.name!r}"
    if rules["model"] == "required" and "model" in body and body["model"] is None:
        return f"profile {profile.name!r} requires a model, and null names none"
    if rules["unknown_fields"] == "refuse" and set(body) - known:
        return f"unknown fields are refused under profile {profile.name!r}"
    urls = body.get("image_urls")
    edit = body.get("model") in (EDIT_MODEL, "seedream-4-5")
    if edit and isinstance(urls, list) and len(urls) > rules["image_urls_max"]:
        return f"profile {profile.name!r} takes at most {rules['image_urls_max']} image URLs"
    prompt = body.get("prompt")
    if isinstance(prompt, str) and len(prompt) > rules["prompt_max"]:
        return f"profile {profile.name!r} takes prompts of at most {rules['prompt_max']} characters"
    return None
