"""The clock: manual time stands still, scaled time runs fast, and time never goes back."""

from __future__ import annotations

import time

import pytest

from mock_server.clock import Clock, iso, parse_iso

START = 1_800_000_000.0


def test_manual_clock_stands_still_until_advanced() -> None:
    clock = Clock("manual", start=START)
    time.sleep(0.01)
    assert clock.now() == START
    assert clock.advance_to(START + 5) == START + 5
    assert clock.now() == START + 5


def test_clock_never_goes_backwards() -> None:
    clock = Clock("manual", start=START)
    clock.advance_to(START + 10)
    assert clock.advance_to(START + 1) == START + 10
    assert clock.now() == START + 10


def test_scaled_clock_runs_speed_times_faster_than_the_wall() -> None:
    clock = Clock("scaled", speed=1000, start=START)
    before = time.monotonic()
    time.sleep(0.02)
    elapsed_wall = time.monotonic() - before
    assert clock.now() - START >= 0.02 * 1000 * 0.9
    assert clock.now() - START <= (elapsed_wall + 0.5) * 1000


def test_switching_modes_keeps_the_reading() -> None:
    clock = Clock("manual", start=START)
    clock.advance_to(START + 3600)
    clock.configure("real")
    assert clock.now() >= START + 3600
    clock.configure("manual")
    frozen = clock.now()
    assert frozen >= START + 3600
    assert clock.state().mode == "manual"


def test_real_mode_forces_speed_one() -> None:
    clock = Clock("scaled", speed=50, start=START)
    clock.configure("real")
    assert clock.state().speed == 1.0


@pytest.mark.parametrize(("mode", "speed"), [("sideways", 1.0), ("scaled", 0.0), ("scaled", -2)])
def test_bad_mode_or_speed_is_refused(mode: str, speed: float) -> None:
    with pytest.raises(ValueError, match="clock"):
        Clock(mode, speed)  # type: ignore[arg-type]


def test_wall_seconds_until_accounts_for_speed_and_manual_mode() -> None:
    assert Clock("manual", start=START).wall_seconds_until(START + 10) is None
    scaled = Clock("scaled", speed=10, start=START)
    wait = scaled.wall_seconds_until(START + 10)
    assert wait is not None
    assert 0.9 <= wait <= 1.0
    assert scaled.wall_seconds_until(START - 10) == 0.0


def test_iso_is_utc_with_milliseconds_and_round_trips() -> None:
    text = iso(START + 0.25)
    assert text == "2027-01-15T08:00:00.250Z"
    assert parse_iso(text) == START + 0.25
    assert parse_iso("2027-01-15T08:00:00") == START
