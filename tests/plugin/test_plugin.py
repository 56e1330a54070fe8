"""The pytest plugin as a user meets it: installed via its entry point, in a fresh pytest run."""

from __future__ import annotations

import pytest

HEADER = """
import pytest
pytestmark = pytest.mark.filterwarnings("error")
"""


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_user=HEADER + source)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)


def test_each_test_starts_from_a_clean_mock(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_spends(seedream_mock):
    for _ in range(3):
        seedream_mock.submit("a fox")
    assert seedream_mock.credits.balance() == 1200 - 36

def test_sees_nothing_of_the_last_test(seedream_mock):
    assert seedream_mock.tasks.list() == []
    assert seedream_mock.credits.balance() == 1200
""",
    )
    result.assert_outcomes(passed=2)


def test_levers_drive_the_mock(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_levers(seedream_mock, seedream_webhooks):
    seedream_mock.credits.grant(12)
    assert seedream_mock.credits.balance() == 1212
    task_id = seedream_mock.submit("a fox", callback_url=seedream_webhooks.url)
    assert seedream_mock.task(task_id)["status"] == "pending"
    seedream_mock.tasks.fail(task_id, "content_policy_violation")
    (callback,) = seedream_webhooks.wait(1)
    assert callback.json()["data"]["error"]["code"] == "content_policy_violation"
    assert seedream_mock.deliveries(task_id)[0]["state"] == "delivered"
    seedream_mock.faults.add("busy", {"type": "http_error", "status": 503})
    assert seedream_mock.client.create({"prompt": "x"}).status == 503
    seedream_mock.faults.clear()
    other = seedream_mock.submit("a cat")
    seedream_mock.clock.advance(60)
    assert seedream_mock.task(other)["status"] == "completed"

def test_retries_can_be_provoked(seedream_mock, seedream_webhooks):
    seedream_webhooks.respond(500)
    seedream_mock.submit("a fox", callback_url=seedream_webhooks.url)
    seedream_mock.clock.advance(60)
    first, retry = seedream_webhooks.wait(2)
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]
""",
    )
    result.assert_outcomes(passed=2)


def test_seed_option_repeats_task_ids(pytester: pytest.Pytester) -> None:
    source = """
def test_ids(seedream_mock):
    print("IDS", seedream_mock.submit("a"), seedream_mock.submit("b"))
"""
    first = run(pytester, source, "--seedream-mock-seed", "7", "-s")
    second = run(pytester, source, "--seedream-mock-seed", "7", "-s")
    other = run(pytester, source, "--seedream-mock-seed", "8", "-s")
    ids = [
        [line.split("IDS")[1] for line in r.outlines if "IDS" in line]
        for r in (first, second, other)
    ]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0]


def test_clock_option_and_scenario_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nseedream_mock_scenario = out-of-credits\n")
    result = run(
        pytester,
        """
def test_scenario_is_the_start_state(seedream_mock):
    assert seedream_mock.server.emulator.runtime.scenario == "out-of-credits"
    assert seedream_mock.credits.balance() == 24
    assert seedream_mock.server.emulator.clock.state().mode == "scaled"
""",
        "--seedream-mock-clock",
        "scaled",
    )
    result.assert_outcomes(passed=1)


def test_a_scenario_path_in_the_ini_is_relative_to_the_ini_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nseedream_mock_scenario = scenarios/mine.json\n")
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "mine.json").write_text(
        '{"name": "mine", "description": "36 credits", "key_mode": "strict",'
        ' "keys": {"aio_your_api_key": 36}}'
    )
    tests = pytester.mkdir("deep")
    (tests / "test_user.py").write_text(
        HEADER
        + """
def test_the_ini_scenario_is_loaded(seedream_mock):
    assert seedream_mock.server.emulator.runtime.scenario == "mine"
    assert seedream_mock.credits.balance() == 36
"""
    )
    monkeypatch.chdir(tests)  # pytest started from elsewhere than the ini's folder
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(pytester.path),
        "-c",
        str(pytester.path / "tox.ini"),
        str(tests),
        timeout=120,
    )
    result.assert_outcomes(passed=1)


def test_works_under_xdist_with_a_server_per_worker(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import os

def test_a(seedream_mock):
    seedream_mock.submit("a")
    print("WORKER", os.environ.get("PYTEST_XDIST_WORKER"), seedream_mock.base_url)

def test_b(seedream_mock):
    seedream_mock.submit("b")
    print("WORKER", os.environ.get("PYTEST_XDIST_WORKER"), seedream_mock.base_url)
""",
        "-p",
        "xdist",
        "-n",
        "2",
    )
    result.assert_outcomes(passed=2)


def test_handle_refuses_typos_and_waits_on_the_mock_clock(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import pytest
from mock_server.core.errors import ConflictError, NotFoundError

def test_checks(seedream_mock):
    with pytest.raises(ValueError, match="state must be one of"):
        seedream_mock.deliveries(state="exhasted")
    with pytest.raises(ValueError, match="status must be one of"):
        seedream_mock.tasks.list(status="bogus")
    with pytest.raises(ValueError, match="never goes back"):
        seedream_mock.clock.advance(-5)
    task_id = seedream_mock.submit("a fox")
    assert seedream_mock.wait_for(task_id)["status"] == "completed"
    seedream_mock.faults.add("busy", {"type": "http_error", "status": 503})
    seedream_mock.client.create({"prompt": "x"})
    assert seedream_mock.faults.list()[0]["fired"] == 1
    seedream_mock.credits.create_key("aio_team", 24)
    assert seedream_mock.credits.balance("aio_team") == 24
    with pytest.raises(NotFoundError) as missing:
        seedream_mock.tasks.complete("n30nothere_seed")
    assert missing.value.status == 404
    with pytest.raises(ConflictError):
        seedream_mock.faults.add("busy", {"type": "http_error", "status": 500})
    with pytest.raises(ConflictError):
        seedream_mock.tasks.fail(task_id)  # it has already ended

def test_scaled_speed_option(seedream_mock):
    assert seedream_mock.clock.mode == "scaled"
    assert seedream_mock.server.emulator.clock.state().speed == 50
""",
        "--seedream-mock-clock",
        "scaled",
        "--seedream-mock-speed",
        "50",
    )
    result.assert_outcomes(passed=2)


def test_profile_option_serves_its_dialect_and_the_handle_reads_it(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
def test_kie(seedream_mock, seedream_webhooks):
    task_id = seedream_mock.submit(
        "a fox", model="seedream/4.5-text-to-image", callback_url=seedream_webhooks.url
    )
    assert seedream_mock.task(task_id)["state"] == "waiting"
    assert seedream_mock.wait_for(task_id)["state"] == "success"
    (callback,) = seedream_webhooks.wait(1)
    assert callback.json()["data"]["taskId"] == task_id
    assert seedream_mock.client.create({"prompt": "no model"}).status == 422
""",
        "--seedream-mock-profile",
        "kie",
    )
    result.assert_outcomes(passed=1)


def test_profile_ini_is_served_and_a_bad_one_stops_the_session(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nseedream_mock_profile = strict\n")
    source = """
def test_strict(seedream_mock):
    assert seedream_mock.server.emulator.profile.name == "strict"
    assert seedream_mock.client.create({"prompt": "ab", "model": "seedream-4-5"}).status == 422
"""
    run(pytester, source).assert_outcomes(passed=1)
    refused = run(pytester, source, "--seedream-mock-profile", "lenient")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(
        ["*--seedream-mock-profile lenient: no profile 'lenient'*default, kie, strict*"]
    )
