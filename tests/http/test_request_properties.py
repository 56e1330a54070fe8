"""Hypothesis properties of request validation, credits and task states over real HTTP."""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from ledger_audit import audit, check_tasks  # tests/http is on sys.path (rootdir mode)

from mock_server.server import MockServer
from mock_server.settings.config import Settings
from seedream_contracts.client import Client, Reply
from seedream_contracts.loader import validator

KEY = "aio_prop"
FIELDS = ("prompt", "model", "aspect_ratio", "quality", "image_urls", "callback_url")
TEXT_TO_IMAGE, EDIT, ALIAS = "seedream/4.5-text-to-image", "seedream/4.5-edit", "seedream-4-5"
MODELS = (TEXT_TO_IMAGE, EDIT, ALIAS)
RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "21:9")
QUALITIES = ("basic", "high")
# Fixed durations, so that a failing state-machine run replays identically while it shrinks.
PENDING_SECONDS, PROCESSING_SECONDS = 1.0, (4.0, 4.0)
PRICE = 12
LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
LOOPBACK_V6 = ipaddress.ip_address("::1")
_HOST = re.compile(r"^[A-Za-z]+://(\[[^\]]*\]|[^:/?#]*)")
_PORT = re.compile(r"^[A-Za-z]+://(?:\[[^\]]*\]|[^:/?#]*):([0-9]+)")

PROPERTY = settings(max_examples=150, deadline=None)


# -- one server and one client per module ---------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    config = Settings(
        port=0,
        clock="manual",  # nothing moves unless a test advances the clock
        seed=20261124,
        keys={KEY: 10_000_000},  # 402 never gets in the way of the validation properties
        pending_seconds=PENDING_SECONDS,
        processing_seconds=PROCESSING_SECONDS,
        price=PRICE,
    )
    with MockServer(config) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: MockServer) -> Iterator[Client]:
    http = Client(server.base_url, KEY)
    yield http
    http.close()


# -- the oracle: the contract schema plus the callback-host rule ----------------------------


def _is_loopback(host: str) -> bool:
    """localhost, *.localhost, 127.0.0.0/8 and ::1 (`--callback-hosts loopback`, the default)."""
    host = host.lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return address in LOOPBACK_V4
    return address == LOOPBACK_V6


def _sendable_host(host: str) -> str | None:
    """The host as dialled (README: percent-escapes decoded, IDNA), or None if it has none."""
    if host.startswith("["):
        return host
    try:
        dialled = unquote(host, errors="strict").encode("idna").decode().lower()
    except UnicodeError:
        return None
    return dialled if re.fullmatch(r"[a-z0-9._~-]+", dialled) else None


def _callback_refused(body: dict[str, Any]) -> bool:
    url = body.get("callback_url")
    if not isinstance(url, str):
        return False
    found = _HOST.match(url)
    host = None if found is None else _sendable_host(found.group(1))
    port = _PORT.match(url)
    if port is not None and not 1 <= int(port.group(1)) <= 65535:
        return True
    return host is None or not _is_loopback(host)


def contract_accepts(body: Any) -> bool:
    """True when the request schema and the loopback-only callback rule both accept `body`."""
    if not validator("generation_request").is_valid(body):
        return False
    return not _callback_refused(body)


def fields_at_fault(body: dict[str, Any]) -> set[str]:
    """Every field the contract says is wrong in an object body (any of them may be reported)."""
    found: set[str] = set()
    for error in validator("generation_request").iter_errors(body):
        if error.absolute_path:
            found.add(str(error.absolute_path[0]))
        elif error.validator == "required":
            required: list[str] = list(error.validator_value)
            found.update(f for f in required if f not in body)
    if _callback_refused(body):
        found.add("callback_url")
    return found


def resolved_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model == ALIAS:
        urls = body.get("image_urls")
        return EDIT if isinstance(urls, list) and urls else TEXT_TO_IMAGE
    return str(model or TEXT_TO_IMAGE)


def check_rejection(reply: Reply, body: Any) -> None:
    """A 400 in the error envelope whose `param` names a field at fault (null for non-objects)."""
    error = reply.expect(400, "error")["error"]
    assert error["code"] == 400
    assert error["type"] == "invalid_request_error"
    if isinstance(body, dict):
        assert error["param"] in fields_at_fault(body), (error, body)
    else:
        assert error["param"] is None, error


