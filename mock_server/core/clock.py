"""The one clock of a server, and the only module that reads the time: real, scaled or manual."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

# The API's timestamp format (ISO-8601 UTC, milliseconds, a 'Z'): the profiles' one writer.
from seedream_contracts.profiles.template import iso as iso

ClockMode = Literal["real", "scaled", "manual"]
CLOCK_MODES: tuple[ClockMode, ...] = ("real", "scaled", "manual")

# The range a reading may take. Every timestamp the API writes must fit ISO-8601 (year 9999 at
# most) — a task's result expiry is a day past its end, a retry hours past an attempt — so the
# clock stops at the start of year 9000, leaving centuries for those sums, and never reads
# before the epoch. MAX_SPEED is a day in 86 ms of wall time; the clock saturates at
# MAX_READING rather than running past it, so even that speed, for years, stays in range.
MIN_READING = 0.0
MAX_READING = datetime(9000, 1, 1, tzinfo=UTC).timestamp()
MAX_SPEED = 1_000_000.0
# The longest span a setting or rule may add to a reading (100 years, also the contract schemas'
# `maximum` for such spans): any reading plus it stays far inside what `iso` can write.
MAX_SPAN_SECONDS = 100 * 365 * 86400


class ClockRangeError(ValueError):
    """A clock input (speed, start, moment) outside what the clock accepts."""


def wall_time() -> float:
    """Seconds since the epoch from the system clock; used only to anchor a new clock."""
    return time.time()


def monotonic() -> float:
    """Wall seconds for measuring durations (latencies, deadlines), never for domain time."""
    return time.monotonic()


def check_speed(speed: float) -> float:
    """`speed` as a float, if it is a speed the clock runs at: above 0, at most MAX_SPEED."""
    if isinstance(speed, bool) or not 0 < speed <= MAX_SPEED:
        raise ClockRangeError(f"clock speed must be greater than 0 and at most {MAX_SPEED:g}")
    return float(speed)


def check_reading(moment: float) -> float:
    """`moment` as a float, if the clock may read it: from 1970 to the start of year 9000."""
    if not MIN_READING <= moment <= MAX_READING:
        raise ClockRangeError(f"clock readings run from {iso(MIN_READING)} to {iso(MAX_READING)}")
    return float(moment)


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
    of an hour, switching to `real` runs on from that hour rather than jumping back. A reading
    never leaves MIN_READING..MAX_READING: a running clock stops at MAX_READING.
    """

    def __init__(self, mode: ClockMode = "real", speed: float = 1.0, start: float | None = None):
        self._lock = threading.Lock()
        # counts settings, jumps and restores (not the running of a real or scaled clock): a
        # state file's cue, read without a lock, that the clock document must be written again
        self.version = 0
        self._mode: ClockMode = "manual"  # so `configure` below reads exactly `start`
        self._speed = 1.0
        self._anchor_virtual = check_reading(wall_time() if start is None else start)
        self._anchor_mono = time.monotonic()
        self.configure(mode, speed)

    def _read(self) -> float:
        if self._mode == "manual":
            return self._anchor_virtual
        elapsed = time.monotonic() - self._anchor_mono
        return min(self._anchor_virtual + elapsed * self._speed, MAX_READING)

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
            new_speed = self._speed if speed is None else check_speed(speed)
            if mode == "real":
                new_speed = 1.0
            self._mode, self._speed = mode, new_speed
            self._reanchor(current)
            self.version += 1

    def advance_to(self, moment: float) -> float:
        """Jump forward to `moment` (in any mode); a moment in the past leaves the clock alone,
        one past MAX_READING stops it there (callers check; this keeps the range regardless)."""
        moment = MIN_READING if math.isnan(moment) else min(moment, MAX_READING)
        with self._lock:
            current = self._read()
            if moment > current:
                self._reanchor(moment)
                self.version += 1
                return moment
            return current

    def restore(self, mode: ClockMode, speed: float, reading: float) -> None:
        """Resume a clock kept in a state file at `reading` (which may be behind this one's:
        a fresh clock starts at the wall time, the resumed one where it was left)."""
        with self._lock:
            self._mode, self._speed = mode, check_speed(speed)
            self._reanchor(check_reading(min(reading, MAX_READING)))
            self.version += 1

    def wall_seconds_until(self, moment: float) -> float | None:
        """How long a thread must sleep for the clock to reach `moment`; None if it never will
        by itself (manual mode)."""
        with self._lock:
            if self._mode == "manual":
                return None
            return max(0.0, (moment - self._read()) / self._speed)
