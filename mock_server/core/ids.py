"""Task and event ids: never repeated in a server's life, yet the same for the same `--seed`.

An id is a keyed permutation of (epoch, number): the epoch counts resets, the number counts ids
made since the last one. A permutation maps distinct inputs to distinct outputs, so no two ids
of a stream can be equal — not across resets either, which a generator re-seeded at each reset
could not promise (every test of a session got the same first id, and a render still running
across a reset could cache an old image under a new task's id). The key comes from the seed and
the stream's name, so the same seed gives the same ids in the same order, and task ids do not
shift when callbacks (which draw event ids) happen at other moments.
"""

from __future__ import annotations

import hashlib
import os
import threading

_HALF = 64
_MASK = (1 << _HALF) - 1
_ROUNDS = 4  # a 4-round Feistel network: a permutation of 128-bit values, whatever the key


class IdStream:
    """Unique 128-bit values for one kind of id, reproducible from the seed."""

    def __init__(self, seed: int | None, name: str) -> None:
        secret = os.urandom(16) if seed is None else str(seed).encode()
        self._key = hashlib.blake2b(secret, key=name.encode(), digest_size=32).digest()
        # Each round's keyed hash with the key already absorbed: a copy of it is the same hash
        # as one made with the key, without setting the key up again for every id.
        self._rounds = [
            hashlib.blake2b(key=self._key, digest_size=8, person=bytes([index]) * 16)
            for index in range(_ROUNDS)
        ]
        self._lock = threading.Lock()
        self._epoch = 0
        self._number = 0

    def new_epoch(self) -> None:
        """A reset: numbering starts again, in a part of the id space never used before."""
        with self._lock:
            self._epoch += 1
            self._number = 0

    def position(self) -> tuple[int, int]:
        """(epoch, number): where the stream is, for a state file to resume it there."""
        with self._lock:
            return self._epoch, self._number

    def restore(self, epoch: int, number: int) -> None:
        with self._lock:
            self._epoch, self._number = epoch, number

    def next(self) -> int:
        with self._lock:
            epoch, number = self._epoch, self._number
            self._number += 1
        return self._permute(epoch, number)

    def _round(self, index: int, half: int) -> int:
        keyed = self._rounds[index].copy()
        keyed.update(half.to_bytes(8, "big"))
        return int.from_bytes(keyed.digest(), "big")

    def _permute(self, left: int, right: int) -> int:
        left, right = left & _MASK, right & _MASK
        for index in range(_ROUNDS):
            left, right = right, left ^ self._round(index, right)
        return (left << _HALF) | right


def task_id(value: int) -> str:
    return f"n30{value:032x}_seed"


def event_id(value: int) -> str:
    return f"evt_{value:032x}"
