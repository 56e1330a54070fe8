"""`seedream-mock verify` under each shipped profile: the embedded mock serves it and the suite
expects it, so the run is clean; and a suite told to expect one dialect fails against a mock
serving another, which shows the profile really drives the expectations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_verify import FEW, verify  # tests/http is on sys.path (rootdir mode)

from mock_server.server import MockServer
from seedream_contracts.client import Client

Serve = Callable[..., tuple[MockServer, Client]]
# The 32 ratio × quality runs only repeat the size table, which no profile changes.
NOT_SIZES = "not gives_the_size_of_its_ratio"


@pytest.mark.parametrize(
    ("profile", "pytest_args"),
    [
        ("kie", ()),  # the whole suite once under a dialect far from the default
        ("strict", ("-x", "-k", NOT_SIZES)),
        ("default", ("-x", "-k", NOT_SIZES)),
    ],
)
def test_verify_is_clean_against_the_embedded_mock_under_each_shipped_profile(
    tmp_path: Path, profile: str, pytest_args: tuple[str, ...]
) -> None:
    report_path = tmp_path / profile
    code, report, output = verify(None, report_path, "--profile", profile, "--", *pytest_args)
    assert code == 0, output[-4000:]
    assert report["profile"] == profile
    assert report["clean"] is True, report["drift"] or report["contract_failures"]
    assert " passed" in output
    assert " failed" not in output


def test_suite_expecting_kie_fails_against_a_mock_serving_default(
    serve: Serve, tmp_path: Path
) -> None:
    server, _ = serve(clock="scaled", speed=100)
    code, report, output = verify(
        server.base_url, tmp_path / "wrong", "--profile", "kie", "--", "-k", FEW
    )
    assert code != 0, output[-3000:]
    assert report["profile"] == "kie"
    assert report["clean"] is False
    found = {(r["endpoint"], r["field"]) for r in report["drift"]}
    assert ("POST /api/v1/images/generations", "data.taskId") in found  # kie's name, not sent
    assert report["guesses"] == []  # the [G] list speaks of the default dialect only


def test_suite_expects_what_a_mock_target_serves_without_being_told(
    serve: Serve, tmp_path: Path
) -> None:
    server, _ = serve(clock="scaled", speed=100, profile="strict")
    code, report, output = verify(server.base_url, tmp_path / "served", "--", "-k", FEW)
    assert code == 0, output[-3000:]
    assert report["profile"] == "strict"  # read from GET /_mock/profile
    assert report["clean"] is True
