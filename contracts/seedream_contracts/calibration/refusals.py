"""Learning the error side: which kind each refusal is, the envelope, and each kind's status
and `type`.

The kind comes from the request and the status alone (401: authentication; a 4xx to a create
with a JSON object body: validation; with any other body: invalid_request; 404 to a task read:
not_found…), never from the answer, so the answer can teach its dialect freely. In the
envelope, the number equal to the HTTP status is `status`, the string naming the refused field
is `param`, a sentence is `message`, and a machine word that is constant within a kind is
`type`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seedream_contracts.calibration.answers import Placement, build
from seedream_contracts.calibration.exchange import Exchange
from seedream_contracts.calibration.inputs import Known, attribute
from seedream_contracts.calibration.report import Report
from seedream_contracts.calibration.runs import CREATE_PATH, TASK_PREFIX
from seedream_contracts.calibration.shapes import MISSING, Path, at, identifier, key_of, leaves
from seedream_contracts.profiles.profile import ERROR_KINDS, KIND_BY_DEFAULT_STATUS

# By status alone, for the statuses whose kind needs no route context (400 and 404 do); 403 is
# how some APIs answer a bad key.
_BY_STATUS = {
    status: kind
    for status, kind in {**KIND_BY_DEFAULT_STATUS, 403: "authentication"}.items()
    if status not in (400, 404)
}
_TYPE_KEYS = ("type", "kind", "errortype", "code", "errorcode", "reason")


@dataclass(frozen=True)
class Refusal:
    exchange: Exchange
    kind: str
    field: str | None  # the request field it is about, when that is clear

    @property
    def document(self) -> Any:
        return self.exchange.response_json


def kind_of(exchange: Exchange) -> str | None:
    """The error kind of an answer to a public route; None for successes and other routes."""
    path = exchange.path.split("?")[0]
    create = path == CREATE_PATH
    read = path.startswith(TASK_PREFIX)
    if exchange.status < 400 or not (create or read):
        return None
    if exchange.status in _BY_STATUS:
        return _BY_STATUS[exchange.status]
    if read and exchange.status == 404:
        return "not_found"
    if create and exchange.method == "POST" and exchange.status < 500:
        return "validation" if isinstance(exchange.request_json, dict) else "invalid_request"
    return None


def refusals(exchanges: Sequence[Exchange], known: Known) -> list[Refusal]:
    found = []
    for exchange in exchanges:
        kind = kind_of(exchange)
        if kind is not None:
            field = attribute(exchange, known) if kind == "validation" else None
            found.append(Refusal(exchange, kind, field))
    return found


def _union(documents: Sequence[Any]) -> Any:
    """Every member any of the documents has, with the first value seen at each leaf."""
    merged: dict[str, Any] = {}
    for document in documents:
        for key, value in document.items():
            if isinstance(value, dict) and isinstance(merged.get(key, {}), dict):
                merged[key] = _union([merged.get(key, {}), value])
            else:
                merged.setdefault(key, value)
    return merged


def envelope(found: Sequence[Refusal]) -> tuple[Any, Path | None] | None:
    """The error template and where it holds `type`; None when no refusal was JSON."""
    shaped = [r for r in found if isinstance(r.document, dict)]
    if not shaped:
        return None
    placement = Placement()
    types: list[tuple[tuple[bool, float, int], Path]] = []
    for path, _ in leaves(_union([r.document for r in shaped])):
        seen = [(r, at(r.document, path)) for r in shaped]
        seen = [(r, v) for r, v in seen if v is not MISSING]
        values = [v for _, v in seen]
        if all(isinstance(v, int) and v == r.exchange.status for r, v in seen):
            placement.put(path, "status")
        elif any(v == r.field for r, v in seen if r.field) and all(
            v is None or isinstance(v, str) for v in values
        ):
            placement.put(path, "param")
        elif all(isinstance(v, str) for v in values) and any(" " in v for v in values):
            placement.put(path, "message")
        elif all(identifier(v) for v in values):
            score = (key_of(path) in _TYPE_KEYS, _per_kind(seen), len(set(values)))
            types.append((score, path))
    type_at = max(types, key=lambda t: t[0])[1] if types else None
    if type_at is not None:
        placement.put(type_at, "type")
    return build(_union([r.document for r in shaped]), [], (), placement, "completed"), type_at


def _per_kind(seen: Sequence[tuple[Refusal, Any]]) -> float:
    """The share of kinds for which the value is one and the same: 1.0 for a `type` (unless a
    kind conflicts), low for an id that changes with every answer."""
    by_kind: dict[str, set[Any]] = {}
    for refusal, value in seen:
        by_kind.setdefault(refusal.kind, set()).add(value)
    return sum(len(values) == 1 for values in by_kind.values()) / len(by_kind)


def error_kinds(
    found: Sequence[Refusal], type_at: Path | None, base: dict[str, Any], report: Report
) -> dict[str, Any]:
    """Each kind's status and type, the most frequent where observations disagree."""
    learned: dict[str, Any] = {}
    for kind in ERROR_KINDS:
        mine = [r for r in found if r.kind == kind]
        if not mine:
            learned[kind] = dict(base[kind])
            report.kept(f"errors.{kind}", learned[kind])
            continue
        statuses = Counter(r.exchange.status for r in mine)
        types = Counter(
            str(v)
            for r in mine
            if type_at is not None and isinstance(v := at(r.document, type_at), str)
        )
        entry = {
            "status": statuses.most_common(1)[0][0],
            "type": types.most_common(1)[0][0] if types else base[kind]["type"],
        }
        learned[kind] = entry
        if len(statuses) > 1 or len(types) > 1:
            witnesses = _one_each(mine, type_at)
            note = f"statuses {dict(statuses)}, types {dict(types)}; the most frequent is kept"
            report.conflicting(f"errors.{kind}", entry, *witnesses, note=note)
        else:
            note = "" if types else "the envelope holds no type; the base's type is kept"
            report.learned(f"errors.{kind}", entry, *[r.exchange for r in mine], note=note)
    return learned


def _one_each(mine: Sequence[Refusal], type_at: Path | None) -> list[Exchange]:
    """One exchange per distinct (status, type), to show how they disagree."""
    chosen: dict[tuple[int, Any], Exchange] = {}
    for refusal in mine:
        kind_type = at(refusal.document, type_at) if type_at is not None else None
        chosen.setdefault((refusal.exchange.status, kind_type), refusal.exchange)
    return list(chosen.values())
