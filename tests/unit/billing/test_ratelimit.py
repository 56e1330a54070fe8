"""The per-key token bucket: limits as configured, and remembers only keys still refilling."""

from __future__ import annotations

from mock_server.billing.ratelimit import RateLimit, RateLimiter


def test_a_key_waits_once_its_burst_is_spent_and_tokens_come_back_with_time() -> None:
    limiter = RateLimiter(RateLimit(rps=1, burst=2))
    assert limiter.wait_seconds("aio_a", 0.0) is None
    assert limiter.wait_seconds("aio_a", 0.0) is None
    assert limiter.wait_seconds("aio_a", 0.0) == 1
    assert limiter.wait_seconds("aio_b", 0.0) is None  # another key has its own bucket
    assert limiter.wait_seconds("aio_a", 1.0) is None


def test_refilled_buckets_are_forgotten_so_many_keys_cost_no_memory() -> None:
    limiter = RateLimiter(RateLimit(rps=10, burst=5))
    for i in range(10_000):  # one request each, 1 s apart on the mock's clock
        assert limiter.wait_seconds(f"aio_{i}", float(i)) is None
    assert len(limiter) <= 2  # a bucket refills in 0.1 s; only the newest is still refilling


def test_a_depleted_key_is_remembered_however_many_others_come() -> None:
    limiter = RateLimiter(RateLimit(rps=0.001, burst=1))
    assert limiter.wait_seconds("aio_busy", 0.0) is None
    for i in range(100):
        limiter.wait_seconds(f"aio_{i}", 1.0)
    assert limiter.wait_seconds("aio_busy", 2.0) is not None


def test_a_state_file_is_told_only_the_buckets_changed_since_it_last_asked() -> None:
    limiter = RateLimiter(RateLimit(rps=1, burst=2))
    limiter.wait_seconds("aio_early", 0.0)  # before recording: not noted
    limiter.recording = True
    assert not limiter.dirty
    for key in ("aio_a", "aio_b", "aio_c"):
        limiter.wait_seconds(key, 0.0)
    taken = {"aio_a": (1.0, 0.0), "aio_b": (1.0, 0.0), "aio_c": (1.0, 0.0)}
    assert limiter.take_changes() == (False, taken)
    limiter.wait_seconds("aio_b", 0.5)
    assert limiter.take_changes() == (False, {"aio_b": (0.5, 0.5)})
    assert not limiter.dirty
    limiter.wait_seconds("aio_d", 5.0)  # the others have refilled by now: gone
    gone: dict[str, tuple[float, float] | None] = dict.fromkeys(["aio_early", *taken])
    assert limiter.take_changes() == (False, {**gone, "aio_d": (1.0, 5.0)})
    limiter.configure(RateLimit(rps=1, burst=2))  # every bucket goes at once
    assert limiter.take_changes() == (True, {})
    limiter.wait_seconds("aio_e", 6.0)
    limiter.note_all()  # a commit failed: everything again
    assert limiter.take_changes() == (True, {"aio_e": (1.0, 6.0)})
