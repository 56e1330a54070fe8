"""Real servers on real sockets for the HTTP tests: one per test, on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mock_server.server import MockServer
from mock_server.settings.config import Settings
from seedream_contracts.client import Client

START = 1_800_000_000.0


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[MockServer, Client]]]:
    """Start a server with the given settings (manual clock unless told); stopped after the test."""
    started: list[tuple[MockServer, Client]] = []

    def start(**overrides: Any) -> tuple[MockServer, Client]:
        values: dict[str, Any] = {"port": 0, "clock": "manual", "clock_start": START, "seed": 3}
        values.update(overrides)
        server = MockServer(Settings(**values)).start()
        client = Client(server.base_url, "aio_your_api_key", timeout=10)
        started.append((server, client))
        return server, client

    yield start
    for server, client in started:
        client.close()
        server.stop()
