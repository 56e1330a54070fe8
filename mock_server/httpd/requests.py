"""Reading one request out of a connection's bytes: the head, then its body.

Pure functions over a buffer, so the event loop can call them whenever more bytes arrive: each
returns None while the request is incomplete and raises `RequestError` (answered with a 4xx in
the API's error shape, then the connection closes) when it can never be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(rb"HTTP/1\.[01]")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")


@dataclass(frozen=True)
class Limits:
    """What one client may send or hold; beyond it the request is refused, never buffered."""

    max_head_bytes: int = 64 * 1024
    max_headers: int = 100
    max_body_bytes: int = 256 * 1024
    idle_timeout_s: float = 30.0
    max_connections: int = 1000


class RequestError(Exception):
    """A request this server cannot read: answered with `status`, then the connection closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Head:
    """A parsed request head: the WSGI variables it gives, and how its body is framed."""

    environ: dict[str, Any]
    size: int  # bytes of the head, blank line included
    keep_alive: bool
    chunked: bool
    length: int  # Content-Length (0 when chunked or absent)
    expects_continue: bool
    chunks: _Chunks | None = None  # a chunked body read so far

    @property
    def too_large(self) -> bool:
        return self.length < 0


@dataclass
class _Chunks:
    """Where decoding a chunked body stands, so each arrival only reads the new bytes."""

    at: int  # offset in the buffer of the next chunk-size line (or trailer line)
    parts: list[bytes] = field(default_factory=list)
    size: int = 0
    in_trailer: bool = False


def parse_head(buffer: bytearray, limits: Limits, scanned: int = 0) -> Head | None:
    """The head at the start of `buffer` (blank lines before it dropped), or None until it is
    all there. `scanned`: how many bytes an earlier call already searched (they are not again)."""
    while buffer[:2] == b"\r\n":  # tolerated between requests (RFC 9112 section 2.2)
        del buffer[:2]
        scanned = 0
    end = buffer.find(b"\r\n\r\n", max(0, scanned - 3), limits.max_head_bytes + 4)
    if end < 0:
        if len(buffer) > limits.max_head_bytes:
            raise RequestError(431, f"The request head is over {limits.max_head_bytes} bytes.")
        return None
    lines = bytes(buffer[:end]).split(b"\r\n")
    if len(lines) > limits.max_headers + 1:
        raise RequestError(431, f"The request has over {limits.max_headers} header fields.")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]):
        raise RequestError(400, "The request line is not 'METHOD target HTTP/1.1'.")
    if not _VERSION.fullmatch(parts[2]):
        raise RequestError(505, f"{_shown(parts[2][:20])} is not supported; speak HTTP/1.1.")
    method, target, version = (part.decode("latin-1") for part in parts)
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "SERVER_PROTOCOL": version}
    _set_target(environ, target)
    for line in lines[1:]:
        _add_header(environ, line)
    tokens = environ.get("HTTP_CONNECTION", "").lower()
    keep_alive = "close" not in tokens if version == "HTTP/1.1" else "keep-alive" in tokens
    chunked, length = _framing(environ, version, limits)
    expect = environ.pop("HTTP_EXPECT", None)
    if expect is not None and expect.strip().lower() != "100-continue":
        raise RequestError(417, f"Expect {expect[:40]!r} is not supported.")
    continues = expect is not None and version == "HTTP/1.1" and (chunked or length > 0)
    return Head(environ, end + 4, keep_alive, chunked, length, continues)


def _shown(raw: bytes) -> str:
    """Request bytes quoted in a message as the client wrote them: text, never Python's
    `b'...'`; a byte that is not printable ASCII is written as an escape (`\\x00`)."""
    return raw.decode("latin-1").encode("unicode_escape").decode("ascii")


def _framing(environ: dict[str, Any], version: str, limits: Limits) -> tuple[bool, int]:
    """(chunked, Content-Length); a length of -1 marks a body over the limit (left unread:
    the app answers 413 from CONTENT_LENGTH and the connection closes)."""
    encoding = environ.pop("HTTP_TRANSFER_ENCODING", None)
    length = environ.get("CONTENT_LENGTH")
    if encoding is not None:
        if length is not None or version != "HTTP/1.1":
            raise RequestError(
                400, "Transfer-Encoding is only allowed without Content-Length, in HTTP/1.1."
            )
        if encoding.strip().lower() != "chunked":
            raise RequestError(
                501, f"Transfer-Encoding {encoding[:40]!r} is not supported; send Content-Length."
            )
        return True, 0
    if length is None:
        return False, 0
    if not (length.isascii() and length.isdigit()):
        raise RequestError(400, f"Content-Length {length[:40]!r} is not a number of bytes.")
    if int(length) > limits.max_body_bytes:
        return False, -1
    return False, int(length)


