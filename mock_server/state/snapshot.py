"""The small documents kept beside the records: the clock, the id streams, the position of
the generator that draws processing times, and the runtime state (timelines, webhook policy,
rate limit, key policy, fault rules with their fired counts and their generator's position, the
scenario in force and the edits noted since).

Each is written at a commit only when it changed: the id streams (and the timing generator's
position) at almost every commit, the generator's state now and then, the runtime state only
after an edit, a reset or a fault rule's draw.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import asdict
from typing import Any

from mock_server.core.clock import wall_time
from mock_server.core.tasks import TimelineSpec
from mock_server.emulator import Emulator
from mock_server.faults.rules import FaultRule
from mock_server.settings.values import RateLimit


def clock_doc(emulator: Emulator) -> tuple[Any, str]:
    """A key that changes only when the clock is set (mode, speed, a jump), and the document:
    the reading and the wall time it was read at, so a running clock can resume as if it had
    kept running."""
    state = emulator.clock.state()
    wall = wall_time()
    if state.mode == "manual":
        key: Any = ("manual", state.now)
    else:  # a running clock: reading - wall x speed is constant until it is set again
        key = (state.mode, state.speed, round(state.now - wall * state.speed, 2))
    doc = {"mode": state.mode, "speed": state.speed, "reading": state.now, "wall": wall}
    return key, json.dumps(doc)


# The timing generator: its position (seeded how often, drawn since; two integers in the ids
# document) is written at every commit, its whole state only once per seeding and then every
# CHECKPOINT_DRAWS draws; a resume draws the rest again (10,000 draws: about 2 ms). The state
# at every commit measured 150 -> 210-250 us per submit and commit: 14 us to encode it, the
# rest a page more of WAL each time.
CHECKPOINT_DRAWS = 10_000
# Its state: the Mersenne Twister's 624 words and index, little-endian, in base64 (3.3 KB).
_WORDS = struct.Struct("<625I")


def ids_doc(emulator: Emulator) -> str:
    return json.dumps({**emulator.id_positions(), "timing": emulator.generator_position()})


def generator_checkpoint(emulator: Emulator, last: Any) -> tuple[tuple[int, int], str] | None:
    """The timing generator's state to write now, with its position, unless the one written
    `last` (its position, or None) is of this seeding and less than CHECKPOINT_DRAWS draws
    behind. Call under the state lock."""
    position = emulator.generator_position()
    if last is not None and last[0] == position[0] and position[1] - last[1] < CHECKPOINT_DRAWS:
        return None
    version, words, gauss = emulator.generator_state()
    state = base64.b64encode(_WORDS.pack(*words)).decode()
    return position, json.dumps([*position, version, state, gauss])


def restore_generator(emulator: Emulator, ids: dict[str, Any], doc: str) -> None:
    """Back to the position in the ids document, from the state kept at or before it (both
    are written by one commit when the seeding changes, so they agree on it)."""
    seedings, then, version, state, gauss = json.loads(doc)
    position = ids.get("timing")
    if position is None or position[0] != seedings or position[1] < then:
        return  # not from one commit: the generator starts from the seed
    words = _WORDS.unpack(base64.b64decode(state))
    emulator.restore_generator((seedings, position[1]), (version, words, gauss), then)


def runtime_version(emulator: Emulator) -> tuple[int, int]:
    return emulator.runtime.version, emulator.faults.version


def runtime_doc(emulator: Emulator) -> str:
    """The runtime state as JSON; called under the state lock."""
    runtime = emulator.runtime
    limit = runtime.rate_limiter.limit
    return json.dumps(
        {
            "timelines": [
                [model, quality, spec.pending_seconds, list(spec.processing_seconds)]
                for (model, quality), spec in runtime.timelines.items()
            ],
            "webhook_schedule": list(emulator.webhooks.schedule),
            "webhook_timeout": emulator.webhooks.timeout,
            "rate_limit": None if limit is None else [limit.rps, limit.burst],
            "key_mode": emulator.accounts.key_mode,
            "default_credits": emulator.accounts.default_credits,
            "scenario": runtime.scenario,
            "edits": runtime.edits,
            "rules": [asdict(rule) for rule in emulator.faults.rules()],
            "generator": emulator.faults.generator_state(),
        }
    )


def restore_runtime(emulator: Emulator, doc: dict[str, Any]) -> None:
    """Put a runtime document back in force, as it was (no edit noted, nothing replayed)."""
    runtime = emulator.runtime
    runtime.timelines = {
        (model, quality): TimelineSpec(pending, (span[0], span[1]))
        for model, quality, pending, span in doc["timelines"]
    }
    emulator.webhooks.schedule = tuple(doc["webhook_schedule"])
    emulator.webhooks.timeout = doc["webhook_timeout"]
    limit = doc["rate_limit"]
    runtime.rate_limiter.configure(None if limit is None else RateLimit(limit[0], limit[1]))
    emulator.accounts.key_mode = doc["key_mode"]
    emulator.accounts.default_credits = doc["default_credits"]
    runtime.scenario = doc["scenario"]
    runtime.edits = list(doc["edits"])
    version, internal, gauss = doc["generator"]
    emulator.faults.restore(
        [FaultRule(**rule) for rule in doc["rules"]], (version, tuple(internal), gauss)
    )
