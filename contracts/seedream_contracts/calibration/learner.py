"""`learn(exchanges)`: a profile derived by example from recorded exchanges, and its report.

Everything starts as the base profile (`default`); each point the exchanges show is replaced
and reported **learned** with its proof, each they do not show stays and is reported **kept**,
and where they disagree the most frequent observation wins and the point is **conflicting**.
The learner reads exchanges only — never how they were made — so a live run and the recordings
of the same exchanges give the same profile.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from seedream_contracts.calibration.answers import create_template, place, task_template
from seedream_contracts.calibration.exchange import Exchange
from seedream_contracts.calibration.inputs import KNOWN_FIELDS, Known
from seedream_contracts.calibration.refusals import Refusal, envelope, error_kinds, refusals
from seedream_contracts.calibration.report import Report
from seedream_contracts.calibration.rules import input_rules
from seedream_contracts.calibration.runs import TaskRun, create_status, state, task_runs
from seedream_contracts.calibration.shapes import at
from seedream_contracts.calibration.timing import timing
from seedream_contracts.profiles.loading import load_profile
from seedream_contracts.profiles.profile import Profile

PRICE = 12  # credits per successful image, published


def learn(exchanges: Iterable[Exchange], base: Profile | None = None) -> tuple[Profile, Report]:
    """The profile the exchanges show, over `base` (default: the shipped `default`)."""
    base = base or load_profile("default")
    ordered = sorted(exchanges, key=lambda e: e.at)
    runs = task_runs(ordered)
    report = Report(exchanges=len(ordered), paid_tasks=len(runs), credits_spent=PRICE * len(runs))
    document = copy.deepcopy(base.document)
    document["name"] = "calibrated"
    document["description"] = (
        f"Learned by seedream-mock calibrate over the {base.name!r} profile, from "
        f"{len(runs)} paid task(s) and the refusals seen; the calibration report says which "
        "points were learned, kept or conflicting."
    )
    document.pop("extends", None)
    _learn_task(runs, document, base, report)
    known = Known.of(ordered)
    found = refusals(ordered, known)
    _learn_errors(found, document, base, report)
    document["input"] = input_rules(ordered, known, found, base.input_rules, report)
    document["sources"] = {p.point: _source(p.verdict, p.note, p.evidence) for p in report.points}
    return _validated(document, base, report), report


def _source(verdict: str, note: str, evidence: list[str]) -> str:
    tag = {"learned": "[L]", "kept": "[K]", "conflicting": "[C]"}[verdict]
    detail = note or (evidence[0] if evidence else "")
    return f"{tag} {verdict} by calibrate" + (f": {detail}" if detail else "")[:300]


def _learn_task(
    runs: list[TaskRun], document: dict[str, Any], base: Profile, report: Report
) -> None:
    ended = [r for r in runs if state(r.documents, r.request, r.task_id)]
    if not ended:
        why = "no task was polled to its end" if runs else "no task was accepted (0 credits)"
        report.kept("answers.create", document["answers"]["create"], note=why)
        report.kept("answers.task", document["answers"]["task"], note=why)
        report.kept("statuses", document["statuses"], note=why)
        report.kept("timing", document["timing"], note=why)
        return
    run = ended[0]
    final_state = state(run.documents, run.request, run.task_id) or "completed"
    placement, status_at = place(run)
    document["answers"]["task"] = task_template(run, placement, final_state)
    document["answers"]["create"] = create_template(run, status_at)
    report.learned("answers.create", document["answers"]["create"], run.create)
    report.learned("answers.task", document["answers"]["task"], run.polls[-1])
    for path, (name, form) in placement.slots.items():
        where = ".".join(str(s) for s in path) + (f" ({form})" if form else "")
        report.learned(f"answers.task:{name}", where, run.polls[-1])
    series = [at(d, status_at) for d in run.documents] if status_at else []
    created = create_status(run, status_at)
    names = list(dict.fromkeys(map(str, series)))  # the name on creation is a point apart
    document["statuses"] = _statuses(names, final_state, created, base, run, report)
    document["timing"] = timing(run, placement, document["statuses"], report)
    credits_at = placement.path_of("credits_consumed")
    if credits_at is not None:
        spent = at(run.documents[-1], credits_at)
        note = "" if spent == PRICE else f"the published price is {PRICE}"
        report.learned("credits_consumed", spent, run.polls[-1], note=note)


def _statuses(
    names: list[str],
    final_state: str,
    created: tuple[Any, str] | None,
    base: Profile,
    run: TaskRun,
    report: Report,
) -> dict[str, Any]:
    statuses = dict(base.statuses)
    final = names[-1]
    running = [n for n in names if n != final]
    statuses[final_state] = final
    report.learned(f"statuses.{final_state}", final, run.polls[-1])
    other = "failed" if final_state == "completed" else "completed"
    report.kept(f"statuses.{other}", statuses[other], note="no task ended that way")
    if running:
        statuses["pending"], statuses["processing"] = running[0], running[min(1, len(running) - 1)]
        statuses["also_in_progress"] = running[2:]
        for state_name in ("pending", "processing", "also_in_progress"):
            report.learned(f"statuses.{state_name}", statuses[state_name], *_first_polls(run))
    else:
        for state_name in ("pending", "processing", "also_in_progress"):
            report.kept(
                f"statuses.{state_name}",
                statuses[state_name],
                note="the first poll already showed the end",
            )
    if created is not None:
        statuses["on_create"] = created[1]
        report.learned("statuses.on_create", created[1], run.create)
    else:
        statuses["on_create"] = statuses["pending"]
        report.kept(
            "statuses.on_create",
            statuses["on_create"],
            note="the create answer holds no status; the first in-progress name is used",
        )
    return statuses


def _first_polls(run: TaskRun) -> list[Exchange]:
    return run.polls[:2]


def _learn_errors(
    found: list[Refusal], document: dict[str, Any], base: Profile, report: Report
) -> None:
    learned = envelope(found)
    type_at = None
    if learned is None:
        report.kept("answers.error", document["answers"]["error"], note="no JSON refusal seen")
    else:
        document["answers"]["error"], type_at = learned
        shapes = {tuple(sorted(r.document)) for r in found if isinstance(r.document, dict)}
        if len(shapes) > 1:
            report.conflicting(
                "answers.error",
                learned[0],
                *[r.exchange for r in found],
                note=f"refusals came in {len(shapes)} envelopes; merged",
            )
        else:
            report.learned("answers.error", learned[0], *[r.exchange for r in found])
    document["errors"] = error_kinds(found, type_at, base.document["errors"], report)


def _validated(document: dict[str, Any], base: Profile, report: Report) -> Profile:
    """The profile, checked; answers that cannot stand together fall back to the base's."""
    try:
        return Profile(document, "calibrated")
    except ValueError as exc:
        report.conflicting("profile", str(exc), note="the learned answers were set aside")
        for section in ("answers", "statuses"):
            document[section] = copy.deepcopy(base.document[section])
        return Profile(document, "calibrated")


__all__ = ["KNOWN_FIELDS", "PRICE", "learn"]
