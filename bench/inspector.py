"""What the inspector page costs: the hot routes' req/s with no page open and with one page
following the live feed (as a browser's EventSource does), in alternating rounds so drift in
the machine hits both alike; and the page's load time with 10,000 tasks present (the HTTP
answer, and first contentful paint in Chromium when it and Playwright are installed)."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from capacity import fill
from common import GENERATION_BODY, GENERATIONS, HOST, MOCK_ARGS, TASKS, create_task, ms
from loadgen import run_phase
from servers import STARTUP_LIMIT_S, MockProcess

CLIENTS = 16
CHROMIUM = Path("/usr/bin/chromium")
PAINT_TARGET_MS = 1000.0
# First contentful paint from the page's own performance timeline (waited for: it may be
# recorded after the load event).
PAINT_JS = """() => new Promise(resolve => new PerformanceObserver(list => {
  const entry = list.getEntriesByName('first-contentful-paint')[0];
  if (entry) resolve(entry.startTime);
}).observe({type: 'paint', buffered: true}))"""
COST_TARGET = 0.95  # req/s with one page open ≥ this × with none


class Page:
    """One open inspector page's network side: the page, then its event stream forever
    (each answer read whole, the next asked for after `retry`, with `Last-Event-ID`)."""

    def __init__(self, port: int) -> None:
        self.port, self.answers = port, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="bench-page", daemon=True)

    def __enter__(self) -> Page:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=20)

    def _follow(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        conn.request("GET", "/_mock/ui")
        page = conn.getresponse().read().decode()
        seq = page.split('data-seq="')[1].split('"')[0]
        while not self._stop.is_set():
            conn.request("GET", f"/_mock/ui/events?after={seq}", headers={"Last-Event-ID": seq})
            text = conn.getresponse().read().decode()
            self.answers += 1
            seq = next((line[4:] for line in text.splitlines() if line.startswith("id: ")), seq)
            self._stop.wait(0.25)
        conn.close()


def _rps(port: int, endpoint: str, seconds: float, task_id: str) -> float:
    def make(_: int) -> tuple[str, str, str | None]:
        if endpoint == "POST":
            return "POST", GENERATIONS, GENERATION_BODY
        return "GET", f"{TASKS}{task_id}", None

    phase, _ = run_phase(port, endpoint, make, 10_000_000, CLIENTS, limit_s=seconds)
    return phase.rps


def _cost(port: int, seconds: float, rounds: int) -> dict[str, Any]:
    task_id = create_task(port)
    found: dict[str, Any] = {}
    for endpoint in ("POST", "GET"):
        none, one, answers = [], [], 0
        for n in range(rounds):  # ABBA: whichever runs second meets a fuller store
            for open_page in (False, True) if n % 2 == 0 else (True, False):
                if not open_page:
                    none.append(_rps(port, endpoint, seconds, task_id))
                    continue
                with Page(port) as page:
                    one.append(_rps(port, endpoint, seconds, task_id))
                answers += page.answers
        found[endpoint] = {
            "none_rps": round(statistics.median(none)),
            "one_page_rps": round(statistics.median(one)),
            "ratio": round(statistics.median(one) / statistics.median(none), 3),
            "stream_answers": answers,
            "rounds": rounds,
        }
    return found


def _first_paint(port: int) -> float | None:
    """First contentful paint of /_mock/ui in Chromium (ms), or None when it is not here."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.exists():
        return None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"http://{HOST}:{port}/_mock/ui")  # warm: the templates compile once
        paints = []
        for _ in range(3):
            page.goto(f"http://{HOST}:{port}/_mock/ui")
            paints.append(page.evaluate(PAINT_JS))
        browser.close()
    return float(statistics.median(paints))


def bench_inspector(seconds: float, rounds: int, tasks: int, fill_limit: float) -> dict[str, Any]:
    with MockProcess(MOCK_ARGS) as mock:
        mock.ready().wait_ready(STARTUP_LIMIT_S)
        cost = _cost(mock.port, seconds, rounds)
    with MockProcess(MOCK_ARGS) as mock:
        mock.ready().wait_ready(STARTUP_LIMIT_S)
        filled = fill(mock.port, tasks, GENERATION_BODY, fill_limit)
        conn = http.client.HTTPConnection(HOST, mock.port, timeout=30)
        answers = []
        for _ in range(5):
            began = time.perf_counter()
            conn.request("GET", "/_mock/ui")
            conn.getresponse().read()
            answers.append(time.perf_counter() - began)
        conn.close()
        paint = _first_paint(mock.port)
    return {
        **cost,
        "tasks": filled["tasks"],
        "page_ms": ms(statistics.median(answers[1:])),
        "first_paint_ms": None if paint is None else round(paint, 1),
    }


def inspector_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's inspector figures with their targets (for report.targets)."""
    found = results.get("inspector") or {}
    rows = []
    for endpoint in ("POST", "GET"):
        cell = found.get(endpoint) or {}
        ratio = cell.get("ratio")
        rows.append(
            _row(
                f"{endpoint} req/s, one inspector page open / none",
                f"{cell.get('one_page_rps', 0):,} / {cell.get('none_rps', 0):,}",
                "—" if ratio is None else f"{ratio:.3f}×",
                f"≥ {COST_TARGET:g}×",
                _met(ratio, COST_TARGET, at_least=True),
                ratio,
            )
        )
    paint = found.get("first_paint_ms")
    rows.append(
        _row(
            f"inspector first paint with {found.get('tasks', 0):,} tasks (Chromium)",
            "—" if paint is None else f"{paint:,.0f} ms (answer {found.get('page_ms')} ms)",
            "—",
            f"≤ {PAINT_TARGET_MS:g} ms",
            _met(paint, PAINT_TARGET_MS),
            paint,
        )
    )
    return rows


def _met(value: float | None, limit: float, at_least: bool = False) -> str:
    if value is None:
        return "not measured"
    return "met" if (value >= limit if at_least else value <= limit) else "missed"


def _row(figure: str, ours: str, ratio: str, target: str, status: str, value: Any) -> Any:
    return {
        "figure": figure,
        "ours": ours,
        "prism": "—",
        "ratio": ratio,
        "target": target,
        "status": status,
        "value": value,
    }
