"""Which fault rules make the server give a request a thread of its own."""

from __future__ import annotations

import pytest

from mock_server.faults.rules import FaultRule, Faults


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
    assert faults.may_hold is holds
    faults.clear()
    assert faults.may_hold is False
