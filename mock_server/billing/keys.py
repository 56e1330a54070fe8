"""API keys: reading the Authorization header, and the open/strict policy for unknown keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from mock_server.billing.credits import Ledger
from mock_server.core.errors import AuthenticationError
from mock_server.settings.config import KEY_PATTERN


@dataclass
class Account:
    """An API key with its ledger. Revoked accounts stay, so their history can still be read.
    A pinned one is never forgotten past `max_open_keys`: configured, made through the control
    API, or changed through it since it was made on first use (billing/accounts.py)."""

    key: str
    ledger: Ledger = field(default_factory=Ledger)
    revoked: bool = False
    pinned: bool = False


def key_from_authorization(header: str | None) -> str:
    """The API key in `Authorization: Bearer aio_…`, or a 401 that says what is wrong."""
    if not header or not header.strip():
        raise AuthenticationError(
            "Missing Authorization header: send 'Authorization: Bearer aio_<your key>'."
        )
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            "Malformed Authorization header: expected 'Bearer aio_<your key>'."
        )
    key = token.strip()
    if not KEY_PATTERN.match(key):
        raise AuthenticationError("Invalid API key: API in One keys look like 'aio_…'.")
    return key
