"""The scheduler fires due events in time order, at their own times, and only when due."""

from __future__ import annotations

import threading
import time

from mock_server.core.clock import Clock
from mock_server.core.scheduler import Scheduler

START = 1_800_000_000.0


def make(mode: str = "manual", speed: float = 1.0) -> Scheduler:
    return Scheduler(Clock(mode, speed, start=START))  # type: ignore[arg-type]


def test_advance_fires_due_events_in_order_with_the_clock_at_each_event() -> None:
    scheduler = make()
    fired: list[tuple[str, float, float]] = []
    for name, offset in (("c", 3.0), ("a", 1.0), ("b", 2.0), ("late", 50.0)):
        scheduler.schedule(
            START + offset, lambda at, n=name: fired.append((n, at, scheduler.clock.now()))
        )
    scheduler.advance_to(START + 10)
    assert fired == [
        ("a", START + 1, START + 1),
        ("b", START + 2, START + 2),
        ("c", START + 3, START + 3),
    ]
    assert scheduler.clock.now() == START + 10
    assert scheduler.pending() == 1


def test_events_scheduled_while_firing_also_fire_if_due() -> None:
    scheduler = make()
    fired: list[float] = []

    def first(at: float) -> None:
        fired.append(at)
        scheduler.schedule(at + 2, fired.append)

    scheduler.schedule(START + 1, first)
    scheduler.advance_to(START + 5)
    assert fired == [START + 1, START + 3]


def test_cancelled_event_never_fires() -> None:
    scheduler = make()
    fired: list[float] = []
    handle = scheduler.schedule(START + 1, fired.append)
    scheduler.cancel(handle)
    scheduler.advance_to(START + 2)
    assert fired == []


def test_a_failing_event_does_not_stop_the_others() -> None:
    scheduler = make()
    fired: list[float] = []

    def broken(at: float) -> None:
        raise RuntimeError("boom")

    scheduler.schedule(START + 1, broken)
    scheduler.schedule(START + 2, fired.append)
    scheduler.advance_to(START + 3)
    assert fired == [START + 2]


def test_fire_due_fires_nothing_early() -> None:
    scheduler = make()
    fired: list[float] = []
    scheduler.schedule(START + 1, fired.append)
    scheduler.fire_due()
    assert fired == []


def test_ticker_fires_events_on_a_scaled_clock_by_itself() -> None:
    scheduler = make("scaled", speed=100)
    done = threading.Event()
    scheduler.schedule(START + 5, lambda at: done.set())  # 5 s at x100: 50 ms of wall time
    scheduler.start()
    try:
        assert done.wait(timeout=5)
    finally:
        scheduler.stop()


def test_clear_drops_pending_events() -> None:
    scheduler = make()
    fired: list[float] = []
    scheduler.schedule(START + 1, fired.append)
    scheduler.clear()
    scheduler.advance_to(START + 2)
    assert fired == []
    assert scheduler.pending() == 0


def test_stop_returns_promptly_on_a_manual_clock() -> None:
    scheduler = make()
    scheduler.start()
    began = time.monotonic()
    scheduler.stop()
    assert time.monotonic() - began < 2


def test_cancelling_a_fired_event_changes_nothing() -> None:
    scheduler = make()
    fired: list[float] = []
    handle = scheduler.schedule(START + 1, fired.append)
    scheduler.schedule(START + 5, fired.append)
    scheduler.advance_to(START + 2)
    scheduler.cancel(handle)
    assert scheduler.pending() == 1
    scheduler.advance_to(START + 10)
    assert fired == [START + 1, START + 5]
    assert scheduler.pending() == 0


def test_cancelling_twice_or_an_unknown_handle_changes_nothing() -> None:
    scheduler = make()
    fired: list[float] = []
    handle = scheduler.schedule(START + 1, fired.append)
    scheduler.schedule(START + 2, fired.append)
    scheduler.cancel(handle)
    scheduler.cancel(handle)
    scheduler.cancel(12345)
    assert scheduler.pending() == 1
    scheduler.advance_to(START + 3)
    assert fired == [START + 2]
    assert scheduler.pending() == 0
