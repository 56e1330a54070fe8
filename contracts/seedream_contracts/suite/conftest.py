"""Fixtures of the contract suite: which target to test, and a client for it.

Without --target the suite starts the mock as a separate process (`python -m mock_server`) on
a free port, with a fast scaled clock (and --profile, when given), and stops it at the end. It
never imports mock_server.

Every expectation comes from one profile (the `profile` fixture): --profile when given, else
the profile a mock target serves (`GET /_mock/profile`), else `default`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from seedream_contracts.client import Client
from seedream_contracts.drift import DriftRecorder
from seedream_contracts.profiles import Profile
from seedream_contracts.suite import _run
from seedream_contracts.suite._run import Budget

DEFAULT_KEY = "aio_your_api_key"
MOCK_SPEED = 100  # 3–10 s tasks finish in 30–100 ms
_URL = re.compile(r"serving the Seedream 4\.5 API at (http://\S+)")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seedream contracts")
    group.addoption("--target", help="base URL to test (default: start the mock on a free port)")
    group.addoption("--api-key", help=f"API key for the target (default {DEFAULT_KEY})")
    group.addoption(
        "--other-api-key",
        help="a second key of the target, for isolation tests (default on the mock: made up)",
    )
    group.addoption(
        "--max-credits",
        type=int,
        default=None,
        help="credits the run may spend; tests that would exceed it are skipped "
        "(default: unlimited on a mock, 0 on any other target)",
    )
    group.addoption("--report", help="write the drift report to PATH.json and PATH.md")
    group.addoption(
        "--profile",
        help="the dialect to expect: a shipped profile (default, kie, strict) or a profile "
        "file (default: what a mock target serves, else default; the embedded mock serves it)",
    )
    group.addoption(
        "--callback-url",
        help="a public receiver for callbacks on a real target (the suite cannot read it)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mock_only: needs the mock's control API (/_mock/)")
    config.addinivalue_line("markers", "costs(credits): credits the test spends on a real target")
    config.addinivalue_line("markers", "needs_callback: needs a receiver the target can reach")
    _run.configure(config)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    run = item.config.stash[_run.RUN]
    if item.get_closest_marker("mock_only") and not run.is_mock:
        pytest.skip("needs the mock's control API (/_mock/), which this target lacks")
    no_receiver = not run.is_mock and not item.config.getoption("--callback-url")
    if item.get_closest_marker("needs_callback") and no_receiver:
        pytest.skip("needs a receiver the target can reach: pass --callback-url")
    _run.charge_marked_cost(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    _run.note_network_error(item, call)
    yield


def pytest_sessionfinish(session: pytest.Session) -> None:
    _run.write_report(session.config)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = _run.summary_lines(config)
    if lines:
        terminalreporter.section("seedream contract drift")
        for line in lines:
            terminalreporter.write_line(line)


@dataclass(frozen=True)
class Target:
    """What the suite is testing: where, with which keys, and whether /_mock/ is there."""

    base_url: str
    api_key: str
    other_api_key: str | None
    has_control: bool


def _start_mock(log: Path, profile: str | None) -> tuple[subprocess.Popen[bytes], str]:
    command = [
        sys.executable,
        "-m",
        "mock_server",
        "serve",
        "--port",
        "0",
        "--clock",
        "scaled",
        "--speed",
        str(MOCK_SPEED),
        "--seed",
        "20261124",
        "--key",
        f"{DEFAULT_KEY}:1000000",
        *(["--profile", profile] if profile else []),
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = _URL.search(log.read_text("utf-8", "replace"))
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the mock did not start; its output:\n{log.read_text('utf-8', 'replace')}")


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    url = pytestconfig.getoption("--target")
    key = pytestconfig.getoption("--api-key") or DEFAULT_KEY
    other = pytestconfig.getoption("--other-api-key")
    if url:
        yield Target(url, key, other, pytestconfig.stash[_run.RUN].is_mock)
        return
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "mock.log"
        process, url = _start_mock(log, pytestconfig.getoption("--profile"))
        try:
            yield Target(url, key, other or "aio_contract_other_key", True)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def api(target: Target, pytestconfig: pytest.Config) -> Iterator[Client]:
    """A client with the target's main key (its twins made by `with_key` share connections);
    every answer it gets goes to the drift recorder."""
    run = pytestconfig.stash[_run.RUN]
    client = Client(
        target.base_url, target.api_key, observer=run.recorder.observe, profile=run.profile
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def other_api(target: Target, api: Client) -> Client:
    """A client with a second, unrelated key."""
    if target.other_api_key is None:
        pytest.skip("needs --other-api-key on this target")
    return api.with_key(target.other_api_key)


@pytest.fixture(scope="session")
def budget(pytestconfig: pytest.Config) -> Budget:
    """The run's credit budget, for fixtures that spend credits outside a marked test."""
    return pytestconfig.stash[_run.RUN].budget


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    """The dialect the run expects: every answer is judged by its schemas and read through it,
    and every request follows its input rules."""
    return pytestconfig.stash[_run.RUN].profile


@pytest.fixture(scope="session")
def recorder(pytestconfig: pytest.Config) -> DriftRecorder:
    return pytestconfig.stash[_run.RUN].recorder
