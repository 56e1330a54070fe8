"""The edits: the one way to change the runtime state, and the lists of them that put the
settings (`settings_edits`) or a checked scenario (`scenario_edits`) in force. A control call
is one of these; a scenario is a list of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, cast

from mock_server.core.clock import ClockMode, ClockRangeError, check_speed
from mock_server.core.errors import InvalidRequestError
from mock_server.core.tasks import TimelineSpec
from mock_server.faults import scenarios
from mock_server.runtime.state import Edit, RuntimeState
from mock_server.settings.config import Settings
from mock_server.settings.values import WEBHOOK_SCHEDULES, RateLimit


@dataclass(frozen=True)
class SetClock(Edit):
    MOVES_CLOCK: ClassVar[bool] = True

    mode: str | None  # None: keep the mode in force
    speed: float | None = None  # None: keep the speed

    def apply_to(self, state: RuntimeState) -> None:
        """A speed out of range is a 400 naming `speed`, nothing changed."""
        speed = self.speed
        if speed is not None:
            try:
                speed = check_speed(speed)
            except ClockRangeError as exc:
                raise InvalidRequestError(f"{exc}; got {speed!r}.", "speed") from None
        mode = self.mode or state.clock.state().mode
        state.clock.configure(cast(ClockMode, mode), speed)

    @property
    def note(self) -> str:
        return f"clock set to {self.mode}" + (f" x{self.speed:g}" if self.speed else "")


@dataclass(frozen=True)
class SetTimeline(Edit):
    NOTE: ClassVar[str] = "timeline set"

    processing_seconds: tuple[float, float]
    model: str = "*"
    quality: str = "*"
    pending_seconds: float | None = None  # None: the default timeline's

    def apply_to(self, state: RuntimeState) -> None:
        pending = state.default_timeline.pending_seconds
        pending = pending if self.pending_seconds is None else self.pending_seconds
        state.timelines[(self.model, self.quality)] = TimelineSpec(pending, self.processing_seconds)


@dataclass(frozen=True)
class ClearTimelines(Edit):
    NOTE: ClassVar[str] = "timelines cleared"

    def apply_to(self, state: RuntimeState) -> None:
        state.timelines.clear()


@dataclass(frozen=True)
class SetWebhooks(Edit):
    NOTE: ClassVar[str] = "webhook policy set"

    schedule: tuple[float, ...] | None = None  # retry delays; None: keep them
    timeout: float | None = None  # None: keep it

    def apply_to(self, state: RuntimeState) -> None:
        if self.schedule is not None:
            state.webhooks.schedule = self.schedule
        if self.timeout is not None:
            state.webhooks.timeout = self.timeout


@dataclass(frozen=True)
class SetRateLimit(Edit):
    rps: float | None  # None: no limit
    burst: int | None = None  # None: the burst in force, else 10

    def apply_to(self, state: RuntimeState) -> None:
        if self.rps is None:
            state.rate_limiter.configure(None)
            return
        current = state.rate_limiter.limit
        burst = self.burst if self.burst is not None else current.burst if current else 10
        state.rate_limiter.configure(RateLimit(self.rps, burst))

    @property
    def note(self) -> str:
        return "rate limit " + ("lifted" if self.rps is None else "set")


@dataclass(frozen=True)
class AddRule(Edit):
    NOTE: ClassVar[str] = "fault rule {document[name]} added"

    document: dict[str, Any]  # a checked fault rule; each apply makes a fresh rule of it

    def apply_to(self, state: RuntimeState) -> None:
        state.faults.add(scenarios.rule_from(self.document))


@dataclass(frozen=True)
class RemoveRule(Edit):
    NOTE: ClassVar[str] = "fault rule {name} removed"

    name: str

    def apply_to(self, state: RuntimeState) -> None:
        state.faults.remove(self.name)


@dataclass(frozen=True)
class ClearRules(Edit):
    NOTE: ClassVar[str] = "every fault rule removed"

    seed: int | None = None  # the draws start again from this seed (None: the server's)

    def apply_to(self, state: RuntimeState) -> None:
        state.faults.clear(seed=self.seed)


@dataclass(frozen=True)
class SetKeyPolicy(Edit):
    NOTE: ClassVar[str] = "key policy set"

    key_mode: str | None = None  # None: keep it
    default_credits: int | None = None  # None: keep them

    def apply_to(self, state: RuntimeState) -> None:
        if self.key_mode is not None:
            state.accounts.key_mode = self.key_mode
        if self.default_credits is not None:
            state.accounts.default_credits = self.default_credits


@dataclass(frozen=True)
class CreateKey(Edit):
    NOTE: ClassVar[str] = "key {key} created with {credits} credits"

    key: str
    credits: int

    def apply_to(self, state: RuntimeState) -> None:
        if self.credits < 0:
            raise InvalidRequestError("credits must not be negative.", "credits")
        state.accounts.create(self.key, self.credits)


@dataclass(frozen=True)
class Grant(Edit):
    NOTE: ClassVar[str] = "{amount} credits granted to {key}"

    key: str
    amount: int

    def apply_to(self, state: RuntimeState) -> None:
        state.accounts.grant(self.key, self.amount)


@dataclass(frozen=True)
class GrantUpTo(Edit):
    """The key exists (made if need be) with `credits` granted in all: a scenario's `keys`."""

    NOTE: ClassVar[str] = "key {key} granted {credits} credits in all"

    key: str
    credits: int

    def apply_to(self, state: RuntimeState) -> None:
        accounts = state.accounts
        account = accounts.store.account(self.key) or accounts.create(self.key, 0)
        accounts.grant(self.key, self.credits - account.ledger.granted)


