"""The runtime state: a scenario is the edits control calls make; a reset restores the start."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from mock_server.control import Control
from mock_server.emulator import Emulator
from mock_server.runtime.state import RuntimeView
from mock_server.settings.config import Settings

START = 1_800_000_000.0
RULE = {
    "name": "busy",
    "match": {"route": "tasks"},
    "action": {"type": "http_error", "status": 503},
    "times": 2,
}
TIMELINE = {"model": "*", "quality": "high", "pending_seconds": 3, "processing_seconds": [5, 9]}
SCENARIO: dict[str, Any] = {
    "name": "by-hand",
    "description": "Everything a control call can also set.",
    "clock": {"mode": "manual", "speed": 60},
    "keys": {"aio_extra": 50},
    "timelines": [TIMELINE],
    "faults": [RULE],
    "rate_limit": {"rps": 2, "burst": 4},
}


def fresh() -> Emulator:
    return Emulator(Settings(clock="manual", clock_start=START, seed=3))


def config(mock: Emulator) -> RuntimeView:
    """The state without the scenario's name and the notes of edits, which differ on purpose."""
    return replace(mock.runtime.view(), scenario=None, edits=())


def test_a_scenario_and_the_same_control_calls_lead_to_equal_states() -> None:
    loaded, by_hand = fresh(), fresh()
    Control(loaded).load_scenario(SCENARIO)
    control = Control(by_hand)
    control.set_clock("manual", 60)
    control.create_key("aio_extra", 50)
    control.set_timeline(TIMELINE)
    control.add_fault(RULE)
    control.set_rate_limit({"rps": 2, "burst": 4})
    assert config(loaded) == config(by_hand)
    assert Control(loaded).ledgers() == control.ledgers()
    assert loaded.runtime.view().scenario == "by-hand"
    assert loaded.runtime.view().edits == ()
    assert by_hand.runtime.view().edits == (
        "clock set to manual x60",
        "key aio_extra created with 50 credits",
        "timeline set",
        "fault rule busy added",
        "rate limit set",
    )


@pytest.mark.parametrize("start_scenario", [None, SCENARIO])
def test_a_reset_restores_exactly_the_start_state(start_scenario: dict[str, Any] | None) -> None:
    mock = fresh()
    mock.runtime.start_scenario = start_scenario
    control = Control(mock)
    control.reset()
    start, start_ledgers = mock.runtime.view(), control.ledgers()
    control.set_clock("manual", 5)  # a running clock would move the grants
    control.clear_faults()
    control.add_fault({**RULE, "name": "other"})
    control.clear_timelines()
    control.set_timeline({**TIMELINE, "quality": "basic"})
    control.set_rate_limit(None)
    control.grant("aio_your_api_key", 7)
    control.create_key("aio_late", 3)
    assert mock.runtime.view() != start
    control.reset()
    assert mock.runtime.view() == start
    assert control.ledgers() == start_ledgers
