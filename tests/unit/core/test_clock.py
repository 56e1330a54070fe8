"""The clock: manual time stands still, scaled time runs fast, and time never goes back."""

from __future__ import annotations

import time

import pytest

from mock_server.core.clock import (
    MAX_READING,
    MAX_SPEED,
    Clock,
    ClockRangeError,
    ClockState,
    iso,
    parse_iso,
)
from mock_server.settings.config import Settings
from mock_server.settings.values import ConfigError

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


def test_a_scaled_clock_at_the_top_speed_stops_at_the_last_reading() -> None:
    # One wall second from the end, at a million times the wall: it would pass it at once.
    clock = Clock("scaled", speed=MAX_SPEED, start=MAX_READING - 1)
    time.sleep(0.01)
    assert clock.now() == MAX_READING
    assert iso(clock.now()) == "9000-01-01T00:00:00.000Z"


def test_advancing_past_the_last_reading_stops_there() -> None:
    clock = Clock("manual", start=START)
    assert clock.advance_to(MAX_READING * 10) == MAX_READING
    assert clock.advance_to(float("nan")) == MAX_READING
    assert iso(clock.now()) == "9000-01-01T00:00:00.000Z"


@pytest.mark.parametrize("speed", [MAX_SPEED * 1.001, 1e300, float("inf"), float("nan")])
def test_speeds_above_the_top_speed_are_refused(speed: float) -> None:
    clock = Clock("manual", start=START)
    with pytest.raises(ClockRangeError, match="at most 1e\\+06"):
        clock.configure("scaled", speed)
    assert clock.state() == ClockState("manual", 1.0, START)


@pytest.mark.parametrize("start", [-1.0, MAX_READING + 1, float("inf"), float("nan")])
def test_a_start_outside_the_readings_is_refused(start: float) -> None:
    with pytest.raises(ClockRangeError, match="readings run from 1970"):
        Clock("manual", start=start)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("speed", 1e300),
        ("speed", MAX_SPEED + 1),
        ("clock_start", MAX_READING + 1),
        ("clock_start", -1.0),
        ("clock_start", float("nan")),
    ],
)
def test_settings_refuse_a_clock_out_of_range(setting: str, value: float) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings(**{setting: value})
    assert raised.value.setting == setting
