"""Learning the create and task answer templates by example, from one task's polls.

The final answer says where each value sits: the task id (we know it), the prompt, ratio and
model (we sent them), the result URLs (new URLs), timestamps (by their shape), credits and
progress (by their names). A member that earlier polls lack, or hold as null or "", exists only
in the final state (`$when`, with that `else`). Everything else is written as the literal seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seedream_contracts.calibration.runs import (
    TaskRun,
    create_status,
    echoes_of,
    find_task_id,
    status_path,
)
from seedream_contracts.calibration.shapes import (
    MISSING,
    Path,
    at,
    decoded,
    is_url,
    key_of,
    leaves,
    time_format,
    url_list,
)
from seedream_contracts.profiles.fields import MODELS
from seedream_contracts.profiles.template import JSON_STEP
from seedream_contracts.sizes import ASPECT_RATIOS, QUALITIES

_TIME_HINTS = (
    ("result.expires_at", ("expir",)),
    ("created_at", ("creat", "submit")),
    ("updated_at", ("updat", "modif")),
    ("completed_at", ("complet", "finish", "end", "done")),
)


@dataclass
class Placement:
    """Which value sits at which path of the final answer, and its time format."""

    slots: dict[Path, tuple[str, str | None]] = field(default_factory=dict)

    def put(self, path: Path, name: str, form: str | None = None) -> None:
        if name == "model" or name not in self.names():
            self.slots[path] = (name, form)

    def names(self) -> set[str]:
        return {name for name, _ in self.slots.values()}

    def path_of(self, name: str) -> Path | None:
        return next((p for p, (n, _) in self.slots.items() if n == name), None)


def _plain(value: Any, key: str, request: dict[str, Any], sent: set[Any]) -> str | None:
    """The value name a non-time leaf of the final answer stands for, if any."""
    if url_list(value) and not set(value) <= sent:
        return "result.image_urls"
    if is_url(value) and value not in sent:
        return "result.image_url"
    if isinstance(value, str):
        if value == request.get("prompt"):
            return "input.prompt"
        if value in MODELS or value == request.get("model"):
            return "model"
        if value in ASPECT_RATIOS and ("ratio" in key or value == request.get("aspect_ratio")):
            return "input.aspect_ratio"
        if value in QUALITIES and ("quality" in key or value == request.get("quality")):
            return "input.quality"
    if isinstance(value, list) and value == (request.get("image_urls") or []):
        return "input.image_urls" if ("url" in key or "image" in key) else None
    if isinstance(value, int) and not isinstance(value, bool):
        for hint, name in (("credit", "credits_consumed"), ("progress", "progress")):
            if hint in key:
                return name
        for hint in ("width", "height"):
            if hint in key:
                return f"result.{hint}"
    return None


def place(run: TaskRun) -> tuple[Placement, Path | None]:
    """Where each value sits in the run's final answer, and where the status does."""
    documents = run.documents
    final = documents[-1]
    sent = echoes_of(run.request, run.task_id)
    status_at = status_path(documents, sent)
    placement = Placement()
    times: list[tuple[Path, str]] = []
    for path, value in leaves(final):
        if path == status_at:
            placement.put(path, "status")
        elif value == run.task_id:
            placement.put(path, "task_id")
        elif (form := time_format(value)) is not None:
            times.append((path, form))
        elif (name := _plain(value, key_of(path), run.request, sent - {run.task_id})) is not None:
            placement.put(path, name)
    for path, form in times:
        placement.put(path, _time_name(path, [at(d, path) for d in documents[:-1]]), form)
    return placement, status_at


def _time_name(path: Path, earlier: list[Any]) -> str:
    key = key_of(path)
    for name, hints in _TIME_HINTS:
        if any(h in key for h in hints):
            return name
    if earlier and all(v in (None, MISSING) for v in earlier):
        return "completed_at"
    if all(v == earlier[0] for v in earlier):
        return "created_at"
    return "updated_at"


def task_template(run: TaskRun, placement: Placement, final_state: str) -> Any:
    """The task answer template: the final answer with its values as slots and `$when` on
    members earlier polls did not have."""
    documents = run.documents
    return build(documents[-1], documents[:-1], (), placement, final_state)


def build(node: Any, earlier: list[Any], path: Path, placement: Placement, state: str) -> Any:
    """`node` (at `path` of a final answer) as a template: placed values become slots, and a
    member `earlier` answers lack becomes a `$when` on `state`."""
    if path in placement.slots:
        name, form = placement.slots[path]
        return {"$value": name, "format": form} if form else {"$value": name}
    inner = decoded(node)
    if inner is not MISSING:
        return {JSON_STEP: build(inner, earlier, (*path, JSON_STEP), placement, state)}
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, child in node.items():
            here = (*path, key)
            olds = [at(d, here) for d in earlier]
            if _only_at_end(child, olds):  # what is inside exists only at the end too
                out[key] = _when(build(child, [], here, placement, state), olds, state)
            else:
                out[key] = build(child, earlier, here, placement, state)
        return out
    if isinstance(node, list) and any(isinstance(i, dict | list) for i in node):
        return [build(c, earlier, (*path, i), placement, state) for i, c in enumerate(node)]
    return node


def _container(value: Any) -> bool:
    return isinstance(value, dict | list) or decoded(value) is not MISSING


def _only_at_end(final: Any, olds: list[Any]) -> bool:
    """True when the member is absent earlier, or a container only at the end."""
    if not olds:
        return False
    if any(o is MISSING for o in olds):
        return True
    return _container(final) and any(not _container(o) for o in olds)


def _when(built: Any, olds: list[Any], state: str) -> dict[str, Any]:
    node: dict[str, Any] = {"$when": [state], "then": built}
    if olds and all(o is not MISSING and not _container(o) and o == olds[0] for o in olds):
        node["else"] = olds[0]
    return node


def create_template(run: TaskRun, status_at: Path | None) -> Any:
    """The create answer with the task id (and the status on creation, if held) as slots."""
    placement = Placement()
    found = find_task_id(run.create.response_json)
    if found is not None:
        placement.put(found[0], "task_id")
    status = create_status(run, status_at)
    if status is not None:
        placement.put(status[0], "status")
    return build(run.create.response_json, [], (), placement, "completed")
