"""The answer schemas come from a profile: the default profile's agree with the hand-written
schemas on every example, and each shipped profile makes a valid OpenAPI document whose error
statuses are its own."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from openapi_spec_validator import validate

from seedream_contracts import openapi
from seedream_contracts.loader import validator
from seedream_contracts.profiles import SHIPPED, load_profile
from seedream_contracts.profiles.validators import answer_validator

ANSWERS = ("create_response", "task", "error", "callback")


def _examples(name: str) -> list[dict[str, Any]]:
    path = resources.files("seedream_contracts").joinpath("examples", f"{name}.json")
    cases: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))
    return cases


@pytest.mark.parametrize(
    ("name", "case"),
    [
        pytest.param(name, case, id=f"{name}: {case['description']}")
        for name in ANSWERS
        for case in _examples(name)
    ],
)
def test_default_profile_judges_each_example_as_the_hand_written_schema(
    name: str, case: dict[str, Any]
) -> None:
    generated = answer_validator(load_profile("default"), name).is_valid(case["data"])
    hand_written = validator(name).is_valid(case["data"])
    assert generated == hand_written == case["valid"]


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_profile_makes_a_valid_openapi_document(name: str) -> None:
    profile = load_profile(name)
    document = openapi.document("http://127.0.0.1:8080", profile=profile)
    validate(document)
    assert profile.name in document["info"]["description"]
    create = document["paths"]["/api/v1/images/generations"]["post"]["responses"]
    task = document["paths"]["/api/v1/tasks/{task_id}"]["get"]["responses"]
    assert str(profile.error_kind("validation")[0]) in create
    assert str(profile.error_kind("not_found")[0]) in task
    assert "(?![\\s\\S])" not in json.dumps(document)  # ECMAScript's `$` instead


def test_default_document_keeps_its_statuses() -> None:
    document = openapi.document()
    create = document["paths"]["/api/v1/images/generations"]["post"]["responses"]
    task = document["paths"]["/api/v1/tasks/{task_id}"]["get"]["responses"]
    assert list(create) == ["200", "400", "401", "402", "405", "413", "429", "500", "503"]
    assert list(task) == ["200", "401", "404", "405", "429", "500", "503"]


def test_kie_document_answers_a_bad_field_with_422() -> None:
    document = openapi.document(profile=load_profile("kie"))
    create = document["paths"]["/api/v1/images/generations"]["post"]["responses"]
    assert "422" in create
    assert create["400"]["description"].startswith("The body is not a JSON object")
