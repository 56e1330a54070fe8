"""The shipped scenario library over real sockets: every file is valid and loads, bad scenarios
are refused without touching the state, and `seedream-mock serve --scenario` starts with one (or
exits 2 naming the shipped ones). That each one provokes what its description promises is in
test_scenarios_effects.py."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from scenario_support import (  # tests/http is on sys.path (rootdir mode)
    KEY,
    LIBRARY,
    ROOT,
    error_of,
    fresh_client,
    get,
    load,
    submit,
    task,
)

from seedream_contracts.client import Client
from seedream_contracts.loader import validator

FILES = sorted(LIBRARY.glob("*.json"))
SHIPPED = {
    "happy-path",
    "slow-queue",
    "flaky-5xx",
    "rate-limited",
    "out-of-credits",
    "content-policy",
    "stuck-task",
    "webhook-duplicates",
    "webhook-outage",
    "chaos",
}


@pytest.fixture
def api() -> Iterator[Client]:
    with fresh_client() as client:
        yield client


def document(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((LIBRARY / f"{name}.json").read_text("utf-8"))
    return found


def rate_limit_of(scenario: dict[str, Any]) -> dict[str, Any] | None:
    """What GET /_mock/rate-limit shows once the scenario is loaded (burst defaults to 10)."""
    limit = scenario.get("rate_limit")
    return None if limit is None else {"burst": 10, **limit}


def timelines_of(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """What GET /_mock/timelines shows once the scenario is loaded (on a pending default of 1)."""
    shown = []
    for entry in scenario.get("timelines", []):
        processing = entry["processing_seconds"]
        low, high = processing if isinstance(processing, list) else (processing, processing)
        shown.append(
            {
                "model": entry.get("model", "*"),
                "quality": entry.get("quality", "*"),
                "pending_seconds": entry.get("pending_seconds", 1.0),
                "processing_seconds": [low, high],
            }
        )
    return shown


# ------------------------------------------------------------------- (a) the library loads


def test_the_library_ships_the_documented_scenarios() -> None:
    assert {path.stem for path in FILES} == SHIPPED


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_a_shipped_scenario_is_valid_and_loads_over_http(path: Path, api: Client) -> None:
    scenario = json.loads(path.read_text("utf-8"))
    errors = [e.message for e in validator("scenario").iter_errors(scenario)]
    assert errors == []
    assert scenario["$schema"] == "../../contracts/seedream_contracts/schemas/scenario.schema.json"
    assert scenario["name"] == path.stem
    assert "\n" not in scenario["description"]

    load(api, scenario["name"])

    listed = get(api, "/_mock/scenarios")
    assert listed["loaded"] == scenario["name"]
    assert listed["edited"] == []  # putting a scenario in force is no edit of it
    assert {"name": scenario["name"], "description": scenario["description"]} in listed["library"]
    rules = get(api, "/_mock/faults")
    expected = scenario.get("faults", [])
    assert [r["name"] for r in rules] == [r["name"] for r in expected]
    for shown, written in zip(rules, expected, strict=True):
        assert shown["action"] == written["action"]
        assert shown["match"] == written.get("match", {})
        assert shown["probability"] == written.get("probability", 1.0)
        assert shown["fired"] == 0
    assert get(api, "/_mock/rate-limit") == rate_limit_of(scenario)
    assert get(api, "/_mock/timelines") == timelines_of(scenario)
    clock = get(api, "/_mock/clock")
    assert clock["mode"] == scenario.get("clock", {}).get("mode", "manual")
    assert clock["speed"] == scenario.get("clock", {}).get("speed", 1)
    if scenario["name"] == "chaos":  # a mix of chances, not certainties
        assert all(0 < r["probability"] < 1 for r in rules)


# ------------------------------------------------ (b) a bad scenario changes nothing at all

BAD = {
    "bad JSON": (b'{"name": "broken",\n  "description": "x",,\n}', None, "line 2"),
    "unknown action": (
        {
            "name": "broken",
            "description": "x",
            "faults": [{"name": "boom", "action": {"type": "explode"}}],
        },
        "faults[0].action.type",
        "explode",
    ),
    "duplicate rule names": (
        {
            "name": "broken",
            "description": "x",
            "faults": [
                {"name": "twice", "action": {"type": "close"}},
                {"name": "twice", "action": {"type": "reset"}},
            ],
        },
        "faults[1].name",
        "used twice",
    ),
    "unknown shipped name": ({"name": "nope"}, "name", "happy-path"),
}


@pytest.mark.parametrize("baseline", ["rate-limited", "content-policy"])
def test_a_bad_scenario_is_refused_and_the_state_kept(api: Client, baseline: str) -> None:
    load(api, baseline)
    task_id = submit(api)
    rules = get(api, "/_mock/faults")
    limit = get(api, "/_mock/rate-limit")
    for label, (body, param, words) in BAD.items():
        if isinstance(body, bytes):
            headers = {"Content-Type": "application/json"}
            reply = api.request("POST", "/_mock/scenarios", data=body, headers=headers)
        else:
            reply = api.request("POST", "/_mock/scenarios", json_body=body)
        error = error_of(reply, 400)
        assert words in error["message"], label
        assert error["param"] == param, label
        assert get(api, "/_mock/scenarios")["loaded"] == baseline, label
        assert get(api, "/_mock/faults") == rules, label
        assert get(api, "/_mock/rate-limit") == limit, label
    assert [r["name"] for r in rules] == [r["name"] for r in document(baseline).get("faults", [])]
    assert limit == rate_limit_of(document(baseline))
    assert task(api, task_id)["task_id"] == task_id  # not reset either


# ----------------------------------------------------------------- (c) the CLI --scenario

CLI = [sys.executable, "-m", "mock_server", "serve"]
URL = re.compile(r"serving the Seedream 4\.5 API at (http://127\.0\.0\.1:\d+)$")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MOCK_")}


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


def test_serve_starts_with_a_shipped_scenario() -> None:
    process = subprocess.Popen(
        [*CLI, "--scenario", "out-of-credits", "--port", "0", "--clock", "manual"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True)
    reader.start()
    banner: list[str] = []
    try:
        deadline = time.monotonic() + 10
        while not banner or banner[-1] != "Press Ctrl-C to stop.":
            banner.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        assert "  scenario:    out-of-credits" in banner
        found = URL.search(banner[0])
        assert found is not None, banner
        api = Client(found[1], KEY, timeout=10)
        try:
            assert get(api, "/_mock/scenarios")["loaded"] == "out-of-credits"
            submit(api)
            submit(api)
            assert api.create({"prompt": "third"}).status == 402
        finally:
            api.close()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)
            reader.join(timeout=5)
            process.stdout.close()
            process.stderr.close()
    assert process.returncode == 0


def test_serve_refuses_an_unknown_scenario_naming_the_shipped_ones() -> None:
    done = subprocess.run(
        [*CLI, "--scenario", "nope", "--port", "0"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=15,
    )
    assert done.returncode == 2
    assert "nope" in done.stderr
    for name in SHIPPED:
        assert name in done.stderr
    assert done.stdout == ""


def test_control_edits_after_a_scenario_are_listed_until_a_reset(api: Client) -> None:
    load(api, "flaky-5xx")
    rule = {"name": "extra", "action": {"type": "http_error", "status": 500}}
    api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    api.request("PUT", "/_mock/rate-limit", json_body={"rps": 5, "burst": 5}).expect_json(200)
    api.request("DELETE", "/_mock/faults/extra").expect_json(200)
    api.request("POST", "/_mock/keys/aio_your_api_key/credits", json_body={"amount": 12})
    listed = get(api, "/_mock/scenarios")
    assert listed["loaded"] == "flaky-5xx"
    assert listed["edited"] == [
        "fault rule extra added",
        "rate limit set",
        "fault rule extra removed",
        "12 credits granted to aio_your_api_key",
    ]
    api.request("POST", "/_mock/reset").expect_json(200)
    assert get(api, "/_mock/scenarios")["edited"] == []
