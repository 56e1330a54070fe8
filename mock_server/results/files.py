"""Result files: which PNG a result URL serves, when it expires, and what an edit is drawn from."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from mock_server.core.clock import Clock
from mock_server.core.errors import NotFoundError
from mock_server.core.scheduler import Scheduler
from mock_server.core.store import Store
from mock_server.core.tasks import Status, Task
from mock_server.core.validation import callback_host_allowed
from mock_server.results.images import ImageCache, ImageSpec, render
from mock_server.settings.config import Settings

_RESULT_PATH = re.compile(r"^/files/(?P<task_id>[A-Za-z0-9_]+)/(?P<index>\d+)\.png$")


@dataclass(frozen=True)
class ResultFile:
    """A result image ready to send."""

    png: bytes
    task_id: str


class Results:
    """Serves completed tasks' images from the byte-bounded cache, rendering on first fetch."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        scheduler: Scheduler,
        lock: threading.RLock,
        cache: ImageCache,
    ) -> None:
        self.settings, self.store, self.clock = settings, store, clock
        self.scheduler, self.lock, self.cache = scheduler, lock, cache
        own = urlsplit(settings.public_url).hostname if settings.public_url else None
        self._own_hosts = ("loopback", own) if own else ("loopback",)

    def file(self, task_id: str, index: int, depth: int = 0) -> ResultFile:
        """The PNG behind a result URL: 404 if there is none, 410 once it has expired."""
        task = self._live_task(task_id, index)
        source = self.source_png(task.input.image_urls, depth) if task.is_edit else None
        spec = ImageSpec(
            task.task_id,
            task.input.prompt,
            task.input.aspect_ratio,
            task.input.quality,
            task.model,
            task.is_edit,
            source,
        )
        return ResultFile(self.cache.get(f"{task_id}/{index}", lambda: render(spec)), task_id)

    def _live_task(self, task_id: str, index: int) -> Task:
        lifetime = self.settings.image_lifetime_seconds
        self.scheduler.fire_due()
        with self.lock:
            task = self.store.task(task_id)
            if task is None or task.status != Status.COMPLETED or index != 0:
                raise NotFoundError(f"No result file {index}.png for task {task_id}.")
            assert task.completed_at is not None
            if self.clock.now() >= task.completed_at + lifetime:
                raise NotFoundError(
                    f"The result of task {task_id} expired; result URLs live {lifetime:g} s.",
                    status=410,
                    kind="expired",
                )
            return task

    def source_png(self, urls: tuple[str, ...], depth: int = 0) -> bytes | None:
        """An edit's first input, when it is a result this mock serves; the mock never fetches
        other URLs. One level deep, so chains of edits stay cheap."""
        if depth > 0 or not urls:
            return None
        try:
            match = _RESULT_PATH.match(urlsplit(urls[0]).path)
        except ValueError:  # an unparseable host: certainly not one of ours
            return None
        if match is None or not callback_host_allowed(urls[0], self._own_hosts):
            return None
        try:
            return self.file(match["task_id"], int(match["index"]), depth + 1).png
        except NotFoundError:
            return None
