"""Which fault decisions make the server give a request a thread of its own."""

from __future__ import annotations

import pytest

from mock_server.faults.decision import decide, facts_for
from mock_server.faults.rules import FaultRule, Faults, RequestFacts


@pytest.mark.parametrize(
    ("actions", "holds"),
    [
        ([], False),
        ([{"type": "http_error", "status": 503}], False),
        ([{"type": "reset"}, {"type": "task_fail", "at": "processing"}], False),
        ([{"type": "http_error", "status": 503}, {"type": "latency", "ms": 10}], True),
        ([{"type": "hang", "seconds": 1}], True),
    ],
)
def test_only_delays_and_hangs_hold_a_request(
    actions: list[dict[str, object]], holds: bool
) -> None:
    faults = Faults(seed=1, now=lambda: 0.0)
    for number, action in enumerate(actions):
        faults.add(FaultRule(f"rule-{number}", dict(action)))
    assert decide(faults, facts_for("tasks", None, None)).holds is holds
    faults.clear()
    assert decide(faults, facts_for("tasks", None, None)).holds is False


def test_a_hold_that_does_not_match_the_request_does_not_hold_it() -> None:
    faults = Faults(seed=1, now=lambda: 0.0)
    faults.add(FaultRule("slow-files", {"type": "latency", "ms": 10}, {"route": "files"}))
    assert decide(faults, facts_for("tasks", None, None)).holds is False
    assert decide(faults, facts_for("files", None, None)).holds is True


def test_task_rules_are_asked_only_for_a_task_no_answer_fault_stops() -> None:
    faults = Faults(seed=1, now=lambda: 0.0)
    faults.add(FaultRule("doomed", {"type": "task_fail"}))
    faults.add(FaultRule("once", {"type": "http_error", "status": 503}, times=1))
    generation = RequestFacts("generations", "k", "seedream/4.5-edit", creates_task=True)
    stopped = decide(faults, generation)
    assert (stopped.get("task"), stopped.get("http")) == (None, {**stopped.actions["http"]})
    assert stopped.actions["http"]["rule"] == "once"
    assert decide(faults, facts_for("tasks", None, None)).get("task") is None  # no task here
    created = decide(faults, generation)
    assert (created.get("task") or {}).get("rule") == "doomed"
    assert [rule.fired for rule in faults.rules()] == [1, 1]
