"""Domain objects → the JSON documents the API returns (plain dicts; no HTTP here)."""

from __future__ import annotations

from typing import Any

from mock_server.clock import ClockState, iso
from mock_server.images import output_size
from mock_server.keys import Account
from mock_server.tasks import Status, Task


def success(data: Any) -> dict[str, Any]:
    """The API's success envelope [A]."""
    return {"code": 200, "message": "success", "data": data}


def created(task: Task) -> dict[str, Any]:
    """The create answer: the published example has IN_PROGRESS whatever the inner state [A]."""
    return success({"task_id": task.task_id, "status": "IN_PROGRESS"})


def result_path(task_id: str, index: int = 0) -> str:
    return f"/files/{task_id}/{index}.png"


def task_data(task: Task, now: float, base_url: str, lifetime: float) -> dict[str, Any]:
    """TASK of DESIGN.md §1, as seen at clock time `now`."""
    output = None
    if task.status == Status.COMPLETED and task.completed_at is not None:
        width, height = output_size(task.input.aspect_ratio, task.input.quality)
        output = {
            "image_urls": [base_url.rstrip("/") + result_path(task.task_id)],
            "width": width,
            "height": height,
            "expires_at": iso(task.completed_at + lifetime),
        }
    error = None
    if task.error is not None:
        error = {"code": task.error.code, "message": task.error.message}
    return {
        "task_id": task.task_id,
        "model": task.model,
        "status": str(task.status),
        "progress": task.progress(now),
        "input": {
            "prompt": task.input.prompt,
            "aspect_ratio": task.input.aspect_ratio,
            "quality": task.input.quality,
            "image_urls": list(task.input.image_urls),
        },
        "output": output,
        "error": error,
        "credits_consumed": task.credits_consumed,
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
        "completed_at": iso(task.completed_at) if task.completed_at is not None else None,
    }


def ledger(account: Account) -> dict[str, Any]:
    return {
        "key": account.key,
        "revoked": account.revoked,
        **account.ledger.summary(),
        "entries": [
            {"at": iso(e.at), "kind": e.kind, "amount": e.amount, "task_id": e.task_id}
            for e in account.ledger.entries
        ],
    }


def clock(state: ClockState, pending_events: int) -> dict[str, Any]:
    return {
        "mode": state.mode,
        "speed": state.speed,
        "now": iso(state.now),
        "epoch_seconds": state.now,
        "pending_events": pending_events,
    }
