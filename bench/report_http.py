"""The HTTP rows of the report: seedream-mock against Prism on the project spec and on the lean
spec, each figure the median of interleaved rounds with its min–max, busy cells marked."""

from __future__ import annotations

from typing import Any

from machine import BUSY_CORES

RATIO_TARGETS = {"POST": 1.0, "GET": 1.5}  # ours req/s ≥ this × Prism's, for both specs
P99_TARGET_MS = 50.0  # at 64 connections
STATE_RATIO_TARGETS = {"POST": 0.5, "GET": 0.9}  # --state FILE against the mock in memory
SPECS = (("prism", "ratio", "project spec"), ("lean", "lean_ratio", "lean spec"))
BUSY_MARK = "†"
BUSY_NOTE = (
    f"{BUSY_MARK} measured while other work on the machine used more than {BUSY_CORES:g} of a "
    "core just before a run (a busy machine: read with care)"
)

Row = dict[str, Any]


def status(value: float | None, limit: float, at_least: bool = False) -> str:
    if value is None:
        return "not measured"
    return "met" if (value >= limit if at_least else value <= limit) else "missed"


def num(value: float | None, fmt: str = "{:,.0f}", unit: str = "") -> str:
    return "—" if value is None else fmt.format(value) + unit


def row(figure: str, ours: str, prism: str, ratio: str, target: str, state: str, value: Any) -> Row:
    keys = ("figure", "ours", "prism", "ratio", "target", "status", "value")
    return dict(zip(keys, (figure, ours, prism, ratio, target, state, value), strict=True))


def cell_of(results: dict[str, Any], endpoint: str, connections: int) -> dict[str, Any]:
    for cell in (results.get("http") or {}).get("cells", []):
        if cell["endpoint"] == endpoint and cell["connections"] == connections:
            found: dict[str, Any] = cell
            return found
    return {}


def spread(stats: dict[str, Any] | None, key: str, fmt: str = "{:,.0f}", unit: str = "") -> str:
    """`median (min–max)`, or the one value when there was one round."""
    if not stats or key not in stats:
        return "—"
    low, mid, high = stats[key]
    if low == high:
        return num(mid, fmt, unit)
    return f"{num(mid, fmt, unit)} ({num(low, fmt)}–{num(high, fmt)})"


def busy(cell: dict[str, Any], *names: str) -> str:
    stats = cell.get("stats") or {}
    marks = [stats[n]["background_cores"][0] for n in names if n in stats]
    return f" {BUSY_MARK}" if any(m >= BUSY_CORES for m in marks) else ""


def http_rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for endpoint, need in RATIO_TARGETS.items():
        for connections in (16, 64):
            cell = cell_of(results, endpoint, connections)
            stats = cell.get("stats") or {}
            route = cell.get("route", endpoint)
            for name, attr, label in SPECS:
                ratio = cell.get(attr)
                rows.append(
                    row(
                        f"{route} req/s, {connections} connections, vs Prism on the {label}"
                        + busy(cell, "ours", name),
                        spread(stats.get("ours"), "rps"),
                        spread(stats.get(name), "rps"),
                        num(ratio, "{:.2f}", "×"),
                        f"≥ {need:.1f}× Prism ({label})",
                        status(ratio, need, at_least=True),
                        ratio,
                    )
                )
    for endpoint in RATIO_TARGETS:
        cell = cell_of(results, endpoint, 64)
        stats = cell.get("stats") or {}
        p99 = stats["ours"]["p99_ms"][1] if "ours" in stats else None
        theirs = " / ".join(
            f"{label.split()[0]} {spread(stats.get(name), 'p99_ms', '{:.0f}', ' ms')}"
            for name, _, label in SPECS
            if name in stats
        )
        rows.append(
            row(
                f"{cell.get('route', endpoint)} p99, 64 connections" + busy(cell, "ours"),
                spread(stats.get("ours"), "p99_ms", "{:.1f}", " ms"),
                theirs or "—",
                "—",
                f"≤ {P99_TARGET_MS:g} ms",
                status(p99, P99_TARGET_MS),
                p99,
            )
        )
    return rows


def state_rows(results: dict[str, Any]) -> list[Row]:
    """`--state FILE` against the same mock in memory: throughput kept, p99 bounded."""
    rows: list[Row] = []
    for endpoint, need in STATE_RATIO_TARGETS.items():
        route = endpoint
        for connections in (16, 64):
            cell = cell_of(results, endpoint, connections)
            stats = cell.get("stats") or {}
            route = cell.get("route", endpoint)
            ours, state = stats.get("ours"), stats.get("state")
            ratio = round(state["rps"][1] / ours["rps"][1], 2) if ours and state else None
            rows.append(
                row(
                    f"{route} req/s with --state, {connections} connections" + busy(cell, "state"),
                    spread(state, "rps"),
                    "—",
                    num(ratio, "{:.2f}", "× in memory"),
                    f"≥ {need:.1f}× in memory",
                    status(ratio, need, at_least=True),
                    ratio,
                )
            )
        stats = cell_of(results, endpoint, 64).get("stats") or {}
        p99 = stats["state"]["p99_ms"][1] if "state" in stats else None
        rows.append(
            row(
                f"{route} p99 with --state, 64 connections",
                num(p99, "{:.1f}", " ms"),
                "—",
                "—",
                f"≤ {P99_TARGET_MS:g} ms",
                status(p99, P99_TARGET_MS),
                p99,
            )
        )
    return rows


def cells_table(results: dict[str, Any]) -> list[list[str]]:
    """One line per cell and server: req/s and p99 as median (min–max), errors summed."""
    lines = []
    for cell in (results.get("http") or {}).get("cells", []):
        for name, runs in (cell.get("runs") or {}).items():
            stats = cell["stats"][name]
            errors = sum(
                r["result"]["non_2xx"] + sum(r["result"]["socket_errors"].values()) for r in runs
            )
            lines.append(
                [
                    cell["route"],
                    str(cell["connections"]),
                    {"ours": "seedream-mock", "state": "seedream-mock --state"}.get(
                        name, f"Prism, {'lean' if name == 'lean' else 'project'} spec"
                    ),
                    str(len(runs)),
                    spread(stats, "rps"),
                    spread(stats, "p99_ms", "{:.1f}"),
                    f"{errors:,}",
                    num(stats["background_cores"][0], "{:.2f}"),
                ]
            )
    return lines


CELLS_HEADER = ["route", "conns", "server", "runs", "req/s", "p99 ms", "errors", "other load"]
