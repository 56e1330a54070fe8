"""The domain core: submit, transition and read tasks on the mock's clock, charging credits.

Everything the HTTP layer asks of the mock goes through `Emulator`; it has no Flask in it, so
the same core can sit behind another transport, a persistent store or an inspector page.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import replace
from typing import Any

from mock_server.billing.accounts import Accounts
from mock_server.billing.keys import Account
from mock_server.core import documents, ids
from mock_server.core.answers import AnswerMemo
from mock_server.core.clock import Clock
from mock_server.core.errors import ConflictError, NotFoundError
from mock_server.core.events import Event, EventBus
from mock_server.core.portability import RiskLog
from mock_server.core.scheduler import Scheduler
from mock_server.core.store import MemoryStore, Store
from mock_server.core.tasks import Status, Task, TaskError, Timeline
from mock_server.core.validation import GenerationRequest, RequestValidator
from mock_server.faults.decision import NO_FAULTS, Decision
from mock_server.faults.rules import apply_task_fault
from mock_server.journal.ring import RequestJournal
from mock_server.results.files import ResultFile, Results
from mock_server.results.images import ImageCache
from mock_server.runtime.edits import start_edits
from mock_server.runtime.state import RuntimeState
from mock_server.settings.config import Settings
from mock_server.settings.profiles import active_profile, default_timeline
from mock_server.webhooks.delivery import Webhooks

GENERIC_FAILURE = TaskError("generation_failed", "The image could not be generated.")


class Emulator:
    """One mock server's state: clock, scheduler, store, ledgers, validator and image cache.

    One re-entrant lock guards all state; requests, scheduled events and control calls take it,
    so each sees and leaves a consistent world (the credit invariant included). Image rendering,
    the slow part, runs outside it.
    """

    def __init__(self, settings: Settings, *, store: Store | None = None) -> None:
        self.settings = settings
        self.lock = threading.RLock()
        self.clock = Clock(settings.clock, settings.speed, settings.clock_start)
        self.scheduler = Scheduler(self.clock)
        self.events = EventBus()
        self.journal = RequestJournal(settings.journal_size, self.events)  # reset clears it
        self.risk_log = RiskLog(self.events)  # portability risks; reset clears it too
        self.store: Store = store or MemoryStore()
        self.accounts = Accounts(settings, self.store, self.events, self.clock.now)
        # The dialect of every public answer, loaded once (Settings refused a bad one already).
        self.profile = active_profile(settings.profile)
        self.validator = RequestValidator(
            settings.max_prompt_chars, settings.callback_hosts, self.profile, settings.portability
        )
        self.images = ImageCache(settings.image_cache_bytes)
        self.answers = AnswerMemo()
        self.results = Results(
            settings, self.store, self.clock, self.scheduler, self.lock, self.images
        )
        self._rng = random.Random(settings.seed)  # timelines; re-seeded at each reset
        self._seedings, self._draws = 0, 0  # where `_rng` stands: seeded how often, drawn since
        self._task_ids = ids.IdStream(settings.seed, "task")
        self._event_ids = ids.IdStream(settings.seed, "event")
        self._finished: deque[str] = deque()
        self.base_url = f"http://{settings.host}:{settings.port}"  # the server sets the real one
        self.webhooks = Webhooks(
            settings,
            self.store,
            self.clock,
            self.scheduler,
            self.lock,
            self.events,
            self.result_base,
            self._new_event_id,
            self.profile,
        )
        self.stopping = threading.Event()  # ends injected hangs and latencies at shutdown
        # Clock mode, timelines, rules, rate limit, webhook policy: changed only through this.
        self.runtime = RuntimeState(
            settings,
            self.lock,
            self.clock,
            self.scheduler,
            self.webhooks,
            self.accounts,
            default_timeline(settings.pending_seconds, settings.processing_seconds, self.profile),
        )
        self.faults, self.rate_limiter = self.runtime.faults, self.runtime.rate_limiter
        with self.lock:
            self.accounts.seed()

    @property
    def scenario(self) -> str | None:
        """The name of the scenario in force (read from `runtime`, which holds it)."""
        return self.runtime.scenario

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        """Stop the clock's ticker, then finish or report every webhook delivery."""
        self.stopping.set()
        self.scheduler.stop()
        self.webhooks.shutdown()

    def reset(self, scenario: dict[str, Any] | None) -> None:
        """No tasks, configured keys with fresh grants, and the runtime state of the settings,
        then of a checked `scenario` (if any). The clock reading itself never goes backwards."""
        # Attempts in flight are not waited for: the receiver may be the one calling reset.
        # They find their delivery forgotten and record nothing (`Webhooks._current`).
        with self.lock:
            self.scheduler.clear()
            self.store.clear()
            self._finished.clear()
            self.images.clear()
            self.answers.clear()
            self._rng = random.Random(self.settings.seed)
            self._seedings, self._draws = self._seedings + 1, 0
            self._task_ids.new_epoch()
            self._event_ids.new_epoch()
            self.accounts.seed()
            self.events.publish(Event("state.reset", self.clock.now()))
            name = None if scenario is None else scenario["name"]
            self.runtime.put_in_force(name, start_edits(self.settings, scenario))
            self.scheduler.wake()

    # -- public API --------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> Account:
        with self.lock:
            return self.accounts.authenticate(authorization)

    def submit(self, account: Account, body: Any, faults: Decision = NO_FAULTS) -> Task:
        """Validate (unless `body` is a request already validated), hold the price, create the
        task and schedule its life — bent by the task and webhook actions of the request's
        fault decision (`faults/decision.py`), which this only carries out."""
        request = body if isinstance(body, GenerationRequest) else self.validator.parse(body)
        self.scheduler.fire_due()
        with self.lock:
            now = self.clock.now()
            price = self.settings.price_for(request.model, request.input.quality)
            task_id = self._new_task_id()
            # 402 here: no task (the HTTP layer gives the task's fault rules back).
            account = self.accounts.hold(account, price, now, task_id)
            timeline = self._timeline(request.model, request.input.quality)
            task = Task(
                task_id=task_id,
                key=account.key,
                model=request.model,
                input=request.input,
                price=price,
                timeline=apply_task_fault(timeline, faults.get("task")),
                created_at=now,
                callback_url=request.callback_url,
                webhook_faults=tuple(a for a in (faults.get("webhook"),) if a is not None),
            )
            self.store.save_account(account)
            self.store.save_task(task)
            if self.events.wants("credits.held"):
                self.events.publish(
                    Event("credits.held", now, account.key, task.task_id, {"amount": price})
                )
            if self.events.wants("task.created"):
                self.events.publish(Event("task.created", now, account.key, task.task_id))
            if task.timeline.stall_in != Status.PENDING:
                self._schedule(task, now + task.timeline.pending_seconds, Status.PROCESSING)
            self._evict()
            return task

    def task_for(self, account: Account, task_id: str) -> Task:
        """The caller's own task; another key's task is as unknown as a made-up id."""
        self.scheduler.fire_due()
        with self.lock:
            task = self.store.task(task_id)
            if task is None or task.key != account.key:
                raise NotFoundError(f"No task {task_id} exists for this API key.", "task_id")
            return task

    def result_base(self, request_base: str | None = None) -> str:
        """Where result URLs point: --public-url, else the URL the client used, else the
        server's own address (for callbacks, which have no request)."""
        return self.settings.public_url or request_base or self.base_url

    def task_document(self, task: Task, base_url: str) -> Any:
        """The task answer, as the active profile writes it."""
        with self.lock:
            values = self._task_values(task, self.clock.now(), self.result_base(base_url))
        return self.profile.task_answer(values)

    def task_answer(self, task: Task, base_url: str) -> bytes:
        """`task_document`, as the bytes sent; remembered until the task changes (a poll that
        finds nothing new costs no rendering: `core/answers.py`)."""
        with self.lock:
            now = self.clock.now()
            base = self.result_base(base_url)
            key = AnswerMemo.key(task, task.progress(now), base)
            found = self.answers.get(key)
            if found is None:
                values = self._task_values(task, now, base)
        if found is None:
            found = documents.to_json_bytes(self.profile.task_answer(values))
            self.answers.put(key, found)
        return found

    def _task_values(self, task: Task, now: float, base: str) -> dict[str, Any]:
        """What a task answer is made from, at clock time `now` (under the state lock)."""
        return documents.task_values(task, now, base, self.settings.image_lifetime_seconds)

    def result_file(self, task_id: str, index: int) -> ResultFile:
        return self.results.file(task_id, index)

    # -- the task machine --------------------------------------------------------------------

    def _new_task_id(self) -> str:
        return ids.task_id(self._task_ids.next())

    def _new_event_id(self) -> str:
        return ids.event_id(self._event_ids.next())

    def _timeline(self, model: str, quality: str) -> Timeline:
        spec = self.runtime.timeline_for(model, quality)
        low, high = spec.processing_seconds
        self._draws += 1
        return Timeline(spec.pending_seconds, round(self._rng.uniform(low, high), 3))

    def _schedule(self, task: Task, at: float, to: Status) -> None:
        handle = self.scheduler.schedule(at, lambda due: self.transition(task.task_id, to, due))
        task.scheduled.append(handle)

    def transition(self, task_id: str, to: Status, at: float) -> None:
        """Move a task forward at clock time `at`, settle its credits when it ends, and publish
        the event. Finishing a task that is already over is a no-op (a forced transition may
        have beaten its scheduled one)."""
        with self.lock:
            task = self.store.task(task_id)
            if task is None or task.terminal:
                return
            failure_due = task.timeline.fail_at == task.status or to != Status.PROCESSING
            if to != Status.FAILED and task.timeline.failure is not None and failure_due:
                to = Status.FAILED
            task.move(to, at)
            account = self.accounts.get(task.key)
            if to == Status.PROCESSING and task.timeline.stall_in != Status.PROCESSING:
                self._schedule(
                    task, task.updated_at + task.timeline.processing_seconds, Status.COMPLETED
                )
            elif to == Status.COMPLETED:
                account.ledger.capture(task.price, at, task_id)
                task.credits_consumed = task.price
            elif to == Status.FAILED:
                task.error = task.timeline.failure or GENERIC_FAILURE
                account.ledger.release(task.price, at, task_id)
            if task.terminal:
                self._finished.append(task_id)
            self.store.save_task(task)
            self.store.save_account(account)
            if task.terminal:  # after the save: an idle key may be forgotten now
                self.accounts.settled(task.key)
            if self.events.wants(f"task.{to}"):
                self.events.publish(Event(f"task.{to}", at, task.key, task_id))

    def _evict(self) -> None:
        """Forget the earliest-finished tasks past `max_tasks`; running tasks are never dropped,
        because their credits are still held. O(1) per submit: finished ids queue up in
        `_finished` as they end."""
        excess = self.store.task_count() - self.settings.max_tasks
        while excess > 0 and self._finished:
            self.store.delete_task(self._finished.popleft())
            excess -= 1

    def force(self, task_id: str, outcome: Status, error: TaskError | None = None) -> None:
        """End a task now (control API): complete it, or fail it with `error`. Its scheduled
        transitions are cancelled; a task that has already ended is a 409. Returns once the
        callback it triggers (if any) has been attempted."""
        self.scheduler.fire_due()
        with self.lock:
            task = self.store.task(task_id)
            if task is None:
                raise NotFoundError(f"No task {task_id} exists.", "task_id")
            if task.terminal:
                raise ConflictError(f"Task {task_id} has already ended ({task.status}).", "task_id")
            for handle in task.scheduled:
                self.scheduler.cancel(handle)
            failure = (error or GENERIC_FAILURE) if outcome == Status.FAILED else None
            task.timeline = replace(task.timeline, failure=failure)
            self.transition(task_id, Status.COMPLETED, self.clock.now())
        # Like a clock advance: the callback this ending starts is made before we return.
        self.scheduler.advance_to(self.clock.now())

    # -- a state file's view (mock_server/state/) -----------------------------------------------

    def id_positions(self) -> dict[str, tuple[int, int]]:
        """Where the task and event id streams stand, so ids never repeat after a resume."""
        return {"task": self._task_ids.position(), "event": self._event_ids.position()}

    def draws_version(self) -> int:
        """Moves with every id drawn, every processing time drawn and every reset: O(1), no
        lock, for a state file's "changed since the last commit?" check. (A reseeding adds
        2**32 and the draws since start again from 0: the count still only goes up.)"""
        ids = self._task_ids.version + self._event_ids.version
        return ids + (self._seedings << 32) + self._draws

    def restore_ids(self, positions: dict[str, Any]) -> None:
        self._task_ids.restore(*positions["task"])
        self._event_ids.restore(*positions["event"])

    def generator_position(self) -> tuple[int, int]:
        """Where the generator that draws processing times stands: how often it was seeded (at
        each reset) and how many times it drew since, so a resume goes on with its sequence."""
        return self._seedings, self._draws

    def generator_state(self) -> tuple[Any, ...]:
        """Its state as `random.getstate` gives it (3.3 KB: a state file keeps it now and then,
        and the position at every commit)."""
        return self._rng.getstate()

    def restore_generator(self, position: tuple[int, int], state: Any, then: int) -> None:
        """Put the generator back at `position` from `state`, the state it had after `then`
        draws of the same seeding: the draws since are made again (each is one `uniform`)."""
        self._rng.setstate(state)
        for _ in range(position[1] - then):
            self._rng.uniform(0.0, 1.0)
        self._seedings, self._draws = position

    def adopt(self, task: Task) -> None:
        """A task read back from a state file (already in the store): a finished one queues for
        eviction; a live one gets its next transition at the moment it was due (stalled ones
        wait for a forced ending)."""
        if task.terminal:
            self._finished.append(task.task_id)
        elif task.timeline.stall_in == task.status:
            return
        elif task.status == Status.PENDING:
            at = task.created_at + task.timeline.pending_seconds
            self._schedule(task, at, Status.PROCESSING)
        else:
            due = (task.processing_at or task.updated_at) + task.timeline.processing_seconds
            self._schedule(task, due, Status.COMPLETED)
