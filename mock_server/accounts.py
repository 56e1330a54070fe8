"""Who may call the API: configured keys, open-mode keys made on first use, revocation, grants."""

from __future__ import annotations

from collections.abc import Callable

from mock_server.config import KEY_PATTERN, Settings
from mock_server.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
)
from mock_server.events import Event, EventBus
from mock_server.keys import Account, key_from_authorization
from mock_server.store import Store


class Accounts:
    """Key policy and ledgers over the store. Callers hold the state lock."""

    def __init__(
        self, settings: Settings, store: Store, events: EventBus, now: Callable[[], float]
    ) -> None:
        self.settings = settings
        self.key_mode = settings.key_mode  # a scenario may change these two at run time
        self.default_credits = settings.default_credits
        self.store = store
        self.events = events
        self.now = now

    def seed(self) -> None:
        """Create the configured keys with their grants (at start and after a reset)."""
        self.key_mode = self.settings.key_mode
        self.default_credits = self.settings.default_credits
        for key, credits in self.settings.keys.items():
            self.create(key, credits)

    def authenticate(self, authorization: str | None) -> Account:
        """The account behind an Authorization header; in open mode a well-formed unknown key
        becomes an account with the default grant, in strict mode it is refused."""
        key = key_from_authorization(authorization)
        account = self.store.account(key)
        if account is None:
            if self.key_mode == "strict":
                raise AuthenticationError("Invalid API key.")
            account = self.create(key, self.default_credits)
        if account.revoked:
            raise AuthenticationError("This API key has been revoked.")
        return account

    def get(self, key: str) -> Account:
        account = self.store.account(key)
        if account is None:
            raise NotFoundError(f"No key {key} is known to this server.", "key")
        return account

    def create(self, key: str, credits: int) -> Account:
        if not KEY_PATTERN.match(key):
            raise InvalidRequestError("key must look like aio_<letters, digits, _ or ->.", "key")
        if self.store.account(key) is not None:
            raise ConflictError(f"Key {key} exists already.", "key")
        account = Account(key)
        self.store.save_account(account)
        if credits:
            self.grant(key, credits)
        return account

    def revoke(self, key: str) -> Account:
        account = self.get(key)
        account.revoked = True
        self.store.save_account(account)
        return account

    def grant(self, key: str, amount: int) -> Account:
        account = self.get(key)
        at = self.now()
        try:
            account.ledger.grant(amount, at)
        except ValueError as exc:
            raise ConflictError(str(exc), "amount") from None
        self.store.save_account(account)
        self.events.publish(Event("credits.granted", at, key, data={"amount": amount}))
        return account
