"""`seedream-mock serve …`: start the emulator from the command line."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import seedream_contracts
from mock_server import __version__
from mock_server.cli.calibrate import run_calibrate
from mock_server.cli.parser import build_parser
from mock_server.cli.profiles import run_profile
from mock_server.cli.proxy import run_proxy
from mock_server.faults import scenarios
from mock_server.faults.scenarios import ScenarioError
from mock_server.server import MockServer
from mock_server.settings.config import DEFAULT_KEY, FIELD_NAMES, load_settings
from mock_server.settings.exposure import control_open_to_others
from mock_server.settings.profiles import active_profile
from mock_server.settings.profiles import problem as profile_problem
from mock_server.settings.sources import (
    ENV_PREFIXES,
    VERIFY_VARIABLES,
    env_entry,
    unknown_variables,
)
from mock_server.settings.values import ConfigError
from mock_server.state.errors import StateFileError
from seedream_contracts import openapi

INSECURE = (
    "--insecure-control: the control API needs no token, so anyone who can reach this port "
    "can drive the mock and read what callback receivers on its host answer"
)
SEED_PROMPT = "A serene mountain lake at sunrise with reflections, photorealistic"


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    skip = {"command", "config", "scenario"}
    return {k: v for k, v in vars(args).items() if k not in skip and v is not None}


def banner(server: MockServer) -> str:
    """What a user needs to start: the URL, a key that works, the clock, a curl line — read
    from the running emulator, so a --scenario's keys and clock show as they are."""
    url, settings, mock = server.base_url, server.settings, server.emulator
    ledgers = {entry["key"]: entry for entry in server.control.ledgers(limit=1)}
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
            *_control_access(server),
            *_inspector(server),
            f"  scenario:    {server.emulator.runtime.scenario or 'none'}",
            f"  profile:     {mock.profile.name}",
            "Try it:",
            f"  curl -X POST {url}/api/v1/images/generations \\",
            f'    -H "Authorization: Bearer {key}" -H "Content-Type: application/json" \\',
            f"    --data-raw '{body}'",
            f'  curl {url}/api/v1/tasks/<task_id> -H "Authorization: Bearer {key}"',
            "Press Ctrl-C to stop.",
        ]
    )


def _control_access(server: MockServer) -> list[str]:
    """The banner's word on who may call the control API, when it is not just this host."""
    settings, pad = server.settings, " " * 15
    if server.generated_token:
        return [
            f"{pad}needs X-Mock-Token: {server.generated_token}",
            f"{pad}(generated: {settings.host} is not loopback; --control-token sets one)",
        ]
    if control_open_to_others(settings):
        return [f"{pad}WARNING: open to every host, no token (--insecure-control)"]
    return []


def _inspector(server: MockServer) -> list[str]:
    """Where the inspector page is; with a token, the address that lets a browser in once."""
    if not server.settings.control:
        return []
    token = "<token>" if server.settings.control_token else None
    if server.generated_token:
        token = server.generated_token
    suffix = f"?token={token}" if token else ""
    return [f"  inspector:   {server.base_url}/_mock/ui{suffix}"]


def _log_default() -> str:
    """A person watching a terminal sees every request; a pipe or file (CI, a benchmark, a
    test's subprocess) gets none unless asked — a log line per request costs ~20% throughput."""
    return "text" if sys.stdout.isatty() else "off"


def tune_gc() -> None:
    """The serving process is ours, so tune its garbage collector for a long-lived heap: freeze
    what start-up allocated (Flask, schemas, settings) out of every collection, and collect the
    young generations less often. Measured (bench): p99 of POST at 64 connections 75 -> 28 ms.
    Not done in-process (MockServer, the pytest plugin): that process belongs to the user.
    bench/wsgi_app.py calls it too, so other servers are compared on equal terms. No
    gc.collect() first: it took 12 ms of every start to free a handful of objects."""
    gc.freeze()
    gc.set_threshold(5000, 50, 100)


def _scenario(args: argparse.Namespace) -> tuple[str, str] | None:
    """The start scenario and where it was named: --scenario, else SEEDREAM_MOCK_SCENARIO
    (set but empty counts as unset, as shells and CI files often leave it)."""
    if args.scenario:
        return args.scenario, f"--scenario {args.scenario}"
    entry = env_entry("scenario", os.environ)
    return (entry[1], f"{entry[0]}={entry[1]}") if entry and entry[1] else None


