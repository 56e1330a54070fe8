"""Which binds count as loopback, and when the control API gets a generated token."""

from __future__ import annotations

import pytest

from mock_server.server import MockServer
from mock_server.settings.config import Settings, load_settings
from mock_server.settings.exposure import control_open_to_others, is_loopback, with_control_token


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),  # all of 127/8 is routed to lo
        ("127.255.255.254", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("::ffff:10.0.0.1", False),
        ("myhost", False),  # a name we would have to resolve: assume it is reachable
        ("localhost.example.com", False),
    ],
)
def test_only_addresses_no_other_host_can_reach_count_as_loopback(
    host: str, loopback: bool
) -> None:
    assert is_loopback(host) is loopback


def test_a_non_loopback_bind_gets_a_fresh_unguessable_token() -> None:
    first = with_control_token(Settings(host="0.0.0.0"))
    second = with_control_token(Settings(host="0.0.0.0"))
    assert first.control_token
    assert second.control_token
    assert first.control_token != second.control_token
    assert len(first.control_token) >= 32
    assert not control_open_to_others(first)


@pytest.mark.parametrize(
    "settings",
    [
        Settings(),  # loopback
        Settings(host="0.0.0.0", control_token="given"),
        Settings(host="0.0.0.0", control=False),
        Settings(host="0.0.0.0", insecure_control=True),
    ],
    ids=["loopback", "token-given", "no-control", "insecure"],
)
def test_no_token_is_generated_where_none_is_wanted(settings: Settings) -> None:
    assert with_control_token(settings) is settings


def test_only_insecure_control_leaves_it_open_to_others() -> None:
    assert control_open_to_others(Settings(host="0.0.0.0", insecure_control=True))
    assert not control_open_to_others(Settings(insecure_control=True))  # loopback: no effect
    assert not control_open_to_others(Settings(host="0.0.0.0", control=False))


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_insecure_control_comes_from_its_variable(value: str) -> None:
    env = {"SEEDREAM_MOCK_INSECURE_CONTROL": value}
    assert load_settings(env=env).insecure_control is True
    assert load_settings(env={"SEEDREAM_MOCK_INSECURE_CONTROL": "false"}).insecure_control is False


def test_the_in_process_server_on_loopback_is_unaffected() -> None:
    """MockServer and the pytest plugin bind 127.0.0.1: no token appears out of nowhere."""
    server = MockServer(Settings(port=0))
    assert server.settings.control_token is None
    assert server.generated_token is None


def test_the_in_process_server_on_a_non_loopback_host_gets_a_token_too() -> None:
    server = MockServer(Settings(host="0.0.0.0", port=0))
    assert server.generated_token
    assert server.settings.control_token == server.generated_token
