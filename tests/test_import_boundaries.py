"""Layering rules, checked on the source with ast: web frameworks stay in the HTTP adapters."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each import package and the folder its source root is (see pyproject.toml).
PACKAGES = {"mock_server": ROOT, "seedream_contracts": ROOT / "contracts"}
WEB_FRAMEWORKS = ("flask", "werkzeug")
# The HTTP adapters: the only modules allowed to touch the web frameworks.
ADAPTERS = (
    "mock_server.api",
    "mock_server.app",
    "mock_server.server",
    "mock_server.cli.main",
    "mock_server.cli.parser",
)
# Entry points that only wire the adapters up; neither domain nor adapter. The pytest plugin and
# its handle start a real server for a test session, so they sit outside the domain too.
ENTRY_POINTS = ("mock_server.__main__", "mock_server.pytest_plugin", "mock_server.handle")
DYNAMIC_IMPORTERS = ("import_module", "__import__")


@dataclass(frozen=True)
class Import:
    """One import statement: the module it names, what else it may load, and where it is."""

    module: str
    line: int
    source: str
    submodules: tuple[str, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """`from a import b` may load module `a.b` as well as `a`."""
        return (self.module, *self.submodules)

    def __str__(self) -> str:
        return f"line {self.line}: {self.source}"


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an `from X import ...` names, relative forms included."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _dynamic_target(node: ast.Call) -> str | None:
    """ "x" in `importlib.import_module("x")` or `__import__("x")`, when it is a literal."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    first = node.args[0] if node.args else None
    if name in DYNAMIC_IMPORTERS and isinstance(first, ast.Constant):
        return first.value if isinstance(first.value, str) else None
    return None


def imports_of(source: str, module: str = "<string>", *, is_package: bool = False) -> list[Import]:
    """Every import in a source: `import a.b`, `from a import b` (also as `a.b`), relative
    imports, and `importlib.import_module("x")` / `__import__("x")` with a literal name."""
    tree = ast.parse(source, filename=module)
    found: list[Import] = []

    def add(node: ast.stmt | ast.expr, name: str, submodules: tuple[str, ...] = ()) -> None:
        text = " ".join((ast.get_source_segment(source, node) or "").split())
        found.append(Import(name, node.lineno, text, submodules))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(node, alias.name)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node, module, is_package)
            names = [a.name for a in node.names if a.name != "*"]
            add(node, target, tuple(f"{target}.{n}" if target else n for n in names))
        elif isinstance(node, ast.Call) and (dynamic := _dynamic_target(node)):
            add(node, dynamic)
    return sorted(found, key=lambda imp: imp.line)


def forbidden_imports(
    source: str, module: str, rule: Callable[[str], bool], *, is_package: bool = False
) -> list[Import]:
    """The imports of `source` whose target module the rule forbids."""
    found = imports_of(source, module, is_package=is_package)
    return [imp for imp in found if any(rule(target) for target in imp.targets)]


@dataclass(frozen=True)
class Module:
    """One source file of the checked packages, named as Python would import it."""

    name: str
    path: Path
    is_package: bool

    def source(self) -> str:
        return self.path.read_text("utf-8")


