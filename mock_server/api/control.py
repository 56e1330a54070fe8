"""The control API under /_mock/: mock-only levers, never mixed with the public API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from mock_server.api._http import (
    base_url,
    guard_control,
    json_body,
    mock_control,
    page_args,
    paged,
)
from mock_server.core import documents
from mock_server.core.clock import CLOCK_MODES, parse_iso
from mock_server.core.errors import InvalidRequestError
from mock_server.core.tasks import TaskError
from seedream_contracts import openapi

control = Blueprint("control", __name__, url_prefix="/_mock")


control.before_request(guard_control)


def _body() -> dict[str, Any]:
    body = json_body() if request.content_length else {}
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    return body


def _number(body: dict[str, Any], name: str, *, integer: bool = False) -> float:
    value = body.get(name)
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an integer" if integer else "a number"
        raise InvalidRequestError(f"{name} must be {kind}; got {value!r}.", name)
    return value


@control.post("/reset")
def reset() -> Response:
    mock_control().reset()
    return jsonify(documents.success({"reset": True}))


@control.get("/clock")
def read_clock() -> Response:
    return jsonify(documents.success(mock_control().clock_document()))


@control.post("/clock")
def set_clock() -> Response:
    body = _body()
    mode = body.get("mode", mock_control().clock_mode())
    if mode not in CLOCK_MODES:
        raise InvalidRequestError(f"mode must be one of {', '.join(CLOCK_MODES)}.", "mode")
    speed = _number(body, "speed") if "speed" in body else None
    if speed is not None and not speed > 0:
        raise InvalidRequestError("speed must be greater than 0.", "speed")
    mock_control().set_clock(mode, speed)
    return jsonify(documents.success(mock_control().clock_document()))


@control.post("/clock/advance")
def advance_clock() -> Response:
    body = _body()
    if "to" in body:
        try:
            moment = parse_iso(str(body["to"]))
        except ValueError:
            raise InvalidRequestError("to must be an ISO-8601 timestamp.", "to") from None
        mock_control().advance_clock_to(moment)
    else:
        seconds = _number(body, "seconds")
        if seconds < 0:
            raise InvalidRequestError(
                "seconds must not be negative: time never goes back.", "seconds"
            )
        mock_control().advance_clock(seconds)
    return jsonify(documents.success(mock_control().clock_document()))


@control.get("/keys")
def list_keys() -> Response:
    """Paged: open mode makes a key for any client that asks (up to --max-open-keys)."""
    limit, before = page_args(100, 1000)
    return paged(mock_control().ledgers(limit + 1, before), limit, "key")


@control.post("/keys")
def create_key() -> Response:
    body = _body()
    credits = int(_number(body, "credits", integer=True)) if "credits" in body else None
    account = mock_control().create_key(str(body.get("key", "")), credits)
    return jsonify(documents.success(documents.ledger(account)))


@control.get("/keys/<key>")
def read_key(key: str) -> Response:
    return jsonify(documents.success(mock_control().ledger(key)))


@control.post("/keys/<key>/credits")
def grant_credits(key: str) -> Response:
    amount = int(_number(_body(), "amount", integer=True))
    return jsonify(documents.success(mock_control().grant(key, amount)))


@control.delete("/keys/<key>")
def revoke_key(key: str) -> Response:
    return jsonify(documents.success(mock_control().revoke(key)))


@control.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> Response:
    mock_control().complete(task_id)
    return jsonify(documents.success({"task_id": task_id, "status": "completed"}))


@control.post("/tasks/<task_id>/fail")
def fail_task(task_id: str) -> Response:
    body = _body()
    code, message = body.get("code", "generation_failed"), body.get("message")
    if not isinstance(code, str) or not code:
        raise InvalidRequestError("code must be a non-empty string.", "code")
    if message is not None and (not isinstance(message, str) or not message):
        raise InvalidRequestError("message must be a non-empty string.", "message")
    error = TaskError(code, message or f"The task failed ({code}).")
    mock_control().fail(task_id, error)
    return jsonify(documents.success({"task_id": task_id, "status": "failed"}))


@control.get("/openapi.json")
def openapi_document() -> Response:
    """The public API's OpenAPI 3.1 document in the active profile's dialect, with this server
    as its server URL."""
    door = mock_control()
    found = openapi.document(
        base_url().rstrip("/"), door.callback_url_pattern(), profile=door.profile()
    )
    return jsonify(found)


@control.get("/profile")
def read_profile() -> Response:
    """The active profile's document (docs/profiles.md), `extends` already merged: what the
    public API answers in. Bare, like /openapi.json: saved to a file, it is a profile that
    `--profile FILE` (or the contract suite) loads as it is."""
    return jsonify(mock_control().profile().document)


@control.get("/portability")
def read_portability() -> Response:
    """The portability risks accepted requests relied on since the last reset: a count per code
    and the latest 1,000 (docs/profiles.md, "Portability warnings")."""
    door = mock_control()
    return jsonify(
        documents.success({"mode": door.mock.settings.portability, **door.risk_log.summary()})
    )


@control.delete("/portability")
def clear_portability() -> Response:
    mock_control().risk_log.clear()
    return jsonify(documents.success({"cleared": True}))
