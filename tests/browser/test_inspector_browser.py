"""The inspector in a real browser: live rows, buttons that move the mock, thumbnails,
callback attempts and resend, scenarios, and the token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seedream_contracts.receiver import WebhookReceiver

BODY = {
    "model": "seedream/4.5-text-to-image",
    "prompt": "a lighthouse at dusk",
    "aspect_ratio": "16:9",
    "quality": "basic",
}
Mock = Callable[..., Any]


def _submit(client: Any, **extra: Any) -> str:
    reply = client.create(BODY | extra)
    assert reply.status == 200, reply.text
    return str(reply.json()["data"]["task_id"])


def test_a_submitted_task_appears_without_a_reload(mock: Mock, page: Any) -> None:
    server, client = mock()
    page.goto(f"{server.base_url}/_mock/ui")
    page.wait_for_selector("#live.on")
    page.evaluate("window.sameDocument = true")
    task_id = _submit(client)
    page.wait_for_selector(f'tr[data-task="{task_id}"]', timeout=1000)
    assert page.evaluate("window.sameDocument") is True


def test_advancing_from_the_page_completes_the_task_and_its_thumbnail_loads(
    mock: Mock, page: Any, screenshot: Callable[[Any, str], Any]
) -> None:
    server, client = mock()
    first = _submit(client)
    _submit(client, aspect_ratio="1:1", quality="high")
    page.goto(f"{server.base_url}/_mock/ui")
    page.fill("input[name=seconds]", "600")
    page.click("#advance")
    row = page.locator(f'tr[data-task="{first}"] .badge')
    assert row.inner_text() == "completed"
    _submit(client, prompt="one still pending")  # the screenshot shows a live pending row too
    page.wait_for_selector("tr.status-pending")
    screenshot(page, "inspector-tasks.png")
    page.click(f'tr[data-task="{first}"] a')
    page.wait_for_function("() => document.getElementById('thumb').complete")
    assert page.evaluate("document.getElementById('thumb').naturalWidth") > 0
    screenshot(page, "inspector-task.png")


def test_a_failing_receivers_attempts_show_and_resend_delivers(mock: Mock, page: Any) -> None:
    server, client = mock()
    with WebhookReceiver() as receiver:
        receiver.respond_by_default(500)
        task_id = _submit(client, callback_url=receiver.url)
        server.control.advance_clock(24 * 3600)  # every retry spent
        page.goto(f"{server.base_url}/_mock/ui/tasks/{task_id}")
        assert page.locator("tr.attempt").count() >= 2
        assert "500" in page.locator("table.attempts").inner_text()
        receiver.respond_by_default(200)
        attempts = page.locator("tr.attempt").count()
        page.click("button.resend")
        page.wait_for_selector(".delivery .badge.delivery-delivered")
        assert page.locator("tr.attempt").count() == attempts + 1
        assert receiver.received[-1].json()["data"]["task_id"] == task_id or receiver.received


def test_loading_a_scenario_from_the_page_changes_the_next_answer(mock: Mock, page: Any) -> None:
    server, client = mock()
    broke = client.with_key("aio_broke")
    assert broke.create(BODY).status == 200  # open keys: any aio_ key has credits
    page.goto(f"{server.base_url}/_mock/ui/faults")
    page.select_option("#scenario-name", "out-of-credits")
    page.click("#load-scenario")
    assert page.locator("#scenario").inner_text() == "out-of-credits"
    assert broke.create(BODY).status == 402


def test_with_a_control_token_the_page_needs_it(mock: Mock, page: Any) -> None:
    server, _ = mock(control_token="s3cret-token")
    url = f"{server.base_url}/_mock/ui"
    assert page.goto(url).status == 401
    assert page.goto(f"{url}?token=wrong").status == 401
    answer = page.goto(f"{url}?token=s3cret-token")
    assert answer.status == 200
    assert "token" not in page.url  # out of the address bar and the history
    page.wait_for_selector("#live.on")  # the event stream is let in by the cookie too
    assert page.goto(f"{url}/keys").status == 200
    assert page.goto(f"{server.base_url}/_mock/clock").status == 401  # the JSON API: header only


def test_the_page_fits_a_narrow_window(mock: Mock, page: Any) -> None:
    server, client = mock()
    _submit(client)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{server.base_url}/_mock/ui")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
