"""One HTTP/1.1 exchange on a connection to a receiver, as a callback sender needs it.

The request goes out in one write, with the bytes http.client would send (`Host`,
`Accept-Encoding: identity`, `Content-Length`, then the callback's headers, each checked as
http.client checks them). The answer is read by http.client's rules and with its errors (a
`100 Continue` skipped, `RemoteDisconnected`, `BadStatusLine`, `LineTooLong`, at most 100
headers, `IncompleteRead` in a broken chunked body, a short body taken as it is), but without
its costs: a header parser from the email package and a file object per answer made
http.client's exchange about twice the time of the round trip itself. Of the body, at most
`limit` bytes are read; the answer can be followed by another on the same connection only if
it was read to its end, is HTTP/1.1, and the receiver did not say `Connection: close`.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Mapping
from dataclasses import dataclass

from mock_server.webhooks.sockets import DeadlineSocket, Origin, ack_at_once, connect, readable

READ_LIMIT = 64 * 1024  # bytes of a receiver's answer we read at most
MAX_LINE = 65536  # http.client's bounds
MAX_HEADERS = 100  # lines, the blank one that ends them included
_NAME = re.compile(r"[\041-\071\073-\176]*").fullmatch  # the email parser's header name
_LEGAL_NAME = re.compile(rb"[^:\s][^:\r\n]*").fullmatch
_ILLEGAL_VALUE = re.compile(rb"\n(?![ \t])|\r(?![ \t\n])").search
_PATH_CONTROL = re.compile("[\x00-\x20\x7f]").search
_BODYLESS = (204, 304)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, list[str]]  # lower-case name: every value, in order
    body: bytes  # at most the limit
    reusable: bool  # read to its end, and the connection stays open

    def header(self, name: str) -> str | None:
        """Every value of the header joined by ", " (http.client's `getheader`), or None."""
        values = self.headers.get(name)
        return ", ".join(values) if values else None


class Connection:
    """A connection to one receiver: opened by the first `exchange`, kept by the caller."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.sock: DeadlineSocket | None = None
        self._buffer = bytearray()  # read from the socket, not yet taken
        self.received = 0  # bytes read in the current exchange

    def exchange(
        self, path: str, headers: Mapping[str, str], body: bytes, deadline: float
    ) -> Answer:
        """Send one POST and read its answer, all by `deadline` (raises on failure)."""
        message = request_bytes(self.origin, path, headers, body)
        if self.sock is None:
            self.sock = connect(self.origin, deadline)
        self.sock.deadline, self.received = deadline, 0
        self.sock.sendall(message)
        ack_at_once(self.sock)
        return self.read_answer()

    def dropped(self) -> bool:
        """Whether an idle connection can no longer carry a request."""
        return self.sock is None or bool(self._buffer) or readable(self.sock)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # -- reading ------------------------------------------------------------------------------

    def _fill(self) -> bool:
        assert self.sock is not None
        chunk = self.sock.recv(MAX_LINE)
        self.received += len(chunk)
        self._buffer += chunk
        return bool(chunk)

    def _line(self, limit: int = MAX_LINE + 1) -> bytes:
        """A line with its end (at most `limit` bytes; without an end at the end of stream)."""
        while True:
            end = self._buffer.find(b"\n", 0, limit)
            if end >= 0 or len(self._buffer) >= limit or not self._fill():
                size = end + 1 if end >= 0 else min(len(self._buffer), limit)
                line = bytes(self._buffer[:size])
                del self._buffer[:size]
                return line

    def _read(self, size: int) -> bytes:
        """`size` bytes, or fewer at the end of the stream."""
        while len(self._buffer) < size and self._fill():
            pass
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read_answer(self) -> Answer:
        """The answer to the request just sent (raises as http.client would)."""
        version, status = self._status()
        while status == 100:  # http.client skips a 100 Continue, and only that
            self._headers()
            version, status = self._status()
        if version not in ("HTTP/1.0", "HTTP/0.9") and not version.startswith("HTTP/1."):
            raise http.client.UnknownProtocol(version)
        headers = self._headers()
        first = {name: values[0] for name, values in headers.items()}
        chunked = first.get("transfer-encoding", "").lower() == "chunked"
        # Kept only after a final answer (another 1xx's answer would still be on its way)
        # from an HTTP/1.1 receiver that did not say it closes.
        keep = version.startswith("HTTP/1.") and version != "HTTP/1.0" and status >= 200
        keep = keep and "close" not in first.get("connection", "").lower()
        length = None if chunked else _length(first.get("content-length"))
        if status in _BODYLESS or 100 <= status < 200:
            length = 0
        return self._body(status, headers, chunked, length, keep)

    def _status(self) -> tuple[str, int]:
        raw = self._line()
        if len(raw) > MAX_LINE:
            raise http.client.LineTooLong("status line")
        if not raw:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        line = raw.decode("iso-8859-1")
        parts = line.split(None, 2)
        version = parts[0] if len(parts) >= 2 else ""
        if not version.startswith("HTTP/"):
            raise http.client.BadStatusLine(line)
        try:
            status = int(parts[1])
        except ValueError:
            raise http.client.BadStatusLine(line) from None
        if not 100 <= status <= 999:
            raise http.client.BadStatusLine(line)
        return version, status

    def _headers(self) -> dict[str, list[str]]:
        """The header lines up to the blank one, read as http.client (and the email parser
        under it) reads them: names matched in any case, values without leading blanks,
        folded lines joined, and nothing after a line that is not a header."""
        lines: list[str] = []
        for _ in range(MAX_HEADERS):
            raw = self._line()
            if len(raw) > MAX_LINE:
                raise http.client.LineTooLong("header line")
            if raw in (b"\r\n", b"\n", b""):
                return _parsed(lines)
            lines.append(raw.decode("iso-8859-1"))
        raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")

    def _body(
        self,
        status: int,
        headers: dict[str, list[str]],
        chunked: bool,
        length: int | None,
        keep: bool,
    ) -> Answer:
        limit = READ_LIMIT
        if chunked:
            body, complete = self._chunks(limit)
        elif length is None:  # delimited by the end of the stream
            body, complete, keep = self._read(limit), False, False
        else:
            body = self._read(min(length, limit))
            complete = len(body) == length
        return Answer(status, headers, body, keep and complete and not self._buffer)

    def _chunks(self, limit: int) -> tuple[bytes, bool]:
        """A chunked body, as http.client's `read(limit)` reads it: a chunk's CRLF is read
        only when the next chunk is, and a short read raises with the whole chunks before."""
        body = bytearray()
        after_chunk = False
        while len(body) < limit:
            if after_chunk and len(self._read(2)) < 2:
                raise http.client.IncompleteRead(bytes(body))
            raw = self._line()
            if len(raw) > MAX_LINE:
                raise http.client.LineTooLong("chunk size")
            try:
                size = int(raw.split(b";", 1)[0], 16)
            except ValueError:
                raise http.client.IncompleteRead(bytes(body)) from None
            if size == 0:
                self._trailer()
                return bytes(body), True
            wanted = min(size, limit - len(body))
            data = self._read(wanted)
            if len(data) < wanted:
                raise http.client.IncompleteRead(bytes(body))
            body += data
            after_chunk = True
        return bytes(body), False

    def _trailer(self) -> None:
        while True:
            raw = self._line()
            if len(raw) > MAX_LINE:
                raise http.client.LineTooLong("trailer line")
            if raw in (b"\r\n", b"\n", b""):
                return


def _parsed(lines: list[str]) -> dict[str, list[str]]:
    """Header lines (with their ends) by the email parser's rules, which http.client uses."""
    headers: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in lines:
        if line[:1] in (" ", "\t"):
            if last is None:
                break
            last[-1] += line  # a folded line continues the last value, line end and all
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or not _NAME(name):
            break
        last = headers.setdefault(name.lower(), [])
        last.append(value.lstrip(" \t"))
    return {name: [v.rstrip("\r\n") for v in values] for name, values in headers.items()}


def _length(value: str | None) -> int | None:
    if not value:
        return None
    try:
        length = int(value)
    except ValueError:
        return None
    return length if length >= 0 else None


def request_bytes(origin: Origin, path: str, headers: Mapping[str, str], body: bytes) -> bytes:
    """The POST as http.client writes it; ValueError or InvalidURL as it raises them."""
    found = _PATH_CONTROL(path)
    if found:
        raise http.client.InvalidURL(
            f"URL can't contain control characters. {path!r} (found at least {found.group()!r})"
        )
    names = {name.lower() for name in headers}
    lines = [f"POST {path} HTTP/1.1".encode("ascii")]
    if "host" not in names:
        lines.append(b"Host: " + _host(origin))
    if "accept-encoding" not in names:
        lines.append(b"Accept-Encoding: identity")
    if "content-length" not in names and "transfer-encoding" not in names:
        lines.append(b"Content-Length: %d" % len(body))
    for name, value in headers.items():
        lines.append(_header(name, value))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _header(name: str, value: str) -> bytes:
    encoded_name = name.encode("ascii")
    if not _LEGAL_NAME(encoded_name):
        raise ValueError(f"Invalid header name {encoded_name!r}")
    encoded = value.encode("latin-1")
    if _ILLEGAL_VALUE(encoded):
        raise ValueError(f"Invalid header value {encoded!r}")
    return encoded_name + b": " + encoded


def _host(origin: Origin) -> bytes:
    """`Host` as http.client writes it: an IPv6 literal bracketed (its zone dropped), the port
    left out when it is the scheme's default."""
    host = origin.host.encode("ascii")
    if b":" in host:
        host = b"[" + host.split(b"%", 1)[0] + b"]"
    default = 443 if origin.secure else 80
    return host if origin.port == default else host + b":%d" % origin.port
