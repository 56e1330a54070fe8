"""Build the sdist and the wheel, install the wheel into a brand-new virtualenv, and run the
smoke suite (tests/installed/smoke/) from a temporary directory outside the repository.

This is what a user gets from `pip install seedream-mock`: no checkout on the path, no editable
install, no dev extras. The smoke suite imports nothing from the repository; it gets the
documentation pages under test and the names of the shipped scenarios as data.

    python tests/installed/run.py [--keep] [pytest arguments…]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMOKE = Path(__file__).resolve().parent / "smoke"
# What the docs tell users to add themselves for some examples (xdist, Standard Webhooks).
USER_EXTRAS = ("pytest-xdist", "standardwebhooks")
IMPORT_PACKAGES = {"mock_server", "seedream_contracts"}


def step(message: str) -> None:
    print(f"[installed] {message}", flush=True)


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(part) for part in command], cwd=cwd, env=env, check=True)


def build(out: Path) -> Path:
    """sdist first, then the wheel built from that sdist: what the sdist lacks fails here."""
    step(f"building sdist and wheel into {out}")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"build failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    wheels = sorted(out.glob("*.whl"))
    if len(wheels) != 1 or not list(out.glob("*.tar.gz")):
        raise SystemExit(f"expected one wheel and one sdist in {out}, found {os.listdir(out)}")
    return wheels[0]


def check_listing(wheel: Path, shipped: list[str]) -> None:
    """The wheel carries every shipped scenario and no generic top-level import package."""
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    if top != IMPORT_PACKAGES:
        raise SystemExit(
            f"wheel top-level packages are {sorted(top)}, want {sorted(IMPORT_PACKAGES)}"
        )
    missing = [s for s in shipped if f"seedream_contracts/fixtures/scenarios/{s}.json" not in names]
    if missing:
        raise SystemExit(f"wheel lacks shipped scenarios: {', '.join(missing)}")
    step(
        f"wheel {wheel.name}: {len(names)} files, top-level {sorted(top)}, {len(shipped)} scenarios"
    )


def project(work: Path) -> Path:
    """The smoke suite and the documentation it walks, copied where no repository is in reach."""
    target = work / "project"
    shutil.copytree(SMOKE, target, ignore=shutil.ignore_patterns("__pycache__"))
    pages = target / "pages"
    (pages / "docs").mkdir(parents=True)
    shutil.copy(ROOT / "README.md", pages / "README.md")
    for page in sorted((ROOT / "docs").glob("*.md")):
        shutil.copy(page, pages / "docs" / page.name)
    return target


def main(argv: list[str]) -> int:
    keep = "--keep" in argv
    pytest_args = [a for a in argv if a != "--keep"]
    shipped = sorted(p.stem for p in (ROOT / "fixtures" / "scenarios").glob("*.json"))
    work = Path(tempfile.mkdtemp(prefix="seedream-mock-installed-"))
    try:
        wheel = build(work / "dist")
        check_listing(wheel, shipped)
        step("creating a fresh virtualenv and installing the wheel")
        venv.create(work / "venv", with_pip=True)
        python = work / "venv" / "bin" / "python"
        run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
        run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *USER_EXTRAS)
        tests = project(work)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
        env["SEEDREAM_SHIPPED_SCENARIOS"] = ",".join(shipped)
        step(f"running the smoke suite in {tests}")
        command = [python, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args]
        return subprocess.run([str(c) for c in command], cwd=tests, env=env).returncode
    finally:
        if keep:
            step(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
