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
from mock_server.api.requestlog import TASK_KEY
from mock_server.core.clock import Clock, monotonic, wall_time
from mock_server.faults.decision import TASK_LAYERS, Decision
from mock_server.httpd import ANSWER_KEY
from mock_server.httpd.wsgi import Answer
from mock_server.journal.records import BODY_LIMIT, Recorded
from mock_server.journal.ring import RequestJournal

PUBLIC = ("/api/", "/files/")
PORTABILITY_KEY = "seedream_mock.portability"  # [{code, param, message}], set by validation
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
        body = stream.getvalue() if isinstance(stream, io.BytesIO) else b""
        task_id: str | None = environ.get(TASK_KEY)
        decision: Decision | None = environ.get(DECISION_KEY)
        self.journal.add(
            Recorded(
                at=self.mock_clock.now(),
                wall=wall_time(),
                method=environ["REQUEST_METHOD"],
                path=path,
                query=environ.get("QUERY_STRING", ""),
                headers=[(k, v) for k, v in environ.items() if k.startswith(_HEADERS)],
                body=body[:BODY_LIMIT],
                body_size=len(body),
                outcome=outcome,
                answer_headers=[] if answer is None else answer.headers,
                answer_body=b"" if answer is None else answer.body[:BODY_LIMIT],
                answer_size=0 if answer is None else len(answer.body),
                task_id=task_id,
                faults=() if decision is None else _rules(decision, task_id),
                portability=environ.get(PORTABILITY_KEY) or [],
                seconds=seconds,
            )
        )


def _rules(decision: Decision, task_id: str | None) -> tuple[str, ...]:
    """The rules carried out on this request: a task's rules only when a task was made (a
    generation refused after the decision gives them back)."""
    return tuple(
        action["rule"]
        for layer, action in decision.actions.items()
        if task_id is not None or layer not in TASK_LAYERS
    )
