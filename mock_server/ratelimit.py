"""Per-key rate limiting on the public routes: a token bucket on the mock's clock."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """`rps` requests per second on average, bursts of up to `burst`."""

    rps: float
    burst: int


class RateLimiter:
    """Answers 'how long must this key wait', per key, using the mock's clock — so on the manual
    clock tokens come back only when time is advanced, and tests are deterministic."""

    def __init__(self, limit: RateLimit | None) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    @property
    def limit(self) -> RateLimit | None:
        return self._limit

    def configure(self, limit: RateLimit | None) -> None:
        with self._lock:
            self._limit = limit
            self._buckets.clear()

    def wait_seconds(self, key: str, now: float) -> int | None:
        """None if the request may go ahead (and takes a token); else whole seconds to wait."""
        with self._lock:
            limit = self._limit
            if limit is None:
                return None
            tokens, at = self._buckets.get(key, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + max(0.0, now - at) * limit.rps)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / limit.rps))
