"""Mock-only operations behind /_mock/: the clock, keys and ledgers, webhook deliveries.

Kept apart from the emulator's core so that the core reads as the task machine alone; each
operation takes the state lock itself and returns plain documents.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, ParamSpec, TypeVar

from mock_server.billing.keys import Account
from mock_server.core import documents
from mock_server.core.clock import MAX_READING, iso
from mock_server.core.errors import InvalidRequestError
from mock_server.core.paging import page
from mock_server.core.tasks import Status, TaskError
from mock_server.core.validation import callback_url_pattern
from mock_server.faults import scenarios
from mock_server.faults.scenarios import ScenarioError
from mock_server.inspection import Inspection
from mock_server.runtime import edits
from seedream_contracts.loader import first_error
from seedream_contracts.profiles import Profile

if TYPE_CHECKING:
    from mock_server.emulator import Emulator


P = ParamSpec("P")
R = TypeVar("R")


def _committed(lever: Callable[Concatenate[Control, P], R]) -> Callable[Concatenate[Control, P], R]:
    """A lever that changes state (or fires what fell due) returns only once the change is in
    the state file, if there is one (`Store.flush`; in memory it does nothing). Over HTTP the
    answer waits for that commit anyway; an in-process caller, the pytest handle or code
    holding `MockServer.control`, must not be told more than the file keeps either."""

    @functools.wraps(lever)
    def call(self: Control, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return lever(self, *args, **kwargs)
        finally:  # a lever that failed half-way may have changed something: that is kept too
            self.mock.store.flush()

    return call


class Control:
    """What the control API can do to one emulator: the only door to its /_mock/ state, for the
    blueprints and the pytest handle alike. `Control.of` gives the one Control of an emulator,
    so every app and server around it shares it."""

    _of: ClassVar[weakref.WeakKeyDictionary[Emulator, Control]] = weakref.WeakKeyDictionary()
    _of_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, mock: Emulator) -> None:
        self.mock = mock
        self.journal = mock.journal  # the requests journaled: its find() and clear() are levers
        self.risk_log = mock.risk_log  # portability risks: its summary() and clear()
        self.inspection = Inspection(mock)  # what the inspector page reads (and nothing more)

    @classmethod
    def of(cls, mock: Emulator) -> Control:
        """The Control of `mock`, made on first use."""
        with cls._of_lock:
            found = cls._of.get(mock)
            if found is None:
                found = cls._of[mock] = cls(mock)
            return found

    @_committed
    def reset(self) -> None:
        """Back to the start state: the settings, then the start scenario (--scenario), if any."""
        self.mock.reset(self.mock.runtime.start_scenario)

    def clock_mode(self) -> str:
        return self.mock.clock.state().mode

    def profile(self) -> Profile:
        """The profile the public API answers in (fixed while the server runs)."""
        return self.mock.profile

    def clock_document(self) -> dict[str, Any]:
        return documents.clock(self.mock.clock.state(), self.mock.scheduler.pending())

    @_committed
    def set_clock(self, mode: str, speed: float | None) -> None:
        """Switch mode and speed; a speed out of range is a 400 naming `speed`, nothing changed."""
        self.mock.runtime.edit(edits.SetClock(mode, speed))

    @_committed
    def advance_clock(self, seconds: float) -> None:
        """Move time forward, firing every event due on the way before returning. Seconds that
        would take the clock past MAX_READING are a 400 naming `seconds`; nothing moves."""
        now = self.mock.clock.now()
        if isinstance(seconds, bool) or not 0 <= seconds <= MAX_READING - now:
            raise InvalidRequestError(
                f"seconds must be from 0 to {MAX_READING - now:.3f}: the clock reads "
                f"{iso(now)} and stops at {iso(MAX_READING)}; got {seconds!r}.",
                "seconds",
            )
        self.mock.scheduler.advance_to(now + float(seconds))

    @_committed
    def advance_clock_to(self, moment: float) -> None:
        """Advance to `moment` (a moment already past changes nothing); beyond MAX_READING it
        is a 400 naming `to`."""
        if not moment <= MAX_READING:
            raise InvalidRequestError(
                f"to must be at most {iso(MAX_READING)}, where the clock stops.", "to"
            )
        self.mock.scheduler.advance_to(moment)

    def ledgers(self, limit: int | None = None, before: str | None = None) -> list[dict[str, Any]]:
        """The keys' ledgers in the order the keys were made; up to `limit` of them after the
        key `before` (see `paging`)."""
        with self.mock.lock:
            shown = page(list(self.mock.store.accounts()), lambda a: a.key, limit, before)
            return [documents.ledger(a) for a in shown]

    def ledger(self, key: str) -> dict[str, Any]:
        with self.mock.lock:
            return documents.ledger(self.mock.accounts.get(key))

    @_committed
    def create_key(self, key: str, credits: int | None) -> Account:
        grant = self.mock.settings.default_credits if credits is None else credits
        with self.mock.lock:
            self.mock.runtime.edit(edits.CreateKey(key, grant))
            return self.mock.accounts.get(key)

    @_committed
    def grant(self, key: str, amount: int) -> dict[str, Any]:
        with self.mock.lock:
            self.mock.runtime.edit(edits.Grant(key, amount))
            return documents.ledger(self.mock.accounts.get(key))

    @_committed
    def revoke(self, key: str) -> dict[str, Any]:
        with self.mock.lock:
            self.mock.runtime.edit(edits.Revoke(key))
            return documents.ledger(self.mock.accounts.get(key))

    @_committed
    def deliveries(
        self,
        task_id: str | None,
        key: str | None,
        state: str | None,
        limit: int | None = None,
        before: str | None = None,
    ) -> list[dict[str, Any]]:
        """Webhook deliveries, newest first, filtered by task, key and state; up to `limit`
        of them after the delivery `before` (see `paging`)."""
        self.mock.scheduler.fire_due()
        with self.mock.lock:
            found = [
                d
                for d in reversed(list(self.mock.store.deliveries()))
                if (task_id is None or d.task_id == task_id)
                and (key is None or d.key == key)
                and (state is None or d.state == state)
            ]
            shown = page(found, lambda d: d.event_id, limit, before)
            return [documents.delivery(d, with_body=False) for d in shown]

    def delivery(self, event_id: str) -> dict[str, Any]:
        with self.mock.lock:
            return documents.delivery(self.mock.webhooks.get(event_id))

    @_committed
    def resend(self, event_id: str) -> dict[str, Any]:
        found = self.mock.webhooks.resend(event_id)
        with self.mock.lock:
            return documents.delivery(found)

    # -- faults, limits, timelines, tasks, scenarios -------------------------------------------

    @_committed
    def add_fault(self, document: Any) -> dict[str, Any]:
        problem = first_error("fault_rule", document)
        if problem is not None:
            raise ScenarioError(problem[1], problem[0] or None)
        scenarios.check_rule(document)
        with self.mock.lock:
            self.mock.runtime.edit(edits.AddRule(dict(document)))
            added = next(r for r in self.mock.faults.rules() if r.name == document["name"])
            return documents.fault_rule(added)

    @_committed
    def remove_fault(self, name: str) -> None:
        self.mock.runtime.edit(edits.RemoveRule(name))

    @_committed
    def clear_faults(self) -> None:
        self.mock.runtime.edit(edits.ClearRules())

    def faults(self, limit: int | None = None, before: str | None = None) -> list[dict[str, Any]]:
        """Fault rules in the order added; up to `limit` after the rule named `before`."""
        shown = page(self.mock.faults.rules(), lambda rule: rule.name, limit, before)
        return [documents.fault_rule(rule) for rule in shown]

    def rate_limit(self) -> dict[str, Any] | None:
        limit = self.mock.rate_limiter.limit
        return None if limit is None else {"rps": limit.rps, "burst": limit.burst}

    @_committed
    def set_rate_limit(self, document: Any) -> dict[str, Any] | None:
        self._edit_part({"rate_limit": document})
        return self.rate_limit()

    def timelines(self) -> list[dict[str, Any]]:
        with self.mock.lock:
            return [
                {
                    "model": model,
                    "quality": quality,
                    "pending_seconds": spec.pending_seconds,
                    "processing_seconds": list(spec.processing_seconds),
                }
                for (model, quality), spec in self.mock.runtime.timelines.items()
            ]

    @_committed
    def set_timeline(self, document: Any) -> list[dict[str, Any]]:
        self._edit_part({"timelines": [document]})
        return self.timelines()

    @_committed
    def clear_timelines(self) -> None:
        self.mock.runtime.edit(edits.ClearTimelines())

    def _edit_part(self, part: dict[str, Any]) -> None:
        """One section of a scenario, checked as a scenario checks it, made as its edits."""
        checked = scenarios.check({"name": "control-api", "description": "-", **part}, "body")
        self.mock.runtime.edit(*edits.scenario_edits(checked))

    @_committed
    def tasks(
        self,
        key: str | None,
        status: str | None,
        model: str | None,
        limit: int,
        before: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every key's tasks, newest first, as the task API shows them; up to `limit` of them
        after the task `before` (see `paging`)."""
        self.mock.scheduler.fire_due()
        with self.mock.lock:
            found = [
                t
                for t in reversed(list(self.mock.store.tasks()))
                if (key is None or t.key == key)
                and (status is None or t.status == status)
                and (model is None or t.model == model)
            ]
            now = self.mock.clock.now()
            base = self.mock.result_base()
            lifetime = self.mock.settings.image_lifetime_seconds
            return [
                {**documents.task_data(t, now, base, lifetime), "key": t.key}
                for t in page(found, lambda t: t.task_id, limit, before)
            ]

    @_committed
    def complete(self, task_id: str) -> None:
        """End a running task now, successfully."""
        self.mock.force(task_id, Status.COMPLETED)

    @_committed
    def fail(self, task_id: str, error: TaskError) -> None:
        """End a running task now, failed with `error`."""
        self.mock.force(task_id, Status.FAILED, error)

    def scenarios(self) -> dict[str, Any]:
        """The scenario in force, what control calls changed since, and the shipped library."""
        with self.mock.lock:
            loaded, edited = self.mock.runtime.scenario, list(self.mock.runtime.edits)
        return {"loaded": loaded, "edited": edited, "library": scenarios.library()}

    def callback_url_pattern(self) -> str | None:
        """The pattern a callback URL must match on this server (for the OpenAPI document)."""
        return callback_url_pattern(self.mock.settings.callback_hosts)

    @_committed
    def load_scenario(self, document: Any) -> dict[str, Any]:
        checked = scenarios.check(document, "scenario")
        self.mock.reset(checked)  # the settings, then this scenario: no start scenario under it
        return {"loaded": checked["name"], "description": checked["description"]}
