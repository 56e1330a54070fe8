"""Domain objects → the JSON documents the API returns (plain dicts; no HTTP here)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from mock_server.core.clock import ClockState, iso
from mock_server.core.errors import ApiError, answered, default_profile
from mock_server.core.tasks import Status, Task
from seedream_contracts.profiles import Profile
from seedream_contracts.sizes import OUTPUT_SIZES

if TYPE_CHECKING:
    from mock_server.billing.keys import Account
    from mock_server.faults.rules import FaultRule
    from mock_server.webhooks.records import Delivery


# One encoder for every answer: json.dumps with options builds a new one per call.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_lone_surrogates(text: str) -> str:
    """Write unpaired surrogates (valid in JSON, unencodable in UTF-8) as `\\udXXX` escapes,
    as a JavaScript server's JSON.stringify does; every other character stays as it is."""
    if text.isascii():  # nearly every answer: no surrogate can be in it, and this is ~free
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_json_bytes(document: Any) -> bytes:
    """The exact bytes the API sends for a document (compact UTF-8 JSON plus a newline)."""
    text = _COMPACT.encode(document)
    return (escape_lone_surrogates(text) + "\n").encode("utf-8")


def error(status: int, message: str, kind: str, param: str | None = None) -> dict[str, Any]:
    """The default error envelope, `{"error": {"code", "message", "type", "param"}}` [A]: the
    control API's always, the public API's under the default profile."""
    return {"error": {"code": status, "message": message, "type": kind, "param": param}}


def error_answer(error: ApiError, profile: Profile) -> tuple[int, Any]:
    """(HTTP status, body) of a public error answer, in `profile`'s dialect."""
    status, wire = answered(error, profile)
    return status, profile.error_answer(status, error.message, wire, error.param)


def success(data: Any) -> dict[str, Any]:
    """The API's success envelope [A]."""
    return {"code": 200, "message": "success", "data": data}


def result_path(task_id: str, index: int = 0) -> str:
    return f"/files/{task_id}/{index}.png"


def task_values(task: Task, now: float, base_url: str, lifetime: float) -> dict[str, Any]:
    """Every value a task answer may hold (`seedream_contracts.profiles.fields.TASK_FIELDS`), as
    seen at clock time `now`; where each one goes, and which appear, is the profile's to say.
    Times stay seconds since the epoch: the profile's template formats them."""
    values: dict[str, Any] = {
        "task_id": task.task_id,
        "model": task.model,
        "status": str(task.status),
        "progress": task.progress(now),
        "input.prompt": task.input.prompt,
        "input.aspect_ratio": task.input.aspect_ratio,
        "input.quality": task.input.quality,
        "input.image_urls": list(task.input.image_urls),
        "input.model": task.model,
        "credits_consumed": task.credits_consumed,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "completed_at": task.completed_at,
    }
    if task.status == Status.COMPLETED and task.completed_at is not None:
        width, height = OUTPUT_SIZES[(task.input.aspect_ratio, task.input.quality)]
        url = base_url.rstrip("/") + result_path(task.task_id)
        values["result.image_urls"] = [url]
        values["result.image_url"] = url
        values["result.width"], values["result.height"] = width, height
        values["result.expires_at"] = task.completed_at + lifetime
    if task.error is not None:
        values["error.code"], values["error.message"] = task.error.code, task.error.message
    return values


def task_data(task: Task, now: float, base_url: str, lifetime: float) -> dict[str, Any]:
    """The task document in the default dialect (contracts/README.md, "`task`"): what the
    control API lists, whatever profile the public API speaks."""
    answer = default_profile().task_answer(task_values(task, now, base_url, lifetime))
    data: dict[str, Any] = answer["data"]
    return data


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
