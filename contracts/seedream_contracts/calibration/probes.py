"""What a live calibration sends: free probes that every source says are refused, and the
ladder of bodies that ends in the one paid task.

A probe here is free only if its refusal is certain from the published contract: no key, a
key of the wrong form, a task id that was never issued, a body that is not JSON, a prompt
missing, empty, not a string or longer than every published cap, a value off a published enum,
more reference images than any source allows. A body that some source would accept is never
sent without budget for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seedream_contracts.calibration.runs import CREATE_PATH

TEXT_MODEL = "seedream/4.5-text-to-image"
EDIT_MODEL = "seedream/4.5-edit"
# Not of the aio_ form, so no "any aio_ key works" target takes it for a real one.
BAD_KEY = "calibrate-invalid-key-0000"
PROMPT = "A red apple on an oak table in soft morning light, photorealistic still life"
UNKNOWN_FIELD = "x_calibration_probe"  # a member no source names: ignored or refused?
LENGTHS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64)  # the paid ladder's prompts
LONGEST_CAP = 5000  # the longest prompt any source allows


def prompt_of(length: int) -> str:
    """A prompt of exactly `length` characters that starts and ends with a letter or stop."""
    if length <= 1:
        return "A"
    text = (PROMPT + " " + PROMPT.lower()) * (length // (2 * len(PROMPT)) + 1)
    return text[: length - 1] + "."


@dataclass(frozen=True)
class Probe:
    """One request: `key` is "own", "none" or "bad"; `raw` is sent as it is (not JSON)."""

    note: str
    method: str
    path: str
    body: Any = None
    raw: bytes | None = None
    key: str = "own"


def _create(note: str, body: Any, key: str = "own") -> Probe:
    return Probe(note, "POST", CREATE_PATH, body, key=key)


def free_probes() -> list[Probe]:
    """Every probe that costs nothing, in the order sent."""
    good = {"model": TEXT_MODEL, "prompt": PROMPT}
    images = [f"https://example.com/calibrate/{i}.png" for i in range(16)]
    return [
        _create("no key", good, key="none"),
        _create("a key of the wrong form", good, key="bad"),
        Probe("unknown task id", "GET", "/api/v1/tasks/calibrate-no-such-task-0000"),
        Probe("non-JSON body", "POST", CREATE_PATH, raw=b"prompt=this is not JSON"),
        _create("missing prompt", {"model": TEXT_MODEL}),
        _create("empty prompt", {"model": TEXT_MODEL, "prompt": ""}),
        _create("prompt not a string", {"model": TEXT_MODEL, "prompt": 42}),
        _create("unknown model", {"model": "seedream/0.0-no-such-model", "prompt": PROMPT}),
        _create("unknown aspect ratio", {**good, "aspect_ratio": "7:5"}),
        _create("unknown quality", {**good, "quality": "ultra"}),
        _create("prompt above every cap", {**good, "prompt": prompt_of(LONGEST_CAP + 1)}),
        _create(
            "16 reference images", {"model": EDIT_MODEL, "prompt": PROMPT, "image_urls": images}
        ),
    ]


def first_paid_body() -> dict[str, Any]:
    """The ladder's first body: every open question asked at once (no model, a 1-character
    prompt, an unknown member). Refusals say which rule holds; each is fixed in turn."""
    return {"prompt": prompt_of(LENGTHS[0]), UNKNOWN_FIELD: True}


def fixed(body: dict[str, Any], field: str | None) -> dict[str, Any] | None:
    """The next body after a refusal about `field` (None: unclear), or None when out of
    steps. An unclear refusal fixes the questions in a set order: unknown member, model,
    prompt length."""
    body = dict(body)
    if field is None or field not in (UNKNOWN_FIELD, "model", "prompt"):
        field = UNKNOWN_FIELD if UNKNOWN_FIELD in body else "model"
        field = field if field == UNKNOWN_FIELD or "model" not in body else "prompt"
    if field == UNKNOWN_FIELD:
        body.pop(UNKNOWN_FIELD, None)
    elif field == "model":
        body["model"] = TEXT_MODEL
    else:
        longer = [n for n in LENGTHS if n > len(body["prompt"])]
        if not longer and len(body["prompt"]) >= len(PROMPT):
            return None
        body["prompt"] = prompt_of(longer[0]) if longer else PROMPT
    return body