def take_body(buffer: bytearray, head: Head, limits: Limits) -> bytes | None:
    """Remove the head and its body from `buffer` and return the body; None until it is all
    there. A chunked body over the limit marks the head too large (nothing more is read)."""
    if head.too_large:
        del buffer[:]
        return b""
    if not head.chunked:
        end = head.size + head.length
        if len(buffer) < end:
            return None
        body = bytes(buffer[head.size : end])
        del buffer[:end]
        return body
    head.chunks = head.chunks or _Chunks(head.size)
    finished = _dechunk(buffer, head.chunks, limits.max_body_bytes)
    if finished is None:
        return None
    if finished < 0:  # over the limit
        head.length = -1
        head.environ["CONTENT_LENGTH"] = str(limits.max_body_bytes + 1)
        del buffer[:]
        return b""
    del buffer[:finished]
    body = b"".join(head.chunks.parts)
    head.environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _dechunk(buffer: bytearray, state: _Chunks, limit: int) -> int | None:
    """Read on from `state`: the end offset once the body and its trailer are complete, -1
    once the body is over `limit`, None while more bytes are needed."""
    while not state.in_trailer:
        eol = buffer.find(b"\r\n", state.at, state.at + 1024)
        if eol < 0:
            if len(buffer) - state.at > 1024:
                raise RequestError(400, "A chunk size line of the chunked body is too long.")
            return None
        digits = bytes(buffer[state.at : eol]).split(b";", 1)[0].strip()
        if not _HEX.fullmatch(digits):
            raise RequestError(400, "A chunk of the chunked body has no valid size line.")
        length = int(digits, 16)
        if length == 0:
            state.at, state.in_trailer = eol + 2, True
            break
        if state.size + length > limit:
            return -1
        start = eol + 2
        if len(buffer) < start + length + 2:
            return None
        if buffer[start + length : start + length + 2] != b"\r\n":
            raise RequestError(400, "A chunk of the chunked body is longer than its size says.")
        state.parts.append(bytes(buffer[start : start + length]))
        state.size += length
        state.at = start + length + 2
    while True:  # trailer fields, then the blank line
        eol = buffer.find(b"\r\n", state.at)
        if eol < 0:
            return None
        if eol == state.at:
            return eol + 2
        state.at = eol + 2


def _set_target(environ: dict[str, Any], target: str) -> None:
    """PATH_INFO (percent-decoded, as WSGI wants it) and QUERY_STRING from the request target;
    an absolute-form target (`http://host/path`, as sent to proxies) keeps only its path."""
    if not target.startswith("/"):
        scheme, sep, rest = target.partition("://")
        if not sep or scheme.lower() not in ("http", "https"):
            raise RequestError(400, f"The request target {target[:60]!r} is not a path.")
        target = "/" + rest.partition("/")[2]
    path, _, query = target.partition("?")
    environ["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1")
    environ["QUERY_STRING"] = query.partition("#")[0]


def _add_header(environ: dict[str, Any], line: bytes) -> None:
    if line[:1] in (b" ", b"\t"):
        raise RequestError(400, "Folded header lines (obs-fold) are not accepted.")
    name, sep, value = line.partition(b":")
    if not sep or not _TOKEN.fullmatch(name):
        raise RequestError(400, f"The header line '{_shown(line[:60])}' is not 'Name: value'.")
    if b"_" in name:  # as waitress and nginx do: X_Foo must not pose as X-Foo
        return
    key = name.decode("latin-1").upper().replace("-", "_")
    if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        key = "HTTP_" + key
    text = value.strip(b" \t").decode("latin-1")
    previous = environ.get(key)
    if previous is None:
        environ[key] = text
    elif key == "CONTENT_LENGTH":
        if previous != text:
            raise RequestError(400, "The request has two different Content-Length headers.")
    else:
        environ[key] = f"{previous}, {text}"
