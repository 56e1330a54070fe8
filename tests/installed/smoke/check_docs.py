"""What the README and docs say works after `pip install seedream-mock`, tried on the installed
wheel: every `seedream-mock …` command line of their shell blocks, the plugin test the README
opens with, and every pytest example of docs/pytest.md in a brand-new project of the user's."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PAGES, TIMEOUT, cli, get, serving

SHELL_BLOCK = re.compile(r"^```(?:sh|bash|console)\n(?P<code>.*?)^```$", re.S | re.M)
EXAMPLE = re.compile(
    r"<!-- example: (?P<name>[\w-]+) -->\n```python\n(?P<code>.*?)^```$", re.S | re.M
)
RUN_WITH = re.compile(r"^# run with: pytest(?P<args>[^\n]*)$", re.M)
SHELL_ENDS = {"|", "||", "&&", ";", "&", ">", ">>", "2>&1", "<"}


@dataclass(frozen=True)
class CommandLine:
    page: str
    line: int
    args: tuple[str, ...]
    made_above: frozenset[str] = frozenset()  # files earlier lines of its page write

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _pages() -> list[Path]:
    return [PAGES / "README.md", *sorted((PAGES / "docs").glob("*.md"))]


def command_lines() -> list[CommandLine]:
    """`seedream-mock …` lines of shell blocks, continuations joined, cut at the first pipe or
    redirection, comments dropped."""
    found = []
    for page in _pages():
        text = page.read_text("utf-8")
        made: set[str] = set()
        for block in SHELL_BLOCK.finditer(text):
            first = text.count("\n", 0, block.start("code")) + 1
            joined = block["code"].replace("\\\n", "  \n")
            for offset, line in enumerate(joined.splitlines()):
                if not line.startswith("seedream-mock "):
                    continue
                words = shlex.split(line, comments=True)
                cut = next((i for i, w in enumerate(words) if w in SHELL_ENDS), len(words))
                name = str(page.relative_to(PAGES))
                args = tuple(words[1:cut])
                found.append(CommandLine(name, first + offset, args, frozenset(made)))
                if "--out" in args:
                    made.add(args[args.index("--out") + 1])
                if cut + 1 < len(words) and words[cut] in (">", ">>"):
                    made.add(words[cut + 1])
    assert found, "the pages lost their seedream-mock command lines"
    return found


def _targets_the_real_api(args: tuple[str, ...]) -> bool:
    return "--target" in args and not args[args.index("--target") + 1].startswith("http://127.")


def _why_not_run(command: CommandLine) -> str | None:
    args = command.args
    if any("…" in a or a.startswith("<") for a in args):
        return "has a placeholder for the reader to fill in"
    if _targets_the_real_api(args):
        return "targets the real API (costs credits, needs the internet)"
    if command.made_above & set(args):
        return "reads a file a line above writes (that line is tried on its own)"
    return None


@pytest.mark.parametrize("command", command_lines(), ids=lambda c: c.id)
def test_documented_command_line_works(command: CommandLine) -> None:
    reason = _why_not_run(command)
    if reason:
        pytest.skip(f"`seedream-mock {' '.join(command.args)}` {reason}")
    if command.args[0] == "serve":
        args = list(command.args[1:])
        if "--port" in args:  # documented ports may be taken; the point is that it serves
            args[args.index("--port") + 1] = "0"
        with serving(*args) as served:
            assert get(f"{served.url}/_mock/health")[0] == 200
        return
    done = cli(*command.args)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def _readme_plugin_test() -> str:
    text = (PAGES / "README.md").read_text("utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```$", text, re.S | re.M)
    opening = [b for b in blocks if "def test_callback_arrives(seedream_mock" in b]
    assert opening, "the README lost its plugin test"
    return opening[0]


def _pytest_examples(page: str = "docs/pytest.md") -> list[tuple[str, str]]:
    text = (PAGES / page).read_text("utf-8")
    found = [(m["name"], m["code"]) for m in EXAMPLE.finditer(text) if "def test_" in m["code"]]
    assert found, f"{page} lost its pytest examples"
    return found


def _pytest_in(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A fresh pytest process in the user's project: only the installed plugin, no conftest."""
    (project / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", "utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def test_the_readme_plugin_test_passes_in_a_new_project(tmp_path: Path) -> None:
    (tmp_path / "test_three_lines.py").write_text(_readme_plugin_test(), "utf-8")
    done = _pytest_in(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 passed" in done.stdout


@pytest.mark.parametrize("page", ["docs/pytest.md", "README.md"])
def test_the_pytest_examples_of_a_page_pass_in_a_new_project(page: str, tmp_path: Path) -> None:
    plain = [(n, c) for n, c in _pytest_examples(page) if not RUN_WITH.search(c)]
    for name, code in plain:
        (tmp_path / f"test_{name.replace('-', '_')}.py").write_text(code, "utf-8")
    done = _pytest_in(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout
    assert "error" not in done.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    ("name", "code"),
    [(n, c) for n, c in _pytest_examples() if RUN_WITH.search(c)],
    ids=lambda value: value if "\n" not in value else "",
)
def test_a_pytest_page_example_with_options_passes(name: str, code: str, tmp_path: Path) -> None:
    found = RUN_WITH.search(code)
    assert found is not None
    (tmp_path / f"test_{name.replace('-', '_')}.py").write_text(code, "utf-8")
    done = _pytest_in(tmp_path, *shlex.split(found["args"]))
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout
