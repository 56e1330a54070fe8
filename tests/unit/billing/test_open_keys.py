"""Keys made on first use in open mode are bounded: past `max_open_keys` the key idle longest
is forgotten; busy, configured and control-touched keys never are; a key that comes back
starts afresh."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.control import Control
from mock_server.core.errors import AuthenticationError, NotFoundError
from mock_server.core.tasks import Status
from mock_server.emulator import Emulator
from mock_server.settings.config import Settings, load_settings
from mock_server.settings.values import ConfigError

START = 1_800_000_000.0


def _mock(**overrides: Any) -> Emulator:
    values: dict[str, Any] = {"clock": "manual", "clock_start": START, "seed": 1}
    return Emulator(Settings(**(values | overrides)))


def _use(mock: Emulator, *names: str) -> None:
    for name in names:
        mock.authenticate(f"Bearer aio_{name}")


def _keys(mock: Emulator) -> set[str]:
    return {account.key.removeprefix("aio_") for account in mock.store.accounts()}


def test_distinct_open_keys_never_grow_past_the_default_cap() -> None:
    """Before: every key was kept (100k keys, 245 MB). The configured key is not counted."""
    mock = _mock()
    for n in range(10_050):
        _use(mock, f"k{n}")
    assert len(_keys(mock)) == 10_000 + 1
    assert "k0" not in _keys(mock)
    assert "k10049" in _keys(mock)


def test_the_key_idle_longest_goes_first_and_every_use_refreshes_a_key() -> None:
    mock = _mock(max_open_keys=3)
    _use(mock, "a", "b", "c", "a", "d")  # a used again after b: b is the least recent
    assert _keys(mock) == {"your_api_key", "a", "c", "d"}


def test_a_key_with_a_task_running_is_never_forgotten_and_goes_once_idle() -> None:
    mock = _mock(max_open_keys=2)
    busy = mock.authenticate("Bearer aio_busy")
    task = mock.submit(busy, {"prompt": "p"})
    _use(mock, "b", "c", "d")
    assert _keys(mock) == {"your_api_key", "busy", "d"}
    assert mock.accounts.get("aio_busy").ledger.held == 12
    Control(mock).advance_clock(60)  # the task completes: busy is idle, the newest idle key
    assert task.status == Status.COMPLETED
    assert mock.accounts.get("aio_busy").ledger.spent == 12
    _use(mock, "e")
    assert _keys(mock) == {"your_api_key", "busy", "e"}


def test_a_key_that_comes_back_gets_a_fresh_grant_and_still_reads_its_tasks() -> None:
    mock = _mock(max_open_keys=1)
    fox = mock.authenticate("Bearer aio_fox")
    task = mock.submit(fox, {"prompt": "p"})
    Control(mock).advance_clock(60)
    assert fox.ledger.summary()["available"] == 1188
    _use(mock, "other")
    with pytest.raises(NotFoundError):
        mock.accounts.get("aio_fox")
    back = mock.authenticate("Bearer aio_fox")
    assert back.ledger.summary() == {"granted": 1200, "held": 0, "spent": 0, "available": 1200}
    assert mock.task_for(back, task.task_id).status == Status.COMPLETED


def test_configured_made_granted_and_revoked_keys_are_never_forgotten() -> None:
    mock = _mock(max_open_keys=1, keys={"aio_configured": 50})
    Control(mock).create_key("aio_made", 10)
    _use(mock, "granted")
    Control(mock).grant("aio_granted", 5)
    _use(mock, "revoked")
    Control(mock).revoke("aio_revoked")
    _use(mock, *(f"k{n}" for n in range(5)))
    assert _keys(mock) == {"configured", "made", "granted", "revoked", "k4"}
    with pytest.raises(AuthenticationError, match="revoked"):  # a revoked key stays revoked
        mock.authenticate("Bearer aio_revoked")


def test_a_key_forgotten_between_authentication_and_submit_is_charged_afresh() -> None:
    """The public API authenticates, then submits under a second lock: other keys may arrive
    in between. The hold lands on the key's account in the store, never on a lost one."""
    mock = _mock(max_open_keys=1)
    early = mock.authenticate("Bearer aio_early")
    _use(mock, "late")  # early is forgotten
    task = mock.submit(early, {"prompt": "p"})
    assert mock.accounts.get("aio_early").ledger.held == 12
    assert task.key == "aio_early"
    Control(mock).advance_clock(60)
    assert mock.accounts.get("aio_early").ledger.spent == 12


def test_a_reset_forgets_open_keys_and_their_order() -> None:
    mock = _mock(max_open_keys=2)
    _use(mock, "a", "b")
    Control(mock).reset()
    _use(mock, "c", "d")
    assert _keys(mock) == {"your_api_key", "c", "d"}


def test_the_cap_comes_from_its_variable_and_must_be_at_least_one() -> None:
    assert load_settings(env={"SEEDREAM_MOCK_MAX_OPEN_KEYS": "5"}).max_open_keys == 5
    with pytest.raises(ConfigError, match="^--max-open-keys 0: must be at least 1"):
        load_settings(env={}, overrides={"max_open_keys": 0})
