"""One process per state file: an exclusive `flock` on FILE.lock, which names its holder.

An OS lock rather than a row in the database: the kernel drops it when the holder dies, even
by `kill -9`, so a crashed server never leaves a stale lock for the next start to argue with.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path

from mock_server.core.clock import iso, wall_time
from mock_server.state.schema import StateFileError


class StateLockedError(StateFileError):
    """Another live process holds the state file."""


class StateLock:
    """Held from `acquire` until `release` (or the process ends, however it ends)."""

    def __init__(self, state_file: Path) -> None:
        self.path = Path(f"{state_file}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise StateLockedError naming the process that holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise StateLockedError(
                f"{self.path.with_suffix('')}: in use by another seedream-mock ({holder}); "
                "stop it or choose another --state file"
            ) from None
        os.ftruncate(fd, 0)
        record = {"pid": os.getpid(), "host": socket.gethostname(), "since": iso(wall_time())}
        os.write(fd, json.dumps(record).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it; the lock itself is the authority."""
    try:
        record = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {record['pid']} on {record['host']}, since {record['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"
