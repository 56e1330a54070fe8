"""`seedream-mock calibrate`: learn a profile from a live target, or from recordings (`--from`).

The logic is the contract kit's (`seedream_contracts.calibration`); this module checks the
options before anything is sent — an unwritable --out found after a paid task would waste the
credits — and says what happened in a few lines. The key is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from seedream_contracts.calibration import Report

KEY_VARIABLE = "SEEDREAM_MOCK_API_KEY"
COST = """\
cost: 12 credits (about $0.12) per paid task. With --max-credits 0 (the default) calibrate
sends only requests every source says are refused (no key, a bad key, an unknown task, bad
bodies): they cost nothing. With --max-credits 12 or more it pays for ONE task — it first asks
the open questions (no model? a 1-character prompt? an unknown field?) with bodies the API may
refuse for free — polls it to its end and downloads its image. It never sends a request that
could be billed beyond --max-credits.

examples:
  seedream-mock calibrate --target https://apiin.one --max-credits 12 --out profile.json \\
      --report calibration --record recordings/      (key from SEEDREAM_MOCK_API_KEY)
  seedream-mock calibrate --from recordings/ --out profile.json   (spends nothing)
"""


def add_calibrate_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "calibrate",
        help="learn a profile from the real API (or from recordings) by example",
        description="Learn a profile (status names, answer shapes, error envelope and kinds, "
        "input rules, timing) from a live target, or from exchanges recorded by "
        "--record or by `seedream-mock proxy`. Writes the profile and a report marking "
        "each point learned, kept from the base profile, or conflicting.",
        epilog=COST,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--target", metavar="URL", help="base URL of the API to calibrate against")
    source.add_argument("--from", dest="from_dir", metavar="DIR", help="learn from recordings")
    parser.add_argument("--api-key", help=f"key for --target [env {KEY_VARIABLE}]")
    parser.add_argument(
        "--max-credits", type=int, default=0, help="budget in credits (default 0: free probes)"
    )
    parser.add_argument(
        "--out",
        default="calibrated-profile.json",
        help="profile file to write (default %(default)s)",
    )
    parser.add_argument(
        "--report", metavar="PATH", help="write the report to PATH.json and PATH.md"
    )
    parser.add_argument("--record", metavar="DIR", help="record every exchange (keys redacted)")
    parser.add_argument(
        "--poll-timeout", type=float, default=900.0, help="longest wait for the paid task (s)"
    )
    parser.add_argument("--base", default="default", help="profile kept where nothing is seen")


def _writable(path: str, flag: str) -> str | None:
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        return f"{flag} {path}: is a directory"
    if not folder.is_dir():
        return f"{flag} {path}: no such directory {str(folder)!r}"
    exists = target.exists()
    if (exists and not os.access(target, os.W_OK)) or not os.access(folder, os.W_OK):
        return f"{flag} {path}: not writable"
    return None


def _problem(args: argparse.Namespace) -> str | None:
    """The first option that cannot work, in one sentence; None when all can."""
    if args.max_credits < 0:
        return f"--max-credits must be 0 or more, got {args.max_credits}"
    if args.poll_timeout <= 0:
        return f"--poll-timeout must be more than 0 seconds, got {args.poll_timeout:g}"
    if args.target is not None:
        parts = urlsplit(args.target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"--target {args.target!r}: not an http(s) URL (e.g. https://apiin.one)"
        if not (args.api_key or os.environ.get(KEY_VARIABLE)):
            return f"--target needs a key: --api-key KEY or {KEY_VARIABLE}"
    if args.report:
        return _writable(args.report + ".json", "--report") or _writable(args.out, "--out")
    return _writable(args.out, "--out")


def _error(message: str) -> int:
    print(f"seedream-mock: error: {message}", file=sys.stderr)
    return 2


def run_calibrate(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `serve` builds this parser too, and the calibration
    # machinery (http.client, the learner) is a fifth of its start-up when imported eagerly.
    from seedream_contracts.calibration import Recorder, RecordingError, learn, read_recordings
    from seedream_contracts.calibration.live import Budget, Session, calibrate
    from seedream_contracts.profiles import ProfileError, load_profile

    problem = _problem(args)
    if problem is not None:
        return _error(problem)
    try:
        base = load_profile(args.base)
        recorder = Recorder(args.record) if args.record else None
        if args.from_dir is not None:
            exchanges, spent, stopped = read_recordings(args.from_dir), 0, ""
        else:
            session = Session(args.target, args.api_key or os.environ[KEY_VARIABLE], recorder)
            outcome = calibrate(session, Budget(args.max_credits), args.poll_timeout, say=_say)
            exchanges, spent, stopped = outcome.exchanges, outcome.spent, outcome.stopped
    except (ProfileError, RecordingError) as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"--record {args.record}: {exc.strerror or exc}")
    profile, report = learn(exchanges, base)
    report.credits_spent, report.stopped = spent, stopped
    Path(args.out).write_text(profile.to_json(), "utf-8")
    _summary(report, args, spent)
    if stopped:
        print(
            f"seedream-mock: calibrate stopped early: {stopped}; {args.out} holds what was "
            "learned before",
            file=sys.stderr,
        )
        return 1
    return 0


def _say(line: str) -> None:
    print(f"calibrate: {line}", file=sys.stderr, flush=True)


def _summary(report: Report, args: argparse.Namespace, spent: int) -> None:
    counts = report.counts()
    budget = "" if args.from_dir else f" of --max-credits {args.max_credits}"
    print(
        f"calibrate: {report.exchanges} exchanges, {report.paid_tasks} paid task(s), "
        f"{spent} credits spent{budget}; {counts['learned']} points learned, "
        f"{counts['kept']} kept, {counts['conflicting']} conflicting"
    )
    print(f"calibrate: wrote the profile to {args.out}")
    if args.report:
        written = report.write(args.report)
        print(f"calibrate: wrote the report to {written[0]} and {written[1]}")
