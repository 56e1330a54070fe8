"""`seedream-mock serve …`: start the emulator from the command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import contracts
from contracts import openapi
from mock_server import __version__, scenarios
from mock_server.clock import CLOCK_MODES
from mock_server.config import DEFAULT_KEY, ConfigError, load_settings
from mock_server.scenarios import ScenarioError
from mock_server.server import MockServer

SEED_PROMPT = "A serene mountain lake at sunrise with reflections, photorealistic"

EPILOG = """\
Settings come from, in rising order: defaults, --config FILE (TOML), SEEDREAM_MOCK_<NAME>
environment variables (or the short MOCK_<NAME>), and the flags above. The TOML/env name is
the flag's long name with underscores, except:
  --key KEY[:CREDITS]   keys = { aio_a = 100 }           MOCK_KEYS=aio_a:100,aio_b
  --strict-keys         key_mode = "strict"              MOCK_KEY_MODE=strict
  --no-control          control = false                  MOCK_CONTROL=false
  --image-lifetime      image_lifetime_seconds = 3600    MOCK_IMAGE_LIFETIME_SECONDS=3600
  --webhook-secret S    webhook_secrets = ["whsec_…"]    MOCK_WEBHOOK_SECRETS=whsec_a,whsec_b
  (no flag)             prices = { "seedream/4.5-edit:high" = 20 }
                        MOCK_PRICES=seedream/4.5-edit:high=20,seedream/4.5-edit=15

