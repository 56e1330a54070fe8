"""The input rules where sources disagree, as the run's profile settles them: the prompt's
minimum, the number of reference images, unknown fields, nulls and a missing model.

Each rule is tested on both sides of its line, so a target that settles it differently (the
real service, or a mock serving another profile) shows up here by name.
"""

from __future__ import annotations

from typing import Any

import pytest

from seedream_contracts.client import Client
from seedream_contracts.loader import compile_schema
from seedream_contracts.profiles import Profile
from seedream_contracts.profiles.requests import request_schema
from seedream_contracts.suite._data import EDIT_MODEL, TEXT_MODEL, fit
from seedream_contracts.suite._expect import refused, run_to_end, submit
from seedream_contracts.suite._run import Budget


def urls(count: int) -> list[str]:
    return [f"https://img.example.com/{i}.png" for i in range(count)]


def accepted(api: Client, profile: Profile, budget: Budget, body: dict[str, Any], what: str) -> str:
    """Submit a body the profile accepts (it costs a task on a real target)."""
    budget.charge(12, what)
    return submit(api, profile, body)


def test_prompt_shorter_than_the_minimum_is_refused(api: Client, profile: Profile) -> None:
    shortest = profile.input_rules["prompt_min"]
    body = fit(profile, {"prompt": "x" * (shortest - 1)}, at_fault="prompt")
    refused(api.create(body), profile, "validation", "prompt")


def test_prompt_of_the_minimum_length_is_accepted(
    api: Client, profile: Profile, budget: Budget
) -> None:
    body = fit(profile, {"prompt": "x" * profile.input_rules["prompt_min"]})
    accepted(api, profile, budget, body, "a prompt of the minimum length")


def test_one_image_url_more_than_the_maximum_is_refused(api: Client, profile: Profile) -> None:
    most = profile.input_rules["image_urls_max"]
    body = {"model": EDIT_MODEL, "prompt": "too many", "image_urls": urls(most + 1)}
    refused(api.create(fit(profile, body)), profile, "validation", "image_urls")


def test_the_maximum_of_image_urls_is_accepted(
    api: Client, profile: Profile, budget: Budget
) -> None:
    most = profile.input_rules["image_urls_max"]
    body = {"model": EDIT_MODEL, "prompt": "as many as allowed", "image_urls": urls(most)}
    accepted(api, profile, budget, fit(profile, body), "an edit with the most image URLs")


def test_unknown_field_follows_the_profile(api: Client, profile: Profile, budget: Budget) -> None:
    body = fit(profile, {"prompt": "a cat", "seed": 7})
    if profile.input_rules["unknown_fields"] == "refuse":
        refused(api.create(body), profile, "validation", "seed")
    else:
        accepted(api, profile, budget, body, "a request with an unknown field")


@pytest.mark.parametrize("field", ["model", "aspect_ratio", "quality", "callback_url"])
def test_null_field_follows_the_profile(
    api: Client, profile: Profile, budget: Budget, field: str
) -> None:
    body = {**fit(profile, {"prompt": "a cat"}), field: None}
    # The profile's request schema settles it: under `null_fields: default` a null means the
    # default, but a required model has none, so a null model is refused there too.
    if compile_schema(request_schema(profile)).is_valid(body):
        accepted(api, profile, budget, body, f"a request with {field}: null")
    else:
        refused(api.create(body), profile, "validation", field)


def test_missing_model_follows_the_profile(api: Client, profile: Profile, budget: Budget) -> None:
    body = fit(profile, {"prompt": "which model"}, at_fault="model")
    if profile.input_rules["model"] == "required":
        refused(api.create(body), profile, "validation", "model")
        return
    budget.charge(12, "a request without a model")
    final = run_to_end(api, profile, body)
    if final.has("model"):
        assert final.get("model") == TEXT_MODEL, final.document