def _start(args: argparse.Namespace) -> MockServer:
    """The server as configured, its start scenario loaded; a ConfigError names the culprit."""
    settings = load_settings(
        args.config, overrides=_overrides(args), defaults={"log_requests": _log_default()}
    )
    server = MockServer(settings)
    scenario = _scenario(args)
    if scenario is not None:
        reference, where = scenario
        try:
            server.emulator.runtime.start_scenario = scenarios.read_file(reference)
        except ScenarioError as exc:
            raise ConfigError(f"{where}: {exc.message}") from None
        if server.durable is None or not server.durable.resumed:  # resuming keeps the file's
            server.control.reset()
    return server


def _error(message: str) -> int:
    print(f"seedream-mock: error: {message}", file=sys.stderr)
    return 2


def serve(args: argparse.Namespace) -> int:
    for warning in unknown_variables(os.environ, FIELD_NAMES):
        print(f"seedream-mock: warning: {warning}", file=sys.stderr)
    try:
        server = _start(args)
    except (ConfigError, StateFileError) as exc:
        return _error(str(exc))
    settings = server.settings
    try:
        server.bind()
    except OSError as exc:
        where = f"{settings.host}:{settings.port}"
        print(f"seedream-mock: cannot listen on {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1

    def _terminate(signum: int, frame: FrameType | None) -> None:
        server.stop_soon()

    signal.signal(signal.SIGTERM, _terminate)
    if control_open_to_others(settings):
        print(f"seedream-mock: warning: {INSECURE}", file=sys.stderr, flush=True)
    print(banner(server), flush=True)
    tune_gc()
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
    print(
        f"{args.file}: OK — scenario {checked['name']!r} ({rules} fault rules): "
        f"{checked['description']}"
    )
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """pytest on the packaged suite; its exit code is ours (0: clean, 1: contract failures)."""
    try:
        import pytest  # only this command needs it
    except ImportError:
        print("seedream-mock: verify needs pytest: pip install pytest", file=sys.stderr)
        return 2
    suite = Path(seedream_contracts.__file__).resolve().parent / "suite"
    # The suite's own ini file, not the settings of the project the kit is installed into; this
    # process imported the kit already, so pytest cannot rewrite its asserts (it warns; ignored).
    options = ["-p", "no:cacheprovider", "-q", "-c", str(suite / "pytest.ini")]
    for name in (*VERIFY_VARIABLES, "profile"):  # the profile: the same variable as serve's
        value = getattr(args, name)
        # Only the long prefix here: a MOCK_API_KEY is likelier some other tool's than ours.
        variable = ENV_PREFIXES[0] + name.upper()
        if value is None and os.environ.get(variable):
            value = os.environ[variable]
            if name == "max_credits" and not value.strip().isdigit():
                return _error(f"{variable}={value}: not a whole number of credits")
        if value is not None:
            options += [f"--{name.replace('_', '-')}", str(value)]
    return int(pytest.main([str(suite), *options, *args.pytest_args]))


def print_openapi(args: argparse.Namespace) -> int:
    """The OpenAPI document in the dialect of --profile, else of SEEDREAM_MOCK_PROFILE (what
    `serve` in the same environment would speak), else of the default profile."""
    where, spec = f"--profile {args.profile}", args.profile
    entry = env_entry("profile", os.environ)
    if spec is None and entry is not None and entry[1]:
        where, spec = f"{entry[0]}={entry[1]}", entry[1]
    problem = profile_problem(spec or "default")
    if problem is not None:
        return _error(f"{where}: {problem}")
    sys.stdout.write(openapi.render(args.server_url, active_profile(spec or "default")))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "verify":
        return run_verify(args)
    if args.command == "calibrate":
        return run_calibrate(args)
    if args.command == "proxy":
        return run_proxy(args)
    if args.command == "version":
        print(f"seedream-mock {__version__}")
        return 0
    if args.command == "scenario":
        return run_scenario(args, parser)
    if args.command == "profile":
        return run_profile(args, parser)
    if args.command == "openapi":
        return print_openapi(args)
    if args.command == "state":
        from mock_server.cli.state import run_state  # sqlite3: only this command and --state

        return run_state(args, parser)
    parser.print_usage(sys.stderr)
    print("seedream-mock: error: a command is required (try: seedream-mock serve)", file=sys.stderr)
    return 2