def check_acceptance(client: Client, reply: Reply, body: dict[str, Any]) -> None:
    """A create answer, and a readable pending task that echoes the normalized request."""
    task_id = reply.expect(200, "create_response")["data"]["task_id"]
    task = client.task(task_id).expect(200, "task")["data"]
    model = resolved_model(body)
    assert task["task_id"] == task_id
    assert task["model"] == model
    assert task["status"] == "pending"
    assert task["input"] == {
        "prompt": body["prompt"],
        "aspect_ratio": body.get("aspect_ratio") or "1:1",
        "quality": body.get("quality") or "basic",
        "image_urls": list(body["image_urls"]) if model == EDIT else [],
    }


def check_create(client: Client, body: Any) -> int:
    """POST `body` and check the answer against the oracle; returns the HTTP status."""
    reply = client.create(body)
    assert reply.status < 500, f"{reply.status} for {body!r}: {reply.body[:300]!r}"
    if contract_accepts(body):
        check_acceptance(client, reply, body)
    else:
        check_rejection(reply, body)
    return reply.status


# -- strategies -------------------------------------------------------------------------------
# Lone surrogates ("\ud800") and bracketed hosts that are not IPv6 ("http://[1]/") are included
# on purpose: both once made the server answer 500 (see test_known_edge_bodies_*).

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.text(st.characters(categories=["Cs"]) | st.characters(), max_size=6)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
wrong_types: st.SearchStrategy[Any] = st.sampled_from([None, 0, 1.5, True, [], {}, ["x"], {"a": 1}])


