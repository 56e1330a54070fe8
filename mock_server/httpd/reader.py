"""Reading the requests of one connection with llhttp (httptools), in its strict mode.

Why llhttp: the framing of a request (where its head ends, how long its body is, what a chunk
or a trailer may look like) is where a hand-written parser lets a request smuggle another one
in. llhttp is the parser of Node.js, written from the RFCs and attacked for years; in strict
mode (we never relax it) it refuses bare CR or LF, obs-fold, padded Transfer-Encoding values,
malformed chunk lines and trailers, Content-Length with Transfer-Encoding, two Content-Lengths
and numbers that overflow. What it leaves to us (versions, targets, Host, codings, limits) is in
`requests.py`.

llhttp reads every byte it is given and cannot be paused from Python, so the requests it
finishes queue in `ready` and the exchange starts them one at a time, in order. A refusal waits
behind the requests that came before it, and nothing after it is read: each refused message is
the last thing a connection answers.
"""

from __future__ import annotations

import collections
import io
from typing import Any, NoReturn

import httptools

from mock_server.httpd.requests import (
    HEADERS_KEY,
    Limits,
    Request,
    RequestError,
    body_framing,
    expects_continue,
    head_environ,
)

# Bytes given to llhttp at a time: a message's first byte is somewhere in the slice where it
# began, so the raw counts below are over by at most this much (the parser reports no offsets).
SLICE = 8192
_METHODS = {m.encode(): m for m in ("GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH")}
_VERSION_REASONS = frozenset(
    (
        "Invalid HTTP version",
        "Invalid major version",
        "Invalid minor version",
        "Expected dot",
        "Pause on PRI/Upgrade",
    )
)
_SIZE_REASONS = frozenset(("Content-Length overflow", "Chunk size overflow"))
_UNREAD = "The request is larger than this server reads; send a smaller body."


class _Stop(Exception):
    """Raised in a callback to stop llhttp: what to answer is already decided."""


