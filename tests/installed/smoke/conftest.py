"""Helpers of the installed-wheel smoke suite: run the installed `seedream-mock`, start a server
from it, and read the pages under test. Nothing here imports the repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
URL = re.compile(r"serving the Seedream 4\.5 API at (http://\S+)")
TIMEOUT = 120  # seconds for any one command


def executable() -> str:
    """The `seedream-mock` script of the virtualenv this suite runs in, never another one."""
    found = Path(sys.executable).parent / "seedream-mock"
    assert found.exists(), f"no seedream-mock script beside {sys.executable}"
    assert shutil.which("seedream-mock") == str(found), "PATH finds another seedream-mock first"
    return str(found)


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [executable(), *args], capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd
    )


def shipped_scenarios() -> list[str]:
    names = os.environ.get("SEEDREAM_SHIPPED_SCENARIOS", "")
    assert names, "run.py passes the repository's shipped scenario names"
    return names.split(",")


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@dataclass
class Served:
    url: str
    banner: str


@contextmanager
def serving(*args: str) -> Iterator[Served]:
    """`seedream-mock serve ARGS` on a free port until the block ends; its banner and URL."""
    command = [executable(), "serve", *args]
    if "--port" not in args:
        command += ["--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Press Ctrl-C to stop." in line or len(lines) > 40:
                break
        banner = "".join(lines)
        found = URL.search(banner)
        if found is None:
            pytest.fail(f"`{' '.join(command[1:])}` printed no URL:\n{banner}")
        yield Served(found[1], banner)
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
