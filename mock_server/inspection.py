"""Read-only views the inspector page shows and the JSON API has no call for: rows of the live
task table, one task's whole story, and result thumbnails.

Reached as `Control.inspection`, so control.py stays the one door to /_mock/ state: every
change the page makes goes through Control's own methods, and this only reads.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mock_server.core import documents
from mock_server.core.clock import iso
from mock_server.core.errors import NotFoundError
from mock_server.core.paging import page
from mock_server.core.tasks import Task
from mock_server.journal.query import Query
from seedream_contracts import redact

if TYPE_CHECKING:
    from mock_server.emulator import Emulator

THUMB_PIXELS = 320  # the longer side: enough to recognise a picture, ~20 KB of PNG
THUMBS_KEPT = 256  # thumbnails cached (about 5 MB at most)
STORY_REQUESTS = 50  # journaled requests shown on a task's page


class Inspection:
    """What the inspector reads from one emulator (no HTTP here, no changes made)."""

    def __init__(self, mock: Emulator) -> None:
        self.mock = mock
        self._thumbs: OrderedDict[str, bytes] = OrderedDict()
        self._thumbs_lock = threading.Lock()

    def task_rows(self, limit: int, before: str | None = None) -> list[dict[str, Any]]:
        """Rows of the task table, newest first: up to `limit` after the task `before`."""
        self.mock.scheduler.fire_due()
        with self.mock.lock:
            newest = list(self.mock.store.tasks())
            newest.reverse()
            now = self.mock.clock.now()
            return [_row(t, now) for t in page(newest, lambda t: t.task_id, limit, before)]

    def rows_for(self, task_ids: Iterable[str]) -> list[dict[str, Any]]:
        """The rows of these tasks as they are now (ids forgotten meanwhile are left out)."""
        with self.mock.lock:
            now = self.mock.clock.now()
            found = (self.mock.store.task(task_id) for task_id in task_ids)
            return [_row(t, now) for t in found if t is not None]

    def task_count(self) -> int:
        with self.mock.lock:
            return self.mock.store.task_count()

    def task(self, task_id: str, base_url: str) -> dict[str, Any]:
        """One task's story: its row, the request as accepted, the document the public API
        answers now (in the active profile's dialect), its deliveries with every attempt, the
        requests journaled for it, and a timeline merging them all in time order."""
        self.mock.scheduler.fire_due()
        with self.mock.lock:
            task = self.mock.store.task(task_id)
            if task is None:
                raise NotFoundError(f"No task {task_id} exists (or it was forgotten).", "task_id")
            row = _row(task, self.mock.clock.now())
            account = self.mock.store.account(task.key)  # an idle open-mode key may be gone
            ledger = [] if account is None else account.ledger.entries
            credits = [e for e in ledger if e.task_id == task_id]
            deliveries = [
                documents.delivery(d) for d in self.mock.store.deliveries() if d.task_id == task_id
            ]
        requests = self._requests(task_id)
        timeline = _moves(task) + [
            (iso(e.at), f"credits {e.kind}", f"{e.amount} credits") for e in credits
        ]
        for d in deliveries:
            timeline += [
                (a["at"], f"callback attempt {a['number']}", _attempt_words(a))
                for a in d["attempts"]
            ]
        timeline += [(r["at"], f"{r['method']} {r['path']}", str(r["status"])) for r in requests]
        return {
            "row": row,
            "request": _request(task),
            "document": self.mock.task_document(task, base_url),
            "deliveries": deliveries,
            "requests": requests,
            "timeline": sorted(timeline),
        }

    def _requests(self, task_id: str) -> list[dict[str, Any]]:
        if not self.mock.journal.enabled:
            return []
        return self.mock.journal.find(Query(task_id=task_id), STORY_REQUESTS)

    def thumbnail(self, task_id: str) -> bytes:
        """A small PNG of a completed task's result, made once from the (cached) full render
        and kept: a page of thumbnails never re-renders a 4K picture per view."""
        with self._thumbs_lock:
            found = self._thumbs.get(task_id)
            if found is not None:
                self._thumbs.move_to_end(task_id)
                return found
        from PIL import Image  # only a page with thumbnails needs Pillow; serving starts without

        full = self.mock.result_file(task_id, 0).png  # 404 unless completed, 410 once expired
        with Image.open(io.BytesIO(full)) as image:
            image.thumbnail((THUMB_PIXELS, THUMB_PIXELS))
            out = io.BytesIO()
            image.save(out, "PNG", optimize=True)
        made = out.getvalue()
        with self._thumbs_lock:
            self._thumbs[task_id] = made
            while len(self._thumbs) > THUMBS_KEPT:
                self._thumbs.popitem(last=False)
        return made


def _row(task: Task, now: float) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "key": redact.fingerprint(task.key),
        "model": task.model,
        "aspect_ratio": task.input.aspect_ratio,
        "quality": task.input.quality,
        "status": str(task.status),
        "progress": task.progress(now),
        "created_at": iso(task.created_at),
        "age": _age(now - task.created_at),
        "error": None if task.error is None else task.error.code,
    }


def _age(seconds: float) -> str:
    """`42 s`, `3 min`, `5 h`, `2 d`: as long as a glance needs."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{max(0, int(seconds))} s"


def _moves(task: Task) -> list[tuple[str, str, str]]:
    moves = [(iso(task.created_at), "task created", "pending")]
    if task.processing_at is not None:
        moves.append((iso(task.processing_at), "task processing", ""))
    if task.completed_at is not None:
        why = "" if task.error is None else f"{task.error.code}: {task.error.message}"
        moves.append((iso(task.completed_at), f"task {task.status}", why))
    elif task.timeline.stall_in is not None:
        stalled = f"stalls in {task.timeline.stall_in} until forced on"
        moves.append((iso(task.updated_at), "stalled", stalled))
    return moves


def _attempt_words(attempt: dict[str, Any]) -> str:
    answer = attempt["status"] if attempt["status"] is not None else attempt["error"]
    return f"{attempt['kind']}: {answer} in {attempt['latency_ms']} ms"


def _request(task: Task) -> dict[str, Any]:
    return {
        "model": task.model,
        "prompt": task.input.prompt,
        "aspect_ratio": task.input.aspect_ratio,
        "quality": task.input.quality,
        "image_urls": list(task.input.image_urls),
        "callback_url": task.callback_url,
    }
