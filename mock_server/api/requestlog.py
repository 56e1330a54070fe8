"""One line per request on stdout — method, path, status, milliseconds, task id — as text or
JSON (`--log-requests`). Off unless asked, so the hot path does no timing or formatting by default.

The line is written by the HTTP server (`mock_server.httpd.journal`), not by a Flask hook: only
the server sees the status actually sent after a `"when": "after"` fault replaced the app's
answer, a delay slept in a worker thread, and a connection closed, reset or hung instead of
answered. The app's part is to leave the task id where the server can read it (the environ).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from flask import Flask, Request, Response, request

from mock_server.core.clock import monotonic
from mock_server.core.portability import Risk

TASK_KEY = "seedream_mock.task_id"
# [{code, param, message}]: the portability risks an accepted request relied on (public.py).
PORTABILITY_KEY = "seedream_mock.portability"


class RequestLog:
    """A `mock_server.httpd.Journal` that prints each request's line in one style."""

    def __init__(self, style: str) -> None:
        self.style = style

    def clock(self) -> float:
        return monotonic()

    def record(self, environ: dict[str, Any], outcome: int | str, seconds: float) -> None:
        method: str = environ["REQUEST_METHOD"]
        # WSGI carries the path as latin-1 code points; show what the client wrote.
        path = environ["PATH_INFO"].encode("latin-1").decode("utf-8", "replace")
        task_id: str | None = environ.get(TASK_KEY)
        risks = [_label(r) for r in environ.get(PORTABILITY_KEY) or ()]
        ms = seconds * 1000  # both ends from one monotonic clock: never negative
        if self.style == "json":
            answered = isinstance(outcome, int)
            text = json.dumps(
                {
                    "method": method,
                    "path": path,
                    "status": outcome if answered else None,
                    "outcome": "answered" if answered else outcome,
                    "ms": round(ms, 2),
                    "task_id": task_id,
                    "portability": risks,
                }
            )
        else:
            text = f"{method} {path} {outcome} {ms:.1f}ms" + (f" {task_id}" if task_id else "")
            if risks:
                text += f" portability: {', '.join(risks)}"
        print(text, file=sys.stdout, flush=True)


def _label(risk: dict[str, str]) -> str:
    """As the Seedream-Mock-Portability header names it."""
    return Risk(risk["code"], risk["param"], risk["message"]).label


def _remember_task(response: Response) -> Response:
    """The task a request was about, for the log and the journal: the one it created (the
    create route names it itself) or the one in its path."""
    asked: Request = request._get_current_object()  # type: ignore[attr-defined]
    environ = asked.environ
    if TASK_KEY not in environ:
        task_id = (asked.view_args or {}).get("task_id")
        if task_id:
            environ[TASK_KEY] = task_id
    return response


def register_request_log(app: Flask, style: str, journal_size: int = 0) -> None:
    """Let the server's request log and request journal name the task (the line itself is the
    server's to write: `MockServer` hands it a `RequestLog` and a `Recorder`)."""
    if style == "off" and not journal_size:
        return
    app.after_request(_remember_task)
