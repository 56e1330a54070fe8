"""Answers held for a commit (mock_server/httpd/commits.py): none leaves before its commit has
ended, one that needs no commit makes none, pipelined answers keep their order, a commit made
by another thread releases them too, and a failed commit is a 500. The storage here commits
by hand, so every wait is the test's to end."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from httpd_support import answers, echo_app, only, running_servers, seen

from mock_server.httpd import HttpServer

QUIET = 0.3  # seconds in which a held answer must not arrive


class HandCommits:
    """Commits made by hand. An answer to a path under /write needs one (the app says so on
    the thread that ran it, just before the server asks for the ticket); others need none.
    The server's own `commit` waits for `go` (a slow disk), or with `elsewhere` leaves the
    commit to another thread (the test's `commit_elsewhere`)."""

    def __init__(self) -> None:
        self.changed = threading.local()
        self.begun = self.ended = self.succeeded = 0
        self.wakers: list[Callable[[], None]] = []
        self.go = threading.Event()
        self.elsewhere = False
        self.fail = False
        self.made = 0  # commits the server made

    def ticket(self) -> int | None:
        return self.begun + 1 if getattr(self.changed, "value", False) else None

    def outcome(self, ticket: int) -> bool | None:
        return None if self.ended < ticket else self.succeeded >= ticket

    def on_commit(self, wake: Callable[[], None]) -> None:
        self.wakers.append(wake)

    def commit(self) -> None:
        if self.elsewhere:
            return
        self.made += 1
        assert self.go.wait(10), "the test never let the commit end"
        self._end(not self.fail)

    def commit_elsewhere(self) -> None:
        self._end(True)
        for wake in self.wakers:
            wake()

    def _end(self, ok: bool) -> None:
        self.begun += 1
        if ok:
            self.succeeded = self.begun
        self.ended = self.begun


class Started:
    """The echo app, noting which paths it started and whether each needs a commit."""

    def __init__(self, commits: HandCommits) -> None:
        self.commits = commits
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.paths.append(environ["PATH_INFO"])
        self.commits.changed.value = environ["PATH_INFO"].startswith("/write")
        return echo_app(environ, start_response)


@pytest.fixture
def held() -> Iterator[tuple[HttpServer, HandCommits, Started]]:
    commits = HandCommits()
    app = Started(commits)

    def inline(environ: dict[str, Any]) -> bool:
        return "thread" not in environ["PATH_INFO"]

    with running_servers(inline=inline, commits=commits) as start:
        yield start(app), commits, app


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


def _connect(server: HttpServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def _nothing_for(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(65536) == b"nothing"  # any byte (or a close) is too early
    except TimeoutError:
        return True
    finally:
        sock.settimeout(5)


def _answers(sock: socket.socket, count: int) -> list[tuple[int, dict[str, str], bytes]]:
    data = b""
    while len(found := _complete(data)) < count:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {data!r}"
        data += chunk
    return found


def _complete(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    try:
        return answers(data)
    except AssertionError:  # the last one is not whole yet
        return []


@pytest.mark.parametrize("path", ["/write/inline", "/write/thread"])
def test_an_answer_waits_until_its_commit_has_ended(
    held: tuple[HttpServer, HandCommits, Started], path: str
) -> None:
    server, commits, app = held
    with _connect(server) as sock:
        sock.sendall(_get(path))
        assert _nothing_for(sock, QUIET)
        assert app.paths == [path]  # answered by the app, held by the server
        assert commits.made == 1  # the server is in its commit
        commits.go.set()
        assert seen(_answers(sock, 1)[0])["path"] == path


def test_an_answer_that_needs_no_commit_makes_none(
    held: tuple[HttpServer, HandCommits, Started],
) -> None:
    server, commits, _ = held
    with _connect(server) as reader:
        started = time.monotonic()
        reader.sendall(_get("/read/1") + _get("/read/2"))
        found = _answers(reader, 2)
        assert [seen(a)["path"] for a in found] == ["/read/1", "/read/2"]
        assert time.monotonic() - started < QUIET
    assert commits.made == 0


def test_pipelined_answers_leave_in_order_each_after_its_commit(
    held: tuple[HttpServer, HandCommits, Started],
) -> None:
    server, commits, app = held
    with _connect(server) as sock:
        sock.sendall(_get("/write/1") + _get("/write/2") + _get("/read/3"))
        assert _nothing_for(sock, QUIET)
        assert app.paths == ["/write/1"]  # the next is not started before this one is sent
        commits.go.set()
        found = _answers(sock, 3)
        assert [seen(a)["path"] for a in found] == ["/write/1", "/write/2", "/read/3"]
    assert commits.made == 2


def test_a_commit_made_by_another_thread_releases_the_answers_held(
    held: tuple[HttpServer, HandCommits, Started],
) -> None:
    """As a callback's commit may carry them; bytes that come meanwhile wait, unread."""
    server, commits, app = held
    commits.elsewhere = True
    with _connect(server) as sock:
        sock.sendall(_get("/write/1"))
        assert _nothing_for(sock, QUIET)
        sock.sendall(_get("/write/2"))
        assert _nothing_for(sock, QUIET)
        assert app.paths == ["/write/1"]
        commits.commit_elsewhere()
        assert [seen(a)["path"] for a in _answers(sock, 1)] == ["/write/1"]
        assert _nothing_for(sock, QUIET)
        commits.commit_elsewhere()
        assert [seen(a)["path"] for a in _answers(sock, 1)] == ["/write/2"]


def test_a_failed_commit_answers_500_and_closes(
    held: tuple[HttpServer, HandCommits, Started],
) -> None:
    server, commits, _ = held
    commits.fail = True
    commits.go.set()
    with _connect(server) as sock:
        sock.sendall(_get("/write/1") + _get("/write/2"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        status, headers, _ = only(data)  # the request behind it is never answered
        assert (status, headers["connection"]) == (500, "close")


def test_a_later_commit_that_succeeds_carries_an_answer_whose_own_failed(
    held: tuple[HttpServer, HandCommits, Started],
) -> None:
    """A commit after a failed one writes everything: what the answer reports is kept."""
    server, commits, _ = held
    commits.elsewhere = True
    with _connect(server) as sock:
        sock.sendall(_get("/write/1"))
        assert _nothing_for(sock, QUIET)
        commits.begun += 1  # commit 1 fails and 2 succeeds before the server looks
        commits.commit_elsewhere()
        assert seen(_answers(sock, 1)[0])["path"] == "/write/1"
