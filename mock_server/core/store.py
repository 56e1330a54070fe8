"""Where state lives: one interface for tasks, accounts and webhook deliveries (memory now;
SQLite later)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from mock_server.core.janitor import discard
from mock_server.core.tasks import Task

if TYPE_CHECKING:
    from mock_server.billing.keys import Account
    from mock_server.webhooks.records import Delivery


class Store(Protocol):
    """What the emulator needs from storage. Callers hold the state lock and call `save_*`
    after every change, so a durable store can write through without tracking objects."""

    def save_task(self, task: Task) -> None: ...
    def task(self, task_id: str) -> Task | None: ...
    def tasks(self) -> Iterator[Task]: ...
    def delete_task(self, task_id: str) -> None: ...
    def task_count(self) -> int: ...
    def save_account(self, account: Account) -> None: ...
    def account(self, key: str) -> Account | None: ...
    def accounts(self) -> Iterator[Account]: ...
    def delete_account(self, key: str) -> None: ...
    def save_delivery(self, delivery: Delivery) -> None: ...
    def delivery(self, event_id: str) -> Delivery | None: ...
    def deliveries(self) -> Iterator[Delivery]: ...
    def delete_delivery(self, event_id: str) -> None: ...
    def delivery_count(self) -> int: ...
    def clear(self) -> None: ...
    def flush(self) -> None: ...


class MemoryStore:
    """Dictionaries in insertion order; the oldest entries come first for eviction.

    `version` counts every save, delete and clear: a durable store's cue, readable in O(1)
    and without the state lock, that something changed since its last commit (an answer that
    changed nothing need not wait for one; see mock_server/state/barrier.py)."""

    def __init__(self) -> None:
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._accounts: dict[str, Account] = {}
        self._deliveries: OrderedDict[str, Delivery] = OrderedDict()
        self.version = 0

    def save_task(self, task: Task) -> None:
        self._tasks[task.task_id] = task
        self.version += 1

    def task(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def tasks(self) -> Iterator[Task]:
        return iter(list(self._tasks.values()))

    def delete_task(self, task_id: str) -> None:
        self._tasks.pop(task_id, None)
        self.version += 1

    def task_count(self) -> int:
        return len(self._tasks)

    def save_account(self, account: Account) -> None:
        self._accounts[account.key] = account
        self.version += 1

    def account(self, key: str) -> Account | None:
        return self._accounts.get(key)

    def accounts(self) -> Iterator[Account]:
        return iter(list(self._accounts.values()))

    def delete_account(self, key: str) -> None:
        self._accounts.pop(key, None)
        self.version += 1

    def save_delivery(self, delivery: Delivery) -> None:
        self._deliveries[delivery.event_id] = delivery
        self.version += 1

    def delivery(self, event_id: str) -> Delivery | None:
        return self._deliveries.get(event_id)

    def deliveries(self) -> Iterator[Delivery]:
        return iter(list(self._deliveries.values()))

    def delete_delivery(self, event_id: str) -> None:
        self._deliveries.pop(event_id, None)
        self.version += 1

    def delivery_count(self) -> int:
        return len(self._deliveries)

    def flush(self) -> None:
        """Make every change so far durable (a callback is about to report one); memory: no-op."""

    def clear(self) -> None:
        discard(self._tasks, self._accounts, self._deliveries)  # freed off this thread
        self._tasks, self._accounts, self._deliveries = OrderedDict(), {}, OrderedDict()
        self.version += 1
