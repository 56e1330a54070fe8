"""Every block marked `<!-- example: NAME -->` in docs/*.md and README.md runs, so the docs
cannot drift from the code.

- `python` blocks whose `test_*` functions take arguments (plugin fixtures, `tmp_path`, ...) are
  test files: exec'd in-process (imports, definitions), then run in a fresh pytest process
  (`pytester.runpytest_subprocess`, `-W error`) — all the plain ones of a page together, and
  one by one those that start with `# run with: pytest ARGS`, with those arguments. Every test
  function must pass.
- `python` blocks with argument-less `test_*` functions are exec'd and called in-process.
- `python` blocks without tests are scripts: they run with this interpreter against a fresh
  server, their `http://127.0.0.1:8080` replaced by its URL.
- `sh` blocks run with `bash -e`, `js` blocks with `node` (as ES modules), the same way.
- `json` blocks are scenario documents: `mock_server.faults.scenarios.check` must accept them.

README.md's python blocks (argument-less tests) also run in tests/test_readme_examples.py;
running them here too costs a fraction of a second.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mock_server.faults import scenarios
from mock_server.server import MockServer
from mock_server.settings.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOC_PAGES = sorted((ROOT / "docs").glob("*.md"))
PAGES = [*DOC_PAGES, ROOT / "README.md"]
MARKER = re.compile(r"<!-- example: (?P<name>[^ ]*) -->")
EXAMPLE = re.compile(
    r"<!-- example: (?P<name>[\w-]+) -->\n```(?P<lang>\w+)\n(?P<code>.*?)^```$", re.S | re.M
)
LANGUAGES = ("python", "sh", "js", "json")
BASE_URL = "http://127.0.0.1:8080"
RUN_WITH = re.compile(r"^# run with: pytest(?P<args>[^\n]*)$", re.M)
PASSED_TEST = re.compile(r"(\S+?\.py)::(\w+)")
TIMEOUT = 120  # seconds for any one subprocess


@dataclass(frozen=True)
class Example:
    page: str  # path relative to the repository, e.g. docs/pytest.md
    name: str
    lang: str
    code: str
    line: int

    @property
    def id(self) -> str:
        return f"{self.page}:{self.name}"

    @property
    def tree(self) -> ast.Module:
        return ast.parse(self.code, filename=self.id)

    @property
    def tests(self) -> list[ast.FunctionDef]:
        return [
            node
            for node in self.tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        ]

    @property
    def kind(self) -> str:
        """pytest (a test file), inline (argument-less tests), script, or the language."""
        if self.lang != "python":
            return self.lang
        tests = self.tests
        if any(test.args.args for test in tests):
            return "pytest"
        return "inline" if tests else "script"

    @property
    def pytest_args(self) -> list[str] | None:
        found = RUN_WITH.search(self.code)
        return shlex.split(found["args"]) if found else None

    @property
    def module(self) -> str:
        """The file name it runs as (names are unique across pages)."""
        return "test_" + self.name.replace("-", "_")


def collect() -> list[Example]:
    found = []
    for page in PAGES:
        text = page.read_text("utf-8")
        relative = page.relative_to(ROOT).as_posix()
        for match in EXAMPLE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(Example(relative, match["name"], match["lang"], match["code"], line))
    return found


EXAMPLES = collect()


def of_kind(*kinds: str) -> list[Any]:
    return [pytest.param(e, id=e.id) for e in EXAMPLES if e.kind in kinds]


# -- the markers themselves ---------------------------------------------------------------


def test_every_marker_introduces_a_block_in_a_known_language() -> None:
    for page in PAGES:
        text = page.read_text("utf-8")
        markers = [m["name"] for m in MARKER.finditer(text)]
        blocks = [m["name"] for m in EXAMPLE.finditer(text) if m["lang"] in LANGUAGES]
        assert markers == blocks, f"{page.name}: a marker not right before a known block"
    names = [e.name for e in EXAMPLES]
    assert len(names) == len(set(names)), "example names must be unique across pages"


def test_the_docs_pages_have_runnable_examples() -> None:
    pages = {e.page for e in EXAMPLES}
    for page in ("docs/pytest.md", "docs/any-language.md", "docs/scenarios.md"):
        assert page in pages, f"{page} lost its runnable examples"
    languages = {(e.page, e.lang) for e in EXAMPLES}
    for lang in ("sh", "python", "js"):
        assert ("docs/any-language.md", lang) in languages


def test_every_python_block_in_docs_is_a_runnable_example() -> None:
    for page in DOC_PAGES:
        text = page.read_text("utf-8")
        blocks = text.count("```python\n")
        marked = sum(1 for m in EXAMPLE.finditer(text) if m["lang"] == "python")
        assert blocks == marked, f"{page.name}: every python block must be a marked example"


def test_the_three_line_test_is_the_one_the_plugin_tests_run() -> None:
    (shown,) = [e for e in EXAMPLES if e.name == "pytest-three-lines"]
    source = (ROOT / "tests" / "plugin" / "test_three_lines.py").read_text("utf-8")
    tree = ast.parse(source)
    (function,) = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    original = ast.get_source_segment(source, function) or ""
    original = re.sub(r"  # type: ignore\[[\w-]+\]", "", original)
    assert shown.code.strip() == original.strip()


# -- python --------------------------------------------------------------------------------


def _passed_tests(result: pytest.RunResult) -> set[tuple[str, str]]:
    return {
        (file.rsplit("/", 1)[-1], test)
        for line in result.outlines
        if "PASSED" in line
        for file, test in PASSED_TEST.findall(line)
    }


def _run_test_files(
    pytester: pytest.Pytester, examples: list[Example], args: list[str]
) -> pytest.RunResult:
    for example in examples:
        (pytester.path / f"{example.module}.py").write_text(example.code, "utf-8")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-v", "-W", "error", *args, timeout=TIMEOUT
    )
    output = "\n".join(result.outlines + result.errlines)
    passed = _passed_tests(result)
    for example in examples:
        for test in example.tests:
            assert (f"{example.module}.py", test.name) in passed, (
                f"{example.id} (line {example.line}): {test.name} did not pass\n{output}"
            )
    assert result.ret == 0, output
    return result


PLAIN_PAGES = sorted({e.page for e in EXAMPLES if e.kind == "pytest" and e.pytest_args is None})


@pytest.mark.parametrize("page", PLAIN_PAGES)
def test_pytest_examples_pass(pytester: pytest.Pytester, page: str) -> None:
    examples = [e for e in EXAMPLES if e.page == page and e.kind == "pytest"]
    _run_test_files(pytester, [e for e in examples if e.pytest_args is None], [])


@pytest.mark.parametrize(
    "example", [p for p in of_kind("pytest") if p.values[0].pytest_args is not None]
)
def test_pytest_examples_with_options_pass(pytester: pytest.Pytester, example: Example) -> None:
    _run_test_files(pytester, [example], example.pytest_args or [])


@pytest.mark.parametrize("example", of_kind("pytest"))
def test_python_examples_import(example: Example) -> None:
    """Exec'd in-process first: imports resolve and definitions run (fast, clear errors)."""
    exec(compile(example.code, example.id, "exec"), {"__name__": example.module})


