"""Reading an unknown answer by its values' shapes: leaves, URLs, timestamps, names.

The learner knows what it sent (the prompt, the ratio) and what the API must hold (a task id, a
status, result URLs, times) but not where a dialect puts them, so it looks at every leaf of an
answer, through JSON-encoded strings too, and asks what each one looks like.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from seedream_contracts.profiles.template import JSON_STEP

Path = tuple[str | int, ...]
MISSING: Any = object()  # a path that is not in a document (None is a JSON null)

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\- ]{0,39}$")
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")
# Names that end a task in the dialects we know of; a name outside them still ends one when
# the answer carries result URLs (completed) or stops changing until the poll deadline.
DONE_WORDS = frozenset({"completed", "complete", "succeeded", "success", "done", "finished"})
FAILED_WORDS = frozenset(
    {"failed", "fail", "failure", "error", "errored", "cancelled", "canceled", "rejected"}
)


def decoded(value: Any) -> Any:
    """The container a JSON-encoded string holds, or MISSING when it holds none."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            inner = json.loads(value)
        except ValueError:
            return MISSING
        if isinstance(inner, dict | list):
            return inner
    return MISSING


def leaves(document: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every leaf with its path. A list of scalars is one leaf (URLs come as lists); a string
    holding JSON is walked into, its step written as the template's `$json`."""
    if isinstance(document, dict):
        for key, child in document.items():
            yield from leaves(child, (*path, key))
    elif isinstance(document, list) and any(isinstance(i, dict | list) for i in document):
        for index, child in enumerate(document):
            yield from leaves(child, (*path, index))
    elif decoded(document) is not MISSING:
        yield from leaves(decoded(document), (*path, JSON_STEP))
    else:
        yield path, document


def at(document: Any, path: Path) -> Any:
    """The value at `path`, or MISSING."""
    node = document
    for step in path:
        if step == JSON_STEP:
            node = decoded(node)
            if node is MISSING:
                return MISSING
        elif isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return MISSING
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                return MISSING
            node = node[step]
    return node


def key_of(path: Path) -> str:
    """The last member name on the path, lower case without separators (`taskId` → taskid)."""
    for step in reversed(path):
        if isinstance(step, str) and step != JSON_STEP:
            return step.lower().replace("_", "").replace("-", "")
    return ""


def is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def url_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(is_url(v) for v in value)


def time_format(value: Any) -> str | None:
    """`iso`, `epoch_ms` or `epoch_s` when the value looks like a timestamp of that form."""
    if isinstance(value, str) and _ISO.match(value):
        return "iso"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if 1e12 <= value < 1e14:
        return "epoch_ms"
    if 1e9 <= value < 1e11:
        return "epoch_s"
    return None


def name_like(value: Any) -> bool:
    """A short word-like string: what a status name looks like."""
    return isinstance(value, str) and bool(_NAME.match(value))


def identifier(value: Any) -> bool:
    """A machine word (`validation_error`, `not-found`): what an error `type` looks like."""
    return isinstance(value, str) and bool(_IDENT.match(value)) and " " not in value


def words(document: Any) -> set[str]:
    """Every string in a document and every word of it (for "does the error name a field")."""
    found: set[str] = set()
    for _, value in leaves(document):
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str):
                found.add(item)
                found.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", item))
    return found


def compact(document: Any, limit: int = 200) -> str:
    """A one-line JSON rendering for a report sample, cut at `limit` characters."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"
