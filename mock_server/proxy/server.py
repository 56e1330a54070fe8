"""ProxyServer: the forwarding app on the project's own HTTP server, like MockServer is.

Every request runs in a thread of its own (the server's `inline` stays off): each one waits on
the target, which may take seconds, and must not hold up the others.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from mock_server.httpd import HttpServer, Limits
from mock_server.proxy.forward import ForwardingApp
from seedream_contracts.calibration.drift_check import DriftCheck
from seedream_contracts.calibration.exchange import Recorder
from seedream_contracts.profiles.profile import Profile

MAX_BODY = 8 * 1024 * 1024  # a proxy for a user's app: image edits may post big bodies


def _error_body(status: int, message: str) -> bytes:
    """A request the server refuses before forwarding, in the API's envelope."""
    kind = "invalid_request_error" if status < 500 else "api_error"
    return json.dumps({"error": {"code": status, "message": message, "type": kind}}).encode()


class ProxyServer:
    """Forwards `host:port` (port 0: a free one) to `target`."""

    def __init__(
        self,
        target: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        profile: Profile | None = None,
        recorder: Recorder | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.host = host
        check = DriftCheck(profile) if profile is not None else None
        self.app = ForwardingApp(target, check, recorder, say)
        self._server = HttpServer(
            self.app, host, port, error_body=_error_body, limits=Limits(max_body_bytes=MAX_BODY)
        )
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self._server.port}"

    def start(self) -> ProxyServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="seedream-proxy", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop_soon(self) -> None:
        self._server.stop_soon()

    def stop(self) -> None:
        self._server.stop_soon()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._server.close()

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
