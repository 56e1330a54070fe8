"""Answers held for a commit (mock_server/httpd/commits.py): none leaves before its commit has
ended, one that needs no commit is not held, pipelined answers keep their order, and a failed
commit is a 500. The storage here commits by hand, so every wait is the test's to end."""

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
    """Commits made by the test. An answer to a path under /write needs one (the app says so on
    the thread that ran it, just before the server asks for the ticket); others need none."""

    def __init__(self) -> None:
        self.changed = threading.local()
        self.begun = self.ended = self.succeeded = 0
        self.wakers: list[Callable[[], None]] = []

    def ticket(self) -> int | None:
        return self.begun + 1 if getattr(self.changed, "value", False) else None

    def outcome(self, ticket: int) -> bool | None:
        return None if self.ended < ticket else self.succeeded >= ticket

    def on_commit(self, wake: Callable[[], None]) -> None:
        self.wakers.append(wake)

    def commit(self, ok: bool = True) -> None:
        self.begun += 1
        if ok:
            self.succeeded = self.begun
        self.ended = self.begun
        for wake in self.wakers:
            wake()


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
        commits.commit()
        assert seen(_answers(sock, 1)[0])["path"] == path


def test_an_answer_that_needs_no_commit_goes_while_others_wait(
    held: tuple[HttpServer, HandCommits, Started],
) -> None:
    server, commits, _ = held
    with _connect(server) as writer, _connect(server) as reader:
        writer.sendall(_get("/write/1"))
        assert _nothing_for(writer, QUIET)
        started = time.monotonic()
        reader.sendall(_get("/read/1"))
        assert seen(_answers(reader, 1)[0])["path"] == "/read/1"
        assert time.monotonic() - started < QUIET
        assert _nothing_for(writer, 0.05)  # still waiting for its commit
        commits.commit()
        assert seen(_answers(writer, 1)[0])["path"] == "/write/1"


@pytest.mark.parametrize("together", [True, False], ids=["pipelined", "sent-while-held"])
def test_pipelined_answers_leave_in_order_each_after_its_commit(
    held: tuple[HttpServer, HandCommits, Started], together: bool
) -> None:
    server, commits, app = held
    with _connect(server) as sock:
        sock.sendall(_get("/write/1") + (_get("/write/2") if together else b""))
        assert _nothing_for(sock, QUIET)
        if not together:  # bytes that come while an answer is held wait with it
            sock.sendall(_get("/write/2"))
            assert _nothing_for(sock, QUIET)
        assert app.paths == ["/write/1"]  # the next is not started before this one is sent
        commits.commit()
        first = _answers(sock, 1)
        assert [seen(a)["path"] for a in first] == ["/write/1"]
        assert _nothing_for(sock, QUIET)
        assert app.paths == ["/write/1", "/write/2"]
        commits.commit()
        sock.sendall(_get("/read/3"))
        found = _answers(sock, 2)
        assert [seen(a)["path"] for a in found] == ["/write/2", "/read/3"]


def test_a_failed_commit_answers_500_and_closes(
    held: tuple[HttpServer, HandCommits, Started],
) -> None:
    server, commits, _ = held
    with _connect(server) as sock:
        sock.sendall(_get("/write/1") + _get("/write/2"))
        assert _nothing_for(sock, QUIET)
        commits.commit(ok=False)
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
    with _connect(server) as sock:
        sock.sendall(_get("/write/1"))
        assert _nothing_for(sock, QUIET)
        commits.begun += 1  # commit 1 fails and 2 succeeds before the server looks
        commits.commit()
        assert seen(_answers(sock, 1)[0])["path"] == "/write/1"