class Reader:
    """One connection's parser; `feed` it bytes, take finished requests from `ready`."""

    def __init__(self, environ: dict[str, Any], limits: Limits) -> None:
        self._parser = httptools.HttpRequestParser(self)
        self._base = environ  # what every request on this connection starts from
        self._limits = limits
        self._raw_cap = 2 * (limits.max_head_bytes + limits.max_body_bytes)
        self.ready: collections.deque[Request] = collections.deque()
        self.refused: RequestError | None = None  # answered once `ready` is done
        self.finished = False  # nothing more is read: refused, or a body left unread
        self.wants_continue = False  # the message being read waits for "100 Continue"
        self._in_message = self._began = False
        self._raw = 0  # bytes given since the message began (its first slice whole)
        self._start()

    def _start(self) -> None:
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._fields = 0
        self._size = 0  # head bytes, as the callbacks saw them
        self._environ: dict[str, Any] | None = None  # once the head is read
        self._chunked = self._keep_alive = False
        self._body: list[bytes] = []
        self._body_size = 0

    @property
    def in_head(self) -> bool:
        """A request head has begun and is not yet whole."""
        return self._in_message and self._environ is None

    @property
    def in_message(self) -> bool:
        """A request has begun and is not yet whole (its head, or its body, is still coming)."""
        return self._in_message

    def feed(self, data: bytes) -> None:
        """Parse what arrived; finished requests go to `ready`, a refusal to `refused`."""
        if len(data) <= SLICE:  # nearly always: no slicing to do
            self._feed(data)
            return
        view = memoryview(data)
        for at in range(0, len(view), SLICE):
            self._feed(view[at : at + SLICE])

    def _feed(self, piece: bytes | memoryview) -> None:
        if self.finished:
            return
        self._began = False
        self._parse(piece)
        if self._in_message and not self.finished:
            self._raw = len(piece) if self._began else self._raw + len(piece)
            self._check_raw()

    def _parse(self, piece: bytes | memoryview) -> None:
        while True:
            try:
                self._parser.feed_data(piece)
                return
            except httptools.HttpParserUpgrade as upgrade:
                # llhttp leaves the bytes after an Upgrade request to the new protocol; this
                # server switches to none (it answered in HTTP/1.1), so they are HTTP again
                piece = piece[upgrade.args[0] :]
            except httptools.HttpParserError as error:
                self._fail(error)
                return

    def _fail(self, error: httptools.HttpParserError) -> None:
        self.finished = True
        if isinstance(error.__context__, _Stop):
            return
        if isinstance(error, httptools.HttpParserCallbackError):  # a bug in a callback
            raise error.__context__ or error
        self.refused = _refusal(error)

    def _stop(self, refused: RequestError | None = None) -> NoReturn:
        self.refused = self.refused or refused
        self.finished = True
        raise _Stop

    def _check_raw(self) -> None:
        """Bounds on raw bytes, which also count what the callbacks never see: whitespace,
        chunk extensions, trailers, and a header still arriving (httptools gathers it)."""
        limits = self._limits
        if self._environ is None and self._raw > limits.max_head_bytes + SLICE:
            self.refused = _head_too_large(limits)
        elif self._raw > self._raw_cap:
            self.refused = RequestError(413, _UNREAD)
        self.finished = self.refused is not None

    # -- llhttp's callbacks ---------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._in_message = self._began = True

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._grow(len(url) + 16)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields += 1
        if self._fields > self._limits.max_headers:  # trailer fields count too
            many = f"The request has over {self._limits.max_headers} header fields."
            self._stop(RequestError(431, many))
        if self._environ is None:  # a trailer field after the body: checked by llhttp, dropped
            self._headers.append((name, value))
        self._size += len(name) + len(value) + 4
        if self._size > self._limits.max_head_bytes:
            self._stop(_head_too_large(self._limits))

    def _grow(self, size: int) -> None:
        self._size += size
        if self._size > self._limits.max_head_bytes:
            self._stop(_head_too_large(self._limits))

    def on_headers_complete(self) -> None:
        parser = self._parser
        version = "HTTP/" + parser.get_http_version()
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            self._stop(RequestError(505, f"{version} is not supported; speak HTTP/1.1."))
        method = parser.get_method()
        name = _METHODS.get(method) or method.decode("ascii")
        try:
            environ = head_environ(self._base, name, version, self._url, self._headers)
            self._chunked, length = body_framing(environ, version)
            has_body = self._chunked or length > 0
            if has_body and parser.should_upgrade():  # llhttp would hand the body to Upgrade
                raise RequestError(501, "Upgrade is not supported on a request with a body.")
            continues = expects_continue(environ, version, has_body)
        except RequestError as refused:
            self._stop(refused)
        environ[HEADERS_KEY] = self._headers  # as sent, for the request journal (a new list each)
        self._environ = environ
        self._keep_alive = parser.should_keep_alive()  # `close` anywhere in Connection's list
        if length > self._limits.max_body_bytes:  # left unread: the app answers 413
            self._finish(b"", unread=True)
        self.wants_continue = continues

    def on_body(self, body: bytes) -> None:
        self._body.append(body)
        self._body_size += len(body)
        if self._body_size > self._limits.max_body_bytes:  # chunked, over the limit
            assert self._environ is not None
            self._environ["CONTENT_LENGTH"] = str(self._limits.max_body_bytes + 1)
            self._finish(b"", unread=True)

    def on_message_complete(self) -> None:
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        if self._chunked:
            assert self._environ is not None
            self._environ["CONTENT_LENGTH"] = str(len(body))
        self._finish(body)

    def _finish(self, body: bytes, *, unread: bool = False) -> None:
        """Queue the request whole; one whose body is left unread is the connection's last."""
        environ = self._environ
        assert environ is not None
        environ["wsgi.input"] = io.BytesIO(body)
        keep_alive = self._keep_alive and not unread
        self.ready.append(Request(environ, keep_alive, environ["REQUEST_METHOD"] == "HEAD"))
        self._in_message = self.wants_continue = False
        self._start()
        if unread:
            self._stop()


def _head_too_large(limits: Limits) -> RequestError:
    return RequestError(431, f"The request head is over {limits.max_head_bytes} bytes.")


def _refusal(error: httptools.HttpParserError) -> RequestError:
    """The answer to bytes llhttp refused, in the words it gave. An unknown method is a 400,
    not a 501: llhttp stops at the first byte no method it knows has, so `FOO /` and a line of
    garbage look the same."""
    reason = str(error)
    if reason in _VERSION_REASONS:
        return RequestError(505, f"The request is not HTTP/1.1 ({reason}); speak HTTP/1.1.")
    if reason in _SIZE_REASONS:
        return RequestError(413, f"The request is larger than any this server reads ({reason}).")
    return RequestError(400, f"The request is not valid HTTP/1.1: {reason}.")
