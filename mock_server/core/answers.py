"""The task answers already written, as bytes, for the polls that ask again before anything
changed: a client polling a task reads the same document many times, and rendering it through
the profile and encoding it was a tenth of a poll's cost.

An answer depends on the task (its status, its last change, its progress, which moves with
the clock while it runs), the base of its result URLs and the profile, which is fixed for
the emulator's life. Every change to a task goes through `Task.move` (status and
`updated_at`) under the state lock, with its settled credits and error written in the same
locked step; the key is read under that lock too, so a key never names a stale document.
"""

from __future__ import annotations

import threading

from mock_server.core.tasks import Task

KEPT = 1024  # answers remembered; past it the memo starts again (polls hit a few tasks)
Key = tuple[str, str, float, int, str]


class AnswerMemo:
    """Bytes of task answers by what they were made from."""

    def __init__(self, limit: int = KEPT) -> None:
        self._limit = limit
        self._found: dict[Key, bytes] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(task: Task, progress: int, base: str) -> Key:
        return (task.task_id, str(task.status), task.updated_at, progress, base)

    def get(self, key: Key) -> bytes | None:
        return self._found.get(key)

    def put(self, key: Key, answer: bytes) -> None:
        with self._lock:
            if len(self._found) >= self._limit:
                self._found.clear()
            self._found[key] = answer

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
