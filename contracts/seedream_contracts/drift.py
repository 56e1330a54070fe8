"""Drift: how the answers a target really gave differ, field by field, from the contract.

Every JSON answer (and callback) the suite sees is walked against its schema as the run's
profile makes it (schema_walk.py): each field the schema names is recorded as seen as expected,
missing, of a different type or outside its enum; fields the schema does not name are recorded
as extra. Under the default dialect the [G] items of contracts/README.md are then confirmed
(always as expected), refuted (ever different) or left unobserved. They are statements about
the default profile's answers, so under another dialect they are not reported: that profile
states its own choices (and their sources) in its `sources` section.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from seedream_contracts.profiles import Profile, load_profile
from seedream_contracts.profiles.validators import answer_schema, answer_validator
from seedream_contracts.schema_walk import walk

VERDICTS = ("ok", "missing", "extra", "type", "enum")

# [G] items a run can settle under the default dialect: (schema, field path, what we guessed).
GUESSES: tuple[tuple[str, str, str], ...] = (
    ("create_response", "data.task_id", "task ids are strings like n30…_seed"),
    ("task", "data.status", "task statuses are pending, processing, completed, failed"),
    ("task", "data.progress", "tasks report an integer progress 0-100"),
    ("task", "data.input", "tasks echo the normalized request as input"),
    ("task", "data.output", "results are in output {image_urls, width, height, expires_at}"),
    ("task", "data.output.expires_at", "result URLs carry an expiry time"),
    ("task", "data.error", "failed tasks carry error {code, message}"),
    ("task", "data.credits_consumed", "tasks report credits_consumed"),
    ("task", "data.completed_at", "tasks report completed_at"),
    ("error", "error.type", "error.type uses the Evolink/OpenAI-style strings"),
    ("error", "error.param", "errors always carry param (null when no field is at fault)"),
    ("callback", "data", "the callback body is the task document"),
)


@dataclass
class Observation:
    """One answer the suite saw."""

    endpoint: str  # e.g. "GET /api/v1/tasks/{task_id}"
    status: int
    body: bytes
    content_type: str = ""


def schema_for(endpoint: str, status: int) -> str | None:
    """Which contract schema an answer must match, or None for answers that have none."""
    if endpoint == "callback":
        return "callback"
    if not endpoint.startswith(("POST /api/v1/images/generations", "GET /api/v1/tasks/")):
        return None
    if status >= 400:
        return "error"
    return "create_response" if endpoint.startswith("POST") else "task"


def endpoint_of(method: str, path: str) -> str:
    """A request's route template (task ids folded), so observations group by endpoint."""
    path = path.split("?")[0]
    path = re.sub(r"^/api/v1/tasks/[^/]+$", "/api/v1/tasks/{task_id}", path)
    path = re.sub(r"^/files/[^/]+/\d+\.png$", "/files/{task_id}/{index}.png", path)
    return f"{method} {path}"


@dataclass
class DriftRecorder:
    """Collects observations from every client of a run (thread-safe) and reports on them."""

    profile: Profile = field(default_factory=lambda: load_profile("default"))
    observations: list[Observation] = field(default_factory=list)
    network_errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, observation: Observation) -> None:
        with self._lock:
            self.observations.append(observation)

    def network_error(self, text: str) -> None:
        with self._lock:
            self.network_errors.append(text)

    def report(self) -> dict[str, Any]:
        with self._lock:
            observed = list(self.observations)
            network = list(self.network_errors)
        return analyse(observed, network, self.profile)


def analyse(
    observations: list[Observation], network_errors: list[str], profile: Profile | None = None
) -> dict[str, Any]:
    """The report on what was observed, judged by `profile` (the default one when None)."""
    profile = profile or load_profile("default")
    fields: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    failures: list[dict[str, Any]] = []
    samples: dict[tuple[str, str, str], Any] = {}
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    credits = _credits_spent(observations, profile)
    for seen in observations:
        statuses[seen.endpoint][seen.status] += 1
        schema = schema_for(seen.endpoint, seen.status)
        if schema is None:
            continue
        try:
            document = json.loads(seen.body)
        except ValueError:
            failures.append(
                {"endpoint": seen.endpoint, "status": seen.status, "problem": "body is not JSON"}
            )
            continue
        for error in answer_validator(profile, schema).iter_errors(document):
            path = ".".join(str(p) for p in error.absolute_path) or "<root>"
            failures.append(
                {
                    "endpoint": seen.endpoint,
                    "status": seen.status,
                    "schema": schema,
                    "field": path,
                    "problem": error.message[:300],
                }
            )
        for path, verdict, value in walk(answer_schema(profile, schema), document, schema):
            key = (seen.endpoint if schema != "callback" else "callback", path, schema)
            fields[key][verdict] += 1
            if verdict != "ok":
                samples.setdefault((key[0], path, verdict), value)
    report = _summary(fields, samples, failures, statuses, network_errors, credits)
    report["profile"] = profile.name
    if not speaks_default(profile):
        report["guesses"] = []
    return report


def speaks_default(profile: Profile) -> bool:
    """Whether `profile` answers as the default one does (whatever its name), so that the [G]
    list, written about the default's answers, is about this run's answers too."""
    default = load_profile("default").document
    return all(
        profile.document.get(k) == default.get(k)
        for k in ("statuses", "answers", "errors", "callback")
    )


def _credits_spent(observations: list[Observation], profile: Profile) -> int:
    """Credits the tasks seen report as consumed (the last report of each task counts)."""
    spent: dict[str, int] = {}
    for seen in observations:
        if seen.endpoint.startswith("GET /api/v1/tasks/") and seen.status == 200:
            try:
                view = profile.read_task(json.loads(seen.body))
                spent[str(view.task_id)] = int(view.get("credits_consumed") or 0)
            except (ValueError, TypeError):
                continue
    return sum(spent.values())


def _summary(
    fields: dict[tuple[str, str, str], Counter[str]],
    samples: dict[tuple[str, str, str], Any],
    failures: list[dict[str, Any]],
    statuses: dict[str, Counter[int]],
    network_errors: list[str],
    credits: int,
) -> dict[str, Any]:
    rows = []
    for (endpoint, path, schema), counts in sorted(fields.items()):
        verdict = next((v for v in VERDICTS[1:] if counts[v]), "ok")
        rows.append(
            {
                "endpoint": endpoint,
                "field": path,
                "schema": schema,
                "verdict": verdict,
                "counts": {v: counts[v] for v in VERDICTS if counts[v]},
                "sample": samples.get((endpoint, path, verdict)),
            }
        )
    guesses = []
    for schema, path, text in GUESSES:
        mine = [r for r in rows if r["schema"] == schema and r["field"] == path]
        state = "unobserved"
        if mine:
            state = "confirmed" if all(r["verdict"] == "ok" for r in mine) else "refuted"
        guesses.append({"schema": schema, "field": path, "guess": text, "result": state})
    drift = [r for r in rows if r["verdict"] != "ok"]
    return {
        "clean": not failures and not drift and not network_errors,
        "responses": sum(sum(c.values()) for c in statuses.values()),
        "statuses": {e: dict(sorted(c.items())) for e, c in sorted(statuses.items())},
        "drift": drift,
        "fields": rows,
        "guesses": guesses,
        "contract_failures": failures[:200],
        "network_errors": network_errors,
        "credits_spent": credits,
    }
