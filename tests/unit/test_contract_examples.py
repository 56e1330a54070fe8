"""Every contract schema is valid 2020-12 and judges its data-driven examples as they expect."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from seedream_contracts.loader import SCHEMA_NAMES, first_error, load_schema, validator
from seedream_contracts.profiles import SHIPPED, load_profile
from seedream_contracts.profiles.requests import request_schema


@cache
def _examples(name: str) -> tuple[dict[str, Any], ...]:
    path = resources.files("seedream_contracts").joinpath("examples", f"{name}.json")
    cases: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))
    return tuple(cases)


def _all_cases() -> list[Any]:
    params = []
    for name in SCHEMA_NAMES:
        for case in _examples(name):
            params.append(
                pytest.param(
                    name,
                    case["data"],
                    case["valid"],
                    id=f"{name}: {case['description']}",
                )
            )
    return params


@pytest.mark.parametrize(("name", "data", "valid"), _all_cases())
def test_example_is_judged_as_expected(name: str, data: Any, valid: bool) -> None:
    assert validator(name).is_valid(data) is valid


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    Draft202012Validator.check_schema(load_schema(name))


@pytest.mark.parametrize("profile", SHIPPED)
def test_request_schema_of_each_shipped_profile_is_valid_draft_2020_12(profile: str) -> None:
    # The server compiles it without this check at each start (seedream_contracts.loader).
    Draft202012Validator.check_schema(request_schema(load_profile(profile)))
    Draft202012Validator.check_schema(request_schema(load_profile(profile), 10))


@pytest.mark.parametrize("profile", SHIPPED)
def test_each_shipped_profile_conforms_to_the_profile_schema(profile: str) -> None:
    # Loading a shipped profile skips this check (start-up time); this test is what makes that safe.
    assert first_error("profile", load_profile(profile).document) is None


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_has_valid_and_invalid_examples(name: str) -> None:
    cases = _examples(name)
    for case in cases:
        assert set(case) == {"description", "data", "valid"}, case.get("description")
        assert isinstance(case["description"], str)
        assert case["description"]
        assert isinstance(case["valid"], bool)
    descriptions = [case["description"] for case in cases]
    assert len(descriptions) == len(set(descriptions)), "descriptions must be unique"
    assert any(case["valid"] for case in cases)
    assert any(not case["valid"] for case in cases)
