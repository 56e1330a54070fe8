"""Key fingerprints: how an API key is shown wherever requests are kept (the mock's request
journal, a recording proxy), so two records can be told to share a key without either holding it.

One function in one place, so a fingerprint the mock shows and one a recording shows can be
compared by eye or by equality. The tail is shown only for keys long enough that four characters
say little about the rest; the hash prefix tells keys with the same tail apart.
"""

from __future__ import annotations

import functools
import hashlib

PREFIX = "aio_"
TAIL_FROM = 16  # keys at least this long show their last 4 characters
TAIL = 4
HASH_CHARS = 8
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-mock-token", "x-api-key", "cookie", "set-cookie"}
)


@functools.lru_cache(maxsize=256)  # the same few keys on every request: hash each once
def fingerprint(key: str) -> str:
    """`aio_…_key#b6281ae5` for `aio_your_api_key`: the `aio_` prefix (when the key has it), the
    last 4 characters of a key of 16 or more, and the first 8 hex digits of its SHA-256."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    prefix = PREFIX if key.startswith(PREFIX) else ""
    tail = key[-TAIL:] if len(key) >= TAIL_FROM else ""
    return f"{prefix}…{tail}#{digest}"


def authorization(value: str) -> str:
    """An `Authorization` value with its credentials fingerprinted and its scheme kept:
    `Bearer aio_…_key#b6281ae5`."""
    scheme, space, credentials = value.strip().partition(" ")
    if not space:
        return fingerprint(scheme)
    return f"{scheme} {fingerprint(credentials.strip())}"


def header(name: str, value: str) -> str:
    """A header value as it may be kept: secrets (credentials, tokens, cookies) fingerprinted."""
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        return authorization(value)
    if lowered in SECRET_HEADERS:
        return fingerprint(value)
    return value
