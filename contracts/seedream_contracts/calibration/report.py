"""What a calibration found, point by point: learned, kept from the base profile, or conflicting.

A profile alone cannot say which of its choices were seen and which were carried over; the
report does, with the redacted sample that proves each learned point, so a reviewer can judge
a profile before committing it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seedream_contracts.calibration.exchange import Exchange
from seedream_contracts.calibration.shapes import compact

VERDICTS = ("learned", "kept", "conflicting")


@dataclass(frozen=True)
class Point:
    """One point of the profile (`statuses.pending`, `errors.validation`, …) and its verdict."""

    point: str
    verdict: str
    value: Any
    evidence: list[str] = field(default_factory=list)
    note: str = ""


def sample(exchange: Exchange, limit: int = 200) -> str:
    """An exchange in one redacted line: what was sent (in short) and what came back."""
    sent = exchange.request_json
    if isinstance(sent, dict):
        shown = {
            k: (f"<{len(v)} chars>" if k == "prompt" and isinstance(v, str) and len(v) > 24 else v)
            for k, v in sent.items()
        }
        request = " " + compact(shown, 120)
    elif exchange.request_body.get("text"):
        request = " <non-JSON body>"
    else:
        request = ""
    key = "" if exchange.has_key else " (no key)"
    answer = exchange.response_json
    shown_answer = compact(answer, limit) if answer is not None else "<non-JSON>"
    return f"{exchange.method} {exchange.path}{key}{request} → {exchange.status} {shown_answer}"


@dataclass
class Report:
    """Every point with its verdict, and what the run cost."""

    points: list[Point] = field(default_factory=list)
    exchanges: int = 0
    paid_tasks: int = 0
    credits_spent: int = 0
    stopped: str = ""  # why a live run ended early (a network error); "" when it finished

    def add(self, point: str, verdict: str, value: Any, evidence: Any = (), note: str = "") -> None:
        self.points.append(Point(point, verdict, value, list(evidence), note))

    def learned(self, point: str, value: Any, *evidence: Exchange, note: str = "") -> None:
        self.add(point, "learned", value, [sample(e) for e in evidence[:3]], note)

    def kept(self, point: str, value: Any, note: str = "not observed") -> None:
        self.add(point, "kept", value, (), note)

    def conflicting(self, point: str, value: Any, *evidence: Exchange, note: str = "") -> None:
        self.add(point, "conflicting", value, [sample(e) for e in evidence[:4]], note)

    def verdict(self, point: str) -> str | None:
        return next((p.verdict for p in self.points if p.point == point), None)

    def counts(self) -> dict[str, int]:
        return {v: sum(1 for p in self.points if p.verdict == v) for v in VERDICTS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "exchanges": self.exchanges,
            "paid_tasks": self.paid_tasks,
            "credits_spent": self.credits_spent,
            "stopped": self.stopped,
            "counts": self.counts(),
            "points": [asdict(p) for p in self.points],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        counts = self.counts()
        lines = [
            "# Calibration report",
            "",
            f"{self.exchanges} exchanges, {self.paid_tasks} paid task(s), "
            f"{self.credits_spent} credits spent. "
            f"{counts['learned']} points learned, {counts['kept']} kept from the base profile, "
            f"{counts['conflicting']} conflicting.",
        ]
        if self.stopped:
            lines += ["", f"**Stopped early:** {self.stopped}. What was learned so far is kept."]
        lines += ["", "| point | verdict | value | evidence / note |", "|---|---|---|---|"]
        for p in self.points:
            proof = "<br>".join(_cell(e) for e in p.evidence)
            detail = " — ".join(x for x in (_cell(p.note), proof) if x)
            value = _cell(compact(p.value, 80))
            lines.append(f"| `{p.point}` | {p.verdict} | `{value}` | {detail} |")
        return "\n".join(lines) + "\n"

    def write(self, path: str | Path) -> tuple[Path, Path]:
        """PATH.json and PATH.md (an extension given in PATH is replaced)."""
        base = Path(path)
        base = base.with_suffix("") if base.suffix in (".json", ".md") else base
        json_path, md_path = base.with_name(base.name + ".json"), base.with_name(base.name + ".md")
        json_path.write_text(self.to_json(), "utf-8")
        md_path.write_text(self.to_markdown(), "utf-8")
        return json_path, md_path


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