@dataclass(frozen=True)
class Revoke(Edit):
    NOTE: ClassVar[str] = "key {key} revoked"

    key: str

    def apply_to(self, state: RuntimeState) -> None:
        state.accounts.revoke(self.key)


def settings_edits(settings: Settings) -> list[Edit]:
    """The edits that put the settings' runtime state in force (no rules, no timelines)."""
    limit = settings.rate_limit
    return [
        ClearRules(),
        SetRateLimit(None) if limit is None else SetRateLimit(limit.rps, limit.burst),
        ClearTimelines(),
        SetWebhooks(settings.webhook_schedule, settings.webhook_timeout),
        SetClock(settings.clock, settings.speed),
    ]


def scenario_edits(scenario: dict[str, Any]) -> list[Edit]:
    """A checked scenario, or a section of one, as the edits that put it in force, in order."""
    edits: list[Edit] = [ClearRules(scenario["seed"])] if "seed" in scenario else []
    clock = scenario.get("clock", {})
    if clock:
        edits.append(SetClock(clock.get("mode"), clock.get("speed")))
    if "key_mode" in scenario or "default_credits" in scenario:
        edits.append(SetKeyPolicy(scenario.get("key_mode"), scenario.get("default_credits")))
    edits += [GrantUpTo(key, credits) for key, credits in scenario.get("keys", {}).items()]
    for entry in scenario.get("timelines", []):
        processing = scenarios.seconds_range(entry["processing_seconds"])
        model, quality = entry.get("model", "*"), entry.get("quality", "*")
        edits.append(SetTimeline(processing, model, quality, entry.get("pending_seconds")))
    edits += [AddRule(dict(rule)) for rule in scenario.get("faults", [])]
    if "rate_limit" in scenario:
        limit = scenario["rate_limit"]
        edits.append(
            SetRateLimit(limit["rps"], limit.get("burst")) if limit else SetRateLimit(None)
        )
    hooks = scenario.get("webhooks", {})
    if "schedule" in hooks or "timeout" in hooks:
        schedule = hooks.get("schedule")
        delays = WEBHOOK_SCHEDULES[schedule] if isinstance(schedule, str) else schedule
        edits.append(SetWebhooks(None if delays is None else tuple(delays), hooks.get("timeout")))
    return edits


def start_edits(settings: Settings, scenario: dict[str, Any] | None) -> list[Edit]:
    """What a reset puts in force: the settings' edits, then the scenario's (if any)."""
    return settings_edits(settings) + scenario_edits(scenario or {})
