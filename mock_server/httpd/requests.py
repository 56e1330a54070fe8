"""What a request may be, and what the app gets from it: limits, refusals, the WSGI environ.

llhttp (`reader.py`) decides whether the bytes are HTTP/1.1 at all; the rules here are the ones it
leaves to the server: which versions, targets and transfer codings this server serves, that an
HTTP/1.1 request names exactly one valid host (RFC 9112 section 3.2), and how headers become
WSGI variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

# reg-name restricted to unreserved characters, an IPv4 address, or an IP literal; then a port
_HOST = re.compile(r"(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?")
_ABSOLUTE = re.compile(rb"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^#]*)")
_KEYS: dict[bytes, str | None] = {}  # header name -> WSGI key (None: dropped); bounded below
_KEYS_CACHED = 512
_VALID_HOSTS: dict[str, bool] = {}  # host -> valid_host(host); bounded below
_HOSTS_KEPT = 256
HEADERS_KEY = "seedream_mock.headers"  # the head's fields as sent: [(name, value)] in bytes


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
class Request:
    """A request read whole: what the app gets, and how its answer is to be framed."""

    environ: dict[str, Any]
    keep_alive: bool
    head_only: bool


def shown(raw: bytes | str) -> str:
    """Request bytes quoted in a message as the client wrote them: text, never Python's
    `b'...'`; a byte that is not printable ASCII is written as an escape (`\\x00`)."""
    text = raw if isinstance(raw, str) else raw.decode("latin-1")
    return text[:60].encode("unicode_escape").decode("ascii")


def valid_host(host: str) -> bool:
    """`host[:port]` fit to put in a URL: the app builds result URLs from it, so anything else
    (a path, a space, userinfo, a port past 65535) must never get that far. Checked twice a
    request (by the server, then by the app): the verdicts on the usual few hosts are kept."""
    found = _VALID_HOSTS.get(host)
    if found is None:
        match = _HOST.fullmatch(host)
        found = match is not None and (match[1] is None or int(match[1]) <= 65535)
        if len(_VALID_HOSTS) < _HOSTS_KEPT:  # a client inventing hosts costs no memory
            _VALID_HOSTS[host] = found
    return found


def head_environ(
    base: dict[str, Any], method: str, version: str, url: bytes, headers: list[tuple[bytes, bytes]]
) -> dict[str, Any]:
    """The WSGI environ of a request head llhttp has read: `base` plus the request line and the
    headers (duplicates joined with ", "; a name with "_" dropped, as waitress and nginx do, so
    X_Foo never poses as X-Foo)."""
    environ = base.copy()
    environ["REQUEST_METHOD"] = method
    environ["SERVER_PROTOCOL"] = version
    hosts = 0
    for name, value in headers:
        key = _KEYS.get(name, "")
        if key == "":
            key = _key(name)
        if key is None:
            continue
        text = value.rstrip(b" \t").decode("latin-1")  # llhttp drops only the leading spaces
        if key == "HTTP_HOST":
            hosts += 1
        previous = environ.get(key)
        environ[key] = text if previous is None else f"{previous}, {text}"
    authority = _set_target(environ, url)
    if authority is not None:  # RFC 9112 section 3.2.2: the target's authority wins over Host
        environ["HTTP_HOST"] = authority
    _check_host(environ, version, hosts)
    return environ


def _key(name: bytes) -> str | None:
    key: str | None = None
    if b"_" not in name:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
    if len(_KEYS) < _KEYS_CACHED:  # the usual names; a client inventing names costs no memory
        _KEYS[name] = key
    return key


def _set_target(environ: dict[str, Any], url: bytes) -> str | None:
    """PATH_INFO (percent-decoded, as WSGI wants it) and QUERY_STRING from the request target;
    for an absolute-form target (`http://host/path`, as sent to proxies), its authority."""
    authority = None
    if url[:1] != b"/":
        match = _ABSOLUTE.fullmatch(url.partition(b"#")[0])
        if match is None or match[1].lower() not in (b"http", b"https"):
            raise RequestError(400, f"The request target '{shown(url)}' is not a path.")
        authority = match[2].decode("latin-1")
        if not valid_host(authority):
            raise RequestError(400, f"The target's host '{shown(authority)}' is not a valid host.")
        url = match[3] if match[3][:1] == b"/" else b"/" + match[3]
    elif b"#" in url:
        url = url.partition(b"#")[0]
    path, _, query = url.partition(b"?")
    environ["PATH_INFO"] = (unquote_to_bytes(path) if b"%" in path else path).decode("latin-1")
    environ["QUERY_STRING"] = query.decode("latin-1")
    return authority


def _check_host(environ: dict[str, Any], version: str, hosts: int) -> None:
    """RFC 9112 section 3.2: a 400 for an HTTP/1.1 request without a Host header, and for any
    request with two of them or one that is not a valid host. An empty Host is valid (the app
    then uses the server's own address)."""
    if hosts > 1:
        raise RequestError(400, "The request has more than one Host header; send exactly one.")
    host = environ.get("HTTP_HOST")
    if host is None:
        if version == "HTTP/1.1":
            raise RequestError(400, "An HTTP/1.1 request needs a Host header (RFC 9112 3.2).")
    elif host and not valid_host(host):
        raise RequestError(400, f"The Host header '{shown(host)}' is not a valid host[:port].")


def body_framing(environ: dict[str, Any], version: str) -> tuple[bool, int]:
    """(chunked, Content-Length) of a request whose head llhttp accepted: it has already refused
    Content-Length with Transfer-Encoding, two Content-Lengths and malformed numbers. What is
    left is which codings this server decodes: `chunked`, alone, and only in HTTP/1.1."""
    coding = environ.pop("HTTP_TRANSFER_ENCODING", None)
    if coding is not None:
        if version != "HTTP/1.1":  # RFC 9112 section 6.1: faulty framing
            raise RequestError(400, "Transfer-Encoding is only allowed in HTTP/1.1.")
        codings = [part.strip(" \t").lower() for part in coding.split(",")]
        if codings[-1] != "chunked":  # RFC 9112 section 6.3: the length cannot be known
            message = f"Transfer-Encoding '{shown(coding)}' does not end in chunked"
            raise RequestError(400, message + ", so the body's length cannot be known.")
        if len(codings) > 1:
            message = f"Transfer-Encoding '{shown(coding)}' is not supported"
            raise RequestError(501, message + "; send chunked alone, or Content-Length.")
        return True, 0
    length = environ.get("CONTENT_LENGTH")
    if length is None:
        return False, 0
    # digits only (llhttp checked), at most 20 of them past any leading zeros (or it overflowed)
    number = int(length.strip(" \t").lstrip("0") or "0")
    environ["CONTENT_LENGTH"] = str(number)
    return False, number


def expects_continue(environ: dict[str, Any], version: str, has_body: bool) -> bool:
    """Whether to send `100 Continue` before the body; 417 for any other expectation."""
    expect = environ.pop("HTTP_EXPECT", None)
    if expect is None:
        return False
    if expect.strip(" \t").lower() != "100-continue":
        raise RequestError(417, f"Expect '{shown(expect)}' is not supported.")
    return version == "HTTP/1.1" and has_body
