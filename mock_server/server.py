"""A real-socket server around one emulator (waitress, threaded): start(), base_url, stop().

Used by the CLI, by the tests and later by the pytest plugin, so that what the tests exercise
is the same server a user runs.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from waitress.server import create_server

from mock_server.app import create_app
from mock_server.config import Settings
from mock_server.emulator import Emulator

# waitress warns "Task queue depth is N" whenever a request waits for a free thread: thousands
# of stderr lines under load, and nothing a user can act on beyond --threads.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class MockServer:
    """One emulator served over HTTP on `settings.host:settings.port` (port 0: a free one)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.emulator = Emulator(self.settings)
        self.app = create_app(self.settings, self.emulator)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return int(self._server.effective_port)

    @property
    def base_url(self) -> str:
        host = self.settings.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    def bind(self) -> MockServer:
        """Open the listening socket (so `port` is known) without serving yet."""
        self._server = create_server(
            self.app,
            host=self.settings.host,
            port=self.settings.port,
            threads=self.settings.threads,
            ident="seedream-mock",
            asyncore_loop_timeout=0.5,
            channel_timeout=30,
            connection_limit=1000,
        )
        self.emulator.base_url = self.base_url
        return self

    def start(self) -> MockServer:
        """Bind if needed and serve from a background thread."""
        if self._server is None:
            self.bind()
        self.emulator.start()
        self._thread = threading.Thread(target=self._loop, name="seedream-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve from this thread until `stop()` is called (or Ctrl-C)."""
        if self._server is None:
            self.bind()
        self.emulator.start()
        try:
            self._loop()
        finally:
            self.emulator.stop()

    def _loop(self) -> None:
        server = self._server
        try:
            while not self._stopping.is_set():
                server.asyncore.loop(timeout=0.5, map=server._map, count=1)
        finally:
            # Shut down in the loop's own thread: stop accepting, let running requests
            # finish, then close whatever connections remain.
            server.del_channel()
            server.socket.close()
            server.task_dispatcher.shutdown(timeout=5)
            for channel in list(server._map.values()):
                channel.close()

    def stop_soon(self) -> None:
        """Ask the serving loop to end; safe from a signal handler or another thread, and
        more than once."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._server is not None:
            self._server.pull_trigger()

    def stop(self) -> None:
        """Stop serving, then stop the emulator (which finishes or reports webhook deliveries)."""
        already = self._stopping.is_set() and self._thread is None
        self.stop_soon()
        if already:
            return
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.emulator.stop()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
