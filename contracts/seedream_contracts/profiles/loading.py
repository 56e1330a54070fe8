"""Finding a profile: a shipped one by name, or a file, with what it `extends` merged in."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seedream_contracts.loader import fixture
from seedream_contracts.profiles.profile import Profile, ProfileError

SHIPPED = ("default", "kie", "strict")
# Sections merged key by key under "extends"; the answers and the callback body replace whole.
_MERGED = ("statuses", "errors", "input", "timing", "sources")


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if key == "extends":
            continue
        if key in _MERGED and isinstance(value, dict):
            merged[key] = {**merged.get(key, {}), **value}
        elif key == "answers" and isinstance(value, dict):
            merged["answers"] = {**merged.get("answers", {}), **value}
        elif key == "callback" and isinstance(value, dict):
            callback = dict(merged.get("callback", {}))
            if "headers" in value:
                callback["headers"] = {**callback.get("headers", {}), **value["headers"]}
            if "body" in value:
                callback["body"] = value["body"]
            merged["callback"] = callback
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _shipped_document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(fixture("profiles", f"{name}.json").read_text("utf-8"))
    return document


def _resolve(document: dict[str, Any], origin: str, depth: int = 0) -> dict[str, Any]:
    parent = document.get("extends")
    if parent is None:
        return document
    if depth > 4:
        raise ProfileError(f"profile {origin}: `extends` goes more than 4 profiles deep")
    if parent not in SHIPPED:
        raise ProfileError(
            f"profile {origin}: extends {parent!r}; a profile can extend {', '.join(SHIPPED)}"
        )
    base = _resolve(_shipped_document(parent), parent, depth + 1)
    return _merge(base, document)


def load_profile(spec: str | Path | None = None) -> Profile:
    """A shipped profile by name (`default`, `kie`, `strict`), or a profile file by path."""
    spec = "default" if spec in (None, "") else spec
    if isinstance(spec, str) and spec in SHIPPED:
        return Profile(_resolve(_shipped_document(spec), spec), spec, check=False)
    path = Path(spec)
    if not path.is_file():
        raise ProfileError(
            f"no profile {str(spec)!r}: give one of {', '.join(SHIPPED)} or a profile file's path"
        )
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ProfileError(f"profile {path}: not readable JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ProfileError(f"profile {path}: must be a JSON object")
    return Profile(_resolve(document, str(path)), str(path))
