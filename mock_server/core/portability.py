"""Portability: what an accepted request relies on that the real service may refuse.

API in One's pages disagree with each other and with its provider on several input rules (is
`model` required? are prompts 1–3000 or 3–5000 characters? 10 or 14 reference images? are
unknown fields ignored?). The active profile answers each point one way; a request that passes
only because of that answer works here and may fail there. The `strict` profile holds the most
restrictive reading of every point, so a risk is exactly a rule where the active profile is more
permissive than `strict` and the request uses the difference.
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from threading import Lock
from typing import Any

from mock_server.core.events import Event, EventBus

PORTABILITY_MODES = ("warn", "error", "off")
HEADER = "Seedream-Mock-Portability"
_TOKEN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
KNOWN_FIELDS = ("prompt", "model", "aspect_ratio", "quality", "image_urls", "callback_url")


@dataclass(frozen=True)
class Risk:
    """One point a request relies on: a stable code, the field, and why it may fail for real."""

    code: str
    param: str
    message: str

    @property
    def label(self) -> str:
        """The form the warning header carries: `code`, or `code:field` for an unknown field,
        the name JSON-quoted (ASCII only) unless it is a plain token, as a header must be."""
        if self.code != "unknown-field":
            return self.code
        name = self.param if _TOKEN.fullmatch(self.param) else json.dumps(self.param)
        return f"{self.code}:{name}"


def risks(
    body: Mapping[str, Any], active: Mapping[str, Any], strict: Mapping[str, Any]
) -> list[Risk]:
    """The risks of a body the active profile accepted, given both profiles' input rules."""
    found: list[Risk] = []
    if active["model"] != "required" and strict["model"] == "required" and not body.get("model"):
        found.append(
            Risk(
                "model-missing",
                "model",
                "no model given: API in One's general docs say `model` is always required "
                "(the model page gives a default); send it explicitly.",
            )
        )
    prompt = body.get("prompt")
    short = strict["prompt_min"]
    if isinstance(prompt, str) and active["prompt_min"] < short and len(prompt) < short:
        found.append(
            Risk(
                "prompt-short",
                "prompt",
                f"prompt of {len(prompt)} characters: one copy of API in One's docs says prompts "
                f"are {short}–5000 characters.",
            )
        )
    urls = body.get("image_urls")
    most = strict["image_urls_max"]
    if isinstance(urls, list) and active["image_urls_max"] > most and len(urls) > most:
        found.append(
            Risk(
                "image-urls-many",
                "image_urls",
                f"{len(urls)} image URLs: the provider's text says up to {most} reference images "
                f"(its upload widget says 14).",
            )
        )
    if active["unknown_fields"] == "ignore" and strict["unknown_fields"] == "refuse":
        found += [
            Risk(
                "unknown-field",
                name,
                f"`{name}` is ignored here; the real service may use it (its docs list `seed`, "
                f"`negative_prompt`, `type`, `input_urls`) or refuse it.",
            )
            for name in body
            if name not in KNOWN_FIELDS
        ]
    if active["null_fields"] == "default" and strict["null_fields"] == "refuse":
        found += [
            Risk(
                "null-field",
                name,
                f"`{name}` is null: here that means its default; no source says the real "
                f"service agrees. Leave the field out instead.",
            )
            for name in KNOWN_FIELDS
            if name in body and body[name] is None
        ]
    return found


def header_value(found: Iterable[Risk]) -> str:
    return ", ".join(risk.label for risk in found)


class RiskLog:
    """The latest risks (bounded) and a count per code since the last reset, for /_mock/."""

    def __init__(self, events: EventBus | None = None, limit: int = 1000) -> None:
        self._recent: deque[dict[str, Any]] = deque(maxlen=limit)
        self._counts: Counter[str] = Counter()
        self._lock = Lock()
        self.version = 0  # changes at each add and clear: a state file writes it when it moved
        if events is not None:  # a reset forgets them, as it forgets the tasks
            events.subscribe(self._on_event, ("state.reset",))

    def _on_event(self, event: Event) -> None:
        if event.kind == "state.reset":
            self.clear()

    def add(self, found: Iterable[Risk], at: str, key: str, task_id: str | None) -> None:
        with self._lock:
            self.version += 1
            for risk in found:
                self._counts[risk.code] += 1
                self._recent.append(
                    {
                        "at": at,
                        "key": key,
                        "task_id": task_id,
                        "code": risk.code,
                        "param": risk.param,
                        "message": risk.message,
                    }
                )

    def clear(self) -> None:
        with self._lock:
            self.version += 1
            self._recent.clear()
            self._counts.clear()

    def restore(self, summary: dict[str, Any]) -> None:
        """After a restart: what `summary` said before it."""
        with self._lock:
            self._counts = Counter(summary.get("counts", {}))
            self._recent.clear()
            self._recent.extend(summary.get("recent", []))

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {"counts": dict(self._counts), "recent": list(self._recent)}
