"""The drift report rendered for people: Markdown for files, a short table for terminals."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any


def to_markdown(report: dict[str, Any]) -> str:
    """The report for people: drift first, then the guesses, then failures."""
    lines = ["# Contract drift report", ""]
    verdict = "clean: every answer matched the contract" if report["clean"] else "NOT clean"
    lines += [
        f"- Result: **{verdict}**",
        f"- Profile expected: {report.get('profile', 'default')}",
        f"- Answers checked: {report['responses']}",
        f"- Credits spent: {report['credits_spent']}",
        f"- Network errors: {len(report['network_errors'])}",
        "",
    ]
    lines += ["## Fields that differ", ""]
    if report["drift"]:
        lines += ["| endpoint | field | verdict | counts | sample |", "|---|---|---|---|---|"]
        for row in report["drift"]:
            sample = json.dumps(row["sample"], ensure_ascii=False)[:60]
            counts = ", ".join(f"{k} {v}" for k, v in row["counts"].items())
            lines.append(
                f"| {row['endpoint']} | `{row['field']}` | {row['verdict']} | "
                f"{counts} | `{sample}` |"
            )
    else:
        lines.append("None: every field named by the contract was seen as expected.")
    lines += [
        "",
        "## Guesses ([G]) this run settled",
        "",
        "| field | guess | result |",
        "|---|---|---|",
    ]
    for guess in report["guesses"]:
        lines.append(
            f"| {guess['schema']} `{guess['field']}` | {guess['guess']} | {guess['result']} |"
        )
    if not report["guesses"]:
        lines[-2:] = [
            "None listed: the [G] list is about the default profile's answers; this profile "
            "states the source of each of its choices in its `sources` section."
        ]
    lines += ["", "## Status codes seen", ""]
    for endpoint, counts in report["statuses"].items():
        lines.append(f"- {endpoint}: " + ", ".join(f"{s} ×{n}" for s, n in counts.items()))
    if report["contract_failures"]:
        lines += ["", "## Schema violations", ""]
        for failure in report["contract_failures"][:50]:
            lines.append(
                f"- {failure['endpoint']} ({failure['status']}) "
                f"`{failure.get('field', '')}`: {failure['problem']}"
            )
    if report["network_errors"]:
        lines += ["", "## Network errors (not contract failures)", ""]
        lines += [f"- {text}" for text in report["network_errors"][:50]]
    return "\n".join(lines) + "\n"


def to_table(report: dict[str, Any]) -> str:
    """A short terminal summary."""
    lines = [
        f"answers checked: {report['responses']}   credits planned: "
        f"{report.get('credits_planned', 0)}   credits spent: {report['credits_spent']}"
        f"   network errors: {len(report['network_errors'])}"
    ]
    if report["drift"]:
        lines.append(f"{'endpoint':<34} {'field':<28} {'verdict':<8} sample")
        for row in report["drift"]:
            sample = json.dumps(row["sample"], ensure_ascii=False)[:30]
            lines.append(f"{row['endpoint']:<34} {row['field']:<28} {row['verdict']:<8} {sample}")
    else:
        lines.append("no drift: every field named by the contract was seen as expected")
    settled = Counter(g["result"] for g in report["guesses"])
    if report["guesses"]:
        lines.append(
            f"guesses: {settled['confirmed']} confirmed, {settled['refuted']} refuted, "
            f"{settled['unobserved']} unobserved"
        )
    else:
        lines.append(
            f"guesses: the [G] list is the default profile's, not {report.get('profile')}'s"
        )
    return "\n".join(lines)
