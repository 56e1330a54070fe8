"""Per-key rate limiting on the public routes: a token bucket on the mock's clock."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable

from mock_server.settings.values import RateLimit

Bucket = tuple[float, float]  # (tokens, the clock reading they were counted at)


class RateLimiter:
    """Answers 'how long must this key wait', per key, using the mock's clock — so on the manual
    clock tokens come back only when time is advanced, and tests are deterministic."""

    def __init__(self, limit: RateLimit | None) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        # key -> (tokens, at), least recently touched first. A bucket that has refilled is the
        # same as no bucket, so those are dropped from the front as new keys come: memory follows
        # the keys active within one refill time, not every key ever seen.
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()
        # For a state file (state/store.py), while `recording`: the keys whose bucket changed or
        # went since it last took the changes, and whether every bucket went before those.
        self.recording = False
        self._changed: set[str] = set()
        self._cleared = False

    @property
    def limit(self) -> RateLimit | None:
        return self._limit

    @property
    def limited(self) -> bool:
        """Whether a limit is set: read without the lock, so a request pays nothing for the
        rate limiter while none is configured (a limit set meanwhile applies from the next)."""
        return self._limit is not None

    def configure(self, limit: RateLimit | None) -> None:
        with self._lock:
            self._limit = limit
            self._buckets.clear()
            if self.recording:
                self._cleared = True
                self._changed.clear()

    def wait_seconds(self, key: str, now: float) -> int | None:
        """None if the request may go ahead (and takes a token); else whole seconds to wait."""
        with self._lock:
            limit = self._limit
            if limit is None:
                return None
            tokens = self._tokens(self._buckets.pop(key, None), limit, now)
            self._forget_refilled(limit, now)
            if self.recording:
                self._changed.add(key)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / limit.rps))

    def __len__(self) -> int:
        """Buckets remembered (keys that spent tokens not yet given back)."""
        return len(self._buckets)

    @property
    def dirty(self) -> bool:
        """Whether a bucket changed since the changes were last taken."""
        return self._cleared or bool(self._changed)

    def take_changes(self) -> tuple[bool, dict[str, Bucket | None]]:
        """What changed since the last call, then forgotten: whether every bucket went first,
        and each changed key's bucket (None: it went)."""
        with self._lock:
            cleared, keys = self._cleared, self._changed
            self._cleared, self._changed = False, set()
            return cleared, {key: self._buckets.get(key) for key in keys}

    def note_all(self) -> None:
        """The taken changes were lost (a failed commit): the next take has every bucket."""
        with self._lock:
            self._cleared, self._changed = True, set(self._buckets)

    def restore(self, buckets: Iterable[tuple[str, float, float]]) -> None:
        """Buckets read back from a state file, least recently touched first: each resumes as
        of the clock, so a running clock refills them for the time the server was down."""
        with self._lock:
            for key, tokens, at in buckets:
                self._buckets[key] = (tokens, at)

    @staticmethod
    def _tokens(bucket: Bucket | None, limit: RateLimit, now: float) -> float:
        if bucket is None:
            return float(limit.burst)
        tokens, at = bucket
        return min(float(limit.burst), tokens + max(0.0, now - at) * limit.rps)

    def _forget_refilled(self, limit: RateLimit, now: float) -> None:
        while self._buckets:
            key, oldest = next(iter(self._buckets.items()))
            if self._tokens(oldest, limit, now) < limit.burst:
                return
            del self._buckets[key]
            if self.recording:
                self._changed.add(key)
