"""`seedream-mock verify`: the drift report names exactly what a different server changed, the
credit budget holds on a costly target, and network errors are not contract failures."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drifting_proxy import DriftingProxy  # tests/http is on sys.path (rootdir mode)

from mock_server.server import MockServer
from seedream_contracts.client import Client

Serve = Callable[..., tuple[MockServer, Client]]
FEW = "seed_example or defaults_are or unknown_task or missing_content_type"


def verify(target: str | None, report: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    """`seedream-mock verify` against `target` (None: its own embedded mock)."""
    aimed = ["--target", target] if target is not None else []
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "verify", *aimed, "--report", str(report), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    written = report.with_suffix(".json")
    assert written.exists(), output[-3000:]
    return done.returncode, json.loads(written.read_text("utf-8")), output


def drifted(document: dict[str, Any]) -> dict[str, Any]:
    """What a drifting real service might do: camelCase one field, shout one status."""
    data = document["data"]
    data["creditsConsumed"] = data.pop("credits_consumed")
    if data["status"] == "completed":
        data["status"] = "COMPLETED"
    return document


def test_drift_report_names_exactly_the_differences(serve: Serve, tmp_path: Path) -> None:
    server, _ = serve(clock="scaled", speed=100)
    with DriftingProxy(server.base_url, rewrite=drifted) as proxy:
        code, report, output = verify(proxy.url, tmp_path / "drift", "--", "-k", FEW)
    assert code != 0, output  # the contract is broken: the run is not clean
    found = {(r["endpoint"], r["field"], r["verdict"]) for r in report["drift"]}
    assert found == {
        ("GET /api/v1/tasks/{task_id}", "data.credits_consumed", "missing"),
        ("GET /api/v1/tasks/{task_id}", "data.creditsConsumed", "extra"),
        ("GET /api/v1/tasks/{task_id}", "data.status", "enum"),
    }
    refuted = {g["field"] for g in report["guesses"] if g["result"] == "refuted"}
    assert refuted == {"data.status", "data.credits_consumed"}
    assert "COMPLETED" in (tmp_path / "drift.md").read_text("utf-8")
    assert report["network_errors"] == []


def test_clean_target_gives_a_clean_report_and_exit_zero(serve: Serve, tmp_path: Path) -> None:
    server, _ = serve(clock="scaled", speed=100)
    with DriftingProxy(server.base_url) as proxy:
        code, report, output = verify(proxy.url, tmp_path / "clean", "--", "-k", FEW)
    assert code == 0, output
    assert report["clean"] is True
    assert report["drift"] == []
    assert report["credits_spent"] == 24


def test_costly_target_spends_nothing_unless_allowed(serve: Serve, tmp_path: Path) -> None:
    server, _ = serve(clock="scaled", speed=100)
    with DriftingProxy(server.base_url, hide_control=True) as proxy:
        code, free, output = verify(proxy.url, tmp_path / "free", "--", "-k", FEW)
        assert code == 0, output
        assert free["credits_planned"] == 0
        assert len(free["skipped_for_budget"]) == 2
        assert "skipped for the credit budget" in output
        code, paid, output = verify(
            proxy.url, tmp_path / "paid", "--max-credits", "12", "--", "-k", FEW
        )
    assert code == 0, output
    assert paid["credits_planned"] == 12
    assert paid["credits_spent"] == 12
    assert "credits planned: 12   credits spent: 12" in output  # printed, not only in the JSON
    assert len(paid["skipped_for_budget"]) == 1


def test_unreachable_target_is_a_network_error_not_drift(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    code, report, output = verify(f"http://127.0.0.1:{port}", tmp_path / "down", "--", "-k", FEW)
    assert code != 0
    assert report["network_errors"]
    assert report["contract_failures"] == []
    assert report["drift"] == []
    assert "Network errors" in (tmp_path / "down.md").read_text("utf-8")
