"""The package list in pyproject.toml is explicit (the kit's source root and the fixtures are
mapped), so a new folder must be listed or the wheel silently lacks it; this says so in the
ordinary test run, long before the installed-wheel check meets the ImportError."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = {"mock_server": ROOT, "seedream_contracts": ROOT / "contracts"}


def _packages_on_disk() -> set[str]:
    found = set()
    for package, root in SOURCE_ROOTS.items():
        for init in (root / package).rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(root).parts))
    return found


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    missing = _packages_on_disk() - listed
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    assert "seedream_contracts.fixtures" in listed  # data only, mapped from fixtures/
