"""A real-socket server around one emulator: bind(), start() or serve_forever(), base_url, stop().

Used by the CLI, by the tests and by the pytest plugin, so that what the tests exercise is the
same server a user runs. The HTTP itself is `mock_server.httpd` (an event loop; see there).
"""

from __future__ import annotations

import functools
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mock_server.api.faults import decision_for
from mock_server.api.recording import Recorder
from mock_server.api.requestlog import RequestLog
from mock_server.app import create_app
from mock_server.control import Control
from mock_server.core import documents
from mock_server.core.errors import default_profile, wire_type
from mock_server.emulator import Emulator
from mock_server.httpd import HttpServer, Journal, Journals, Limits
from mock_server.inspector import close_inspector
from mock_server.settings.config import Settings
from mock_server.settings.exposure import with_control_token
from seedream_contracts.profiles import Profile

if TYPE_CHECKING:
    from mock_server.state.durable import DurableState


def error_body(status: int, message: str, profile: Profile | None = None) -> bytes:
    """The error answer for a request the server refuses before the app sees it, in the
    profile's template (default: the default one). The status is the server's own (it has
    sent it already), so the profile gives only the words around it and the `type`."""
    profile = profile or default_profile()
    kind = profile.kind_for_status(status)
    wire = profile.error_kind(kind)[1] if kind is not None else wire_type(status)
    return documents.to_json_bytes(profile.error_answer(status, message, wire, None))


def _durable(settings: Settings) -> DurableState | None:
    """The state file's keeper, or None without --state; sqlite3 and the state machinery are
    imported only when asked for (they are a few ms of every start otherwise)."""
    if not settings.state:
        return None
    from mock_server.state.durable import DurableState

    return DurableState(settings.state)


class MockServer:
    """One emulator served over HTTP on `settings.host:settings.port` (port 0: a free one)."""

    def __init__(self, settings: Settings | None = None) -> None:
        given = settings or Settings()
        # A bind other hosts can reach never gets an open control API by accident (exposure).
        self.settings = with_control_token(given)
        generated = self.settings.control_token != given.control_token
        self.generated_token = self.settings.control_token if generated else None
        # --state: the file is locked and checked before anything is built, then loaded.
        self.durable = _durable(self.settings)
        store = self.durable.store if self.durable else None
        self.emulator = Emulator(self.settings, store=store)
        if self.durable is not None:
            self.durable.attach(self.emulator)
        self.control = Control.of(self.emulator)  # the door to /_mock/, shared with the app
        self.app = create_app(self.settings, self.emulator)
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return self._server.port

    @property
    def base_url(self) -> str:
        host = self.settings.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    def bind(self) -> MockServer:
        """Open the listening socket (so `port` is known) without serving yet."""
        limits = Limits(
            max_body_bytes=self.settings.max_body_bytes,
            max_connections=self.settings.max_connections,
        )
        self._server = HttpServer(
            self.app,
            self.settings.host,
            self.settings.port,
            limits=limits,
            error_body=functools.partial(error_body, profile=self.emulator.profile),
            inline=self._inline,
            journal=self._journal(),
            head_timeout_s=self.settings.head_timeout,
            # --state: an answer is sent once what it reports is committed (state/barrier.py)
            commits=None if self.durable is None else self.durable.barrier,
        )
        self.emulator.base_url = self.base_url
        return self

    def _journal(self) -> Journal | None:
        """Who the server tells how each request ended: the request log, the request journal,
        both or nobody (then it reads no clock for it)."""
        style = self.settings.log_requests
        told: list[Journal] = [] if style == "off" else [RequestLog(style)]
        if self.emulator.journal.enabled:
            told.append(Recorder(self.emulator.journal, self.emulator.clock))
        return Journals(*told) if len(told) > 1 else (told[0] if told else None)

    def _inline(self, environ: dict[str, Any]) -> bool:
        """The two hot routes run on the server's loop thread (no hand-off), unless the request's
        fault decision delays or hangs it: that must hold up only the request it hits. The
        decision is taken here, once, and kept for the app, so no rule added meanwhile can hold
        a request that runs on the loop."""
        if decision_for(self.app, environ).holds:
            return False
        method: str = environ["REQUEST_METHOD"]
        path: str = environ["PATH_INFO"]
        if method == "GET":
            return path.startswith("/api/v1/tasks/")
        return method == "POST" and path == "/api/v1/images/generations"

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
            self._stop_emulator()

    def _loop(self) -> None:
        assert self._server is not None
        if self._stopping.is_set():  # stopped before it started
            self._server.stop_soon()
        self._server.serve_forever()

    def stop_soon(self) -> None:
        """Ask the serving loop to end; safe from a signal handler or another thread, and
        more than once."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        close_inspector(self.app)  # a page's event stream must not hold the drain
        if self._server is not None:
            self._server.stop_soon()

    def stop(self) -> None:
        """Stop serving, then stop the emulator (which finishes or reports webhook deliveries)."""
        already = self._stopping.is_set() and self._thread is None
        self.stop_soon()
        if already:
            return
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._server is not None:
            self._server.close()  # bound but never served: its sockets are still open
        self._stop_emulator()

    def _stop_emulator(self) -> None:
        """Stop the emulator, then (--state) make the last commit and let the file go."""
        self.emulator.stop()
        if self.durable is not None:
            self.durable.close()
            self.durable = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
