"""Errors under a profile: each kind answered with the profile's status and type; a fault
rule's status read as its kind only when it is the default's status for that kind; field
errors under the profile's input rules, first field first, in the profile's words."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.core import documents
from mock_server.core.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    status_error,
)
from mock_server.core.validation import RequestValidator
from seedream_contracts.profiles import load_profile

KIE, STRICT, DEFAULT = load_profile("kie"), load_profile("strict"), load_profile("default")
MODEL = "seedream/4.5-text-to-image"


@pytest.mark.parametrize(
    ("error", "default", "kie"),
    [
        (InvalidRequestError("x", "prompt", kind="validation"), 400, 422),
        (InvalidRequestError("x"), 400, 400),
        (AuthenticationError("x"), 401, 401),
        (NotFoundError("x", status=410, kind="expired"), 410, 404),
        (ApiError("x"), 500, 500),
        (ConflictError("x"), 409, 409),  # no kind: as raised, in every dialect
    ],
)
def test_each_kind_is_answered_with_the_profiles_status(
    error: ApiError, default: int, kie: int
) -> None:
    assert documents.error_answer(error, DEFAULT)[0] == default
    status, body = documents.error_answer(error, KIE)
    assert status == kie
    assert body == {"code": kie, "msg": "x", "data": None}


def test_the_default_profile_writes_the_default_envelope() -> None:
    error = InvalidRequestError("bad", "prompt", kind="validation")
    assert documents.error_answer(error, DEFAULT) == (
        400,
        documents.error(400, "bad", error.type, "prompt"),
    )


@pytest.mark.parametrize(
    ("profile", "status", "answered", "wire"),
    [
        (DEFAULT, 503, 503, "upstream_error"),
        (DEFAULT, 502, 502, "upstream_error"),
        (DEFAULT, 418, 418, "invalid_request_error"),
        (KIE, 503, 455, "service_unavailable"),
        (KIE, 502, 502, "service_unavailable"),
        (KIE, 500, 500, "server_error"),
        (STRICT, 410, 404, "not_found_error"),
        (STRICT, 599, 599, "api_error"),
    ],
)
def test_a_fault_status_means_its_kind_only_at_the_defaults_status(
    profile: Any, status: int, answered: int, wire: str
) -> None:
    error = status_error(status, "injected", profile, {"Retry-After": "2"})
    assert (error.status, error.type, error.kind) == (answered, wire, None)
    assert error.headers == {"Retry-After": "2"}


def refusal(profile: Any, body: Any) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        RequestValidator(None, ("loopback",), profile).parse(body)
    return caught.value


def test_a_body_that_is_no_object_is_an_invalid_request_not_a_validation_error() -> None:
    error = refusal(STRICT, [1])
    assert (error.kind, error.param) == ("invalid_request", None)


def test_a_known_fields_error_comes_before_an_unknown_field() -> None:
    error = refusal(STRICT, {"zzz": 1, "model": MODEL, "prompt": "ab", "aaa": 2})
    assert (error.kind, error.param) == ("validation", "prompt")


def test_the_same_unknown_fields_name_the_same_one_whatever_their_order() -> None:
    first = refusal(STRICT, {"seed": 1, "negative_prompt": "x", "model": MODEL, "prompt": "abc"})
    second = refusal(STRICT, {"model": MODEL, "prompt": "abc", "negative_prompt": "x", "seed": 1})
    assert first.param == second.param == "negative_prompt"
    assert first.message == second.message
    assert "Unknown fields negative_prompt, seed" in first.message
    assert "refuses unknown fields" in first.message


@pytest.mark.parametrize("field", ["model", "aspect_ratio", "quality", "callback_url"])
def test_null_is_refused_by_strict_naming_the_field(field: str) -> None:
    body = {"model": MODEL, "prompt": "abc", field: None}
    error = refusal(STRICT, body)
    assert (error.kind, error.param) == ("validation", field)
    assert f"{field} must not be null" in error.message
    RequestValidator(None, ("loopback",), DEFAULT).parse({"prompt": "abc", field: None})


def test_edit_images_are_bounded_by_the_profile() -> None:
    urls = ["http://127.0.0.1/x.png"] * 11
    body = {"model": "seedream/4.5-edit", "prompt": "abc", "image_urls": urls}
    assert "at most 10 are allowed" in refusal(STRICT, body).message
    RequestValidator(None, ("loopback",), KIE).parse(body)
    missing = refusal(STRICT, {"model": "seedream/4.5-edit", "prompt": "abc"})
    assert "give 1 to 10 image URLs" in missing.message


def test_the_prompt_cap_overrides_the_profiles_prompt_max() -> None:
    capped = RequestValidator(5, ("loopback",), KIE)
    with pytest.raises(InvalidRequestError, match="at most 5 characters; got 6"):
        capped.parse({"model": MODEL, "prompt": "x" * 6})
    assert RequestValidator(None, ("loopback",), KIE).max_prompt_chars == 3000


def test_a_null_model_is_refused_where_the_model_is_required_though_nulls_mean_defaults() -> None:
    validator = RequestValidator(None, ("loopback",), load_profile("kie"))
    with pytest.raises(InvalidRequestError) as refused:
        validator.parse({"prompt": "a fox", "model": None})
    assert refused.value.param == "model"
    assert refused.value.message.startswith("model is required: the active profile 'kie'")
    validator.parse({"prompt": "a fox", "model": "seedream/4.5-text-to-image", "quality": None})
