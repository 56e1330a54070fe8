"""Portability risks: each point where the default profile is more permissive than `strict`."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.core.portability import RiskLog, header_value, risks
from seedream_contracts.profiles import load_profile

DEFAULT = load_profile("default").input_rules
STRICT = load_profile("strict").input_rules
SAFE = {"model": "seedream/4.5-text-to-image", "prompt": "a red fox"}


def codes(body: dict[str, Any], active: dict[str, Any] = DEFAULT) -> list[str]:
    return [r.label for r in risks(body, active, STRICT)]


def test_a_body_that_every_source_accepts_carries_no_risk() -> None:
    assert codes(SAFE) == []
    assert codes({**SAFE, "aspect_ratio": "16:9", "quality": "high"}) == []


def test_no_model_is_a_risk() -> None:
    assert codes({"prompt": "a red fox"}) == ["model-missing"]


def test_an_empty_model_string_counts_as_missing() -> None:
    assert codes({"prompt": "a red fox", "model": ""}) == ["model-missing"]


@pytest.mark.parametrize(("prompt", "risky"), [("ab", True), ("abc", False), ("x", True)])
def test_prompts_under_three_characters_are_a_risk(prompt: str, risky: bool) -> None:
    assert ("prompt-short" in codes({**SAFE, "prompt": prompt})) is risky


def test_more_than_ten_image_urls_is_a_risk_and_ten_is_not() -> None:
    edit = {**SAFE, "model": "seedream/4.5-edit"}
    ten = [f"http://127.0.0.1/{i}.png" for i in range(10)]
    assert codes({**edit, "image_urls": ten}) == []
    assert codes({**edit, "image_urls": [*ten, "http://127.0.0.1/x.png"]}) == ["image-urls-many"]


def test_each_unknown_field_is_named() -> None:
    found = codes({**SAFE, "seed": 7, "negative_prompt": "blur"})
    assert found == ["unknown-field:seed", "unknown-field:negative_prompt"]


def test_nulls_on_optional_fields_are_risks() -> None:
    found = codes({**SAFE, "quality": None, "callback_url": None})
    assert found == ["null-field", "null-field"]
    assert [r.param for r in risks({**SAFE, "quality": None}, DEFAULT, STRICT)] == ["quality"]


def test_a_profile_as_strict_as_strict_has_no_risks() -> None:
    body = {"prompt": "x", "seed": 1, "quality": None}
    assert codes(body, STRICT) == []


def test_the_header_lists_labels_in_order() -> None:
    found = risks({"prompt": "ab", "seed": 1}, DEFAULT, STRICT)
    assert header_value(found) == "model-missing, prompt-short, unknown-field:seed"


def test_the_log_counts_by_code_keeps_the_latest_and_clears() -> None:
    log = RiskLog(limit=2)
    for index in range(3):
        log.add(risks({"prompt": "ab"}, DEFAULT, STRICT), f"t{index}", "aio_k", f"task{index}")
    summary = log.summary()
    assert summary["counts"] == {"model-missing": 3, "prompt-short": 3}
    assert [(r["at"], r["code"]) for r in summary["recent"]] == [
        ("t2", "model-missing"),
        ("t2", "prompt-short"),
    ]
    log.clear()
    assert log.summary() == {"counts": {}, "recent": []}


def test_an_unknown_field_with_an_awkward_name_is_quoted_as_ascii_in_the_label() -> None:
    (risk,) = risks({**SAFE, "se\u00e9d\ud9a2\x02": 1}, DEFAULT, STRICT)
    assert risk.label == 'unknown-field:"se\\u00e9d\\ud9a2\\u0002"'
    assert risk.label.isascii()
    assert risk.param == "se\u00e9d\ud9a2\x02"  # the journal and the log keep the real name
