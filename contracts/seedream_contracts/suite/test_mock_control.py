"""What only the mock can show: the clock-driven life of a task and its credit ledger.

These talk to /_mock/ over HTTP and are skipped on targets without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from seedream_contracts.client import Client
from seedream_contracts.profiles import Profile
from seedream_contracts.suite._data import fit
from seedream_contracts.suite._expect import read, refused, submit

pytestmark = pytest.mark.mock_only


@pytest.fixture
def manual_clock(api: Client) -> Iterator[Client]:
    """Freeze the mock's clock for one test; restore the previous mode after it."""
    before = api.request("GET", "/_mock/clock").expect_json(200)["data"]
    api.request("POST", "/_mock/clock", json_body={"mode": "manual"}).expect_json(200)
    yield api
    api.request(
        "POST", "/_mock/clock", json_body={"mode": before["mode"], "speed": before["speed"]}
    ).expect_json(200)


def advance(api: Client, seconds: float) -> None:
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds}).expect_json(200)


def ledger(api: Client, key: str) -> dict[str, Any]:
    data: dict[str, Any] = api.request("GET", f"/_mock/keys/{key}").expect_json(200)["data"]
    return data


def test_task_moves_pending_processing_completed_as_the_clock_advances(
    manual_clock: Client, profile: Profile
) -> None:
    api = manual_clock
    task_id = submit(api, profile, fit(profile, {"prompt": "tick"}))
    first = read(api, profile, task_id)
    assert first.status_name == profile.wire_status("pending")
    assert first.get("progress", 0) == 0
    advance(api, profile.timing["pending_seconds"])
    middle = read(api, profile, task_id)
    assert middle.status_name == profile.wire_status("processing")
    assert 1 <= middle.get("progress", 1) <= 99
    advance(api, 60)
    done = read(api, profile, task_id)
    assert done.status == "completed"
    assert (done.get("progress", 100), done.get("credits_consumed", 12)) == (100, 12)
    times = [done.get(n) for n in ("created_at", "updated_at", "completed_at") if done.has(n)]
    assert times == sorted(times)
    if done.has("created_at") and done.has("completed_at"):
        assert done.get("created_at") < done.get("completed_at")


def test_credits_are_held_then_captured(manual_clock: Client, profile: Profile) -> None:
    api = manual_clock
    key = "aio_contract_ledger_" + str(id(api))
    tenant = api.with_key(key)
    api.request("POST", "/_mock/keys", json_body={"key": key, "credits": 30}).expect_json(200)
    task_id = submit(tenant, profile, fit(profile, {"prompt": "pay"}))
    held = ledger(api, key)
    assert (held["available"], held["held"], held["spent"]) == (18, 12, 0)
    advance(api, 60)
    tenant.wait(task_id)
    spent = ledger(api, key)
    assert (spent["available"], spent["held"], spent["spent"], spent["granted"]) == (18, 0, 12, 30)


def test_short_balance_is_refused_and_creates_nothing(api: Client, profile: Profile) -> None:
    key = "aio_contract_poor_" + str(id(api))
    api.request("POST", "/_mock/keys", json_body={"key": key, "credits": 11}).expect_json(200)
    reply = api.with_key(key).create(fit(profile, {"prompt": "too dear"}))
    refused(reply, profile, "insufficient_credits")
    assert ledger(api, key)["held"] == 0


def test_revoked_key_is_refused(api: Client, profile: Profile) -> None:
    key = "aio_contract_revoked_" + str(id(api))
    api.request("POST", "/_mock/keys", json_body={"key": key, "credits": 100}).expect_json(200)
    api.request("DELETE", f"/_mock/keys/{key}").expect_json(200)
    reply = api.with_key(key).create(fit(profile, {"prompt": "xyz"}))
    assert "revoked" in refused(reply, profile, "authentication").message


def test_result_url_expires_after_its_lifetime(manual_clock: Client, profile: Profile) -> None:
    api = manual_clock
    task_id = submit(api, profile, fit(profile, {"prompt": "fleeting"}))
    advance(api, 60)
    url = read(api, profile, task_id).result_urls[0]
    assert api.request("HEAD", url, auth=False).status == 200
    advance(api, 24 * 3600)
    refused(api.request("GET", url, auth=False), profile, "expired")
