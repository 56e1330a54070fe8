"""The one object holding an emulator's runtime state, `RuntimeState`, and what an edit of it
is (`Edit`; the edits themselves are in `edits.py`)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from mock_server.billing.accounts import Accounts
from mock_server.billing.ratelimit import RateLimiter
from mock_server.core.clock import Clock
from mock_server.core.scheduler import Scheduler
from mock_server.core.tasks import TimelineSpec
from mock_server.faults.rules import Faults
from mock_server.settings.config import Settings
from mock_server.settings.values import RateLimit
from mock_server.webhooks.delivery import Webhooks

EDITS_KEPT = 50  # how many notes of control-call edits `GET /_mock/scenarios` shows


class Edit(ABC):
    """One change to the runtime state; `note` names it in `GET /_mock/scenarios`."""

    NOTE: ClassVar[str] = ""  # formatted with the edit's fields
    MOVES_CLOCK: ClassVar[bool] = False

    @abstractmethod
    def apply_to(self, state: RuntimeState) -> None: ...

    @property
    def note(self) -> str:
        return self.NOTE.format_map(vars(self))


@dataclass(frozen=True)
class RuntimeView:
    """The runtime state as plain values, to compare two states (a rule without its
    `created_at`: a rule put back in force by a reset is the same rule)."""

    clock_mode: str
    clock_speed: float
    timelines: dict[tuple[str, str], TimelineSpec]
    webhook_schedule: tuple[float, ...]
    webhook_timeout: float
    rate_limit: RateLimit | None
    rules: tuple[dict[str, Any], ...]
    key_mode: str
    default_credits: int
    scenario: str | None
    edits: tuple[str, ...]


class RuntimeState:
    """The one holder of an emulator's runtime state; `edit` and `put_in_force` are the only
    ways to change it. Edits apply under the emulator's state lock."""

    def __init__(
        self,
        settings: Settings,
        lock: threading.RLock,
        clock: Clock,
        scheduler: Scheduler,
        webhooks: Webhooks,
        accounts: Accounts,
        default_timeline: TimelineSpec,
    ) -> None:
        self.settings, self.lock, self.clock, self.scheduler = settings, lock, clock, scheduler
        self.webhooks, self.accounts = webhooks, accounts
        # The settings' timing, or the profile's where the settings leave it unset.
        self.default_timeline = default_timeline
        self.faults = Faults(settings.seed, clock.now)
        self.rate_limiter = RateLimiter(settings.rate_limit)
        self.timelines: dict[tuple[str, str], TimelineSpec] = {}
        self.scenario: str | None = None  # the name of the scenario in force
        self.edits: list[str] = []  # notes of the control-call edits since it was put in force
        self.start_scenario: dict[str, Any] | None = None  # what a reset puts back (--scenario)
        self.version = 0  # counts edits and resets: a state file's cue to write the state again

    def edit(self, *edits: Edit) -> None:
        """A control call: apply `edits` in order, noting each (the last EDITS_KEPT are kept).
        A clock switch first fires what is due on the old clock, then wakes the ticker."""
        clock_set = any(edit.MOVES_CLOCK for edit in edits)
        if clock_set:
            self.scheduler.fire_due()  # outside the state lock: the fire lock comes first
        with self.lock:
            self.version += 1  # first: an edit that fails half-way may have changed something
            for edit in edits:
                edit.apply_to(self)
                self.edits.append(edit.note)
            del self.edits[:-EDITS_KEPT]
        if clock_set:
            self.scheduler.wake()

    def put_in_force(self, scenario: str | None, edits: list[Edit]) -> None:
        """Apply the start `edits` (`edits.start_edits`) of the scenario named `scenario` (or of
        the settings alone); no edit noted since. For a reset, which holds the state lock and
        has emptied the scheduler."""
        with self.lock:
            for edit in edits:
                edit.apply_to(self)
            self.scenario = scenario
            self.edits.clear()
            self.version += 1

    def timeline_for(self, model: str, quality: str) -> TimelineSpec:
        """The most specific timeline set for (model, quality), else the default one."""
        for key in ((model, quality), (model, "*"), ("*", quality), ("*", "*")):
            if key in self.timelines:
                return self.timelines[key]
        return self.default_timeline

    def view(self) -> RuntimeView:
        with self.lock:
            clock = self.clock.state()
            rules = tuple(
                {k: v for k, v in asdict(rule).items() if k != "created_at"}
                for rule in self.faults.rules()
            )
            return RuntimeView(
                clock.mode,
                clock.speed,
                dict(self.timelines),
                self.webhooks.schedule,
                self.webhooks.timeout,
                self.rate_limiter.limit,
                rules,
                self.accounts.key_mode,
                self.accounts.default_credits,
                self.scenario,
                tuple(self.edits),
            )