def near_misses(choices: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Strings that look like one of `choices` but are not; plus the wrong types."""
    misses = sorted(
        {
            variant
            for c in choices
            for variant in (c.upper(), c.title(), f" {c}", f"{c} ", c[:-1], c.replace("/", "-"))
            if variant not in choices
        }
        | {"", "seedream/4.5", "seedream-4.5", "1x1", "1:1:1", "medium", "4k"}
    )
    return st.sampled_from(misses) | wrong_types


valid_prompts = st.text(min_size=1, max_size=40).filter(
    lambda s: not s.isspace()
) | st.sampled_from(
    ["a red fox in snow", "x" * 3000, "é" * 3000, "\U0001f98a" * 3000, " padded ", "日本語"]
)
bad_prompts = (
    st.sampled_from(["", " ", "\t\n ", "\u3000"])
    | st.integers(3001, 3003).map(lambda n: "x" * n)
    | st.just("é" * 3001)
    | wrong_types
)

# Host pools: each host is good for image_urls; only the loopback ones pass as callback hosts.
loopback_hosts = [
    "localhost",
    "LOCALHOST",
    "app.localhost",
    "a.b.LocalHost",
    "127.0.0.1",
    "127.255.255.254",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
]
remote_hosts = [
    "example.com",
    "cdn.example.org",
    "localhost.example.com",
    "notlocalhost",
    "localhost.",
    "128.0.0.1",
    "10.0.0.1",
    "0.0.0.0",
    "169.254.169.254",
    "127.1",
    "[::2]",
    "[fe80::1]",
    "[::ffff:127.0.0.1]",
    "loc%61lhost",
    "[127.0.0.1]",
    "[1]",
    "[:::::]",
]
ports = st.sampled_from(["", ":9", ":8080", ":65535", ":99999"])
# Accepted callbacks may be called once another test advances the shared clock: point them at
# ports where nothing should listen (9 is "discard"; 99999 cannot be dialled at all).
quiet_ports = st.sampled_from([":9", ":99999"])
paths = st.sampled_from(
    ["", "/", "/cb", "/hook?x=1&y=2", "#frag", "/a.png", "/files/n30x_seed/0.png"]
)
schemes = st.sampled_from(["http", "https", "HTTP", "Https"])


def urls(hosts: list[str], port: st.SearchStrategy[str] = ports) -> st.SearchStrategy[str]:
    return st.builds(
        lambda s, h, p, q: f"{s}://{h}{p}{q}", schemes, st.sampled_from(hosts), port, paths
    )


good_image_urls = urls(loopback_hosts + remote_hosts)
loopback_callbacks = urls(loopback_hosts, quiet_ports)
remote_callbacks = urls(remote_hosts)
bad_urls = (
    st.sampled_from(
        [
            "",
            "ftp://example.com/a.png",
            "example.com/a.png",
            "//example.com/a.png",
            "https://",
            "https:///a.png",
            "http://exa mple.com/",
            "https://user@example.com/",
            "https://例え.jp/",
            "javascript:alert(1)",
            "http://localhost\n",
            " http://localhost/",
            "https://-x.com/",
            "https://example.com/" + "a" * 2029,
            "file:///etc/passwd",
            "http://localhost:123456/",
        ]
    )
    | wrong_types
)
longest_url = st.just("https://example.com/" + "a" * 2028)  # exactly 2048 characters

good_url_lists = st.lists(good_image_urls | longest_url, min_size=1, max_size=14)
bad_url_lists: st.SearchStrategy[Any] = (
    st.just([])
    | st.lists(good_image_urls, min_size=15, max_size=15)
    | st.lists(good_image_urls | bad_urls, min_size=1, max_size=4)
    | good_image_urls  # a single URL, not a list
)

VALID_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "prompt": valid_prompts,
    "model": st.sampled_from([*MODELS, None]),
    "aspect_ratio": st.sampled_from([*RATIOS, None]),
    "quality": st.sampled_from([*QUALITIES, None]),
    "image_urls": good_url_lists,
    "callback_url": loopback_callbacks | st.none(),
}
SCHEMA_VALID_CALLBACKS = loopback_callbacks | remote_callbacks | st.none()
WRONG_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "prompt": bad_prompts,
    "model": near_misses(MODELS),
    "aspect_ratio": near_misses(RATIOS),
    "quality": near_misses(QUALITIES),
    "image_urls": bad_url_lists,
    "callback_url": remote_callbacks | bad_urls,
}
extra_keys = st.dictionaries(
    st.text(max_size=12).filter(lambda k: k not in FIELDS)
    | st.sampled_from(["Prompt", "n", "size"]),
    json_values,
    max_size=3,
)


@st.composite
def schema_valid_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A body the schema accepts (edit with its image URLs); its callback host may be remote."""
    body: dict[str, Any] = {"prompt": draw(valid_prompts)}
    for name in ("model", "aspect_ratio", "quality"):
        if draw(st.booleans()):
            body[name] = draw(VALID_VALUES[name])
    if draw(st.booleans()):
        body["callback_url"] = draw(SCHEMA_VALID_CALLBACKS)
    if body.get("model") == EDIT or draw(st.booleans()):
        body["image_urls"] = draw(good_url_lists)
    elif body.get("model") in (ALIAS, None) and draw(st.booleans()):
        body["image_urls"] = draw(st.sampled_from([[], None]))
    body.update(draw(extra_keys))
    return body


@st.composite
def one_fault_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid body with one field broken, removed or set to arbitrary JSON."""
    body = draw(schema_valid_bodies())
    name = draw(st.sampled_from(FIELDS))
    how = draw(st.sampled_from(["wrong", "wrong", "remove", "arbitrary"]))
    if how == "remove":
        body.pop(name, None)
    else:
        body[name] = draw(WRONG_VALUES[name] if how == "wrong" else json_values)
    return body


@st.composite
def wild_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Any subset of the fields, each valid, nearly valid or arbitrary, plus extra keys."""
    body: dict[str, Any] = {}
    for name in FIELDS:
        if draw(st.integers(0, 3)) == 0:
            continue
        body[name] = draw(st.one_of(VALID_VALUES[name], WRONG_VALUES[name], json_values))
    body.update(draw(extra_keys))
    return body


request_bodies = st.one_of(
    schema_valid_bodies(),
    schema_valid_bodies(),
    one_fault_bodies(),
    one_fault_bodies(),
    wild_bodies(),
    json_scalars | st.lists(json_values, max_size=4),  # valid JSON, not an object
)


# -- 1. JSON bodies ---------------------------------------------------------------------------


EDIT_URL = "https://example.com/in.png"


@PROPERTY
@given(body=request_bodies)
@example(body={"prompt": "x" * 3000})
@example(body={"prompt": "x" * 3001})
@example(body={"prompt": " \n"})
@example(body={"model": TEXT_TO_IMAGE})
@example(body={"prompt": "x", "model": EDIT})
@example(body={"prompt": "x", "model": EDIT, "image_urls": [EDIT_URL] * 14})
@example(body={"prompt": "x", "model": EDIT, "image_urls": [EDIT_URL] * 15})
@example(body={"prompt": "x", "model": ALIAS, "image_urls": [EDIT_URL]})
@example(body={"prompt": "x", "model": ALIAS, "image_urls": []})
@example(body={"prompt": "x", "model": TEXT_TO_IMAGE, "image_urls": "not a list"})
@example(body={"prompt": "x", "callback_url": "http://example.com/cb"})
@example(body={"prompt": "x", "callback_url": "http://127.0.0.1:9/cb"})
@example(body={"prompt": "x", "callback_url": "ftp://localhost/cb"})
@example(body=["prompt", "x"])
def test_create_answers_200_exactly_when_schema_and_callback_rule_accept(
    client: Client, body: Any
) -> None:
    event(f"HTTP {check_create(client, body)}")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"prompt": "x", "callback_url": "http://[127.0.0.1]/"},
            id="bracketed-ipv4-callback-host",
        ),
        pytest.param(
            {"prompt": "x", "callback_url": "http://[1]/"},
            id="bracketed-garbage-callback-host",
        ),
        pytest.param(
            {"prompt": ["\ud800"]},
            id="lone-surrogate-in-rejected-prompt",
        ),
        pytest.param(
            {"prompt": "x", "callback_url": "\udfff"},
            id="lone-surrogate-in-rejected-callback-url",
        ),
        pytest.param(
            {"prompt": "a \ud83e fox"},
            id="lone-surrogate-in-accepted-prompt",
        ),
        pytest.param({"prompt": "x", "callback_url": "http://[:::::]/"}, id="unparseable-ipv6"),
        pytest.param({"prompt": "x", "callback_url": "http://[::1]:9/cb"}, id="bracketed-ipv6"),
        pytest.param({"prompt": "a \U0001f98a fox"}, id="astral-char-sent-as-escaped-pair"),
    ],
)
def test_known_edge_bodies_get_the_contract_answer(client: Client, body: Any) -> None:
    check_create(client, body)


