"""Running the WSGI app for one request and turning its answer into bytes for the wire."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

log = logging.getLogger("mock_server.httpd")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_NO_BODY_STATUSES = frozenset({204, 304})
_STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


def status_line(status: int | str) -> str:
    """`404 Not Found`: every status line this server writes takes its words from
    `http.HTTPStatus`, whatever the app said (Werkzeug says `404 NOT FOUND`), so the app's
    answers and the server's own refusals read alike. A code HTTPStatus does not know (a fault
    rule may send 599) keeps the app's words."""
    code = int(str(status)[:3])
    return _STATUS_LINES.get(code) or (status if isinstance(status, str) else f"{code} Unknown")


@dataclass
class Answer:
    """What the app said: status line text, headers, the whole body (bodies here are small
    and bounded, so buffering them keeps the writer simple)."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes


class Date:
    """The `Date` header, formatted once a second rather than once a request."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._text, self._second = formatdate(second, usegmt=True), second
        return self._text


def run_app(app: WsgiApp, environ: dict[str, Any]) -> Answer | None:
    """The app's answer, or None when it failed (a bug: logged, answered 500 by the caller)."""
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return written.append

    try:
        result = app(environ, start_response)
        try:
            written.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    except Exception:
        log.exception("the app failed on %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"])
        return None
    if not started:
        log.error("the app never called start_response on %s", environ["PATH_INFO"])
        return None
    return Answer(started[0], started[1], b"".join(written))


def encode(
    answer: Answer, *, head_only: bool, keep_alive: bool, http10: bool, date: str, server: str
) -> tuple[bytes, bool]:
    """The bytes to send, and whether the connection stays open after them (the app may ask
    to close it with `Connection: close`)."""
    lines = [f"HTTP/1.1 {status_line(answer.status)}\r\n"]
    has_length = False
    for name, value in answer.headers:
        lowered = name.lower()
        if lowered == "connection":
            # a list of tokens: `keep-alive, x-close` is not `close`
            tokens = (token.strip(" \t") for token in value.lower().split(","))
            keep_alive = keep_alive and "close" not in tokens
            continue
        if lowered == "transfer-encoding":  # the body is sent whole, with its length
            continue
        has_length = has_length or lowered == "content-length"
        lines.append(f"{name}: {value}\r\n")
    bodiless = head_only or int(answer.status[:3]) in _NO_BODY_STATUSES
    if not has_length and not bodiless:
        lines.append(f"Content-Length: {len(answer.body)}\r\n")
    lines.append(f"Date: {date}\r\nServer: {server}\r\n")
    if not keep_alive:
        lines.append("Connection: close\r\n")
    elif http10:
        lines.append("Connection: keep-alive\r\n")
    lines.append("\r\n")
    head = "".join(lines).encode("latin-1")
    return (head if bodiless else head + answer.body), keep_alive


def refusal(status: int, body: bytes, *, date: str, server: str) -> bytes:
    """A complete answer (then the connection closes) for a request the app never saw."""
    head = (
        f"HTTP/1.1 {status_line(status)}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"Date: {date}\r\nServer: {server}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body
