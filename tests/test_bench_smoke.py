"""`bench/run.py --smoke` runs end to end (wrk and Prism optional), exits 0 and writes its
report to the folder given with --out, never to bench/results/."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120  # the smoke run takes about 20 s on 2 cores; this only catches a hang
PHASES = {
    "render",
    "startup",
    "http",
    "reset",
    "memory",
    "callbacks",
    "webhooks",
    "slowloris",
    "fds",
    "inspector",
}


def _run(out: Path) -> tuple[int, str]:
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--smoke",
            "--no-install",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)  # the bench stops its servers on SIGTERM
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        raise AssertionError(
            f"bench --smoke hung:\n{output.decode(errors='replace')[-3000:]}"
        ) from None
    return process.returncode, output.decode("utf-8", "replace")


def test_bench_smoke_writes_every_figure(tmp_path: Path) -> None:
    code, output = _run(tmp_path)
    assert code == 0, output[-4000:]
    results = json.loads((tmp_path / "latest.json").read_text("utf-8"))
    assert PHASES | {"meta", "targets", "errors"} <= set(results)
    assert results["errors"] == []
    assert results["meta"]["mode"] == "smoke"
    for phase in PHASES:
        assert results[phase], phase
    cells = results["http"]["cells"]
    assert {(c["endpoint"], c["connections"]) for c in cells} == {
        (e, n) for e in ("POST", "GET") for n in (16, 64)
    }
    for cell in cells:
        for run in cell["runs"]["ours"]:
            assert run["result"]["requests"] > 0
            assert run["result"]["non_2xx"] == 0
        assert cell["stats"]["ours"]["rps"][1] > 0
    assert results["callbacks"]["distinct_tasks"] == results["callbacks"]["tasks"]
    statuses = {row["status"] for row in results["targets"]}
    assert statuses <= {"met", "missed", "not measured", "—"}
    report = (tmp_path / "latest.md").read_text("utf-8")
    assert "| figure | seedream-mock | Prism | ours/Prism | target | status |" in report
    assert report in output  # the table is printed too
