"""Request body → a typed generation request, or one field-level error a person can act on.

The contract schema as the active profile's input rules shape it (`request_schema`: prompt
bounds, image-URL count, model required or not, unknown and null fields) says most of it; this
module adds what a schema cannot: the alias resolution, the callback URL's wire form
(callback_urls.py) and the callback host allow-list. Which error a body that breaks several
rules gets, and in what words, is field_errors.py's.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import fastjsonschema

from mock_server.core.callback_urls import CallbackUrlError, normalise
from mock_server.core.errors import InvalidRequestError, default_profile
from mock_server.core.field_errors import InputRules, explain, preview
from mock_server.core.portability import Risk, risks
from mock_server.core.tasks import EDIT, TEXT_TO_IMAGE, TaskInput
from seedream_contracts.loader import compile_schema
from seedream_contracts.profiles import Profile, load_profile
from seedream_contracts.profiles.requests import request_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

ALIAS = "seedream-4-5"


@dataclass(frozen=True)
class GenerationRequest:
    """A valid request with every default applied."""

    model: str
    input: TaskInput
    callback_url: str | None
    risks: tuple[Risk, ...] = ()  # what it relies on that the real service may refuse


class RequestValidator:
    """Built once per server: the profile's input rules, the prompt cap (`--max-prompt-chars`,
    None: the profile's) and the callback hosts are fixed while it runs."""

    def __init__(
        self,
        max_prompt_chars: int | None,
        callback_hosts: tuple[str, ...],
        profile: Profile | None = None,
        portability: str = "warn",
    ) -> None:
        profile = profile or default_profile()
        self.portability = portability
        self._lenient = profile.input_rules
        self._strict = load_profile("strict").input_rules
        self._schema = request_schema(profile, max_prompt_chars)
        # Two compilations of the one schema. fastjsonschema turns it into Python code that
        # only says yes or no, about 8x faster than jsonschema on the bodies clients send; a
        # body it refuses goes to jsonschema, whose errors field_errors.py explains (and whose
        # verdict wins, so fastjsonschema can only ever speed up a yes). A test holds the two
        # to the same verdict on generated bodies (tests/unit/test_request_verdicts.py).
        self._accepts = fastjsonschema.compile(self._schema, use_default=False)
        self._explainer: Draft202012Validator | None = None
        self.rules = InputRules.of(profile, max_prompt_chars)
        self.max_prompt_chars = self.rules.prompt_max
        self.callback_hosts = callback_hosts

    def accepts(self, body: Any) -> bool:
        """The fast verdict alone (see __init__)."""
        try:
            self._accepts(body)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    def errors(self, body: Any) -> list[Any]:
        """jsonschema's errors for `body`; compiled on the first refused body. No meta-schema
        check: request_schema builds from a checked profile, and a test checks what each
        shipped profile makes of it."""
        if self._explainer is None:
            self._explainer = compile_schema(self._schema, check=False)
        return list(self._explainer.iter_errors(body))

    def parse(self, body: Any) -> GenerationRequest:
        if not self.accepts(body):
            errors = self.errors(body)
            if errors:
                raise explain(errors, body, self.rules)
        found = () if self.portability == "off" else tuple(risks(body, self._lenient, self._strict))
        if found and self.portability == "error":
            raise InvalidRequestError(
                f"{found[0].message} (this mock runs with --portability error)",
                found[0].param,
                kind="validation",
            )
        model = _resolve_model(body.get("model"), body.get("image_urls"))
        callback_url = body.get("callback_url")
        if callback_url is not None:
            callback_url = self._check_callback_url(callback_url)
        image_urls = tuple(body["image_urls"]) if model == EDIT else ()
        task_input = TaskInput(
            prompt=body["prompt"],
            aspect_ratio=body.get("aspect_ratio") or "1:1",
            quality=body.get("quality") or "basic",
            image_urls=image_urls,
        )
        return GenerationRequest(model, task_input, callback_url, found)

    def _check_callback_url(self, url: str) -> str:
        """The URL every attempt will request (normalised, see callback_urls.py), once its
        host, as it will be dialled, is allowed."""
        try:
            sendable = normalise(url)
        except CallbackUrlError as exc:
            raise InvalidRequestError(
                f"callback_url {exc}: {preview(url)}.", "callback_url", kind="validation"
            ) from None
        if not callback_host_allowed(sendable, self.callback_hosts):
            raise InvalidRequestError(
                f"callback_url host {_hostname(sendable)!r} is not allowed by this server "
                f"(allowed: {', '.join(self.callback_hosts)}; see --callback-hosts).",
                "callback_url",
                kind="validation",
            )
        return sendable


def _resolve_model(model: str | None, image_urls: Any) -> str:
    if model == ALIAS:
        return EDIT if isinstance(image_urls, list) and image_urls else TEXT_TO_IMAGE
    return model or TEXT_TO_IMAGE


def callback_host_allowed(url: str, allowed: tuple[str, ...]) -> bool:
    """`loopback` allows localhost and 127.0.0.0/8 and ::1; `*` allows any host; other entries
    are host names or shell patterns (`*.example.test`)."""
    host = _hostname(url)
    if host is None:
        return False
    for entry in allowed:
        if entry == "loopback" and _is_loopback(host):
            return True
        if fnmatch(host, entry.lower()):
            return True
    return False


def _hostname(url: str) -> str | None:
    """The URL's host in lower case; None when it cannot be parsed (`http://[:::]/`)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# "Not whitespace" as ECMAScript and Python agree: \\S differs on \\x1c-\\x1f, \\x85, \\ufeff.
NO_SPACE = r"[^\s\x1c-\x1f\x85\ufeff]"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# Only what normalising keeps as it is (callback_urls.py): no `%`, no empty or overlong label,
# a port from 1 to 65535 in at most 5 digits, so a URL this pattern accepts is never a 400.
_LABEL = "[A-Za-z0-9][A-Za-z0-9_~-]{0,62}(?:\\.[A-Za-z0-9][A-Za-z0-9_~-]{0,62})*"
_PORT = (
    "(?=[0-9]{1,5}(?![0-9]))0*"
    "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
)


def _anycase(text: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in text)


def callback_url_pattern(allowed: tuple[str, ...]) -> str | None:
    """An ECMAScript regex for the callback URLs `allowed` lets through (for the OpenAPI
    document this server serves), or None when any host is allowed."""
    if "*" in allowed:
        return None
    hosts = []
    for entry in allowed:
        if entry == "loopback":
            localhost = _anycase("localhost")
            hosts += [
                f"(?:{_LABEL}\\.)?{localhost}",
                f"127\\.{_OCTET}\\.{_OCTET}\\.{_OCTET}",
                "\\[::1\\]",
                "\\[0:0:0:0:0:0:0:1\\]",
            ]
        else:
            hosts.append(
                "\\.".join(
                    f"{_LABEL}" if part == "*" else _anycase(part) for part in entry.split(".")
                )
            )
    scheme = _anycase("http") + "[Ss]?"
    return f"^{scheme}://(?:{'|'.join(hosts)})(?::{_PORT})?(?:[/?#]{NO_SPACE}*)?$"
