"""The control API under /_mock/: mock-only levers, never mixed with the public API."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, jsonify, request

from mock_server import documents
from mock_server.api._http import emulator, json_body
from mock_server.clock import CLOCK_MODES, parse_iso
from mock_server.errors import AuthenticationError, InvalidRequestError, NotFoundError

control = Blueprint("control", __name__, url_prefix="/_mock")
TOKEN_HEADER = "X-Mock-Token"


@control.before_request
def _guard() -> None:
    settings = emulator().settings
    if not settings.control:
        raise NotFoundError("The control API is disabled on this server (--no-control).")
    token = settings.control_token
    if token and not hmac.compare_digest(request.headers.get(TOKEN_HEADER, ""), token):
        raise AuthenticationError(f"The control API needs the {TOKEN_HEADER} header.")


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
    emulator().reset()
    return jsonify(documents.success({"reset": True}))


@control.get("/clock")
def read_clock() -> Response:
    return jsonify(documents.success(emulator().clock_document()))


@control.post("/clock")
def set_clock() -> Response:
    body = _body()
    mode = body.get("mode", emulator().clock.state().mode)
    if mode not in CLOCK_MODES:
        raise InvalidRequestError(f"mode must be one of {', '.join(CLOCK_MODES)}.", "mode")
    speed = _number(body, "speed") if "speed" in body else None
    if speed is not None and not speed > 0:
        raise InvalidRequestError("speed must be greater than 0.", "speed")
    emulator().set_clock(mode, speed)
    return jsonify(documents.success(emulator().clock_document()))


@control.post("/clock/advance")
def advance_clock() -> Response:
    body = _body()
    if "to" in body:
        try:
            moment = parse_iso(str(body["to"]))
        except ValueError:
            raise InvalidRequestError("to must be an ISO-8601 timestamp.", "to") from None
        emulator().advance_clock_to(moment)
    else:
        seconds = _number(body, "seconds")
        if seconds < 0:
            raise InvalidRequestError(
                "seconds must not be negative: time never goes back.", "seconds"
            )
        emulator().advance_clock(seconds)
    return jsonify(documents.success(emulator().clock_document()))


@control.get("/keys")
def list_keys() -> Response:
    return jsonify(documents.success(emulator().ledgers()))


@control.post("/keys")
def create_key() -> Response:
    body = _body()
    credits = int(_number(body, "credits", integer=True)) if "credits" in body else None
    account = emulator().create_key(str(body.get("key", "")), credits)
    return jsonify(documents.success(documents.ledger(account)))


@control.get("/keys/<key>")
def read_key(key: str) -> Response:
    return jsonify(documents.success(emulator().ledger(key)))


@control.post("/keys/<key>/credits")
def grant_credits(key: str) -> Response:
    amount = int(_number(_body(), "amount", integer=True))
    return jsonify(documents.success(emulator().grant(key, amount)))


@control.delete("/keys/<key>")
def revoke_key(key: str) -> Response:
    return jsonify(documents.success(emulator().revoke(key)))
