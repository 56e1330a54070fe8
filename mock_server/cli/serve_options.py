"""The `serve` command's options: every setting as a flag, with its help text and the epilog
that says where else each setting may come from."""

from __future__ import annotations

import argparse

from mock_server.core.clock import CLOCK_MODES
from mock_server.settings.config import DEFAULT_KEY

EPILOG = """\
Settings come from, in rising order: defaults, --config FILE (TOML), SEEDREAM_MOCK_<NAME>
environment variables, and the flags above. Every flag has its variable, named after the flag's
long name in capitals (--max-tasks: SEEDREAM_MOCK_MAX_TASKS); the TOML name is the same in
lower case (max_tasks). The short MOCK_<NAME> is read too, but SEEDREAM_MOCK_<NAME> wins, and
only an unknown SEEDREAM_MOCK_* name is warned about. Names that differ from the flag's:
  --key KEY[:CREDITS]  keys = { aio_a = 100 }         SEEDREAM_MOCK_KEYS=aio_a:100,aio_b
  --strict-keys        key_mode = "strict"            SEEDREAM_MOCK_KEY_MODE=strict
  --no-control         control = false                SEEDREAM_MOCK_CONTROL=false
  --image-lifetime S   image_lifetime_seconds = 3600  SEEDREAM_MOCK_IMAGE_LIFETIME_SECONDS=3600
  --webhook-secret S   webhook_secrets = ["whsec_a"]  SEEDREAM_MOCK_WEBHOOK_SECRETS=whsec_a,whsec_b
  --config FILE        (not in the file)              SEEDREAM_MOCK_CONFIG=mock.toml
  --scenario NAME      (not in the file)              SEEDREAM_MOCK_SCENARIO=flaky-5xx
  (no flag)            prices = { "seedream/4.5-edit:high" = 20 }
                       SEEDREAM_MOCK_PRICES=seedream/4.5-edit:high=20,seedream/4.5-edit=15

examples:
  seedream-mock serve                            # 127.0.0.1:8080, real clock, open keys
  seedream-mock serve --clock scaled --speed 10  # tasks finish ten times faster
  seedream-mock serve --clock manual             # time moves only via POST /_mock/clock/advance
  seedream-mock serve --strict-keys --key aio_team:600 --key aio_ci:120
  seedream-mock serve --profile strict           # refuse what any source refuses; lean answers
  seedream-mock serve --profile my-profile.json  # a profile learned from the real API
"""


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    """Every flag of `seedream-mock serve`, each with its help text."""
    add = serve.add_argument
    add("--config", metavar="FILE", help="TOML file with settings")
    add(
        "--scenario",
        metavar="FILE|NAME",
        help="load a scenario at start (and after each reset): a JSON file, or the name of a "
        "shipped one (happy-path, flaky-5xx, …; GET /_mock/scenarios lists them)",
    )
    add(
        "--profile",
        metavar="NAME|FILE",
        help="the dialect the public API answers in: status names, where values sit in the task "
        "answer, error status codes and types, input rules, callback body, timing. A shipped "
        "profile (default: today's best reading of the evidence; kie: the provider's own "
        "vocabulary; strict: the least a client may rely on) or a profile file "
        "(docs/profiles.md). GET /_mock/profile shows the active one (default: default)",
    )
    add(
        "--portability",
        choices=("warn", "error", "off"),
        help="a request that relies on a point where the sources disagree (no model, a prompt "
        "under 3 characters, more than 10 image URLs, a field the mock ignores, a null): warn "
        "answers it with a Seedream-Mock-Portability header and lists it at GET "
        "/_mock/portability; error refuses it with a 400; off says nothing (default warn)",
    )
    add("--host", help="address to bind (default 127.0.0.1; use 0.0.0.0 only on purpose)")
    add("--port", type=int, help="port to bind (default 8080; 0 picks a free one)")
    add("--public-url", help="base URL put in result links (default: the URL the client used)")
    add(
        "--max-connections",
        type=int,
        help="client connections held open at once; past it the most expendable one (the "
        "longest stalled: a trickled request, an idle keep-alive) is closed to make room; 503 only "
        "when every one has a request under way (default 1000)",
    )
    add(
        "--head-timeout",
        type=float,
        metavar="SECONDS",
        help="time a client has to send a whole request, its head and any body, from its first "
        "byte, however the bytes trickle in; then a 408 and a close (default 10)",
    )
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
    add(
        "--pending-seconds",
        type=float,
        help="seconds a task stays pending (default: the profile's timing; 1 in the shipped ones)",
    )
    add(
        "--processing-seconds",
        metavar="MIN[-MAX]",
        help="seconds a task processes, drawn per task (default: the profile's timing; 2-9 in "
        "the shipped ones: 3-10 s in all)",
    )
    add(
        "--max-prompt-chars",
        type=int,
        help="longest prompt accepted (default: the profile's prompt_max; 3000 in the shipped "
        "ones)",
    )
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
        "--max-open-keys",
        type=int,
        metavar="N",
        help="keys made on first use (open mode) kept before the longest idle go; one that "
        "comes back gets a fresh grant (default 10000)",
    )
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
        "(default: text on a terminal, off when stdout is a pipe or file)",
    )
    add(
        "--journal-size",
        type=int,
        metavar="N",
        help="requests to the public routes kept for GET /_mock/requests, the oldest going "
        "first (default 1000; 0 keeps none)",
    )
    add(
        "--state",
        metavar="FILE",
        help="keep all state in this SQLite file and resume from it at start: what a client "
        "was told survives a crash or kill -9 (default: memory only; docs/durable-state.md)",
    )
    add(
        "--control-token",
        help="require this X-Mock-Token header on /_mock/ calls (on a non-loopback --host, "
        "one is generated when none is given)",
    )
    add(
        "--no-control",
        action="store_false",
        dest="control",
        default=None,
        help="disable the /_mock/ control API",
    )
    add(
        "--insecure-control",
        action="store_true",
        default=None,
        help="on a non-loopback --host, serve the control API with no token (default: a "
        "token is required there, generated and printed if --control-token is not given)",
    )
