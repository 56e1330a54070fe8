"""`seedream-mock proxy`: a recording proxy between a user's app and the real API.

It forwards everything unchanged, prints a drift line per mismatch with the profile and
records each exchange (keys reduced to fingerprints) for `calibrate --from`.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def add_proxy_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "proxy",
        help="forward to the real API, report drift from a profile, record exchanges",
        description="Forward every request unchanged to --target and relay its answer "
        "unchanged; check each answer of the two public routes against the profile (one "
        "'drift:' line per mismatch) and record each exchange, Authorization reduced to a "
        "key fingerprint, as JSON lines in --record DIR for `calibrate --from DIR`.",
    )
    parser.add_argument("--target", required=True, metavar="URL", help="the API to forward to")
    parser.add_argument("--port", type=int, default=8090, help="port (default 8090; 0: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--record", metavar="DIR", help="record exchanges here (JSON lines)")
    parser.add_argument("--profile", default="default", help="NAME|FILE to check answers against")


def _error(message: str) -> int:
    print(f"seedream-mock: error: {message}", file=sys.stderr)
    return 2


def run_proxy(args: argparse.Namespace) -> int:
    # Imported here: `serve` builds this parser too and never needs the proxy or the recorder.
    from mock_server.proxy import ProxyServer
    from seedream_contracts.calibration import Recorder
    from seedream_contracts.profiles import ProfileError, load_profile

    parts = urlsplit(args.target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _error(f"--target {args.target!r}: not an http(s) URL (e.g. https://apiin.one)")
    try:
        profile = load_profile(args.profile)
        recorder = Recorder(args.record) if args.record else None
        proxy = ProxyServer(
            args.target, host=args.host, port=args.port, profile=profile, recorder=recorder,
            say=lambda line: print(line, flush=True),
        )  # fmt: skip
    except ProfileError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot start the proxy on {args.host}:{args.port}: {exc.strerror or exc}")

    def _terminate(signum: int, frame: FrameType | None) -> None:
        proxy.stop_soon()

    signal.signal(signal.SIGTERM, _terminate)
    if args.host not in LOOPBACK:
        warning = (
            f"seedream-mock: warning: the proxy listens on {args.host}: anyone who reaches it "
            "can call the target with their key, and is recorded"
        )
        print(warning, file=sys.stderr)
    where = f"; recording to {recorder.path}" if recorder else ""
    banner = (
        f"seedream-mock proxy: {proxy.base_url} -> {args.target}; drift against profile "
        f"{profile.name!r}{where}. Press Ctrl-C to stop."
    )
    print(banner, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        proxy.serve_forever()
    print("seedream-mock proxy stopped.", file=sys.stderr, flush=True)
    return 0
