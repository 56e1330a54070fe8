"""Fault rules: which requests to break, how, how often — repeatable under `--seed`.

A rule has a match (route, model, quality, aspect ratio, key, prompt substring, or the header
`X-Mock-Fault: <rule name>`), an action, `times` (how many matches it fires for), a
`probability` drawn from a generator seeded by the server's seed, and `after_seconds` of mock
time before it takes effect. Actions act at one of five layers; the HTTP layer carries out the
http/socket/latency ones, the task machine the task ones, the webhook worker the webhook ones.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from mock_server.core.errors import ConflictError, NotFoundError
from mock_server.core.tasks import Status, TaskError, Timeline

LAYERS: dict[str, str] = {
    "http_error": "http",
    "malformed_json": "http",
    "empty_body": "http",
    "wrong_content_type": "http",
    "close": "socket",
    "reset": "socket",
    "hang": "socket",
    "latency": "latency",
    "task_fail": "task",
    "task_stall": "task",
    "task_instant": "task",
    "webhook_drop": "webhook",
    "webhook_delay": "webhook",
    "webhook_duplicate": "webhook",
    "webhook_reorder": "webhook",
    "webhook_bad_signature": "webhook",
}
FAULT_HEADER = "X-Mock-Fault"


@dataclass(frozen=True)
class RequestFacts:
    """What a rule can match on, read from a request before it is handled."""

    route: str  # generations | tasks | files
    key: str | None = None
    model: str | None = None
    quality: str | None = None
    aspect_ratio: str | None = None
    prompt: str | None = None
    fault_header: str | None = None


HOLDING = frozenset({"latency", "hang"})  # actions that keep the request waiting


@dataclass
class FaultRule:
    name: str
    action: dict[str, Any]
    match: dict[str, Any] = field(default_factory=dict)
    times: int | None = None
    probability: float = 1.0
    after_seconds: float = 0.0
    created_at: float = 0.0
    fired: int = 0

    @property
    def layer(self) -> str:
        return LAYERS[self.action["type"]]

    def matches(self, facts: RequestFacts, now: float) -> bool:
        if now < self.created_at + self.after_seconds:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        if self.match.get("header") and facts.fault_header != self.name:
            return False
        for name in ("route", "key", "model", "quality", "aspect_ratio"):
            wanted = self.match.get(name)
            if wanted is not None and getattr(facts, name) not in _as_list(wanted):
                return False
        needle = self.match.get("prompt_contains")
        return needle is None or (facts.prompt is not None and needle in facts.prompt)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Decision:
    """The actions that fire for one request, at most one per layer (the first rule wins)."""

    actions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, layer: str) -> dict[str, Any] | None:
        return self.actions.get(layer)


NO_FAULTS = Decision()
TASK_LAYERS = frozenset({"task", "webhook"})


class Faults:
    """The rule registry. Matching and the seeded draws happen under one lock, so the same
    requests in the same order give the same outcomes on every run with the same seed."""

    def __init__(self, seed: int | None, now: Callable[[], float]) -> None:
        self._seed = seed
        self._now = now
        self._rng = random.Random(seed)
        self._rules: dict[str, FaultRule] = {}
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            if rule.name in self._rules:
                raise ConflictError(f"A fault rule named {rule.name!r} exists already.", "name")
            rule.created_at = self._now()
            self._rules[rule.name] = rule
            return rule

    def remove(self, name: str) -> None:
        with self._lock:
            if self._rules.pop(name, None) is None:
                raise NotFoundError(f"No fault rule named {name!r}.", "name")

    @property
    def active(self) -> bool:
        return bool(self._rules)

    @property
    def may_hold(self) -> bool:
        """Some rule may keep a request waiting (a latency or a hang): such requests need a
        thread of their own, so they hold up nobody else."""
        with self._lock:
            return any(r.action["type"] in HOLDING for r in self._rules.values())

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules.values())

    def clear(self, seed: int | None = None) -> None:
        """No rules, and the generator back at its seed (so a reset run repeats exactly); a
        scenario may bring a seed of its own."""
        with self._lock:
            self._rules.clear()
            self._rng = random.Random(self._seed if seed is None else seed)

    def decide(self, facts: RequestFacts, layers: frozenset[str]) -> Decision:
        """The actions that fire for a request, among rules of the given layers only: the HTTP
        layer asks for http/socket/latency before handling; task and webhook rules are asked
        only once a task is really being created, so nothing else uses them up."""
        if not self._rules:
            return NO_FAULTS
        now = self._now()
        chosen: dict[str, dict[str, Any]] = {}
        with self._lock:
            for rule in self._rules.values():
                if rule.layer not in layers or rule.layer in chosen:
                    continue
                if not rule.matches(facts, now):
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                chosen[rule.layer] = {**rule.action, "rule": rule.name}
                if rule.layer == "latency":
                    chosen["latency"]["delay_ms"] = self._delay_ms(rule.action)
        return Decision(chosen) if chosen else NO_FAULTS

    def _delay_ms(self, action: dict[str, Any]) -> float:
        """One draw of a latency action's distribution (called under the lock: repeatable)."""
        shape = action.get("distribution", "fixed")
        if shape == "uniform":
            return self._rng.uniform(action["min_ms"], action["max_ms"])
        if shape == "lognormal":
            return float(action["median_ms"]) * math.exp(self._rng.gauss(0, action["sigma"]))
        return float(action["ms"])


def apply_task_fault(timeline: Timeline, action: dict[str, Any] | None) -> Timeline:
    """The timeline a task gets under a task-layer action."""
    if action is None:
        return timeline
    kind = action["type"]
    if kind == "task_instant":
        return replace(timeline, pending_seconds=0.0, processing_seconds=0.0)
    if kind == "task_stall":
        return replace(timeline, stall_in=Status(action.get("in", "processing")))
    code = action.get("code", "generation_failed")
    error = TaskError(code, action.get("message") or f"The task failed ({code}).")
    return replace(timeline, failure=error, fail_at=Status(action.get("at", "processing")))
