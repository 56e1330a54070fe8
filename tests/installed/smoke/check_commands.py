"""Every command the README lists, run from the installed wheel outside the repository."""

from __future__ import annotations

import json
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest
from conftest import cli, get, serving, shipped_scenarios


def test_version_names_the_installed_distribution() -> None:
    done = cli("version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"seedream-mock {metadata.version('seedream-mock')}"


def test_the_wheel_installs_only_the_projects_import_packages() -> None:
    files = metadata.files("seedream-mock") or []
    top = {
        f.parts[0] for f in files if not f.parts[0].endswith(".dist-info") and ".." not in f.parts
    }
    top.discard("bin")
    assert top == {"mock_server", "seedream_contracts"}


def test_scenario_list_names_every_shipped_scenario() -> None:
    done = cli("scenario", "list")
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.strip()]
    assert sorted(listed) == sorted(shipped_scenarios())


@pytest.mark.parametrize("name", shipped_scenarios())
def test_every_shipped_scenario_validates_by_name(name: str) -> None:
    done = cli("scenario", "validate", name)
    assert done.returncode == 0, done.stderr
    assert f"scenario {name!r}" in done.stdout


@pytest.mark.parametrize("name", shipped_scenarios())
def test_serve_answers_with_every_shipped_scenario(name: str) -> None:
    with serving("--scenario", name) as served:
        assert f"scenario:    {name}" in served.banner
        status, body = get(f"{served.url}/_mock/health")
        assert status == 200, body
        status, body = get(f"{served.url}/_mock/scenarios")
        assert status == 200, body
        assert body["data"]["loaded"] == name


def test_health_answers_with_the_control_api_disabled() -> None:
    with serving("--no-control") as served:
        status, body = get(f"{served.url}/_mock/health")
        assert status == 200, body
        assert body["data"]["ready"] is True
        assert get(f"{served.url}/_mock/clock")[0] == 404


def test_the_inspector_page_is_served_from_the_wheel() -> None:
    """Its templates and static files are package data: a wheel without them answers 500."""
    with serving() as served:
        assert f"inspector:   {served.url}/_mock/ui" in served.banner
        for path in ("/_mock/ui", "/_mock/ui/faults", "/_mock/ui/static/inspector.js"):
            with urllib.request.urlopen(served.url + path, timeout=10) as answer:
                assert answer.status == 200, path
                assert answer.read(), path


def test_openapi_prints_a_document_of_both_routes() -> None:
    done = cli("openapi")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["openapi"].startswith("3.1")
    assert {"/api/v1/images/generations", "/api/v1/tasks/{task_id}"} <= set(document["paths"])


def test_verify_passes_against_the_embedded_mock() -> None:
    done = cli("verify")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout
    assert "failed" not in done.stdout.splitlines()[-1]


@pytest.mark.parametrize("name", ["default", "kie", "strict"])
def test_every_shipped_profile_is_served_and_verified(name: str) -> None:
    with serving("--profile", name) as served:
        assert f"profile:     {name}" in served.banner
        status, body = get(f"{served.url}/_mock/profile")
        assert (status, body["name"]) == (200, name)
    done = cli("verify", "--profile", name, "--", "-x", "-k", "not text_to_image and not edit_")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_a_profile_calibrated_against_the_installed_mock_is_served(tmp_path: Path) -> None:
    learned = tmp_path / "learned.json"
    with serving("--profile", "kie", "--clock", "scaled", "--speed", "50") as served:
        done = cli(
            "calibrate", "--target", served.url, "--api-key", "aio_smoke_test_key",
            "--max-credits", "12", "--out", str(learned), "--report", str(tmp_path / "report"),
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "aio_smoke_test_key" not in learned.read_text("utf-8")
    assert json.loads(learned.read_text("utf-8"))["statuses"]["completed"] == "success"
    assert (tmp_path / "report.md").is_file()
    with serving("--profile", str(learned)) as again:
        assert get(f"{again.url}/_mock/health")[1]["data"]["profile"] == "calibrated"


@pytest.mark.parametrize(
    "command",
    ["serve", "verify", "calibrate", "proxy", "profile", "openapi", "scenario", "version"],
)
def test_every_command_explains_itself(command: str) -> None:
    done = cli(command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: seedream-mock {command}")
