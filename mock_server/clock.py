"""The one clock of a server, and the only module that reads the time: real, scaled or manual."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

ClockMode = Literal["real", "scaled", "manual"]
CLOCK_MODES: tuple[ClockMode, ...] = ("real", "scaled", "manual")


def wall_time() -> float:
    """Seconds since the epoch from the system clock; used only to anchor a new clock."""
    return time.time()


def monotonic() -> float:
    """Wall seconds for measuring durations (latencies, deadlines), never for domain time."""
    return time.monotonic()


def iso(seconds: float) -> str:
    """ISO-8601 UTC with millisecond precision and a 'Z', the API's timestamp format."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Seconds since the epoch for an ISO-8601 timestamp; naive times are taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True)
class ClockState:
    """What the control API reports about the clock."""

    mode: ClockMode
    speed: float
    now: float


class Clock:
    """Virtual time that never moves backwards.

    `real` advances at wall speed, `scaled` at wall speed × `speed`, `manual` only when told.
    Switching modes keeps the current reading, so time stays continuous: after a manual advance
    of an hour, switching to `real` runs on from that hour rather than jumping back.
    """

    def __init__(self, mode: ClockMode = "real", speed: float = 1.0, start: float | None = None):
        self._lock = threading.Lock()
        self._mode: ClockMode = "manual"  # so `configure` below reads exactly `start`
        self._speed = 1.0
        self._anchor_virtual = wall_time() if start is None else start
        self._anchor_mono = time.monotonic()
        self.configure(mode, speed)

    def _read(self) -> float:
        if self._mode == "manual":
            return self._anchor_virtual
        elapsed = time.monotonic() - self._anchor_mono
        return self._anchor_virtual + elapsed * self._speed

    def _reanchor(self, virtual: float) -> None:
        self._anchor_virtual = virtual
        self._anchor_mono = time.monotonic()

    def now(self) -> float:
        """The current virtual time, in seconds since the epoch."""
        with self._lock:
            return self._read()

    def state(self) -> ClockState:
        with self._lock:
            return ClockState(self._mode, self._speed, self._read())

    def configure(self, mode: ClockMode, speed: float | None = None) -> None:
        """Switch mode (and for `scaled`, speed) without moving the current reading."""
        if mode not in CLOCK_MODES:
            raise ValueError(f"clock mode must be one of {', '.join(CLOCK_MODES)}, not {mode!r}")
        with self._lock:
            current = self._read()
            new_speed = self._speed if speed is None else speed
            if mode == "real":
                new_speed = 1.0
            if not new_speed > 0:
                raise ValueError(f"clock speed must be greater than 0, not {new_speed}")
            self._mode, self._speed = mode, float(new_speed)
            self._reanchor(current)

    def advance_to(self, moment: float) -> float:
        """Jump forward to `moment` (in any mode); a moment in the past leaves the clock alone."""
        with self._lock:
            current = self._read()
            if moment > current:
                self._reanchor(moment)
                return moment
            return current

    def wall_seconds_until(self, moment: float) -> float | None:
        """How long a thread must sleep for the clock to reach `moment`; None if it never will
        by itself (manual mode)."""
        with self._lock:
            if self._mode == "manual":
                return None
            return max(0.0, (moment - self._read()) / self._speed)
