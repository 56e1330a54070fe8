"""Records to and from the JSON kept in the state file: compact, and only what cannot be
derived again (a task's scheduler handles are not kept: resuming schedules afresh)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from mock_server.billing.credits import Entry
from mock_server.core.tasks import Status, Task, TaskError, TaskInput, Timeline
from mock_server.webhooks.records import Attempt, Delivery, DeliveryState
from mock_server.webhooks.sender import AttemptResult

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _error(error: TaskError | None) -> list[str] | None:
    return None if error is None else [error.code, error.message]


def _task_error(value: list[str] | None) -> TaskError | None:
    return None if value is None else TaskError(value[0], value[1])


def task_doc(task: Task) -> str:
    t, i = task.timeline, task.input
    return _dumps(
        [
            task.key,
            task.model,
            [i.prompt, i.aspect_ratio, i.quality, list(i.image_urls)],
            task.price,
            [t.pending_seconds, t.processing_seconds, _error(t.failure), t.fail_at, t.stall_in],
            task.created_at,
            task.callback_url,
            task.status,
            task.updated_at,
            task.processing_at,
            task.completed_at,
            _error(task.error),
            task.credits_consumed,
            task.final_progress,
            list(task.webhook_faults),
        ]
    )


def task_from(task_id: str, doc: str) -> Task:
    (key, model, i, price, t, created, url, status, updated, processing, completed, error,
     consumed, final, faults) = json.loads(doc)  # fmt: skip
    timeline = Timeline(t[0], t[1], _task_error(t[2]), Status(t[3]), t[4] and Status(t[4]))
    return Task(
        task_id=task_id,
        key=key,
        model=model,
        input=TaskInput(i[0], i[1], i[2], tuple(i[3])),
        price=price,
        timeline=timeline,
        created_at=created,
        callback_url=url,
        status=Status(status),
        updated_at=updated,
        processing_at=processing,
        completed_at=completed,
        error=_task_error(error),
        credits_consumed=consumed,
        final_progress=final,
        webhook_faults=tuple(faults),
    )


def entry_row(key: str, seq: int, entry: Entry) -> tuple[Any, ...]:
    return (key, seq, entry.at, entry.kind, entry.amount, entry.task_id)


def delivery_doc(delivery: Delivery) -> str:
    fields = asdict(delivery)
    for name in ("body", "handle", "epoch", "attempts"):
        del fields[name]
    fields["attempts"] = [[a.number, a.at, a.kind, asdict(a.result)] for a in delivery.attempts]
    return _dumps(fields)


def delivery_from(doc: str, body: bytes, epoch: int) -> Delivery:
    fields: dict[str, Any] = json.loads(doc)
    attempts = [
        Attempt(number, at, AttemptResult(**result), kind)
        for number, at, kind, result in fields.pop("attempts")
    ]
    state = DeliveryState(fields.pop("state"))
    return Delivery(**fields, body=body, state=state, attempts=attempts, epoch=epoch)