# -- 2. arbitrary bytes -----------------------------------------------------------------------

JSON_TYPES = ("application/json", "application/json; charset=utf-8")
content_types = st.sampled_from(
    [*JSON_TYPES, "text/plain", "application/x-www-form-urlencoded", None]
)
BOM = b"\xef\xbb\xbf"


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


@st.composite
def mutated_json(draw: st.DrawFn) -> bytes:
    """Serialized request bodies, then cut, spliced, re-encoded or wrapped."""
    raw = json.dumps(draw(request_bodies), ensure_ascii=draw(st.booleans())).encode("utf-8")
    how = draw(st.sampled_from(["as-is", "cut", "insert", "replace", "bom", "utf-16", "latin-1"]))
    at = draw(st.integers(0, len(raw)))
    junk = draw(st.binary(min_size=1, max_size=3))
    if how == "cut":
        return raw[:at]
    if how == "insert":
        return raw[:at] + junk + raw[at:]
    if how == "replace":
        return raw[:at] + junk + raw[at + len(junk) :]
    if how == "bom":
        return BOM + raw
    if how in ("utf-16", "latin-1"):
        return raw.decode("utf-8").encode(how, errors="replace")
    return raw


json_tokens = st.lists(
    st.sampled_from(
        [
            b"{",
            b"}",
            b"[",
            b"]",
            b":",
            b",",
            b" ",
            b"\n",
            b'"',
            b'"prompt"',
            b'"model"',
            b'"x"',
            b'"\\u00e9"',
            b"NaN",
            b"Infinity",
            b"-Infinity",
            b"1e999",
            b"-0",
            b"null",
            b"true",
            b"\xff",
            b"\xc3",
            b"\x00",
            b"\\",
        ]
    ),
    max_size=30,
).map(b"".join)
raw_bodies = st.one_of(st.binary(max_size=300), mutated_json(), json_tokens)


def statuses_for(raw: bytes, content_type: str | None) -> set[int]:
    """The statuses the contract allows for these bytes under this Content-Type."""
    if content_type not in JSON_TYPES:
        return {200, 400}  # whether other media types are refused is not pinned by the contract
    if raw.startswith(BOM):  # RFC 8259 §8.1: a parser MAY ignore a byte order mark
        return {400} | statuses_for(raw[len(BOM) :], content_type)
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, NaN/Infinity, too deep
        return {400}
    return {200} if contract_accepts(body) else {400}


@PROPERTY
@given(raw=raw_bodies, content_type=content_types)
def test_any_bytes_get_a_json_envelope_and_never_a_5xx(
    client: Client, raw: bytes, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    reply = client.request("POST", "/api/v1/images/generations", data=raw, headers=headers)
    event(f"HTTP {reply.status}")
    assert reply.status < 500, f"{reply.status} for {raw!r}: {reply.body[:300]!r}"
    assert reply.status in statuses_for(raw, content_type), (raw, content_type, reply.body)
    if reply.status == 200:
        reply.expect(200, "create_response")
    else:
        assert reply.expect(reply.status, "error")["error"]["type"] == "invalid_request_error"


# -- 3. credits and task states under random use ----------------------------------------------

CREDITS = 60  # five tasks' worth: 402 comes up often
RANK = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}
TERMINAL = ("completed", "failed")
SLACK = 1e-3  # float error of the server's epoch clock; keeps the timing checks off boundaries
_runs = itertools.count()


@dataclass
class Seen:
    """What the test knows about one task: its key, when it was made, its last polled status."""

    key: str
    created: float
    status: str = "pending"


