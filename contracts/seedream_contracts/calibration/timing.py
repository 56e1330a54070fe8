"""The default timing of a learned profile: how long the observed task spent in each state.

The task's own timestamps are preferred to the times the exchanges were recorded at: they are
the API's word, and they are the same whoever recorded the polls (the live calibrator or the
proxy), so live and recorded calibrations agree.
"""

from __future__ import annotations

from typing import Any

from seedream_contracts.calibration.answers import Placement
from seedream_contracts.calibration.report import Report
from seedream_contracts.calibration.runs import TaskRun
from seedream_contracts.calibration.shapes import MISSING, at
from seedream_contracts.profiles.template import parse_time

LONGEST = 3600.0  # the profile schema's cap


def _stamp(placement: Placement, name: str, document: Any) -> float | None:
    path = placement.path_of(name)
    if path is None:
        return None
    value = at(document, path)
    if value is MISSING:
        return None
    return parse_time(value, placement.slots[path][1])


def timing(
    run: TaskRun, placement: Placement, statuses: dict[str, Any], report: Report
) -> dict[str, Any]:
    """pending_seconds and processing_seconds [d, d] from the one observed task."""
    documents = run.documents
    status_at = placement.path_of("status")
    created = _stamp(placement, "created_at", documents[0])
    created = run.create.at if created is None else created
    ended = _stamp(placement, "completed_at", documents[-1])
    if ended is None:
        ended = _stamp(placement, "updated_at", documents[-1]) or run.polls[-1].at
    started = created
    if statuses["processing"] != statuses["pending"] and status_at is not None:
        for poll, document in zip(run.polls, documents, strict=True):
            if at(document, status_at) == statuses["processing"]:
                stamp = _stamp(placement, "updated_at", document)
                started = poll.at if stamp is None else stamp
                break
    pending = _clamp(started - created)
    processing = _clamp(ended - started)
    learned = {"pending_seconds": pending, "processing_seconds": [processing, processing]}
    source = "the task's timestamps" if placement.path_of("created_at") else "the poll times"
    report.learned("timing", learned, run.create, run.polls[-1], note=f"from {source}")
    return learned


def _clamp(seconds: float) -> float:
    return round(min(max(seconds, 0.0), LONGEST), 1)
