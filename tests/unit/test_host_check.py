"""The Host check keeps its verdicts for the usual hosts: asked again, it answers the same, and
hosts past the bound are still checked (never assumed valid)."""

from __future__ import annotations

import pytest

from mock_server.httpd import requests as httpd_requests
from mock_server.httpd.requests import valid_host

CASES = [
    ("127.0.0.1:8080", True),
    ("localhost", True),
    ("[::1]:9000", True),
    ("example.com:65535", True),
    ("example.com:65536", False),
    ("a b", False),
    ("user@host", False),
    ("host/path", False),
    ("", False),
]


@pytest.mark.parametrize(("host", "verdict"), CASES)
def test_a_kept_verdict_is_the_checked_one(host: str, verdict: bool) -> None:
    assert [valid_host(host) for _ in range(3)] == [verdict] * 3


def test_hosts_past_the_bound_are_still_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpd_requests, "_VALID_HOSTS", {})
    monkeypatch.setattr(httpd_requests, "_HOSTS_KEPT", 2)
    hosts = [f"h{n}.example" for n in range(5)] + ["bad host"]
    assert [valid_host(h) for h in hosts] == [True] * 5 + [False]
    assert len(httpd_requests._VALID_HOSTS) == 2
