"""Domain objects → the JSON documents the API returns (plain dicts; no HTTP here)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from mock_server.core.clock import ClockState, iso
from mock_server.core.tasks import Status, Task
from seedream_contracts.sizes import OUTPUT_SIZES

if TYPE_CHECKING:
    from mock_server.billing.keys import Account
    from mock_server.faults.rules import FaultRule
    from mock_server.webhooks.records import Delivery


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_lone_surrogates(text: str) -> str:
    """Write unpaired surrogates (valid in JSON, unencodable in UTF-8) as `\\udXXX` escapes,
    as a JavaScript server's JSON.stringify does; every other character stays as it is."""
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_json_bytes(document: Any) -> bytes:
    """The exact bytes the API sends for a document (compact UTF-8 JSON plus a newline)."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return (escape_lone_surrogates(text) + "\n").encode("utf-8")


def error(status: int, message: str, kind: str, param: str | None = None) -> dict[str, Any]:
    """The API's error envelope, `{"error": {"code", "message", "type", "param"}}` [A]."""
    return {"error": {"code": status, "message": message, "type": kind, "param": param}}


def success(data: Any) -> dict[str, Any]:
    """The API's success envelope [A]."""
    return {"code": 200, "message": "success", "data": data}


def created(task: Task) -> dict[str, Any]:
    """The create answer: the published example has IN_PROGRESS whatever the inner state [A]."""
    return success({"task_id": task.task_id, "status": "IN_PROGRESS"})


def result_path(task_id: str, index: int = 0) -> str:
    return f"/files/{task_id}/{index}.png"


def task_data(task: Task, now: float, base_url: str, lifetime: float) -> dict[str, Any]:
    """The task document (contracts/README.md, "`task`"), as seen at clock time `now`."""
    output = None
    if task.status == Status.COMPLETED and task.completed_at is not None:
        width, height = OUTPUT_SIZES[(task.input.aspect_ratio, task.input.quality)]
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


def delivery(found: Delivery, with_body: bool = True) -> dict[str, Any]:
    """A webhook delivery with its attempts, for the control API."""
    document: dict[str, Any] = {
        "event_id": found.event_id,
        "task_id": found.task_id,
        "key": found.key,
        "url": found.url,
        "event": found.event,
        "state": str(found.state),
        "created_at": iso(found.created_at),
        "next_attempt_at": iso(found.next_attempt_at) if found.next_attempt_at else None,
        "note": found.note,
        "attempts": [
            {
                "number": a.number,
                "at": iso(a.at),
                "url": found.url,
                "kind": a.kind,
                "status": a.result.status,
                "error": a.result.error,
                "latency_ms": round(a.result.latency_ms, 2),
                "response_excerpt": a.result.excerpt,
            }
            for a in found.attempts
        ],
    }
    if with_body:
        document["body"] = json.loads(found.body)
    return document


def fault_rule(rule: FaultRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "match": rule.match,
        "action": rule.action,
        "times": rule.times,
        "probability": rule.probability,
        "after_seconds": rule.after_seconds,
        "fired": rule.fired,
        "created_at": iso(rule.created_at),
    }