@pytest.mark.parametrize("example", of_kind("inline"))
def test_inline_examples_pass(example: Example) -> None:
    namespace: dict[str, Any] = {"__name__": example.module}
    exec(compile(example.code, example.id, "exec"), namespace)
    tests: list[Callable[[], None]] = [namespace[t.name] for t in example.tests]
    for test in tests:
        test()


# -- against a live server: python scripts, sh, js ------------------------------------------


@pytest.fixture
def live_server() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, clock="manual")) as server:
        yield server


def _run_against(
    server: MockServer, example: Example, folder: Path, file_name: str, command: list[str]
) -> subprocess.CompletedProcess[str]:
    code = example.code.replace(BASE_URL, server.base_url)
    (folder / file_name).write_text(code, "utf-8")
    done = subprocess.run(
        [*command, file_name], cwd=folder, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, (
        f"{example.id} (line {example.line}) exited {done.returncode}\n"
        f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )
    return done


@pytest.mark.parametrize("example", of_kind("script"))
def test_python_scripts_run(example: Example, live_server: MockServer, tmp_path: Path) -> None:
    done = _run_against(
        live_server, example, tmp_path, "example.py", [sys.executable, "-X", "dev", "-W", "error"]
    )
    assert "Warning" not in done.stderr, done.stderr


@pytest.mark.parametrize("example", of_kind("sh"))
def test_shell_examples_run(example: Example, live_server: MockServer, tmp_path: Path) -> None:
    if shutil.which("curl") is None or shutil.which("bash") is None:
        pytest.skip("needs curl and bash")
    _run_against(live_server, example, tmp_path, "example.sh", ["bash", "-e"])


@pytest.mark.parametrize("example", of_kind("js"))
def test_node_examples_run(example: Example, live_server: MockServer, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    if int(version.stdout.strip().lstrip("v").split(".")[0]) < 18:
        pytest.skip(f"needs node 18+ (fetch); found {version.stdout.strip()}")
    _run_against(live_server, example, tmp_path, "example.mjs", [node])


# -- json ----------------------------------------------------------------------------------


@pytest.mark.parametrize("example", of_kind("json"))
def test_scenario_documents_are_valid(example: Example) -> None:
    scenarios.check(json.loads(example.code), example.id)


# -- links between the pages ---------------------------------------------------------------

LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (?P<title>.+)$", re.M)


def _anchors(page: Path) -> set[str]:
    """GitHub's heading slugs: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"^```.*?^```", "", page.read_text("utf-8"), flags=re.S | re.M)
    return {
        re.sub(r"[^\w\- ]", "", m["title"].strip().lower()).replace(" ", "-")
        for m in HEADING.finditer(text)
    }


@pytest.mark.parametrize(
    "page",
    [*DOC_PAGES, ROOT / "examples" / "README.md"],
    ids=lambda page: page.relative_to(ROOT).as_posix(),
)
def test_relative_links_resolve(page: Path) -> None:
    for match in LINK.finditer(page.read_text("utf-8")):
        target = match["target"]
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: {target} does not exist"
        if anchor:
            assert anchor in _anchors(linked), f"{page.name}: no heading #{anchor} in {path}"
