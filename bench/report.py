"""The issue's targets, checked against a results dict, and the Markdown report
(bench/results/latest.md) that is also printed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inspector import inspector_rows
from report_http import (
    BUSY_MARK,
    BUSY_NOTE,
    CELLS_HEADER,
    cells_table,
    http_rows,
    num,
    state_rows,
    status,
)

MB = 1_000_000  # the targets' MB: 10^6 bytes (the stricter reading; 80 MB = 76.3 MiB)
STARTUP_TARGET_MS = 300.0
RESET_TARGET_MS = 10.0
RSS_IDLE_TARGET_MB = 80.0
RSS_LOADED_TARGET_MB = 250.0
PNG_TARGETS_MS = {"basic": 60.0, "high": 120.0}  # 2K, 4K (p50 on a cache miss)
CALLBACKS_TARGET_S = 5.0
SLOWLORIS_P99_TARGET_MS = 50.0  # a normal client's GETs while 1,000 connections trickle
FD_CPU_TARGET_PCT = 10.0  # of one core, while accept() fails for want of descriptors

Row = dict[str, Any]
_status, _num = status, num  # one judge and one formatter for every row (report_http.py's)


def _mb(kib: dict[str, int] | None) -> float | None:
    if not kib or "VmRSS" not in kib:
        return None
    return round(kib["VmRSS"] * 1024 / MB, 1)


def _row(
    figure: str,
    ours: str,
    prism: str,
    ratio: str,
    target: str,
    status: str,
    value: float | None = None,
) -> Row:
    return {
        "figure": figure,
        "ours": ours,
        "prism": prism,
        "ratio": ratio,
        "target": target,
        "status": status,
        "value": value,
    }


def _seconds(found: dict[str, Any] | None) -> str:
    if not found:
        return "—"
    mid, low, high = (found.get(k) for k in ("median_ready_ms", "min_ready_ms", "max_ready_ms"))
    if low is None or high is None:
        return _num(mid / 1000, "{:.2f}", " s")
    return f"{mid / 1000:.2f} s ({low / 1000:.2f}–{high / 1000:.2f})"


def _other_rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    startup = results.get("startup") or {}
    ours = (startup.get("ours") or {}).get("median_ready_ms")
    theirs = (startup.get("prism") or {}).get("median_ready_ms")
    runs = len((startup.get("ours") or {}).get("runs", []))
    prisms = " / ".join(
        f"{label} {_seconds(startup.get(key))}"
        for key, label in (("prism", "project"), ("lean", "lean"))
        if startup.get(key)
    )
    rows.append(
        _row(
            f"start-up to first 200 (median (min–max) of {runs})",
            _seconds(startup.get("ours")),
            prisms or "—",
            _num(ours / theirs if ours and theirs else None, "{:.2f}", "×"),
            f"≤ {STARTUP_TARGET_MS / 1000:g} s",
            _status(ours, STARTUP_TARGET_MS),
            ours,
        )
    )
    reset = results.get("reset") or {}
    value = reset.get("median_ms")
    rows.append(
        _row(
            f"`POST /_mock/reset` with {reset.get('tasks', 0):,} tasks (median of "
            f"{len(reset.get('runs', []))})",
            _num(value, "{:.1f}", " ms"),
            "—",
            "—",
            f"≤ {RESET_TARGET_MS:g} ms",
            _status(value, RESET_TARGET_MS),
            value,
        )
    )
    memory = results.get("memory") or {}
    prism_idle = _mb(
        ((results.get("http") or {}).get("memory_kib") or {}).get("prism", {}).get("start")
    )
    idle = _mb(memory.get("idle_kib"))
    loaded = _mb(memory.get("loaded_kib"))
    rows.append(
        _row(
            "RSS idle (after the first request)",
            _num(idle, "{:.1f}", " MB"),
            _num(prism_idle, "{:.1f}", " MB"),
            _num(idle / prism_idle if idle and prism_idle else None, "{:.2f}", "×"),
            f"≤ {RSS_IDLE_TARGET_MB:g} MB",
            _status(idle, RSS_IDLE_TARGET_MB),
            idle,
        )
    )
    rows.append(
        _row(
            f"RSS with {memory.get('tasks', 0):,} pending tasks",
            _num(loaded, "{:.1f}", " MB"),
            "—",
            "—",
            f"≤ {RSS_LOADED_TARGET_MB:g} MB",
            _status(loaded, RSS_LOADED_TARGET_MB),
            loaded,
        )
    )
    renders = results.get("render") or []
    for quality, label in (("basic", "2K"), ("high", "4K")):
        mine = [r for r in renders if r["quality"] == quality]
        worst = max(mine, key=lambda r: r["p50_ms"]) if mine else None
        value = worst["p50_ms"] if worst else None
        where = (
            f", slowest {worst['aspect_ratio']} {worst['width']}×{worst['height']}" if worst else ""
        )
        rows.append(
            _row(
                f"PNG render p50, {label} ({len(mine)} ratios{where})",
                _num(value, "{:.1f}", " ms"),
                "—",
                "—",
                f"≤ {PNG_TARGETS_MS[quality]:g} ms",
                _status(value, PNG_TARGETS_MS[quality]),
                value,
            )
        )
    callbacks = results.get("callbacks") or {}
    value = callbacks.get("all_callbacks_s")
    rows.append(
        _row(
            f"{callbacks.get('tasks', 0):,} tasks with callbacks, one manual-clock advance",
            _num(value, "{:.2f}", " s") if not callbacks.get("timed_out") else "timed out",
            "—",
            "—",
            f"≤ {CALLBACKS_TARGET_S:g} s",
            "missed" if callbacks.get("timed_out") else _status(value, CALLBACKS_TARGET_S),
            value,
        )
    )
    webhooks = results.get("webhooks") or {}
    for round_ in webhooks.get("rounds", []):
        rows.append(
            _row(
                f"webhook deliveries/s, {round_['mode']} ({webhooks['tasks']:,} tasks, "
                f"{webhooks['webhook_workers']} workers)",
                _num(round_["deliveries_per_s"], "{:,.0f}", "/s"),
                "—",
                "—",
                "(no target)",
                "—",
                round_["deliveries_per_s"],
            )
        )
    return rows


def _pressure_rows(results: dict[str, Any]) -> list[Row]:
    """Slowloris: the p99 counts only if every GET was a 200. Descriptors: the CPU counts only
    if the client was served once the idle sockets were gone."""
    rows: list[Row] = []
    slow = results.get("slowloris") or {}
    client = slow.get("client") or {}
    p99, failed = client.get("p99_ms"), sum((client.get("failures") or {}).values())
    status = _status(p99, SLOWLORIS_P99_TARGET_MS)
    rows.append(
        _row(
            f"GET p99 while {slow.get('connections', 0):,} connections trickle a byte every "
            f"{slow.get('interval_s', 0):g} s ({client.get('ok', 0):,} of "
            f"{client.get('gets', 0):,} GETs 200)",
            _num(p99, "{:.1f}", " ms"),
            "—",
            "—",
            f"≤ {SLOWLORIS_P99_TARGET_MS:g} ms, every GET 200",
            "missed" if failed and status == "met" else status,
            p99,
        )
    )
    fds = results.get("fds") or {}
    cpu = fds.get("server_cpu_pct")
    after = fds.get("after") or {}
    status = _status(cpu, FD_CPU_TARGET_PCT)
    rows.append(
        _row(
            f"mock CPU out of descriptors (RLIMIT_NOFILE {fds.get('max_fds', 0)}, "
            f"{fds.get('sockets', 0):,} idle sockets; then {after.get('ok', 0)} of "
            f"{after.get('gets', 0)} GETs 200)",
            _num(cpu, "{:.1f}", " %"),
            "—",
            "—",
            f"≤ {FD_CPU_TARGET_PCT:g} % of a core, then served",
            "missed" if status == "met" and after.get("ok") != after.get("gets") else status,
            cpu,
        )
    )
    return rows


def targets(results: dict[str, Any]) -> list[Row]:
    """Every figure of the issue with its target and whether it is met."""
    rows = http_rows(results) + state_rows(results)
    return rows + _other_rows(results) + _pressure_rows(results) + inspector_rows(results)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    rows = results.get("targets") or targets(results)
    met = sum(1 for r in rows if r["status"] == "met")
    judged = sum(1 for r in rows if r["status"] in ("met", "missed"))
    http = results.get("http") or {}
    lines = [
        f"# seedream-mock benchmark ({meta['mode']})",
        "",
        f"seedream-mock {meta['version']}, {meta['started_at']}, {meta.get('cpu_model', '?')}, "
        f"{meta['cpus']} CPUs, Python {meta['python']}, {meta['platform']}; load: "
        f"{meta['load_tool']} ({meta['load_note']}); Prism {meta['prism']}. "
        f"{meta['seconds']:g} s in all. Load average (1, 5, 15 min) at the start "
        f"{meta.get('load_average_start')}, at the end {meta.get('load_average_end')}.",
        "",
    ]
    if meta["mode"] == "smoke":
        lines += ["**Smoke run**: tiny durations and counts; not comparable to the targets.", ""]
    lines += [f"**{met} of {judged} targets met.**", ""]
    lines += _table(
        ["figure", "seedream-mock", "Prism", "ours/Prism", "target", "status"],
        [[r["figure"], r["ours"], r["prism"], r["ratio"], r["target"], r["status"]] for r in rows],
    )
    if any(BUSY_MARK in r["figure"] for r in rows):
        lines += ["", BUSY_NOTE]
    if http.get("cells"):
        warmup = f"a {http['warmup_s']:g} s" if http["warmup_s"] else "a 20-request"
        rounds = http.get("rounds", 1)
        if http["max_requests"] is None:
            how = (
                f"{http['tool']}, {rounds} interleaved rounds of {http['seconds']:g} s, "
                f"{warmup} warm-up before each server's first; median (min–max) over the rounds"
            )
            latency = "wrk --latency"
        else:
            how = (
                f"the Python load generator, at most {http['max_requests']:,} requests within "
                f"{http['seconds']:g} s after {warmup} warm-up"
            )
            latency = "the clients' own timing"
        lines += [
            "",
            f"Every HTTP cell ({how}; req/s counts every answer; errors are non-2xx answers "
            f"plus socket errors; latency percentiles from {latency}; the mock is reset before "
            "each of its runs; other load: the most cores other work used just before a run):",
            "",
        ]
        lines += _table(CELLS_HEADER, cells_table(results))
        lines += [
            "",
            f"- the mock, started as `make run` starts it, wrote {http['mock_stdout_lines']:,} "
            f"request-log lines to stdout and {http['mock_stderr_lines']:,} lines to stderr "
            "(one of them is its shutdown line)",
        ]
    details = _detail_lines(results)
    if details and not lines[-1].startswith("- "):
        lines.append("")  # a list right after the last one, else after a blank line
    lines += details
    if results.get("errors"):
        lines += ["", "Failed phases:", ""] + [f"- {e}" for e in results["errors"]]
    return "\n".join(lines) + "\n"


def _detail_lines(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    add: Callable[[str], None] = lines.append
    reset = results.get("reset")
    if reset:
        times = ", ".join(f"{r['reset_ms']:.1f}" for r in reset["runs"])
        add(
            f"- reset: {times} ms with "
            f"{reset['tasks']:,} tasks; {reset['empty_median_ms']:.1f} ms with none"
        )
    memory = results.get("memory")
    if memory:
        add(
            f"- RSS: {_mb(memory['at_banner_kib'])} MB at the banner, {_mb(memory['idle_kib'])} "
            f"MB after the first request, {_mb(memory['loaded_kib'])} MB with "
            f"{memory['tasks']:,} tasks (created at {memory['fill']['rps']:,.0f}/s by "
            "16 keep-alive Python clients)"
        )
    callbacks = results.get("callbacks")
    if callbacks:
        add(
            f"- callbacks: the advance call took {_num(callbacks['advance_s'], '{:.2f}', ' s')}; "
            f"{callbacks['distinct_tasks']:,} of {callbacks['tasks']:,} tasks called back "
            f"({callbacks['received']:,} POSTs, {callbacks['deliveries_per_s']:,.0f}/s)"
            + (
                f"; advance error: {callbacks['advance_error']}"
                if callbacks["advance_error"]
                else ""
            )
        )
    lines += _pressure_lines(results)
    return lines


def _pressure_lines(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    slow = results.get("slowloris")
    if slow:
        client = slow["client"]
        lines.append(
            f"- slowloris: {slow['connections']:,} connections, a byte every "
            f"{slow['interval_s']:g} s each, reopened when closed ({slow['trickle']['answers']} "
            f"from the mock, {slow['trickle']['reconnects']:,} reopened); a normal client's "
            f"{client['gets']:,} GETs in {slow['seconds']:g} s: p50 "
            f"{_num(client['p50_ms'], '{:.1f}')} ms, max {_num(client['max_ms'], '{:.1f}')} ms, "
            f"failures {client['failures'] or 'none'}; mock CPU {slow['server_cpu_pct']:g} %"
        )
    fds = results.get("fds")
    if fds:
        during = fds["during"]
        lines.append(
            f"- out of descriptors: {fds['sockets']:,} idle sockets (reopened when closed: "
            f"{fds['pressure']['answers']}) against RLIMIT_NOFILE {fds['max_fds']}; mock CPU "
            f"{fds['server_cpu_pct']:g} % over {fds['seconds']:g} s; meanwhile {during['ok']} of "
            f"{during['gets']} GETs on fresh connections 200 (max "
            f"{_num(during['max_ms'], '{:.1f}')} ms); after, {fds['after']['ok']} of "
            f"{fds['after']['gets']}"
        )
    return lines
