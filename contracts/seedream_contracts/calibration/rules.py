"""The input section of a learned profile: each rule from acceptances and attributed refusals.

An acceptance proves a request shape harmless (no model: a default exists); a refusal
attributed to a field proves a rule (no model: it is required). Both for the same point is a
conflict, settled for the stricter rule, since a mock that refuses what the API takes fails a
test loudly, while one that takes what the API refuses hides a bug.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from seedream_contracts.calibration.exchange import Exchange
from seedream_contracts.calibration.inputs import KNOWN_FIELDS, Known, bounds, generation
from seedream_contracts.calibration.refusals import Refusal
from seedream_contracts.calibration.report import Report
from seedream_contracts.calibration.runs import accepted

Test = Callable[[dict[str, Any]], bool]


def _accepted_where(exchanges: Sequence[Exchange], test: Test) -> list[Exchange]:
    return [e for e in exchanges if (b := generation(e)) is not None and accepted(e) and test(b)]


def _refused_where(
    found: Sequence[Refusal], test: Callable[[Refusal, dict[str, Any]], bool]
) -> list[Exchange]:
    return [
        r.exchange
        for r in found
        if r.field is not None and (b := generation(r.exchange)) is not None and test(r, b)
    ]


def _either(
    point: str,
    lenient: tuple[str, list[Exchange]],
    strict: tuple[str, list[Exchange]],
    base: Any,
    report: Report,
) -> Any:
    (easy, easy_proof), (hard, hard_proof) = lenient, strict
    if easy_proof and hard_proof:
        note = f"both seen; {hard!r} kept, the stricter"
        report.conflicting(point, hard, easy_proof[0], hard_proof[0], note=note)
        return hard
    if hard_proof:
        report.learned(point, hard, *hard_proof)
        return hard
    if easy_proof:
        report.learned(point, easy, *easy_proof)
        return easy
    report.kept(point, base)
    return base


def input_rules(
    exchanges: Sequence[Exchange],
    known: Known,
    found: Sequence[Refusal],
    base: dict[str, Any],
    report: Report,
) -> dict[str, Any]:
    """The `input` section: model, prompt bounds, image count, unknown and null fields."""
    rules = dict(base)
    rules["model"] = _either(
        "input.model",
        ("default", _accepted_where(exchanges, lambda b: "model" not in b)),
        ("required", _refused_where(found, lambda r, b: r.field == "model" and "model" not in b)),
        base["model"],
        report,
    )
    rules["unknown_fields"] = _either(
        "input.unknown_fields",
        ("ignore", _accepted_where(exchanges, lambda b: any(k not in KNOWN_FIELDS for k in b))),
        ("refuse", _refused_where(found, lambda r, b: r.field not in KNOWN_FIELDS)),
        base["unknown_fields"],
        report,
    )
    rules["null_fields"] = _either(
        "input.null_fields",
        (
            "default",
            _accepted_where(
                exchanges, lambda b: any(b.get(k, 0) is None for k in KNOWN_FIELDS[1:])
            ),
        ),
        ("refuse", _refused_where(found, lambda r, b: b.get(str(r.field), 0) is None)),
        base["null_fields"],
        report,
    )
    low, high = bounds(exchanges, known, "prompt")
    rules["prompt_min"] = _bound("input.prompt_min", low, base["prompt_min"], report)
    rules["prompt_max"] = _bound("input.prompt_max", high, base["prompt_max"], report)
    rules["prompt_min"] = min(rules["prompt_min"], rules["prompt_max"])
    _, images = bounds(exchanges, known, "image_urls")
    rules["image_urls_max"] = _bound("input.image_urls_max", images, base["image_urls_max"], report)
    return rules


def _bound(point: str, bound: Any, base: int, report: Report) -> int:
    value, verdict = bound.choose(base)
    value = max(1, int(value))
    proof = [*bound.low_proof, *bound.high_proof]
    if verdict == "learned":
        report.learned(point, value, *proof, note=bound.words())
    else:
        report.kept(point, value, note=bound.words() if proof else "not observed")
    return value
