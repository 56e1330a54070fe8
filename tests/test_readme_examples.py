"""The README's Python examples run as tests, so the docs cannot drift from the code."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w-]+) -->\n```python\n(?P<code>.*?)```", re.S)


def examples() -> list[tuple[str, str]]:
    found = [(m["name"], m["code"]) for m in EXAMPLE.finditer(README.read_text("utf-8"))]
    assert found, "the README lost its runnable examples"
    return found


@pytest.mark.parametrize(("name", "code"), examples(), ids=[n for n, _ in examples()])
def test_readme_example_runs(name: str, code: str) -> None:
    namespace: dict[str, Any] = {"__name__": f"readme_{name}"}
    exec(compile(code, f"README.md:{name}", "exec"), namespace)
    tests: list[Callable[[], None]] = [
        value for key, value in namespace.items() if key.startswith("test_") and callable(value)
    ]
    assert tests, f"example {name} defines no test_ function"
    for test in tests:
        test()
