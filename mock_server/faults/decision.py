"""The one fault decision for a request: what goes wrong with it, at every layer, decided once.

`decide` is the only place that chooses faults. It is asked once per public request, before the
request is handled, from the *validated, resolved* request (the `seedream-4-5` alias already
resolved to the model it names), or from the route, key and `X-Mock-Fault` header alone when the
body is not valid. The layers then only carry out what they were handed: the HTTP layer the
latency, socket and HTTP actions (`api/faults.py`), the server whether the request may be held
(`holds`), the task machine the task action and the deliveries the webhook action
(`Emulator.submit`). So every layer sees the same request, and no rule added meanwhile can
reach one layer and not another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mock_server.core.validation import GenerationRequest
from mock_server.faults.rules import Faults, RequestFacts

ANSWER_LAYERS = frozenset({"http", "socket", "latency"})  # carried out around the answer
TASK_LAYERS = frozenset({"task", "webhook"})  # carried out on the task a submission creates
HOLDING = frozenset({"latency", "hang"})  # actions that keep the request waiting


@dataclass(frozen=True)
class Decision:
    """The actions that fire for one request, at most one per layer (the first rule wins)."""

    actions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, layer: str) -> dict[str, Any] | None:
        return self.actions.get(layer)

    @property
    def holds(self) -> bool:
        """A latency or a hang: the request needs a thread of its own, to hold up nobody else."""
        return any(action["type"] in HOLDING for action in self.actions.values())

    @property
    def answer_actions(self) -> list[dict[str, Any]]:
        """The actions that touch the answer (what `X-Mock-Fault-Applied` lists)."""
        return [a for layer, a in self.actions.items() if layer in ANSWER_LAYERS]

    @property
    def task_rules(self) -> list[str]:
        """The rules chosen for the task this request would create."""
        return [a["rule"] for layer, a in self.actions.items() if layer in TASK_LAYERS]


NO_FAULTS = Decision()


def facts_for(
    route: str,
    key: str | None,
    fault_header: str | None,
    request: GenerationRequest | None = None,
) -> RequestFacts:
    """What a rule can match on: the resolved request's fields when there is one (a valid
    generation), else the route facts alone."""
    if request is None:
        return RequestFacts(route, key, fault_header=fault_header)
    return RequestFacts(
        route,
        key,
        request.model,
        request.input.quality,
        request.input.aspect_ratio,
        request.input.prompt,
        fault_header,
        creates_task=True,
    )


def decide(faults: Faults, facts: RequestFacts) -> Decision:
    """Every layer's action for one request, under one hold of the registry's lock (so the
    seeded draws of concurrent requests never interleave within one).

    Task and webhook rules are asked only for a valid generation that no HTTP or socket fault
    stops before it is handled: a request that creates no task uses none of them up (one
    refused after this decision gives them back, `Faults.give_back`)."""
    if not faults.active:  # the hot path with no rules: no lock, no clock reading
        return NO_FAULTS
    with faults.lock:
        chosen = faults.choose(facts, ANSWER_LAYERS)
        if facts.creates_task and not _stops_before_handling(chosen):
            chosen.update(faults.choose(facts, TASK_LAYERS))
    return Decision(chosen) if chosen else NO_FAULTS


def _stops_before_handling(chosen: dict[str, dict[str, Any]]) -> bool:
    return any(
        chosen.get(layer, {}).get("when", "before") == "before"
        for layer in ("socket", "http")
        if layer in chosen
    )
