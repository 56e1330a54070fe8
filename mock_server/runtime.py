"""Putting runtime settings in force on an emulator: a scenario, a part of one, the clock mode.

Reset (`Emulator.reset_to_settings`) and these are the only writers of the runtime settings (clock
mode, timelines, rate limit, fault rules, webhook schedule, the scenario in force); `Control`
calls them for /_mock/ and the pytest handle, so a scenario and a control call change the same
things the same way. Above the emulator, which knows neither this module nor `Control`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mock_server.core.clock import ClockRangeError, check_speed
from mock_server.core.errors import InvalidRequestError
from mock_server.core.tasks import TimelineSpec
from mock_server.faults import scenarios
from mock_server.settings.values import WEBHOOK_SCHEDULES, RateLimit

if TYPE_CHECKING:
    from mock_server.emulator import Emulator


def set_clock(mock: Emulator, mode: str, speed: float | None) -> None:
    """Switch mode and speed; a speed out of range is a 400 naming `speed`, nothing changed."""
    if speed is not None:
        try:
            speed = check_speed(speed)
        except ClockRangeError as exc:
            raise InvalidRequestError(f"{exc}; got {speed!r}.", "speed") from None
    mock.scheduler.fire_due()
    with mock.lock:
        mock.clock.configure(mode, speed)  # type: ignore[arg-type]
    mock.scheduler.wake()


def reset(mock: Emulator) -> None:
    """Back to the start state: the settings, then the start scenario (--scenario), if any."""
    mock.reset_to_settings()
    if mock.start_scenario is not None:
        apply(mock, mock.start_scenario)


def load(mock: Emulator, scenario: dict[str, Any]) -> None:
    """Reset to the settings, then put a checked scenario in force."""
    mock.reset_to_settings()
    apply(mock, scenario)


def apply(mock: Emulator, scenario: dict[str, Any]) -> None:
    """Put a checked scenario in force on a freshly reset emulator."""
    if "seed" in scenario:
        mock.faults.clear(seed=scenario["seed"])
    apply_part(mock, scenario)
    mock.scenario = scenario["name"]
    mock.edits.clear()  # putting it in force is no edit of it


def apply_part(mock: Emulator, scenario: dict[str, Any]) -> None:
    """Put the sections a checked scenario has in force, on top of the current state."""
    clock = scenario.get("clock", {})
    if clock:
        set_clock(mock, clock.get("mode", mock.clock.state().mode), clock.get("speed"))
    with mock.lock:
        accounts = mock.accounts
        accounts.key_mode = scenario.get("key_mode", accounts.key_mode)
        accounts.default_credits = scenario.get("default_credits", accounts.default_credits)
        for key, credits in scenario.get("keys", {}).items():
            account = mock.store.account(key) or accounts.create(key, 0)
            accounts.grant(key, credits - account.ledger.granted)
        for entry in scenario.get("timelines", []):
            spec = TimelineSpec(
                entry.get("pending_seconds", mock.settings.pending_seconds),
                scenarios.seconds_range(entry["processing_seconds"]),
            )
            mock.timelines[(entry.get("model", "*"), entry.get("quality", "*"))] = spec
    for rule in scenario.get("faults", []):
        mock.faults.add(scenarios.rule_from(rule))
    if "rate_limit" in scenario:
        limit, current = scenario["rate_limit"], mock.rate_limiter.limit
        burst = limit.get("burst", current.burst if current else 10) if limit else 0
        mock.rate_limiter.configure(RateLimit(limit["rps"], burst) if limit else None)
    hooks = scenario.get("webhooks", {})
    if "schedule" in hooks:
        schedule = hooks["schedule"]
        mock.webhooks.schedule = (
            WEBHOOK_SCHEDULES[schedule] if isinstance(schedule, str) else tuple(schedule)
        )
    mock.webhooks.timeout = hooks.get("timeout", mock.webhooks.timeout)
