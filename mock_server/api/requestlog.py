"""One line per request on stdout — method, path, status, milliseconds, task id — as text or
JSON (`--log-requests`). Off unless asked, so the hot path does no formatting by default."""

from __future__ import annotations

import json
import sys

from flask import Flask, Response, g, request

from mock_server.clock import monotonic


def _start() -> None:
    g.started = monotonic()


def _line(response: Response, style: str) -> Response:
    elapsed = (monotonic() - g.get("started", monotonic())) * 1000
    task_id = g.get("task_id") or (request.view_args or {}).get("task_id")
    if style == "json":
        record = {"method": request.method, "path": request.path, "status": response.status_code,
                  "ms": round(elapsed, 2), "task_id": task_id}  # fmt: skip
        text = json.dumps(record)
    else:
        text = f"{request.method} {request.path} {response.status_code} {elapsed:.1f}ms"
        text += f" {task_id}" if task_id else ""
    print(text, file=sys.stdout, flush=True)
    return response


def register_request_log(app: Flask, style: str) -> None:
    if style == "off":
        return
    app.before_request(_start)
    app.after_request(lambda response: _line(response, style))
