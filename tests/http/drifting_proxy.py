"""A deliberately different server for the drift tests: a proxy in front of the mock that can
rewrite task documents and hide the control API (so it looks like a real, costly target)."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


class DriftingProxy:
    def __init__(self, upstream: str, rewrite: Rewrite | None = None, hide_control: bool = False):
        self.upstream = urlsplit(upstream)
        self.rewrite = rewrite
        self.hide_control = hide_control
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> DriftingProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.hide_control and path.startswith("/_mock/"):
            return 404, [("Content-Type", "text/plain")], b"not here"
        connection = http.client.HTTPConnection(self.upstream.netloc, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
            passed = [
                (k, v)
                for k, v in answer.getheaders()
                if k.lower() not in ("content-length", "connection")
            ]
            task_read = method == "GET" and path.startswith("/api/v1/tasks/")
            if self.rewrite and task_read and answer.status == 200:
                payload = json.dumps(self.rewrite(json.loads(payload))).encode()
            return answer.status, passed, payload
        finally:
            connection.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                status, passed, payload = proxy._forward(self.command, self.path, headers, body)
                self.send_response(status)
                for name, value in passed:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
