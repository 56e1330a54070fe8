"""The inspector's buttons: HTML forms posting here, each calling the same `Control` method
the JSON API calls (mock_server/control.py stays the one door), then back to the page."""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from mock_server.api._http import mock_control
from mock_server.core.clock import CLOCK_MODES
from mock_server.core.errors import InvalidRequestError
from mock_server.faults import scenarios
from mock_server.inspector.access import PREFIX
from mock_server.inspector.blueprint import inspector


def _back(default: str = PREFIX) -> Response:
    """303 to the page the form named (one of ours), so a reload does not post again."""
    target = request.form.get("next", "")
    if not target.startswith(PREFIX) or "//" in target or "\\" in target:
        target = default
    return Response(status=303, headers={"Location": target})


def _seconds() -> float:
    raw = request.form.get("seconds", "").strip()
    try:
        seconds = float(raw)
    except ValueError:
        raise InvalidRequestError(f"seconds must be a number; got {raw!r}.", "seconds") from None
    if not seconds >= 0:
        raise InvalidRequestError("seconds must not be negative: time never goes back.", "seconds")
    return seconds


@inspector.post("/clock/advance")
def advance() -> Response:
    mock_control().advance_clock(_seconds())
    return _back()


@inspector.post("/clock")
def set_clock() -> Response:
    mode = request.form.get("mode", "")
    if mode not in CLOCK_MODES:
        raise InvalidRequestError(f"mode must be one of {', '.join(CLOCK_MODES)}.", "mode")
    raw = request.form.get("speed", "").strip()
    try:
        speed = float(raw) if raw else None
    except ValueError:
        raise InvalidRequestError(f"speed must be a number; got {raw!r}.", "speed") from None
    if speed is not None and not speed > 0:
        raise InvalidRequestError("speed must be greater than 0.", "speed")
    mock_control().set_clock(mode, speed)
    return _back()


@inspector.post("/scenarios")
def load_scenario() -> Response:
    mock_control().load_scenario(scenarios.read_library(request.form.get("name", "")))
    return _back(f"{PREFIX}/faults")


@inspector.post("/faults/clear")
def clear_faults() -> Response:
    mock_control().clear_faults()
    return _back(f"{PREFIX}/faults")


@inspector.post("/deliveries/<event_id>/resend")
def resend(event_id: str) -> Response:
    mock_control().resend(event_id)
    return _back()


@inspector.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Response:
    mock_control().complete(task_id)
    return _back(f"{PREFIX}/tasks/{task_id}")


@inspector.post("/reset")
def reset() -> Response:
    mock_control().reset()
    return _back()
