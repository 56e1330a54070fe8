"""Callback URLs in the form a sender can put on the wire, or the reason one cannot be sent.

Normalised, not refused: the HTTP clients a receiver's author knows (requests, httpx, browsers)
send a non-ASCII path or query percent-encoded as UTF-8 (RFC 3986 §2.1, §2.5) and a
non-ASCII host in its IDNA form, so a mock that refused such URLs would be stricter than the
senders it stands in for. It happens at submit, not at send time, so that the URL the task
keeps (and the delivery log shows) is the one every attempt requests, and so that the host
allow-list judges the host that will be dialled, never a percent-encoded or Unicode spelling of
it. What has no such form (a host IDNA refuses, a port out of range, text that is not Unicode)
is refused with the reason, and the caller answers 400.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

_ESCAPE = re.compile("(%[0-9A-Fa-f]{2})")  # a valid escape is kept as written
# Besides the unreserved characters `quote` always keeps: RFC 3986's sub-delims and the
# gen-delims a path (`:@/`) or a query and fragment (also `?`) may hold. A `%` that starts no
# valid escape becomes `%25`, so the receiver decodes exactly what was written.
_SAFE_PATH = "!$&'()*+,;=:@/"
_SAFE_QUERY = _SAFE_PATH + "?"
_HOST = re.compile(r"[a-z0-9._~-]+")  # the contract's host characters, less the `%`


class CallbackUrlError(ValueError):
    """Why a callback URL cannot be sent; the message completes "callback_url …"."""


def normalise(url: str) -> str:
    """`url` with an ASCII host (IDNA), a checked port and a percent-encoded path, query and
    fragment; unchanged when it already was so. Raises CallbackUrlError."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port out of range
    except ValueError as exc:
        raise CallbackUrlError(f"has a host or port that cannot be used ({exc})") from None
    if port == 0:
        raise CallbackUrlError("has port 0, which nothing can listen on")
    host = ascii_host(parts.hostname or "")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    try:
        path = _encode(parts.path, _SAFE_PATH)
        query = _encode(parts.query, _SAFE_QUERY)
        fragment = _encode(parts.fragment, _SAFE_QUERY)
    except UnicodeError:
        raise CallbackUrlError("holds text that is not valid Unicode") from None
    return urlunsplit((parts.scheme.lower(), netloc, path, query, fragment))


def ascii_host(host: str) -> str:
    """The host as it is dialled and sent in `Host`: an IPv6 literal, or a name whose
    percent-escapes are decoded (UTF-8) and whose labels are IDNA-encoded, the codec the
    socket module itself uses. Raises CallbackUrlError."""
    if ":" in host:  # the contract lets nothing but an IPv6 literal hold a colon
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            raise CallbackUrlError(f"has an invalid IPv6 address ({host!r})") from None
    try:
        encoded = unquote(host, errors="strict").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise CallbackUrlError(f"has a host with no IDNA form ({host!r})") from None
    if not _HOST.fullmatch(encoded):
        raise CallbackUrlError(f"has a host that is not a valid name or IP address ({host!r})")
    return encoded


def _encode(part: str, safe: str) -> str:
    pieces = _ESCAPE.split(part)  # odd indexes hold the valid escapes
    return "".join(
        piece if index % 2 else quote(piece, safe=safe, errors="strict")
        for index, piece in enumerate(pieces)
    )
