"""Who can reach the control API: whether a bind address is loopback, and the token it needs
when it is not.

The control API can complete tasks on demand and shows what callback receivers answered; with
the default `--callback-hosts loopback`, those receivers are services on the mock's own host.
Open to other hosts, that is a way to reach and read loopback-only services (SSRF). So on any
bind other hosts can reach, a token is required; if none is given, one is generated (and the
CLI prints it). `--insecure-control` is the deliberate, loud way out.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import replace

from mock_server.settings.config import Settings

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True only for an address no other host can reach: `localhost`, 127.0.0.0/8 (Linux
    routes all of it to `lo`), `::1`, and those written IPv4-mapped. Anything else — `0.0.0.0`,
    `::`, an interface's address, a host name we would have to resolve — counts as reachable:
    being wrong that way costs a token, being wrong the other way exposes the host."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name.partition("%")[0])  # fe80::1%eth0: a zone
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def with_control_token(settings: Settings) -> Settings:
    """The settings with a freshly generated control token when the control API would otherwise
    answer other hosts with none; unchanged on loopback, with a token given, with the control
    API off, or with `insecure_control` set."""
    if (
        not settings.control
        or settings.control_token
        or settings.insecure_control
        or is_loopback(settings.host)
    ):
        return settings
    return replace(settings, control_token=secrets.token_urlsafe(24))


def control_open_to_others(settings: Settings) -> bool:
    """Whether the control API answers other hosts with no token (only by `insecure_control`,
    once `with_control_token` has run)."""
    return settings.control and not settings.control_token and not is_loopback(settings.host)
