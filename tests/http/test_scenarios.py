"""The shipped scenario library over real sockets: every file is valid and loads, each one
provokes what its description promises, bad scenarios are refused without touching the state,
and `seedream-mock serve --scenario` starts with one (or exits 2 naming the shipped ones)."""

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
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pytest

from mock_server.server import MockServer
from mock_server.settings.config import Settings
from mock_server.settings.values import WEBHOOK_SCHEDULES
from seedream_contracts.client import Client, Reply
from seedream_contracts.loader import validator
from seedream_contracts.receiver import WebhookReceiver

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "fixtures" / "scenarios"
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
KEY = "aio_your_api_key"


@pytest.fixture
def api() -> Iterator[Client]:
    """A client of a fresh server on a loopback port, manual clock, fixed seed."""
    server = MockServer(Settings(port=0, clock="manual", seed=3)).start()
    client = Client(server.base_url, KEY, timeout=10)
    try:
        yield client
    finally:
        client.close()
        server.stop()


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


# ----------------------------------------------------------------------------- helpers


def load(api: Client, name: str) -> dict[str, Any]:
    reply = api.request("POST", "/_mock/scenarios", json_body={"name": name})
    data: dict[str, Any] = reply.expect_json(200)["data"]
    assert data["loaded"] == name
    return data


def get(api: Client, path: str) -> Any:
    return api.request("GET", path).expect_json(200)["data"]


def advance(api: Client, seconds: float) -> None:
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds}).expect_json(200)


def submit(api: Client, prompt: str = "a fox", **extra: Any) -> str:
    reply = api.create({"prompt": prompt, **extra})
    task_id: str = reply.expect(200, "create_response")["data"]["task_id"]
    return task_id


