"""Callback deliveries: one per finished task with a callback_url, retried on the mock's clock,
signed when a secret is set, every attempt logged, resendable, never dropped silently."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from mock_server.core.clock import Clock, monotonic
from mock_server.core.errors import NotFoundError
from mock_server.core.events import Event, EventBus
from mock_server.core.scheduler import Scheduler
from mock_server.core.store import Store
from mock_server.settings.config import Settings
from mock_server.settings.values import standard_key
from mock_server.webhooks.connections import Connections
from mock_server.webhooks.creation import first_attempt, new_delivery
from mock_server.webhooks.log import DeliveryLog
from mock_server.webhooks.records import ENDED, Attempt, Delivery, DeliveryState
from mock_server.webhooks.sender import AttemptResult, post
from mock_server.webhooks.signing import callback_headers
from mock_server.webhooks.workers import WorkerPool
from seedream_contracts.profiles import Profile

FINAL_EVENTS = ("task.completed", "task.failed")
log = logging.getLogger(__name__)


class Webhooks:
    """Subscribes to task endings, schedules attempts on the clock, runs them on workers."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        scheduler: Scheduler,
        lock: threading.RLock,
        events: EventBus,
        base_url: Callable[[], str],
        new_id: Callable[[], str],
        profile: Profile,
    ) -> None:
        self.settings, self.store, self.clock = settings, store, clock
        self.profile = profile  # the callback's body and extra headers
        self.scheduler, self.lock, self.events = scheduler, lock, events
        self._base_url, self._new_id = base_url, new_id
        for secret in settings.webhook_secrets:
            standard_key(secret)  # refuse a bad secret at start, not at the first callback
        self.schedule = settings.webhook_schedule  # a scenario may change these two
        self.timeout = settings.webhook_timeout
        self.pool = WorkerPool(settings.webhook_workers, "seedream-webhook")
        self.connections = Connections(per_origin=settings.webhook_workers)
        self.log = DeliveryLog(store, settings.webhook_log_limit)
        self._held: list[str] = []  # event ids a reorder fault holds back
        self._epoch = 0  # resets so far; deliveries made before the last one are forgotten
        # With a state file, a stop leaves waiting deliveries waiting: the next start sends them.
        self.durable = False
        scheduler.add_settler(self._settler)
        events.subscribe(self._on_event, ("state.reset", *FINAL_EVENTS))

    def _settler(self) -> Callable[[], object]:
        """For an advance: a wait for the attempts started from now on (see `Scheduler`)."""
        mark = self.pool.mark()
        return lambda: self.pool.wait_since(mark, self.timeout * 2 + 5)

    # -- creating and scheduling ------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if event.kind == "state.reset":  # the store is empty now: nothing is held or ended
            self._held.clear()
            self.log.clear()
            self._epoch += 1
            return
        if event.kind not in FINAL_EVENTS or event.task_id is None:
            return
        task = self.store.task(event.task_id)
        if task is None or task.callback_url is None:
            return
        delivery = new_delivery(
            task,
            task.callback_url,
            event,
            base_url=self._base_url(),
            lifetime=self.settings.image_lifetime_seconds,
            event_id=self._new_id(),
            epoch=self._epoch,
            profile=self.profile,
        )
        self._start(delivery, task.webhook_faults[0] if task.webhook_faults else None, event.at)
        self._save(delivery)
        self.log.trim()

    def resume(self, delivery: Delivery) -> None:
        """A delivery read back from a state file (state lock held): an ended one joins the log,
        a waiting one is scheduled again at its time (at once if that has passed, or if its
        attempt was in flight when the server died: at-least-once, with the same event id)."""
        delivery.epoch = self._epoch
        self.store.save_delivery(delivery)
        at = delivery.next_attempt_at if delivery.next_attempt_at is not None else self.clock.now()
        if delivery.state in ENDED:
            self.log.ended(delivery.event_id)
        elif delivery.state == DeliveryState.HELD:
            self._held.append(delivery.event_id)
            self.scheduler.schedule(at, lambda due: self._release(delivery.event_id))
        else:
            self._schedule(delivery, at)

    def _start(self, delivery: Delivery, fault: dict[str, Any] | None, at: float) -> None:
        """Schedule the first attempt, as a webhook-layer fault rule on the task bends it."""
        first = first_attempt(delivery, fault, at)
        if first.held_until is not None:
            self._held.append(delivery.event_id)
            delivery.next_attempt_at = first.held_until
            self.scheduler.schedule(first.held_until, lambda due: self._release(delivery.event_id))
        elif first.send_at is not None:
            self._schedule(delivery, first.send_at)

    def _release_held(self, after: Delivery) -> None:
        """Another callback has gone out: send the held ones now, so they arrive after it."""
        with self.lock:
            if after.event_id in self._held or not self._held:
                return
            waiting, self._held = self._held, []
        for event_id in waiting:
            self._release(event_id)

    def _release(self, event_id: str) -> None:
        with self.lock:
            delivery = self.store.delivery(event_id)
            if delivery is None or delivery.state != DeliveryState.HELD:
                return
            if event_id in self._held:
                self._held.remove(event_id)
            delivery.state = DeliveryState.PENDING
            self._schedule(delivery, self.clock.now())

    def _schedule(self, delivery: Delivery, at: float) -> None:
        delivery.next_attempt_at = at
        delivery.handle = self.scheduler.schedule(at, lambda due: self._due(delivery.event_id))

    def _due(self, event_id: str) -> None:
        with self.lock:
            delivery = self.store.delivery(event_id)
            if delivery is None or delivery.state != DeliveryState.PENDING:
                return
            delivery.next_attempt_at = delivery.handle = None
            at = self.clock.now()
        if not self.pool.submit(lambda: self._run_scheduled(delivery, at)):
            self._abandon(delivery, "the server stopped before this attempt")

    # -- attempting --------------------------------------------------------------------------

    def _run_scheduled(self, delivery: Delivery, at: float) -> None:
        self._attempt(delivery, at, "scheduled")
        while delivery.duplicates > 0 and self._current(delivery):  # at-least-once delivery
            delivery.duplicates -= 1
            self._attempt(delivery, at, "duplicate")
        if self._current(delivery):
            self._release_held(delivery)

    def _current(self, delivery: Delivery) -> bool:
        """False once a reset has forgotten it: a reset does not wait for attempts in flight (a
        receiver may be resetting from its handler), so their sequels stop here. An ended
        delivery evicted from a full log is still current: its duplicates and the release of
        held deliveries go on."""
        with self.lock:
            return delivery.epoch == self._epoch

    def _attempt(self, delivery: Delivery, at: float, kind: str) -> Attempt:
        with self.lock:
            delivery.sent += 1
            number = delivery.sent
        result = self._send(delivery, number)
        with self.lock:
            attempt = Attempt(number, at, result, kind)
            if delivery.epoch != self._epoch:
                return attempt  # the state was reset while we were sending
            evicted = self.store.delivery(delivery.event_id) is not delivery
            delivery.attempts.append(attempt)
            self._settle(delivery, attempt)
            if not (evicted and delivery.state in ENDED):  # an evicted end stays evicted
                self._save(delivery)
            self.events.publish(
                Event(
                    f"webhook.{delivery.state}",
                    self.clock.now(),
                    delivery.key,
                    delivery.task_id,
                    {"event_id": delivery.event_id, "attempt": number, "status": result.status},
                )
            )
        return attempt

    def _send(self, delivery: Delivery, number: int) -> AttemptResult:
        """Sign and POST. Whatever goes wrong (a bug included) is this attempt's error, never a
        raise: a raise would leave the delivery pending with no attempt logged and none
        scheduled, and make a resend answer 500."""
        settings, started = self.settings, monotonic()
        try:
            self.store.flush()  # what this callback reports is durable before it is told
            headers = callback_headers(
                delivery,
                number,
                settings.webhook_secrets,
                settings.webhook_signature,
                self.profile.callback_headers,
            )
            return post(delivery.url, delivery.body, headers, self.timeout, self.connections)
        except Exception as exc:
            log.exception("webhook attempt %s of %s failed", number, delivery.event_id)
            return AttemptResult(
                None, f"{type(exc).__name__}: {exc}", (monotonic() - started) * 1000
            )

    def _settle(self, delivery: Delivery, attempt: Attempt) -> None:
        if delivery.state == DeliveryState.DELIVERED:
            return  # a late failing attempt never undoes a success
        if attempt.result.ok:
            delivery.state = DeliveryState.DELIVERED
            if delivery.handle is not None:
                self.scheduler.cancel(delivery.handle)
            delivery.next_attempt_at = delivery.handle = None
            return
        if attempt.kind != "scheduled" or delivery.handle is not None:
            return  # a failed resend changes nothing: a running schedule goes on, an end stays
        schedule = self.schedule
        done = delivery.scheduled_attempts
        if done > len(schedule):
            delivery.state = DeliveryState.EXHAUSTED
            return
        delay = attempt.result.retry_after
        self._schedule(
            delivery, self.clock.now() + (schedule[done - 1] if delay is None else delay)
        )

    def resend(self, event_id: str) -> Delivery:
        """One attempt now, outside the schedule; returns once it has been made."""
        with self.lock:
            delivery = self.get(event_id)
            at = self.clock.now()
        self._attempt(delivery, at, "resend")
        return delivery

    # -- reading, limits, shutdown -----------------------------------------------------------

    def get(self, event_id: str) -> Delivery:
        delivery = self.store.delivery(event_id)
        if delivery is None:
            raise NotFoundError(f"No webhook delivery {event_id}.", "event_id")
        return delivery

    def _save(self, delivery: Delivery) -> None:
        """Save, then let an ended delivery be evicted (after saving, or the save would put an
        evicted one back unseen by the log)."""
        self.store.save_delivery(delivery)
        if delivery.state in ENDED:
            self.log.ended(delivery.event_id)

    def _abandon(self, delivery: Delivery, why: str) -> None:
        with self.lock:
            if delivery.state not in (DeliveryState.PENDING, DeliveryState.HELD):
                return
            delivery.state, delivery.note = DeliveryState.ABANDONED, why
            delivery.next_attempt_at = delivery.handle = None
            self._save(delivery)
        print(
            f"seedream-mock: webhook {delivery.event_id} for task {delivery.task_id} to "
            f"{delivery.url} NOT delivered ({len(delivery.attempts)} attempts made): {why}",
            file=sys.stderr,
            flush=True,
        )

    def shutdown(self) -> None:
        """Let running attempts finish (bounded by the timeout), then report every delivery
        still waiting for a retry as abandoned, in the log and on stderr."""
        self.pool.shutdown(self.timeout + 1)
        self.connections.close()
        if self.durable:
            return
        for delivery in self.store.deliveries():
            if delivery.state in (DeliveryState.PENDING, DeliveryState.HELD):
                self._abandon(delivery, "the server stopped before the next attempt")
