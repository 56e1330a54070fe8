"""`seedream-mock state inspect FILE`: a state file's summary, no server started."""

from __future__ import annotations

import argparse
import sys

from mock_server.state.inspect import summary
from mock_server.state.schema import StateFileError


def run_state(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.state_command != "inspect":
        parser.parse_args(["state", "--help"])
    try:
        print(summary(args.file))
    except StateFileError as exc:
        print(f"seedream-mock: error: {exc}", file=sys.stderr)
        return 2
    return 0
