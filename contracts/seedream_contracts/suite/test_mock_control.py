"""What only the mock can show: the clock-driven life of a task and its credit ledger.

These talk to /_mock/ over HTTP and are skipped on targets without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from seedream_contracts.client import Client

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
    manual_clock: Client,
) -> None:
    api = manual_clock
    task_id = api.create({"prompt": "tick"}).expect(200, "create_response")["data"]["task_id"]
    first = api.task(task_id).expect(200, "task")["data"]
    assert (first["status"], first["progress"]) == ("pending", 0)
    advance(api, 1.0)
    middle = api.task(task_id).expect(200, "task")["data"]
    assert middle["status"] == "processing"
    assert 1 <= middle["progress"] <= 99
    advance(api, 60)
    done = api.task(task_id).expect(200, "task")["data"]
    assert (done["status"], done["progress"], done["credits_consumed"]) == ("completed", 100, 12)
    assert done["created_at"] < done["updated_at"] == done["completed_at"]


def test_credits_are_held_then_captured(manual_clock: Client) -> None:
    api = manual_clock
    key = "aio_contract_ledger_" + str(id(api))
    tenant = api.with_key(key)
    api.request("POST", "/_mock/keys", json_body={"key": key, "credits": 30}).expect_json(200)
    task_id = tenant.create({"prompt": "pay"}).expect(200, "create_response")["data"]["task_id"]
    held = ledger(api, key)
    assert (held["available"], held["held"], held["spent"]) == (18, 12, 0)
    advance(api, 60)
    tenant.wait(task_id)
    spent = ledger(api, key)
    assert (spent["available"], spent["held"], spent["spent"], spent["granted"]) == (18, 0, 12, 30)


def test_short_balance_gets_402_and_creates_nothing(api: Client) -> None:
    key = "aio_contract_poor_" + str(id(api))
    api.request("POST", "/_mock/keys", json_body={"key": key, "credits": 11}).expect_json(200)
    error = api.with_key(key).create({"prompt": "too dear"}).expect(402, "error")["error"]
    assert error["type"] == "insufficient_credits"
    assert ledger(api, key)["held"] == 0


def test_revoked_key_gets_401(api: Client) -> None:
    key = "aio_contract_revoked_" + str(id(api))
    api.request("POST", "/_mock/keys", json_body={"key": key, "credits": 100}).expect_json(200)
    api.request("DELETE", f"/_mock/keys/{key}").expect_json(200)
    error = api.with_key(key).create({"prompt": "x"}).expect(401, "error")["error"]
    assert "revoked" in error["message"]


def test_result_url_expires_after_its_lifetime(manual_clock: Client) -> None:
    api = manual_clock
    task_id = api.create({"prompt": "fleeting"}).expect(200, "create_response")["data"]["task_id"]
    advance(api, 60)
    url = api.task(task_id).expect(200, "task")["data"]["output"]["image_urls"][0]
    assert api.request("HEAD", url, auth=False).status == 200
    advance(api, 24 * 3600)
    gone = api.request("GET", url, auth=False).expect(410, "error")["error"]
    assert gone["type"] == "not_found_error"
