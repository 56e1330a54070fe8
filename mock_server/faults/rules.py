"""Fault rules: which requests to break, how, how often — repeatable under `--seed`.

A rule has a match (route, model, quality, aspect ratio, key, prompt substring, or the header
`X-Mock-Fault: <rule name>`), an action, `times` (how many matches it fires for), a
`probability` drawn from a generator seeded by the server's seed, and `after_seconds` of mock
time before it takes effect. Actions act at one of five layers. Which actions a request gets
is decided once, in `decision.py`; this module keeps the rules and makes the draws.
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
    creates_task: bool = False  # a valid generation: task and webhook rules are asked too


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


class Faults:
    """The rule registry. Matching and the seeded draws happen under `lock`, which the one
    decision (`decision.decide`) holds for a whole request, so the same requests in the same
    order give the same outcomes on every run with the same seed."""

    def __init__(self, seed: int | None, now: Callable[[], float]) -> None:
        self._seed = seed
        self._now = now
        self._rng = random.Random(seed)
        self._rules: dict[str, FaultRule] = {}
        self.lock = threading.Lock()
        self.version = 0  # counts changes (rules, fired counts, draws): a state file's cue

    def generator_state(self) -> Any:
        with self.lock:
            return self._rng.getstate()

    def restore(self, rules: list[FaultRule], generator_state: Any) -> None:
        """Put back rules (fired counts and all) and the generator's position from a file."""
        with self.lock:
            self._rules = {rule.name: rule for rule in rules}
            self._rng.setstate(generator_state)

    def add(self, rule: FaultRule) -> FaultRule:
        with self.lock:
            if rule.name in self._rules:
                raise ConflictError(f"A fault rule named {rule.name!r} exists already.", "name")
            rule.created_at = self._now()
            self._rules[rule.name] = rule
            self.version += 1
            return rule

    def remove(self, name: str) -> None:
        with self.lock:
            if self._rules.pop(name, None) is None:
                raise NotFoundError(f"No fault rule named {name!r}.", "name")
            self.version += 1

    @property
    def active(self) -> bool:
        return bool(self._rules)

    def rules(self) -> list[FaultRule]:
        with self.lock:
            return list(self._rules.values())

    def clear(self, seed: int | None = None) -> None:
        """No rules, and the generator back at its seed (so a reset run repeats exactly); a
        scenario may bring a seed of its own."""
        with self.lock:
            self._rules.clear()
            self._rng = random.Random(self._seed if seed is None else seed)
            self.version += 1

    def choose(self, facts: RequestFacts, layers: frozenset[str]) -> dict[str, dict[str, Any]]:
        """The first rule of each of `layers` that fires for `facts` (counted as fired, its
        probability drawn), as an action naming its rule. Call with `lock` held."""
        now = self._now()
        chosen: dict[str, dict[str, Any]] = {}
        for rule in self._rules.values():
            if rule.layer not in layers or rule.layer in chosen:
                continue
            if not rule.matches(facts, now):
                continue
            self.version += 1  # a draw or a firing: either moves what a file must keep
            if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                continue
            rule.fired += 1
            chosen[rule.layer] = {**rule.action, "rule": rule.name}
            if rule.layer == "latency":
                chosen["latency"]["delay_ms"] = self._delay_ms(rule.action)
        return chosen

    def give_back(self, names: list[str]) -> None:
        """Un-count rules chosen for a task that was never created (a 401, 429 or 402 after the
        decision): a task rule fires for tasks, so a refused request uses none of its `times`.
        Its probability draw stays drawn: the sequence of draws depends on requests alone."""
        with self.lock:
            for name in names:
                rule = self._rules.get(name)
                if rule is not None and rule.fired > 0:
                    rule.fired -= 1
                    self.version += 1

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
