"""pytest plugin: a real seedream-mock per test session, reset in-process before each test.

Installed with the package (entry point `pytest11`), so a test only asks for the fixtures:

    def test_callback_arrives(seedream_mock, seedream_webhooks):
        task_id = seedream_mock.submit("a fox", callback_url=seedream_webhooks.url)
        seedream_mock.clock.advance(60)
        assert seedream_webhooks.wait(1)[0].json()["data"]["task_id"] == task_id
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server.core.clock import CLOCK_MODES, ClockMode
from mock_server.handle import MockHandle
from mock_server.server import MockServer
from mock_server.settings.config import Settings
from mock_server.settings.profiles import problem as profile_problem
from seedream_contracts.receiver import WebhookReceiver


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seedream-mock")
    group.addoption(
        "--seedream-mock-seed",
        type=int,
        default=None,
        help="seed for task ids, timelines and fault draws (default 0)",
    )
    group.addoption(
        "--seedream-mock-clock",
        choices=CLOCK_MODES,
        default=None,
        help="clock of the session's mock (default manual: time moves when told)",
    )
    group.addoption(
        "--seedream-mock-speed",
        type=float,
        default=None,
        help="speed of a scaled clock (default 100: a 3-10 s task takes 30-100 ms)",
    )
    group.addoption(
        "--seedream-mock-profile",
        default=None,
        metavar="NAME|FILE",
        help="profile the session's mock answers in: default, kie, strict or a profile file "
        "(default: the seedream_mock_profile ini value, else default)",
    )
    parser.addini("seedream_mock_scenario", "scenario (shipped name or file) every test starts in")
    parser.addini("seedream_mock_profile", "profile (shipped name or file) the mock answers in")


def _from_ini(config: pytest.Config, value: str) -> str:
    """A relative scenario or profile path in the ini file is relative to that file (as a reader
    of the ini expects), not to wherever pytest was started; a shipped name stays a name."""
    path = Path(value)
    base = config.inipath.parent if config.inipath else config.rootpath
    beside = base / path
    return str(beside) if not path.is_absolute() and beside.exists() else value


PROFILE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Check the profile before any test runs: a bad one stops the session (a usage error)
    instead of erroring every test that asks for the mock."""
    config.stash[PROFILE] = _profile(config)


def _profile(config: pytest.Config) -> str:
    """--seedream-mock-profile, else the ini's seedream_mock_profile, else default; a bad one
    is a usage error naming where it was written."""
    given = config.getoption("--seedream-mock-profile")
    where = f"--seedream-mock-profile {given}"
    if not given:
        given = config.getini("seedream_mock_profile")
        where = f"ini seedream_mock_profile = {given}"
        given = _from_ini(config, given) if given else "default"
    wrong = None if given == "default" else profile_problem(given)
    if wrong is not None:
        raise pytest.UsageError(f"{where}: {wrong}")
    return str(given)


@pytest.fixture(scope="session")
def seedream_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """One real server (real socket, 127.0.0.1, free port) for the whole session (per xdist
    worker)."""
    seed = pytestconfig.getoption("--seedream-mock-seed")
    clock: ClockMode = pytestconfig.getoption("--seedream-mock-clock") or "manual"
    speed = pytestconfig.getoption("--seedream-mock-speed") or (100.0 if clock == "scaled" else 1.0)
    settings = Settings(
        port=0,
        clock=clock,
        speed=speed,
        seed=0 if seed is None else seed,
        profile=pytestconfig.stash[PROFILE],
    )
    server = MockServer(settings)
    scenario = pytestconfig.getini("seedream_mock_scenario")
    if scenario:
        from mock_server.faults import scenarios

        start = scenarios.read_file(_from_ini(pytestconfig, scenario))
        server.emulator.runtime.start_scenario = start
    server.start()
    yield server
    server.stop()


@pytest.fixture
def seedream_mock(seedream_server: MockServer) -> Iterator[MockHandle]:
    """The session's mock, reset to its start state for this test."""
    seedream_server.control.reset()
    handle = MockHandle(seedream_server)
    yield handle
    handle.close()


@pytest.fixture
def seedream_webhooks() -> Iterator[WebhookReceiver]:
    """A real local webhook receiver: pass `.url` as callback_url, then `.wait(n)`."""
    with WebhookReceiver() as receiver:
        yield receiver
