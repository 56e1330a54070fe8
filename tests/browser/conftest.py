"""One Chromium (Debian's, /usr/bin/chromium) for the session, driven by Playwright; a fresh
mock server and browser context per test. Nothing is fetched from the internet: Playwright's
own browser download is never used (`executable_path`), and .ci/run installs the package."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_server.server import MockServer
from mock_server.settings.config import Settings
from seedream_contracts.client import Client

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"
SETTINGS = {"port": 0, "clock": "manual", "clock_start": 1_800_000_000.0, "seed": 3}
KEY = "aio_your_api_key"
WIDE = {"width": 1280, "height": 800}

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install chromium (.ci/run does)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=WIDE)
    opened = context.new_page()
    opened.set_default_timeout(5000)
    yield opened
    context.close()


@pytest.fixture
def mock() -> Iterator[Callable[..., tuple[MockServer, Client]]]:
    """Start a mock (manual clock unless told); stopped after the test, page open or not."""
    with contextlib.ExitStack() as stack:

        def start(**overrides: Any) -> tuple[MockServer, Client]:
            server = stack.enter_context(MockServer(Settings(**(SETTINGS | overrides))))
            client = stack.enter_context(contextlib.closing(Client(server.base_url, KEY)))
            return server, client

        yield start


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Save a screenshot in the test's temp folder; with SEEDREAM_SCREENSHOTS=1 (`make
    screenshots`) also over the committed one in docs/images/."""

    def take(page: Any, name: str) -> Path:
        shot = tmp_path / name
        page.screenshot(path=str(shot), full_page=False)
        if os.environ.get("SEEDREAM_SCREENSHOTS") == "1":
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, SHOTS / name)
        return shot

    return take