class LedgerMachine(RuleBasedStateMachine):
    """Submits, advances the manual clock and polls, with fresh keys each run."""

    base_url: ClassVar[str] = ""
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.http = Client(self.base_url, None)
        run = next(_runs)
        self.keys = [f"aio_ledger_{run}_{i}" for i in range(3)]
        self.clients = {key: self.http.with_key(key) for key in self.keys}
        for key in self.keys:
            body = {"key": key, "credits": CREDITS}
            self.http.request("POST", "/_mock/keys", json_body=body).expect_json(200)
        self.now = 0.0  # seconds advanced since this run began
        self.seen: dict[str, Seen] = {}

    def teardown(self) -> None:
        self.http.close()

    def _committed(self, key: str) -> int:
        return PRICE * sum(1 for s in self.seen.values() if s.key == key and s.status != "failed")

    @rule(
        target=tasks,
        owner=st.integers(0, 2),
        prompt=st.sampled_from(["a fox", "a lighthouse at dusk"]),
        quality=st.sampled_from(QUALITIES),
        ratio=st.sampled_from(RATIOS),
    )
    def submit(self, owner: int, prompt: str, quality: str, ratio: str) -> Any:
        key = self.keys[owner]
        body = {"prompt": prompt, "quality": quality, "aspect_ratio": ratio}
        reply = self.clients[key].create(body)
        if self._committed(key) + PRICE > CREDITS:
            error = reply.expect(402, "error")["error"]
            assert error["type"] == "insufficient_credits"
            return multiple()
        task_id: str = reply.expect(200, "create_response")["data"]["task_id"]
        assert task_id not in self.seen
        self.seen[task_id] = Seen(key, self.now)
        return task_id

    @rule(seconds=st.integers(0, 15) | st.floats(0, 15))
    def advance(self, seconds: float) -> None:
        reply = self.http.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds})
        reply.expect_json(200)
        self.now += seconds

    @rule(task_id=tasks)
    def poll(self, task_id: str) -> None:
        self._poll(task_id)

    @rule(task_id=tasks, shift=st.integers(1, 2))
    def poll_with_another_key(self, task_id: str, shift: int) -> None:
        owner = self.keys.index(self.seen[task_id].key)
        other = self.clients[self.keys[(owner + shift) % 3]]
        assert other.task(task_id).expect(404, "error")["error"]["type"] == "not_found_error"

    def _poll(self, task_id: str) -> None:
        seen = self.seen[task_id]
        task = self.clients[seen.key].task(task_id).expect(200, "task")["data"]
        status = task["status"]
        assert RANK[status] >= RANK[seen.status], f"{task_id}: {seen.status} -> {status}"
        if seen.status in TERMINAL:
            assert status == seen.status, f"{task_id}: {seen.status} -> {status}"
        elapsed = self.now - seen.created
        low, high = PROCESSING_SECONDS
        if elapsed < PENDING_SECONDS - SLACK:
            assert status == "pending", (task_id, elapsed, status)
        if elapsed > PENDING_SECONDS + SLACK:
            assert status != "pending", (task_id, elapsed, status)
        if elapsed < PENDING_SECONDS + low - SLACK:
            assert status not in TERMINAL, (task_id, elapsed, status)
        if elapsed > PENDING_SECONDS + high + SLACK:
            assert status in TERMINAL, (task_id, elapsed, status)
        assert task["credits_consumed"] == (PRICE if status == "completed" else 0)
        assert (task["progress"] == 100) == (status == "completed"), task
        seen.status = status

    @invariant()
    def ledgers_balance_and_match_the_tasks(self) -> None:
        for task_id, seen in self.seen.items():
            if seen.status not in TERMINAL:
                self._poll(task_id)
        for key in self.keys:
            ledger = self.http.request("GET", f"/_mock/keys/{key}").expect_json(200)["data"]
            # Replayed from its entries, the key's balance is what the ledger reports, and
            # each task's hold is open, captured or released as the task API says.
            statuses = {t: s.status for t, s in self.seen.items() if s.key == key}
            check_tasks(audit(ledger), statuses)
            mine = [s.status for s in self.seen.values() if s.key == key]
            assert ledger["granted"] == CREDITS
            assert ledger["held"] == PRICE * sum(1 for s in mine if s not in TERMINAL), ledger
            assert ledger["spent"] == PRICE * mine.count("completed"), ledger


def test_credits_balance_and_task_states_only_move_forward(server: MockServer) -> None:
    class Machine(LedgerMachine):
        base_url = server.base_url

    run_state_machine_as_test(
        Machine, settings=settings(max_examples=20, stateful_step_count=25, deadline=None)
    )
