"""The input rules, found by refusal: which field a refusal is about, and the bounds it implies.

A refusal teaches a rule only when it is clear what was refused. A body's *candidates* are its
fields that might be refused (a missing model, a prompt length never accepted, an unknown
member…); a refusal is attributed to one when the error names exactly one candidate, or when
there is only one. Acceptances need no attribution: an accepted body had nothing wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from seedream_contracts.calibration.exchange import Exchange
from seedream_contracts.calibration.runs import CREATE_PATH, accepted
from seedream_contracts.calibration.shapes import words
from seedream_contracts.profiles.fields import MODELS
from seedream_contracts.sizes import ASPECT_RATIOS, QUALITIES

KNOWN_FIELDS = ("prompt", "model", "aspect_ratio", "quality", "image_urls", "callback_url")
_ENUMS: dict[str, Sequence[str]] = {
    "model": (*MODELS, "seedream-4-5"),
    "aspect_ratio": ASPECT_RATIOS,
    "quality": QUALITIES,
}
# Prompt lengths every source and gateway accepts: only lengths outside them (or outside
# what was seen accepted) can be the reason for a refusal.
SAFE_PROMPT = (16, 256)
SAFE_IMAGES = (1, 10)  # reference images every source allows (KIE's text caps them at 10)


def generation(exchange: Exchange) -> dict[str, Any] | None:
    """The JSON object body of a keyed create request, or None for anything else."""
    body = exchange.request_json
    is_create = exchange.method == "POST" and exchange.path.split("?")[0] == CREATE_PATH
    return body if is_create and exchange.has_key and isinstance(body, dict) else None


@dataclass
class Known:
    """What acceptances proved harmless."""

    prompt_lengths: list[int] = field(default_factory=list)
    image_counts: list[int] = field(default_factory=list)
    model_optional: bool = False
    nulls_ok: bool = False
    unknown_ok: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, exchanges: Sequence[Exchange]) -> Known:
        known = cls()
        for exchange in exchanges:
            body = generation(exchange)
            if body is None or not accepted(exchange):
                continue
            if isinstance(body.get("prompt"), str):
                known.prompt_lengths.append(len(body["prompt"]))
            if isinstance(body.get("image_urls"), list) and body["image_urls"]:
                known.image_counts.append(len(body["image_urls"]))
            known.model_optional |= "model" not in body
            known.nulls_ok |= any(body.get(k, 0) is None for k in KNOWN_FIELDS[1:])
            known.unknown_ok.update(k for k in body if k not in KNOWN_FIELDS)
        return known

    def prompt_safe(self, length: int) -> bool:
        low = min([SAFE_PROMPT[0], *self.prompt_lengths])
        high = max([SAFE_PROMPT[1], *self.prompt_lengths])
        return low <= length <= high


def candidates(body: dict[str, Any], known: Known) -> list[str]:
    """The fields of `body` that might be why it was refused."""
    found: list[str] = []
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not known.prompt_safe(len(prompt)):
        found.append("prompt")
    if "model" not in body and not known.model_optional:
        found.append("model")
    for name in KNOWN_FIELDS[1:]:
        if name not in body:
            continue
        value = body[name]
        if value is None:
            if not known.nulls_ok:
                found.append(name)
        elif _refusable(name, value, known):
            found.append(name)
    found += [k for k in body if k not in KNOWN_FIELDS and k not in known.unknown_ok]
    return found


def _refusable(name: str, value: Any, known: Known) -> bool:
    """A value no source or acceptance vouches for: off the enum, an unseen image count, a
    callback that is not a URL."""
    if name in _ENUMS:
        return value not in _ENUMS[name]
    if name == "image_urls":
        return _bad_images(value, known)
    return name == "callback_url" and not str(value).startswith(("http://", "https://"))


def _bad_images(value: Any, known: Known) -> bool:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return True
    return len(value) > max([0, *known.image_counts])


def attribute(exchange: Exchange, known: Known) -> str | None:
    """The field a refused create was refused for, when the exchange makes it clear."""
    body = generation(exchange)
    if body is None:
        return None
    suspects = candidates(body, known)
    named = [s for s in suspects if s in words(exchange.response_json or {})]
    if len(named) == 1:
        return named[0]
    return suspects[0] if len(suspects) == 1 else None


@dataclass
class Bound:
    """What the exchanges say of one numeric limit: an interval and the proof at each end."""

    low: int | None = None
    high: int | None = None
    low_proof: list[Exchange] = field(default_factory=list)
    high_proof: list[Exchange] = field(default_factory=list)

    def raise_low(self, value: int, proof: Exchange) -> None:
        if self.low is None or value > self.low:
            self.low, self.low_proof = value, [proof]

    def lower_high(self, value: int, proof: Exchange) -> None:
        if self.high is None or value < self.high:
            self.high, self.high_proof = value, [proof]

    def choose(self, base: int) -> tuple[int, str]:
        """(value, verdict): exact when pinned, else the base if it fits, else the end nearest
        the base: the least change the observations force."""
        if self.low is not None and self.low == self.high:
            return self.low, "learned"
        if self.low is not None and base < self.low:
            return self.low, "learned"
        if self.high is not None and base > self.high:
            return self.high, "learned"
        return base, "kept"

    def words(self) -> str:
        low = "?" if self.low is None else str(self.low)
        high = "?" if self.high is None else str(self.high)
        return f"observations allow {low}…{high}"


def bounds(exchanges: Sequence[Exchange], known: Known, measure: str) -> tuple[Bound, Bound]:
    """(minimum, maximum) of `prompt` length or `image_urls` count, from acceptances and from
    refusals attributed to that field."""
    minimum, maximum = Bound(), Bound()
    seen = known.prompt_lengths if measure == "prompt" else known.image_counts
    safe = SAFE_PROMPT if measure == "prompt" else SAFE_IMAGES
    floor, ceiling = (min(seen), max(seen)) if seen else safe
    for exchange in exchanges:
        body = generation(exchange)
        size = _size(body, measure)
        if size is None:
            continue
        if accepted(exchange):
            minimum.lower_high(size, exchange)
            maximum.raise_low(size, exchange)
        elif 400 <= exchange.status < 500 and attribute(exchange, known) == measure:
            if size < floor:
                minimum.raise_low(size + 1, exchange)
            elif size > ceiling:
                maximum.lower_high(size - 1, exchange)
    return minimum, maximum


def _size(body: dict[str, Any] | None, measure: str) -> int | None:
    value = None if body is None else body.get(measure)
    if measure == "prompt" and isinstance(value, str):
        return len(value)
    if measure == "image_urls" and isinstance(value, list) and value:
        return len(value)
    return None
