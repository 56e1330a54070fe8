"""Answers held until the commit that carries them: the server's side of durable storage.

An app that keeps its state in a file (seedream-mock's `--state`) must not have an answer sent
before what it reports is committed. A commit after each answer makes every request pay for a
commit of its own; instead the server asks `Commits` for a ticket once the app has answered
(None: nothing to wait for, as for most reads) and holds the answer. When it has served every
request that was ready, it makes one commit for all it holds (`Commits.commit`, on the loop:
see state/barrier.py for why not on a thread it would wake) and sends them. A commit made by
another thread wakes the loop too (`on_commit`). A held answer keeps its connection busy, so the
requests pipelined behind it wait and answers leave in the order the requests came. A commit
that failed turns the answer into a 500: the client must not be told what is not kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from mock_server.httpd.connection import Connection
from mock_server.httpd.requests import Request
from mock_server.httpd.wsgi import Answer


class Commits(Protocol):
    """Durable storage under the app, as the server sees it (`mock_server.state.barrier`)."""

    def ticket(self) -> int | None:
        """Right after the app answered, on the thread that ran it: None if the answer may go
        now, else the commit it waits for (the storage is asked to make it)."""
        ...

    def outcome(self, ticket: int) -> bool | None:
        """None while the ticket's commit is to come; True once it is committed; False when
        committing failed."""
        ...

    def on_commit(self, wake: Callable[[], None]) -> None:
        """Call `wake()` (from any thread) whenever a commit ends."""
        ...

    def commit(self) -> None:
        """Commit every change so far, on this thread; a failure is an outcome, not a raise."""
        ...


@dataclass
class Held:
    ticket: int
    connection: Connection
    request: Request
    answer: Answer | None


class HeldAnswers:
    """The answers waiting for their commit (loop thread only; few: at most one a connection)."""

    def __init__(self, commits: Commits) -> None:
        self.commits = commits
        self._held: list[Held] = []

    def __bool__(self) -> bool:  # read by a committing thread too: one plain read
        return bool(self._held)

    def outcome(self, ticket: int) -> bool | None:
        return self.commits.outcome(ticket)

    def hold(self, held: Held) -> None:
        held.connection.busy = True  # nothing more is started on it meanwhile
        held.connection.committing = True
        self._held.append(held)

    def due(self) -> list[tuple[Held, bool]]:
        """The held answers whose commit ended (and whether it succeeded), in the order they
        were held; the rest stay."""
        if not self._held:
            return []
        ended: list[tuple[Held, bool]] = []
        waiting: list[Held] = []
        for held in self._held:
            outcome = self.commits.outcome(held.ticket)
            if outcome is None:
                waiting.append(held)
            else:
                ended.append((held, outcome))
        self._held = waiting
        return ended
