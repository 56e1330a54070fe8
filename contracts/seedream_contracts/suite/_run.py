"""Run-wide machinery of the contract suite: the credit budget, the drift recorder, the report.

Kept out of conftest.py so the fixtures there stay readable. Everything here is HTTP-only and
knows nothing of the mock's insides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from seedream_contracts.client import Client, TargetUnreachable
from seedream_contracts.drift import DriftRecorder
from seedream_contracts.drift_report import to_markdown, to_table
from seedream_contracts.profiles import Profile, ProfileError, load_profile


@dataclass
class Budget:
    """Credits the run may spend; None means unlimited (a mock)."""

    limit: int | None
    planned: int = 0
    skipped: list[str] = field(default_factory=list)

    def charge(self, credits: int, what: str) -> None:
        """Reserve credits for `what`, or skip it (with the reason) when over the budget."""
        if self.limit is not None and self.planned + credits > self.limit:
            left = self.limit - self.planned
            reason = f"costs {credits} credits; --max-credits {self.limit} leaves {left}"
            self.skipped.append(f"{what}: {reason}")
            pytest.skip(reason)
        self.planned += credits


@dataclass
class Run:
    """Per-session state, kept in the pytest config's stash."""

    target_url: str | None
    is_mock: bool
    budget: Budget
    profile: Profile
    recorder: DriftRecorder
    report_path: str | None = None


RUN = pytest.StashKey[Run]()


def probe_is_mock(url: str) -> bool:
    """A target with the mock's control API is a mock (and costs nothing)."""
    client = Client(url, None, timeout=10)
    try:
        return client.request("GET", "/_mock/clock", auth=False).status == 200
    except TargetUnreachable:
        return False
    finally:
        client.close()


def served_profile(url: str) -> Profile | None:
    """The profile a mock at `url` serves (`GET /_mock/profile`); None for a mock too old to
    say, or one whose profile this kit cannot read."""
    client = Client(url, None, timeout=10)
    try:
        reply = client.request("GET", "/_mock/profile", auth=False)
        if reply.status != 200:
            return None
        document = reply.json()
        return Profile(document, f"{url}/_mock/profile") if isinstance(document, dict) else None
    except (TargetUnreachable, ValueError):
        return None
    finally:
        client.close()


def choose_profile(spec: str | None, url: str | None, is_mock: bool) -> Profile:
    """What the run expects: --profile when given; else what a mock target serves; else the
    default profile (the embedded mock's, and the best guess for a real target)."""
    try:
        if spec:
            return load_profile(spec)
    except ProfileError as exc:
        raise pytest.UsageError(f"--profile: {exc}") from None
    served = served_profile(url) if url is not None and is_mock else None
    return served if served is not None else load_profile("default")


def configure(config: pytest.Config) -> None:
    url = config.getoption("--target")
    is_mock = url is None or probe_is_mock(url)
    limit = config.getoption("--max-credits")
    if limit is None and not is_mock:
        limit = 0  # a real target spends money: nothing unless asked
    profile = choose_profile(config.getoption("--profile"), url, is_mock)
    config.stash[RUN] = Run(
        url,
        is_mock,
        Budget(limit),
        profile,
        DriftRecorder(profile),
        report_path=config.getoption("--report"),
    )


def charge_marked_cost(item: pytest.Item) -> None:
    marker = item.get_closest_marker("costs")
    if marker is not None:
        item.config.stash[RUN].budget.charge(int(marker.args[0]), item.nodeid)


def note_network_error(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    if call.excinfo is not None and call.excinfo.errisinstance(TargetUnreachable):
        text = f"{item.nodeid}: {call.excinfo.value}"
        item.config.stash[RUN].recorder.network_error(text)


def write_report(config: pytest.Config) -> dict[str, object] | None:
    run = config.stash.get(RUN, None)
    if run is None:
        return None
    report = run.recorder.report()
    report["target"] = run.target_url or "embedded mock"
    report["profile"] = run.profile.name
    report["credits_planned"] = run.budget.planned
    report["skipped_for_budget"] = run.budget.skipped
    if run.report_path:
        base = Path(run.report_path)
        stem = base.with_suffix("") if base.suffix in (".json", ".md") else base
        stem.parent.mkdir(parents=True, exist_ok=True)
        Path(f"{stem}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        Path(f"{stem}.md").write_text(to_markdown(report), "utf-8")
    return report


def summary_lines(config: pytest.Config) -> list[str]:
    run = config.stash.get(RUN, None)
    if run is None or not run.recorder.observations:
        return []
    report = run.recorder.report()
    report["credits_planned"] = run.budget.planned
    lines = to_table(report).splitlines()
    if run.budget.skipped:
        lines.append(
            f"skipped for the credit budget: {len(run.budget.skipped)} tests "
            f"(raise --max-credits to run them)"
        )
    if run.report_path:
        lines.append(f"report written to {run.report_path} (.json and .md)")
    return lines