def _modules(package: str, source_root: Path) -> Iterator[Module]:
    for path in sorted((source_root / package).rglob("*.py")):
        parts = list(path.relative_to(source_root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        yield Module(".".join(parts), path, is_package)


ALL_MODULES = [m for package, root in PACKAGES.items() for m in _modules(package, root)]


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _violations(modules: list[Module], rule: Callable[[str], bool]) -> list[str]:
    """One line per forbidden import: module, file, line number and the import statement."""
    return [
        f"{m.name} ({_shown(m.path)}) {imp}"
        for m in modules
        for imp in forbidden_imports(m.source(), m.name, rule, is_package=m.is_package)
    ]


def _imports_web_framework(target: str) -> bool:
    return _within(target, WEB_FRAMEWORKS)


def _imports_mock_server(target: str) -> bool:
    return _within(target, ("mock_server",))


def _imports_adapter(target: str) -> bool:
    return _within(target, ADAPTERS)


def test_the_packages_are_found() -> None:
    names = {m.name for m in ALL_MODULES}
    assert {"mock_server", "mock_server.emulator", "mock_server.api", "seedream_contracts"} <= names


def test_only_http_adapters_import_web_frameworks() -> None:
    outside = [m for m in ALL_MODULES if not _within(m.name, ADAPTERS)]
    bad = _violations(outside, _imports_web_framework)
    assert not bad, "flask/werkzeug imported outside the HTTP adapters:\n" + "\n".join(bad)


def test_contracts_never_import_mock_server() -> None:
    contracts = [m for m in ALL_MODULES if _within(m.name, ("seedream_contracts",))]
    bad = _violations(contracts, _imports_mock_server)
    assert not bad, "seedream_contracts must stay independent of mock_server:\n" + "\n".join(bad)


def test_domain_modules_never_import_the_http_adapters() -> None:
    domain = [
        m
        for m in ALL_MODULES
        if _within(m.name, ("mock_server",)) and not _within(m.name, ADAPTERS + ENTRY_POINTS)
    ]
    assert any(m.name == "mock_server.emulator" for m in domain)
    bad = _violations(domain, _imports_adapter)
    assert not bad, "domain modules import the HTTP layer:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        pytest.param("import flask\n", "mock_server.core.clock", "flask", id="import"),
        pytest.param(
            "from werkzeug.exceptions import NotFound\n",
            "mock_server.core.errors",
            "werkzeug.exceptions",
            id="from-import",
        ),
        pytest.param(
            "def f():\n    import werkzeug.serving as w\n",
            "mock_server.core.tasks",
            "werkzeug.serving",
            id="nested-import",
        ),
        pytest.param(
            "import importlib\nimportlib.import_module('flask')\n",
            "mock_server.core.store",
            "flask",
            id="import-module-call",
        ),
    ],
)
def test_checker_reports_a_web_framework_import(source: str, module: str, expected: str) -> None:
    bad = forbidden_imports(source, module, _imports_web_framework)
    assert [imp.module for imp in bad] == [expected]
    assert bad[0].source in source


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        pytest.param("from mock_server import api\n", "mock_server.emulator", False,
                     "mock_server.api", id="from-package-import-submodule"),
        pytest.param("from .api.public import public\n", "mock_server.emulator", False,
                     "mock_server.api.public", id="relative-from-module"),
        pytest.param("from .app import create_app\n", "mock_server", True,
                     "mock_server.app", id="relative-from-package-init"),
        pytest.param("import mock_server.server\n", "mock_server.core.store", False,
                     "mock_server.server", id="plain-import"),
    ],
)  # fmt: skip
def test_checker_reports_an_adapter_import(
    source: str, module: str, is_package: bool, expected: str
) -> None:
    bad = forbidden_imports(source, module, _imports_adapter, is_package=is_package)
    assert [expected in imp.targets for imp in bad] == [True]


def test_checker_ignores_lookalike_names() -> None:
    source = (
        "import flasky\nfrom mock_server.apiary import x\nfrom mock_server import application\n"
    )
    assert forbidden_imports(source, "mock_server.core.clock", _imports_web_framework) == []
    assert forbidden_imports(source, "mock_server.core.clock", _imports_adapter) == []


def test_violation_message_names_the_module_and_the_import_line(tmp_path: Path) -> None:
    fake = tmp_path / "clock.py"
    fake.write_text("import time\n\nfrom flask import Flask  # oops\n", encoding="utf-8")
    report = _violations([Module("mock_server.core.clock", fake, False)], _imports_web_framework)
    assert report == [f"mock_server.core.clock ({fake}) line 3: from flask import Flask"]
