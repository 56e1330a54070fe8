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
