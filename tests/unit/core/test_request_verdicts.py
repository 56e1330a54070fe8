"""The fast yes/no on request bodies (fastjsonschema) agrees with jsonschema on every body.

core/validation.py lets fastjsonschema accept a body without asking jsonschema; a body it
accepts that jsonschema would refuse would be served when it should be a 400. These tests hold
the two compilations of the one request schema to the same verdict, for each shipped profile.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.core.validation import RequestValidator
from seedream_contracts.profiles import SHIPPED, load_profile

VALIDATORS = [
    RequestValidator(cap, ("loopback",), load_profile(name))
    for name in SHIPPED
    for cap in (None, 12)
]
MODELS = ["seedream/4.5-text-to-image", "seedream/4.5-edit", "seedream-4-5", "seedream/4.0", ""]
URLS = ["https://example.test/a.png", "http://127.0.0.1:9/x", "ftp://x/y", "https://a b", "x"]
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)
)
FIELDS: dict[str, Any] = {
    "prompt": st.one_of(st.text(max_size=20), st.sampled_from(["", " ", "\x1c", "a" * 13]), JUNK),
    "model": st.one_of(st.sampled_from(MODELS), JUNK),
    "aspect_ratio": st.one_of(st.sampled_from(["1:1", "16:9", "21:9", "5:4"]), JUNK),
    "quality": st.one_of(st.sampled_from(["basic", "high", "ultra"]), JUNK),
    "image_urls": st.one_of(st.lists(st.sampled_from(URLS), max_size=16), JUNK),
    "callback_url": st.one_of(st.sampled_from(URLS), JUNK),
    "seed": JUNK,
}
BODIES = st.one_of(
    st.fixed_dictionaries({}, optional=FIELDS),
    st.fixed_dictionaries(
        {"prompt": st.just("a cat")}, optional={k: v for k, v in FIELDS.items() if k != "prompt"}
    ),
    JUNK,
    st.lists(JUNK, max_size=2),
)


def _agree(validator: RequestValidator, body: Any) -> None:
    assert validator.accepts(body) == (not validator.errors(body)), body


@pytest.mark.parametrize("validator", VALIDATORS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES)
def test_fast_and_full_validators_agree_on_any_body(validator: RequestValidator, body: Any) -> None:
    _agree(validator, body)


@pytest.mark.parametrize("validator", VALIDATORS)
def test_fast_and_full_validators_agree_on_the_contract_examples(
    validator: RequestValidator,
) -> None:
    examples = resources.files("seedream_contracts").joinpath("examples", "generation_request.json")
    for case in json.loads(examples.read_text("utf-8")):
        _agree(validator, case["data"])
