"""How each request ended, told to whoever keeps the request log (`--log-requests`) or the
request journal (`--journal-size`).

Only the server knows the truth about a request: the app's answer can still be replaced after
the app's own hooks ran (a fault with `"when": "after"`), a delay injected in a worker thread
happens outside any app hook's stopwatch, and a socket fault sends no answer at all. So the
server starts the stopwatch when it has read the request whole (before the app, its fault hooks
and any thread hand-off; a pipelined request is read once the one before it is answered) and
stops it where the outcome is final: when the answer's bytes are ready for the socket, or the
connection is about to be closed or reset on purpose. The journal is told then, just before the
client can see anything, so a client that has its answer (or its cut) finds its request in the
journal: a test may assert on it at once. Hence one line per request the app saw; requests
the server refuses before the app sees them (a malformed head, too many connections) are not
logged. With no journal the server reads no clock for it.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from mock_server.httpd.connection import Connection

log = logging.getLogger("mock_server.httpd")

STARTED_KEY = "seedream_mock.started"
ANSWER_KEY = "seedream_mock.answer"  # the app's `Answer`, for a journal that keeps bodies
# What a cut connection is logged as, instead of a status.
CUT_WORDS = {"close": "closed", "reset": "reset"}
HUNG = "hung"


class Journal(Protocol):
    """Told how each request ended. The server reads the time only through `clock`, so the
    start and the end of every duration come from the same (monotonic) clock."""

    def clock(self) -> float: ...

    def record(self, environ: dict[str, Any], outcome: int | str, seconds: float) -> None:
        """`outcome`: the status sent, or `closed`, `reset` or `hung` when nothing was."""


def cut_word(connection: Connection) -> str:
    """What a connection cut on purpose is logged as: a hang ends with a close, but the client
    waited for nothing first, which is what a reader of the log wants to know."""
    if connection.held:
        return HUNG
    return CUT_WORDS[connection.cut or "close"]


class Journals:
    """Several journals told as one (the request log and the request journal), on one clock."""

    def __init__(self, *journals: Journal) -> None:
        self.journals = journals

    def clock(self) -> float:
        return self.journals[0].clock()

    def record(self, environ: dict[str, Any], outcome: int | str, seconds: float) -> None:
        for journal in self.journals:
            try:
                journal.record(environ, outcome, seconds)
            except Exception:  # one broken journal costs its own entry, not the others'
                log.exception("a journal failed on %s", environ["PATH_INFO"])
