"""The command line's shape: every command of `seedream-mock`, its options and help texts
(the many options of `serve` are in serve_options.py)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mock_server import __version__
from mock_server.cli.calibrate import add_calibrate_parser
from mock_server.cli.profiles import add_profile_parser
from mock_server.cli.proxy import add_proxy_parser
from mock_server.cli.serve_options import EPILOG, add_serve_options
from mock_server.settings.sources import ENV_PREFIXES


class CommandParser(argparse.ArgumentParser):
    """A command's parser, for which an argument it does not know is its own usage error.
    Plain argparse hands a command's unknown arguments up to the top-level parser, which then
    shows its own usage (`seedream-mock [-h] COMMAND`) instead of the command's."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def build_parser() -> argparse.ArgumentParser:
    """Every command and option, each with its help text."""
    parser = argparse.ArgumentParser(
        prog="seedream-mock",
        description="Local emulator of the API in One Seedream 4.5 image API.",
        epilog="Run 'seedream-mock serve --help' for every setting and where settings come from.",
    )
    parser.add_argument("--version", action="version", version=f"seedream-mock {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    serve = commands.add_parser(
        "serve",
        help="serve the emulated API over HTTP",
        description="Serve the emulated Seedream 4.5 API (and the /_mock/ control API).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_serve_options(serve)
    verify = commands.add_parser(
        "verify",
        help="run the contract suite against the mock or any target, with a drift report",
        description="Run the HTTP-only contract suite against --target (default: "
        "a mock started on a free port) and report, field by field, how its answers differ "
        "from the contract. Exit 0 on a clean run. Extra arguments after -- go to pytest.",
        epilog="example (spends real credits):\n  seedream-mock verify --target https://apiin.one "
        "--api-key aio_… --max-credits 120 --report drift",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for flag, text in (
        ("--target", "base URL (default: an embedded mock)"),
        ("--api-key", "key for the target (default aio_your_api_key)"),
        ("--other-api-key", "a second key, for the isolation tests"),
        ("--max-credits", "budget; tests beyond it are skipped (default 0 off a mock)"),
        ("--report", "write the drift report to PATH.json and PATH.md"),
        ("--callback-url", "a public receiver for callbacks on a real target"),
        ("--profile", "the dialect to expect, NAME|FILE (default: what a mock serves)"),
    ):
        variable = ENV_PREFIXES[0] + flag[2:].upper().replace("-", "_")  # read by run_verify
        verify.add_argument(
            flag, type=int if flag == "--max-credits" else str, help=f"{text} [env {variable}]"
        )
    verify.add_argument("pytest_args", nargs="*", help="after --: passed to pytest (e.g. -k seed)")
    add_calibrate_parser(commands)
    add_proxy_parser(commands)
    add_profile_parser(commands)
    commands.add_parser("version", help="print the version", description="Print the version.")
    scenario = commands.add_parser(
        "scenario", help="work with scenario files", description="Work with scenario files."
    )
    scenario_commands = scenario.add_subparsers(dest="scenario_command", metavar="ACTION")
    validate = scenario_commands.add_parser(
        "validate",
        help="check a scenario file (or a shipped name) without loading it",
        description="Check a scenario against the scenario schema and the "
        "rules a schema cannot say. Exit 0 if it would load, 2 with the problem if not.",
    )
    validate.add_argument("file", metavar="FILE|NAME")
    scenario_commands.add_parser("list", help="list the shipped scenarios")
    state = commands.add_parser(
        "state", help="work with state files (--state)", description="Work with state files."
    )
    state_commands = state.add_subparsers(dest="state_command", metavar="ACTION")
    inspect = state_commands.add_parser(
        "inspect",
        help="summarise a state file without starting a server",
        description="Print what a state file holds: tasks by status, keys with their "
        "balances, deliveries by state, fault rules, the schema version. Read-only: a server "
        "may be running on it. Exit 2 if it is not a state file this version can read.",
    )
    inspect.add_argument("file", metavar="FILE")
    openapi_command = commands.add_parser(
        "openapi",
        help="print the OpenAPI 3.1 document of the emulated API",
        description="Print the OpenAPI 3.1 document generated from the contract schemas.",
    )
    openapi_command.add_argument(
        "--server-url",
        default="http://127.0.0.1:8080",
        help="the server URL written into the document (default http://127.0.0.1:8080)",
    )
    openapi_command.add_argument(
        "--profile",
        metavar="NAME|FILE",
        help="describe the API in this profile's dialect: default, kie, strict or a profile "
        "file (default: SEEDREAM_MOCK_PROFILE, else default)",
    )
    return parser
