"""`seedream-mock profile list|show|validate`: the profiles, without starting a server.

A user writing their own profile starts from a shipped one (`show kie > mine.json`) and checks
it before serving it (`validate mine.json`), as with scenarios.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from seedream_contracts.profiles import SHIPPED, ProfileError, load_profile


def add_profile_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "profile",
        help="list, show or check profiles (the dialect the API answers in)",
        description="Work with profiles (docs/profiles.md): list the shipped ones, print one "
        "(its `extends` merged, ready to edit and serve with --profile FILE), or check a file.",
    )
    actions = parser.add_subparsers(dest="profile_command", metavar="ACTION")
    actions.add_parser("list", help="list the shipped profiles with what each is for")
    show = actions.add_parser("show", help="print a profile's whole document (JSON)")
    show.add_argument("profile", metavar="NAME|FILE")
    validate = actions.add_parser(
        "validate",
        help="check a profile file (or a shipped name) without serving it",
        description="Check a profile against the profile schema and the rules a schema cannot "
        "say (template values, distinct status names). Exit 0 if it would load, 2 if not.",
    )
    validate.add_argument("profile", metavar="NAME|FILE")


def run_profile(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.profile_command == "list":
        for name in SHIPPED:
            description = str(load_profile(name).document.get("description", ""))
            print(f"{name:<8} {description.split('. ')[0].rstrip('.')}")
        return 0
    if args.profile_command not in ("show", "validate"):
        parser.parse_args(["profile", "--help"])
        return 2
    try:
        profile = load_profile(args.profile)
    except (ProfileError, ValueError) as exc:  # a template error is a ValueError
        print(f"seedream-mock: {exc}", file=sys.stderr)
        return 2
    if args.profile_command == "show":
        sys.stdout.write(profile.to_json())
        return 0
    print(f"{args.profile}: OK — profile {profile.name!r}, statuses {_statuses(profile.statuses)}")
    return 0


def _statuses(statuses: dict[str, Any]) -> str:
    running = dict.fromkeys(str(statuses[s]) for s in ("pending", "processing"))
    return f"{' → '.join(running)} → {statuses['completed']} | {statuses['failed']}"
