"""A new delivery: made from a task's final event, its first attempt timed as the task's
webhook-layer fault rule bends it (dropped, held back, delayed, doubled or badly signed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mock_server.core import documents
from mock_server.core.events import Event
from mock_server.core.tasks import Task
from mock_server.webhooks.records import Delivery, DeliveryState
from seedream_contracts.profiles import Profile


@dataclass(frozen=True)
class FirstAttempt:
    """When the first attempt goes out: at `send_at`, or once held back until `held_until` (a
    reorder fault; sooner if another callback goes out first), or never (both None: dropped)."""

    send_at: float | None = None
    held_until: float | None = None


def new_delivery(
    task: Task,
    url: str,
    event: Event,
    *,
    base_url: str,
    lifetime: float,
    event_id: str,
    epoch: int,
    profile: Profile,
) -> Delivery:
    """The callback for `event`; its body is the task as it ended, written by the profile's
    callback template and frozen (every retry and resend sends these bytes)."""
    values = documents.task_values(task, event.at, base_url, lifetime)
    return Delivery(
        event_id=event_id,
        task_id=task.task_id,
        key=task.key,
        url=url,
        event=event.kind,
        body=documents.to_json_bytes(profile.callback_body(values)),
        created_at=event.at,
        epoch=epoch,
    )


def first_attempt(delivery: Delivery, fault: dict[str, Any] | None, at: float) -> FirstAttempt:
    """Mark the delivery as the fault says (note, state, copies, signature); say when it goes."""
    kind = fault["type"] if fault else None
    if fault is not None:
        delivery.note = f"fault rule {fault['rule']!r}: {kind}"
    if kind == "webhook_drop":
        delivery.state = DeliveryState.DROPPED
        return FirstAttempt()
    if kind == "webhook_reorder":
        delivery.state = DeliveryState.HELD
        hold = float(fault.get("max_hold_seconds", 60.0)) if fault else 60.0
        return FirstAttempt(held_until=at + hold)
    if fault is not None and kind == "webhook_duplicate":
        delivery.duplicates = int(fault.get("copies", 2)) - 1
    delivery.bad_signature = kind == "webhook_bad_signature"
    delay = float(fault.get("seconds", 0.0)) if fault and kind == "webhook_delay" else 0.0
    return FirstAttempt(send_at=at + delay)
