"""Hypothesis properties of request validation over real HTTP: JSON bodies and raw bytes.

What the answer must be comes from request_oracle.py; credits and task states under random use
are in test_ledger_properties.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from request_oracle import (  # tests/http is on sys.path (rootdir mode)
    ALIAS,
    EDIT,
    KEY,
    PROPERTY,
    TEXT_TO_IMAGE,
    check_create,
    contract_accepts,
    property_server,
)
from request_strategies import request_bodies

from mock_server.server import MockServer
from seedream_contracts.client import Client

# -- one server and one client per module ---------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with property_server() as running:
        yield running


@pytest.fixture(scope="module")
def client(server: MockServer) -> Iterator[Client]:
    http = Client(server.base_url, KEY)
    yield http
    http.close()


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
