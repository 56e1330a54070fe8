"""What the HTTP server tells the request journal: the public requests, captured as they end.

A `mock_server.httpd.Journal`, like the request log, because only the server knows how a
request really ended (see `mock_server.httpd.journal`). It runs on the hot path of every public
request, so it keeps references and slices and reads two clocks; naming headers, redacting the
key and parsing bodies wait until someone reads the entry (`journal/records.py`).
"""

from __future__ import annotations

import io
from typing import Any

from mock_server.api.faults import DECISION_KEY
from mock_server.api.requestlog import PORTABILITY_KEY, TASK_KEY
from mock_server.core.clock import Clock, monotonic, wall_time
from mock_server.faults.decision import TASK_LAYERS, Decision
from mock_server.httpd import ANSWER_KEY, HEADERS_KEY
from mock_server.httpd.wsgi import Answer
from mock_server.journal.records import BODY_LIMIT, Recorded
from mock_server.journal.ring import RequestJournal

PUBLIC = ("/api/", "/files/")
_HEADERS = ("HTTP_", "CONTENT_TYPE", "CONTENT_LENGTH")


class Recorder:
    """Captures each public request into `journal` as the server tells how it ended."""

    def __init__(self, journal: RequestJournal, clock: Clock) -> None:
        self.journal = journal
        self.mock_clock = clock

    def clock(self) -> float:
        return monotonic()

    def record(self, environ: dict[str, Any], outcome: int | str, seconds: float) -> None:
        path: str = environ["PATH_INFO"]
        if not path.startswith(PUBLIC):
            return
        answer: Answer | None = environ.get(ANSWER_KEY)
        stream = environ["wsgi.input"]
        body = stream.getvalue() if isinstance(stream, io.BytesIO) else b""  # shares its buffer
        reply = b"" if answer is None else answer.body
        task_id: str | None = environ.get(TASK_KEY)
        decision: Decision | None = environ.get(DECISION_KEY)
        # Positional: keyword arguments cost more than the rest of the capture together.
        self.journal.add(
            Recorded(
                self.mock_clock.now(),
                wall_time(),
                environ["REQUEST_METHOD"],
                path,
                environ.get("QUERY_STRING", ""),
                environ.get(HEADERS_KEY) or _headers(environ),
                body[:BODY_LIMIT],  # the same object when shorter: no copy
                len(body),
                outcome,
                [] if answer is None else answer.headers,
                reply[:BODY_LIMIT],
                len(reply),
                task_id,
                () if decision is None or not decision.actions else _rules(decision, task_id),
                environ.get(PORTABILITY_KEY) or [],
                seconds,
            )
        )


def _headers(environ: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """The headers from WSGI names, when another server ran the app (ours keeps them as sent)."""
    return [
        (header_name(key).encode("latin-1"), value.encode("latin-1"))
        for key, value in environ.items()
        if key.startswith(_HEADERS)
    ]


def header_name(wsgi_name: str) -> str:
    """`HTTP_X_MOCK_FAULT` → `X-Mock-Fault` (WSGI keeps no case; this is the usual one)."""
    bare = wsgi_name[5:] if wsgi_name.startswith("HTTP_") else wsgi_name
    return "-".join(part.capitalize() for part in bare.split("_"))


def _rules(decision: Decision, task_id: str | None) -> tuple[str, ...]:
    """The rules carried out on this request: a task's rules only when a task was made (a
    generation refused after the decision gives them back)."""
    return tuple(
        action["rule"]
        for layer, action in decision.actions.items()
        if task_id is not None or layer not in TASK_LAYERS
    )
