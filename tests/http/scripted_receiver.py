"""A raw webhook receiver whose every answer is scripted by connection and request, for what
`WebhookReceiver` (a well-behaved http.server) never does: close a kept connection without
saying so, drop or reset it as a request arrives, break off an answer halfway."""

from __future__ import annotations

import contextlib
import itertools
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from typing import BinaryIO

ANSWER = "answer"  # 200, the connection kept open
ANSWER_CLOSE = "answer, then close"  # 200, then close without a `Connection: close`
DROP = "drop"  # read the request, close without a word
RESET = "reset"  # the same with a TCP reset
PARTIAL = "partial"  # part of a status line, then close

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
Plan = Callable[[int, int], str]  # (connection, request), both from 1 -> what to do


def plan_of(script: dict[tuple[int, int], str], otherwise: str = ANSWER) -> Plan:
    return lambda connection, request: script.get((connection, request), otherwise)


ALWAYS_ANSWER = plan_of({})


class ScriptedReceiver:
    """Records each request it read as (connection, request), and when the sender closed each
    connection (`ended`); answers as `plan` says. With `context`, it speaks TLS."""

    def __init__(self, plan: Plan = ALWAYS_ANSWER, context: ssl.SSLContext | None = None) -> None:
        self.plan, self.context = plan, context
        self.requests: list[tuple[int, int]] = []
        self.ended: dict[int, float] = {}
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        scheme = "https" if context else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def __enter__(self) -> ScriptedReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes `accept` (a close would not)
        self._listener.close()
        self._thread.join(5)

    def wait_ended(self, connection: int, timeout: float = 5.0) -> float:
        """When the sender closed `connection`; AssertionError if it stays open `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if connection in self.ended:
                    return self.ended[connection]
            time.sleep(0.01)
        raise AssertionError(f"connection {connection} still open after {timeout} s")

    def _accept(self) -> None:
        for number in itertools.count(1):
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(sock, number), daemon=True).start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        with contextlib.suppress(OSError):  # the sender went away: nothing to record
            if self.context is not None:
                sock = self.context.wrap_socket(sock, server_side=True)
            with sock, sock.makefile("rb") as reader:
                for request in itertools.count(1):
                    if not _read_request(reader):
                        with self._lock:
                            self.ended[number] = time.monotonic()
                        return
                    with self._lock:
                        self.requests.append((number, request))
                    if not self._act(sock, self.plan(number, request)):
                        return

    @staticmethod
    def _act(sock: socket.socket, action: str) -> bool:
        """Do `action`; whether the connection stays open."""
        if action == RESET:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif action == PARTIAL:
            sock.sendall(OK[:10])
        elif action in (ANSWER, ANSWER_CLOSE):
            sock.sendall(OK)
        return action == ANSWER


def _read_request(reader: BinaryIO) -> bool:
    """Read one request (head and Content-Length body); False at the end of the stream."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = reader.readline()
        if not line:
            return False
        head += line
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    reader.read(int(length.group(1)) if length else 0)
    return True