def task(api: Client, task_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.task(task_id).expect(200, "task")["data"]
    return found


def error_of(reply: Reply, status: int) -> dict[str, Any]:
    found: dict[str, Any] = reply.expect(status, "error")["error"]
    return found


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


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


# ------------------------------------------------------ (b) each provokes what it describes


def test_happy_path_finishes_tasks_within_a_second(api: Client) -> None:
    load(api, "happy-path")
    assert get(api, "/_mock/clock")["speed"] == 10
    started = time.monotonic()
    ids = [submit(api, f"fox {n}") for n in range(3)]
    finished = [api.wait(task_id, timeout=5).expect(200, "task")["data"] for task_id in ids]
    assert time.monotonic() - started < 3.0  # nominally under 0.9 s; slack for slow machines
    for data in finished:
        assert data["status"] == "completed"
        assert data["output"]["image_urls"]
        assert 3.0 <= seconds_between(data["created_at"], data["completed_at"]) <= 9.0


def test_slow_queue_keeps_tasks_waiting_twenty_to_sixty_seconds(api: Client) -> None:
    load(api, "slow-queue")
    task_id = submit(api)
    advance(api, 14.9)
    assert task(api, task_id)["status"] == "pending"
    advance(api, 0.1)
    assert task(api, task_id)["status"] == "processing"
    advance(api, 45)
    data = task(api, task_id)
    assert data["status"] == "completed"
    assert 20.0 <= seconds_between(data["created_at"], data["completed_at"]) <= 60.0


def _flaky_run(api: Client, count: int) -> list[int]:
    statuses = []
    for n in range(count):
        reply = api.create({"prompt": f"fox {n}"})
        statuses.append(reply.status)
        if reply.status == 503:
            assert reply.headers["retry-after"] == "2"
            assert error_of(reply, 503)["type"] == "upstream_error"
        elif reply.status == 500:
            assert error_of(reply, 500)["type"] == "api_error"
        else:
            reply.expect(200, "create_response")
    return statuses


def test_flaky_5xx_fails_a_seeded_share_of_submissions(api: Client) -> None:
    load(api, "flaky-5xx")
    api.request("POST", f"/_mock/keys/{KEY}/credits", json_body={"amount": 1200}).expect_json(200)
    statuses = _flaky_run(api, 150)
    assert 20 <= statuses.count(503) <= 70  # 30 % of 150, drawn from the seeded generator
    assert statuses.count(500) >= 1
    assert set(statuses) <= {200, 500, 503}
    made = get(api, "/_mock/tasks?limit=1000")
    assert len(made) == statuses.count(200) + statuses.count(500)  # the 500 came after creating

    load(api, "flaky-5xx")  # a reload restarts the seeded draws: the same run again
    api.request("POST", f"/_mock/keys/{KEY}/credits", json_body={"amount": 1200}).expect_json(200)
    assert _flaky_run(api, 150) == statuses


def test_rate_limited_answers_429_after_the_burst(api: Client) -> None:
    load(api, "rate-limited")
    ids = [submit(api, f"fox {n}") for n in range(3)]
    refused = api.create({"prompt": "one too many"})
    assert error_of(refused, 429)["type"] == "rate_limit_error"
    assert refused.headers["retry-after"] == "1"
    assert api.task(ids[0]).status == 429  # polls share the bucket
    assert len(get(api, "/_mock/tasks")) == 3  # the refused submission made no task
    submit(api.with_key("aio_someone_else"), "another key has its own bucket")
    advance(api, 1)  # one token back
    assert task(api, ids[0])["task_id"] == ids[0]
    assert api.task(ids[0]).status == 429


def test_out_of_credits_refuses_the_third_image(api: Client) -> None:
    load(api, "out-of-credits")
    submit(api, "first")
    submit(api, "second")
    third = error_of(api.create({"prompt": "third"}), 402)
    assert third["type"] == "insufficient_credits"
    broke = api.with_key("aio_broke").create({"prompt": "anything"})
    assert error_of(broke, 402)["type"] == "insufficient_credits"
    stranger = api.with_key("aio_not_configured").create({"prompt": "anything"})
    assert error_of(stranger, 401)["type"] == "authentication_error"  # strict keys
    ledger = get(api, f"/_mock/keys/{KEY}")
    assert (ledger["granted"], ledger["held"], ledger["available"]) == (24, 24, 0)


def test_content_policy_fails_forbidden_prompts_and_some_others(api: Client) -> None:
    load(api, "content-policy")
    flagged = submit(api, "a forbidden fox")
    others = [submit(api, f"a fox {n}") for n in range(60)]
    advance(api, 1)  # the end of pending
    data = task(api, flagged)
    assert data["status"] == "failed"
    assert data["progress"] == 0  # it never processed
    assert data["error"]["code"] == "content_policy_violation"
    assert data["credits_consumed"] == 0
    advance(api, 60)
    failed = [task(api, t) for t in others if task(api, t)["status"] == "failed"]
    assert 1 <= len(failed) <= 20  # 10 % of 60, seeded
    for data in failed:
        assert data["error"]["code"] == "generation_failed"
        assert seconds_between(data["created_at"], data["completed_at"]) > 1.0  # in processing
    assert get(api, f"/_mock/keys/{KEY}")["held"] == 0  # failures release their hold


def test_stuck_task_stays_processing_until_forced(api: Client) -> None:
    load(api, "stuck-task")
    done, dead = submit(api, "finish me"), submit(api, "fail me")
    advance(api, 3600)
    for task_id in (done, dead):
        assert task(api, task_id)["status"] == "processing"
    api.request("POST", f"/_mock/tasks/{done}/complete").expect_json(200)
    finished = task(api, done)
    assert finished["status"] == "completed"
    assert finished["output"]["image_urls"]
    failure = {"code": "timeout", "message": "gave up waiting"}
    api.request("POST", f"/_mock/tasks/{dead}/fail", json_body=failure).expect_json(200)
    assert task(api, dead)["error"] == failure


def test_webhook_duplicates_sends_each_callback_twice(api: Client, hooks: WebhookReceiver) -> None:
    load(api, "webhook-duplicates")
    task_id = submit(api, callback_url=hooks.url)
    advance(api, 60)  # returns once every due attempt (and its copy) is made
    first, copy = hooks.received
    assert first.headers["webhook-id"] == copy.headers["webhook-id"]
    assert first.body == copy.body
    assert first.json()["data"]["task_id"] == task_id
    assert [first.headers["x-seedream-attempt"], copy.headers["x-seedream-attempt"]] == ["1", "2"]


def test_webhook_outage_retries_on_the_long_schedule(api: Client, hooks: WebhookReceiver) -> None:
    load(api, "webhook-outage")
    assert get(api, "/_mock/clock")["speed"] == 1000
    api.request("POST", "/_mock/clock", json_body={"mode": "manual"}).expect_json(200)
    hooks.respond_by_default(500)  # the receiver is down for the whole schedule
    task_id = submit(api, callback_url=hooks.url)
    advance(api, 100_000)
    schedule = WEBHOOK_SCHEDULES["standard-webhooks"]
    received = hooks.received
    assert len(received) == len(schedule) + 1
    assert {r.headers["webhook-id"] for r in received} == {received[0].headers["webhook-id"]}
    (summary,) = get(api, f"/_mock/webhooks/deliveries?task_id={task_id}")
    delivery = get(api, f"/_mock/webhooks/deliveries/{summary['event_id']}")
    assert delivery["state"] == "exhausted"
    times = [a["at"] for a in delivery["attempts"]]
    gaps = [round(seconds_between(a, b), 3) for a, b in zip(times, times[1:], strict=False)]
    assert gaps == list(schedule)


# ------------------------------------------------ (c) a bad scenario changes nothing at all

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


# ----------------------------------------------------------------- (d) the CLI --scenario

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