examples:
  seedream-mock serve                            # 127.0.0.1:8080, real clock, open keys
  seedream-mock serve --clock scaled --speed 10  # tasks finish ten times faster
  seedream-mock serve --clock manual             # time moves only via POST /_mock/clock/advance
  seedream-mock serve --strict-keys --key aio_team:600 --key aio_ci:120
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seedream-mock",
        description="Local emulator of the API in One Seedream 4.5 image API.",
        epilog="Run 'seedream-mock serve --help' for every setting and where settings come from.",
    )
    parser.add_argument("--version", action="version", version=f"seedream-mock {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the emulated API over HTTP",
        description="Serve the emulated Seedream 4.5 API (and the /_mock/ control API).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = serve.add_argument
    add("--config", metavar="FILE", help="TOML file with settings")
    add(
        "--scenario",
        metavar="FILE|NAME",
        help="load a scenario at start (and after each reset): a JSON file, or the name of a "
        "shipped one (happy-path, flaky-5xx, …; GET /_mock/scenarios lists them)",
    )
    add("--host", help="address to bind (default 127.0.0.1; use 0.0.0.0 only on purpose)")
    add("--port", type=int, help="port to bind (default 8080; 0 picks a free one)")
    add("--public-url", help="base URL put in result links (default: the URL the client used)")
    add("--threads", type=int, help="worker threads (default 16)")
    add("--clock", choices=CLOCK_MODES, help="real (default), scaled (x --speed) or manual")
    add("--speed", type=float, help="clock speed for --clock scaled (default 1)")
    add("--clock-start", metavar="ISO", help="start the clock at this time (default: now)")
    add("--seed", type=int, help="seed for task ids and timelines: same seed, same run")
    add(
        "--key",
        action="append",
        metavar="KEY[:CREDITS]",
        dest="keys",
        help=f"an API key and its credits; repeatable (default {DEFAULT_KEY}:1200)",
    )
    add(
        "--strict-keys",
        action="store_const",
        const="strict",
        dest="key_mode",
        help="accept only configured keys (default: any well-formed aio_ key, on first use)",
    )
    add("--default-credits", type=int, help="credits for keys made in open mode (default 1200)")
    add("--price", type=int, help="credits per image (default 12)")
    add("--pending-seconds", type=float, help="seconds a task stays pending (default 1)")
    add(
        "--processing-seconds",
        metavar="MIN[-MAX]",
        help="seconds a task processes, drawn per task (default 2-9: 3-10 s in all)",
    )
    add("--max-prompt-chars", type=int, help="longest prompt accepted (default 3000)")
    add("--max-body-bytes", type=int, help="largest request body (default 262144)")
    add(
        "--callback-hosts",
        metavar="LIST",
        help="comma-separated hosts callback_url may name; 'loopback' (default), '*', patterns",
    )
    add(
        "--image-lifetime",
        type=float,
        dest="image_lifetime_seconds",
        metavar="SECONDS",
        help="how long result URLs live on the mock's clock (default 86400)",
    )
    add("--image-cache-bytes", type=int, help="memory for rendered PNGs (default 256 MiB)")
    add("--max-tasks", type=int, help="finished tasks kept before the oldest go (default 10000)")
    add(
        "--rate-limit-rps",
        type=float,
        metavar="RPS",
        help="per-key limit on the public routes: 429 with Retry-After above it (default off)",
    )
    add(
        "--rate-limit-burst",
        type=int,
        metavar="N",
        help="requests a key may send at once before the limit applies (default 10)",
    )
    add(
        "--webhook-timeout",
        type=float,
        metavar="SECONDS",
        help="per-attempt timeout of a callback delivery (default 10)",
    )
    add(
        "--webhook-schedule",
        metavar="PRESET|DELAYS",
        help="retry delays after the first attempt: 'default' (1,2,4), 'standard-webhooks' "
        "(5s … 10h, best with --clock scaled), 'none', or seconds like 1,5,30",
    )
    add(
        "--webhook-secret",
        action="append",
        dest="webhook_secrets",
        metavar="SECRET",
        help="sign callbacks (whsec_<base64> for Standard Webhooks); repeat to rotate: "
        "every secret signs, so receivers holding old or new verify",
    )
    add(
        "--webhook-signature",
        choices=("standard", "kie"),
        help="signature scheme when a secret is set (default standard)",
    )
    add("--webhook-workers", type=int, help="parallel callback deliveries (default 8)")
    add(
        "--webhook-log-limit",
        type=int,
        help="deliveries kept in the log before the oldest finished go (default 1000)",
    )
    add(
        "--log-requests",
        choices=("off", "text", "json"),
        default=None,
        help="one line per request on stdout: method, path, status, ms, task id "
        "(default text; off for silence, json for machines)",
    )
    add("--control-token", help="require this X-Mock-Token header on /_mock/ calls")
    add(
        "--no-control",
        action="store_false",
        dest="control",
        default=None,
        help="disable the /_mock/ control API",
    )
    verify = commands.add_parser(
        "verify", help="run the contract suite against the mock or any target, with a drift report",
        description="Run the HTTP-only contract suite (contracts/suite) against --target (default: "
        "a mock started on a free port) and report, field by field, how its answers differ "
        "from the contract. Exit 0 on a clean run. Extra arguments after -- go to pytest.",
        epilog="example (spends real credits):\n  seedream-mock verify --target https://apiin.one "
        "--api-key aio_… --max-credits 120 --report drift",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    for flag, text in (
        ("--target", "base URL (default: an embedded mock)"),
        ("--api-key", "key for the target (default aio_your_api_key)"),
        ("--other-api-key", "a second key, for the isolation tests"),
        ("--max-credits", "budget; tests beyond it are skipped (default 0 off a mock)"),
        ("--report", "write the drift report to PATH.json and PATH.md"),
        ("--callback-url", "a public receiver for callbacks on a real target"),
    ):
        variable = "SEEDREAM_MOCK_" + flag[2:].upper().replace("-", "_")
        verify.add_argument(
            flag, default=os.environ.get(variable), type=int if flag == "--max-credits" else str,
            help=f"{text} [env {variable}]",
        )  # fmt: skip
    verify.add_argument("pytest_args", nargs="*", help="after --: passed to pytest (e.g. -k seed)")
    commands.add_parser("version", help="print the version", description="Print the version.")
    scenario = commands.add_parser(
        "scenario", help="work with scenario files", description="Work with scenario files."
    )
    scenario_commands = scenario.add_subparsers(dest="scenario_command", metavar="ACTION")
    validate = scenario_commands.add_parser(
        "validate", help="check a scenario file (or a shipped name) without loading it",
        description="Check a scenario against contracts/schemas/scenario.schema.json and the "
        "rules a schema cannot say. Exit 0 if it would load, 2 with the problem if not.",
    )  # fmt: skip
    validate.add_argument("file", metavar="FILE|NAME")
    scenario_commands.add_parser("list", help="list the shipped scenarios")
    openapi_command = commands.add_parser(
        "openapi", help="print the OpenAPI 3.1 document of the emulated API",
        description="Print the OpenAPI 3.1 document generated from the contract schemas.",
    )  # fmt: skip
    openapi_command.add_argument(
        "--server-url", default="http://127.0.0.1:8080",
        help="the server URL written into the document (default http://127.0.0.1:8080)",
    )  # fmt: skip
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    skip = {"command", "config", "scenario"}
    return {k: v for k, v in vars(args).items() if k not in skip and v is not None}


def banner(server: MockServer) -> str:
    """What a user needs to start: the URL, a key that works, the clock, a curl line — read
    from the running emulator, so a --scenario's keys and clock show as they are."""
    url, settings, mock = server.base_url, server.settings, server.emulator
    ledgers = {entry["key"]: entry for entry in mock.control.ledgers()}
    key = next(iter(ledgers), DEFAULT_KEY)
    credits = ledgers[key]["available"] if key in ledgers else mock.accounts.default_credits
    mode = "open: any aio_ key works" if mock.accounts.key_mode == "open" else "strict"
    clock = mock.clock.state()
    speed = f" x{clock.speed:g}" if clock.mode == "scaled" else ""
    control = f"{url}/_mock/" if settings.control else "disabled"
    body = (
        f'{{"model": "seedream/4.5-text-to-image", "prompt": "{SEED_PROMPT}", '
        f'"aspect_ratio": "16:9", "quality": "high"}}'
    )
    return "\n".join(
        [
            f"seedream-mock {__version__} serving the Seedream 4.5 API at {url}",
            f"  API key:     {key} ({credits} credits; keys {mode})",
            f"  clock:       {clock.mode}{speed}",
            f"  control API: {control}",
            f"  scenario:    {server.emulator.scenario or 'none'}",
            "Try it:",
            f"  curl -X POST {url}/api/v1/images/generations \\",
            f'    -H "Authorization: Bearer {key}" -H "Content-Type: application/json" \\',
            f"    --data-raw '{body}'",
            f'  curl {url}/api/v1/tasks/<task_id> -H "Authorization: Bearer {key}"',
            "Press Ctrl-C to stop.",
        ]
    )


def serve(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(
            args.config, overrides=_overrides(args), defaults={"log_requests": "text"}
        )
        server = MockServer(settings)
        if args.scenario:
            server.emulator.start_scenario = scenarios.read_file(args.scenario)
            server.emulator.reset()
    except (ConfigError, ScenarioError) as exc:
        print(f"seedream-mock: {exc}", file=sys.stderr)
        return 2
    try:
        server.bind()
    except OSError as exc:
        where = f"{settings.host}:{settings.port}"
        print(f"seedream-mock: cannot listen on {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1

    def _terminate(signum: int, frame: FrameType | None) -> None:
        server.stop_soon()

    signal.signal(signal.SIGTERM, _terminate)
    print(banner(server), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    print("seedream-mock stopped.", file=sys.stderr, flush=True)
    return 0


def run_scenario(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.scenario_command == "list":
        for entry in scenarios.library():
            print(f"{entry['name']:<20} {entry['description']}")
        return 0
    if args.scenario_command != "validate":
        parser.parse_args(["scenario", "--help"])
    try:
        checked = scenarios.read_file(args.file)
    except ScenarioError as exc:
        print(f"seedream-mock: {exc.message}", file=sys.stderr)
        return 2
    rules = len(checked.get("faults", []))
    print(f"{args.file}: OK — scenario {checked['name']!r} ({rules} fault rules): "
          f"{checked['description']}")  # fmt: skip
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """pytest on the packaged suite; its exit code is ours (0: clean, 1: contract failures)."""
    import pytest  # only this command needs it

    suite = Path(contracts.__file__).resolve().parent / "suite"
    # This process imported `contracts` already, which the plugin's entry point asks pytest to
    # rewrite; rewriting the suite's own test modules still happens.
    options = ["-p", "no:cacheprovider", "-q", "--rootdir", str(suite.parent.parent),
               "-W", "ignore::pytest.PytestAssertRewriteWarning"]  # fmt: skip
    for name in ("target", "api_key", "other_api_key", "max_credits", "report", "callback_url"):
        value = getattr(args, name)
        if value is not None:
            options += [f"--{name.replace('_', '-')}", str(value)]
    return int(pytest.main([str(suite), *options, *args.pytest_args]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "verify":
        return run_verify(args)
    if args.command == "version":
        print(f"seedream-mock {__version__}")
        return 0
    if args.command == "scenario":
        return run_scenario(args, parser)
    if args.command == "openapi":
        sys.stdout.write(openapi.render(args.server_url))
        return 0
    parser.print_usage(sys.stderr)
    print("seedream-mock: error: a command is required (try: seedream-mock serve)", file=sys.stderr)
    return 2
