"""`GET /_mock/ui/events`: server-sent events, one bounded answer per batch of changes.

Each answer is a complete `text/event-stream` body (see feed.py for why): `retry:` tells the
browser how soon to come back, `id:` where it got to, and one `change` event carries the rows
of the tasks that moved, so the table updates without a reload.
"""

from __future__ import annotations

import json

from flask import Response, request

from mock_server.api._http import mock_control
from mock_server.inspector.blueprint import feed, inspector
from mock_server.inspector.feed import HOLD_S, Batch, Busy

RETRY_MS = 250  # how soon the browser asks again after an answer
BUSY_RETRY_MS = 5000  # … and after being told too many pages are waiting
ROWS_PER_BATCH = 100  # the newest moved tasks sent as rows; a page shows at most 200


def _after() -> tuple[int | None, float]:
    """Where the page got to, and how long to wait for news: a reconnect (`Last-Event-ID`)
    waits; a page's first connection is answered at once, so it knows the stream is up."""
    resumed = request.headers.get("Last-Event-ID")
    raw = resumed or request.args.get("after", "")
    seq = int(raw) if raw.isascii() and raw.isdigit() else None
    return seq, HOLD_S if resumed else 0.0


@inspector.get("/events")
def events() -> Response:
    after, hold_s = _after()
    try:
        with feed().client():
            batch = feed().wait(after, hold_s) if after is not None else Batch(feed().touch())
    except Busy:
        return _stream(f": too many pages open\nretry: {BUSY_RETRY_MS}\n\n")
    text = f"retry: {RETRY_MS}\nid: {batch.seq}\n"
    if batch.empty:
        return _stream(text + ": heartbeat\n\n")
    return _stream(text + f"event: change\ndata: {json.dumps(_change(batch))}\n\n")


def _change(batch: Batch) -> dict[str, object]:
    moved = list(dict.fromkeys(reversed(batch.tasks)))[:ROWS_PER_BATCH]  # newest first
    door = mock_control()
    return {
        "reload": batch.reload,
        "rows": [] if batch.reload else door.inspection.rows_for(moved),
        "deliveries": sorted(set(batch.deliveries)),
        "requests": batch.requests,
        "clock": door.clock_document(),
    }


def _stream(text: str) -> Response:
    response = Response(text, mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"
    return response
