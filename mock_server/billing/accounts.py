"""Who may call the API: configured keys, open-mode keys made on first use, revocation, grants.

Keys made on first use are bounded: any client can invent them, so past `max_open_keys` the
one idle longest is forgotten (an OrderedDict by last use: O(1) per key). A key with a task
running holds credits and is never forgotten; nor is a key the user set up or touched through
the control API. A forgotten key that comes back is treated as on first use (a fresh grant);
the real service has no such thing, and the README says so.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from mock_server.billing.keys import Account, key_from_authorization
from mock_server.core.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
)
from mock_server.core.events import Event, EventBus
from mock_server.core.store import Store
from mock_server.settings.config import KEY_PATTERN, Settings


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
        # Keys made on first use, and so forgettable: idle ones least recently used first, and
        # those with tasks running (how many), which wait in `_running` until they are idle.
        self._idle: OrderedDict[str, None] = OrderedDict()
        self._running: dict[str, int] = {}

    def seed(self) -> None:
        """Create the configured keys with their grants (at start and after a reset)."""
        self.key_mode = self.settings.key_mode
        self.default_credits = self.settings.default_credits
        self._idle.clear()
        self._running.clear()
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
            account = self._first_use(key)
        elif key in self._idle:
            self._idle.move_to_end(key)
        if account.revoked:
            raise AuthenticationError("This API key has been revoked.")
        return account

    def get(self, key: str) -> Account:
        account = self.store.account(key)
        if account is None:
            raise NotFoundError(f"No key {key} is known to this server.", "key")
        return account

    def create(self, key: str, credits: int, *, pinned: bool = True) -> Account:
        """A new key with its grant; pinned unless made on first use."""
        if not KEY_PATTERN.match(key):
            raise InvalidRequestError("key must look like aio_<letters, digits, _ or ->.", "key")
        if self.store.account(key) is not None:
            raise ConflictError(f"Key {key} exists already.", "key")
        account = Account(key, pinned=pinned)
        self.store.save_account(account)
        if credits:
            self._credit(account, credits)
        return account

    def hold(self, account: Account, amount: int, at: float, task_id: str) -> Account:
        """Hold a task's price on the key's account, which is busy until `settled`. The account
        is looked up again: if it was forgotten since `authenticate`, the key is used afresh."""
        current = self.store.account(account.key) or self._first_use(account.key)
        current.ledger.hold(amount, at, task_id)  # 402 here: nothing changed
        if current.key in self._idle:
            del self._idle[current.key]
            self._running[current.key] = 0
        if current.key in self._running:
            self._running[current.key] += 1
        return current

    def settled(self, key: str) -> None:
        """A task of `key` has ended (its account saved): once none runs, it may be forgotten."""
        left = self._running.get(key)
        if left is None:
            return
        if left > 1:
            self._running[key] = left - 1
            return
        del self._running[key]
        self._idle[key] = None
        self._forget_over(self.settings.max_open_keys)

    def resume(self, running: dict[str, int]) -> None:
        """After a state file was loaded into the store: keys neither configured nor pinned are
        forgettable again, each busy with `running[key]` tasks, the others idle in the file's
        order."""
        self._idle.clear()
        self._running.clear()
        for account in self.store.accounts():
            if account.pinned or account.key in self.settings.keys:
                continue
            if running.get(account.key):
                self._running[account.key] = running[account.key]
            else:
                self._idle[account.key] = None

    def _first_use(self, key: str) -> Account:
        """An account for a key seen for the first time in open mode, making room for it."""
        self._forget_over(self.settings.max_open_keys - 1)
        account = self.create(key, self.default_credits, pinned=False)
        self._idle[key] = None
        return account

    def _forget_over(self, most: int) -> None:
        """Forget the least recently used idle keys while more than `most` are kept."""
        while len(self._idle) + len(self._running) > most and self._idle:
            key, _ = self._idle.popitem(last=False)
            self.store.delete_account(key)

    def _pin(self, account: Account) -> None:
        """The control API changed this key on purpose: it is never forgotten from now on."""
        self._idle.pop(account.key, None)
        self._running.pop(account.key, None)
        if not account.pinned:
            account.pinned = True
            self.store.save_account(account)

    def revoke(self, key: str) -> Account:
        account = self.get(key)
        self._pin(account)
        account.revoked = True
        self.store.save_account(account)
        return account

    def grant(self, key: str, amount: int) -> Account:
        account = self.get(key)
        self._pin(account)
        return self._credit(account, amount)

    def _credit(self, account: Account, amount: int) -> Account:
        at = self.now()
        try:
            account.ledger.grant(amount, at)
        except ValueError as exc:
            raise ConflictError(str(exc), "amount") from None
        self.store.save_account(account)
        self.events.publish(Event("credits.granted", at, account.key, data={"amount": amount}))
        return account
