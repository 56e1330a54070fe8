"""The parts of webhook delivery: signatures, Retry-After, and the worker pool (a waiting
thread helps with the jobs it waits for)."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks import Webhook

from mock_server.settings.config import load_settings
from mock_server.settings.values import ConfigError, standard_key
from mock_server.webhooks.sender import MAX_RETRY_AFTER, retry_after_seconds
from mock_server.webhooks.signing import kie_headers, standard_headers
from mock_server.webhooks.workers import WorkerPool

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def test_standard_signature_matches_the_reference_implementation() -> None:
    body = b'{"code":200,"message":"success","data":{}}\n'
    headers = standard_headers((SECRET,), "evt_1", 1_800_000_000, body)
    moment = datetime.fromtimestamp(1_800_000_000, tz=UTC)
    expected = Webhook(SECRET).sign("evt_1", moment, body.decode())
    assert headers == {"webhook-timestamp": "1800000000", "webhook-signature": expected}


def test_rotation_signs_with_every_secret() -> None:
    other = "whsec_" + base64.b64encode(b"another-key").decode()
    signature = standard_headers((SECRET, other), "evt_1", 1, b"{}")["webhook-signature"]
    assert len(signature.split(" ")) == 2
    assert all(part.startswith("v1,") for part in signature.split(" "))


def test_kie_signature_covers_task_id_and_timestamp() -> None:
    headers = kie_headers("key", "n30x_seed", 1_800_000_000)
    assert headers["X-Webhook-Timestamp"] == "1800000000"
    # base64(HMAC-SHA256(key, "n30x_seed.1800000000")), computed once with openssl
    assert headers["X-Webhook-Signature"] == "ExuFzoqV4EI686k6tCHA0kZcQKBeB1tTt6sRhMG8J74="


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ConfigError, match="must not be empty"):
        standard_key("whsec_")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("30", 30.0), ("0", 0.0), ("-5", 0.0), ("1e9", MAX_RETRY_AFTER), ("soon", None), (None, None)],
)
def test_retry_after_in_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(datetime.now(tz=UTC) + timedelta(seconds=120), usegmt=True)
    seconds = retry_after_seconds(later)
    assert seconds is not None
    assert 100 < seconds <= 120


def test_pool_wait_idle_waits_for_every_job_even_a_failing_one() -> None:
    pool = WorkerPool(2, "test")
    release = threading.Event()
    done: list[int] = []

    def job() -> None:
        release.wait(5)
        done.append(1)

    def broken() -> None:
        raise RuntimeError("boom")

    assert pool.submit(job)
    assert pool.submit(broken)
    assert pool.wait_idle(timeout=0.05) is False
    release.set()
    assert pool.wait_idle(timeout=5) is True
    assert done == [1]
    assert pool.busy == 0
    assert pool.shutdown(timeout=1) is True
    assert pool.submit(job) is False


def test_webhook_settings_parse_presets_and_lists() -> None:
    assert load_settings(env={"MOCK_WEBHOOK_SCHEDULE": "none"}).webhook_schedule == ()
    assert load_settings(env={"MOCK_WEBHOOK_SCHEDULE": "0.5, 2"}).webhook_schedule == (0.5, 2.0)
    with pytest.raises(ConfigError, match="^MOCK_WEBHOOK_SCHEDULE=fast: "):
        load_settings(env={"MOCK_WEBHOOK_SCHEDULE": "fast"})
    with pytest.raises(ConfigError, match="^MOCK_WEBHOOK_SIGNATURE=md5: must be one of"):
        load_settings(env={"MOCK_WEBHOOK_SIGNATURE": "md5"})


def test_a_waiting_thread_runs_the_jobs_it_waits_for_and_only_those() -> None:
    """The one worker is busy: `wait_since` runs the job queued after its mark on the waiting
    thread, and leaves the one queued before the mark to the worker."""
    pool = WorkerPool(1, "test")
    release = threading.Event()
    ran: dict[str, str] = {}

    def job(name: str, after: threading.Event | None = None) -> Callable[[], None]:
        def run() -> None:
            if after is not None:
                after.wait(5)
            ran[name] = threading.current_thread().name

        return run

    assert pool.submit(job("blocker", after=release))
    assert pool.submit(job("before"))
    mark = pool.mark()
    assert pool.submit(job("after"))
    assert pool.wait_since(mark, timeout=2) is True
    assert ran == {"after": threading.current_thread().name}
    release.set()
    assert pool.wait_idle(timeout=5) is True
    assert ran["before"] == ran["blocker"] == "test_0"
    assert pool.shutdown(timeout=1) is True


def test_shutdown_drops_the_jobs_still_queued_after_its_timeout() -> None:
    pool = WorkerPool(1, "test")
    release = threading.Event()
    ran: list[str] = []

    def blocker() -> None:
        release.wait(5)
        ran.append("running")

    assert pool.submit(blocker)
    assert pool.submit(lambda: ran.append("queued"))
    assert pool.shutdown(timeout=0.05) is False
    release.set()
    time.sleep(0.2)
    assert ran == ["running"]
