"""Request validation: the shared fixtures, defaults, the alias, the callback allow-list, and
callback URLs kept in the form they are sent."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.core.callback_urls import CallbackUrlError, ascii_host, normalise
from mock_server.core.errors import InvalidRequestError
from mock_server.core.validation import RequestValidator, callback_host_allowed

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "requests"
VALIDATOR = RequestValidator(3000, ("loopback",))


def load(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return cases


@pytest.mark.parametrize("case", load("invalid"), ids=lambda c: c["description"])
def test_invalid_fixture_is_refused_naming_its_field(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        VALIDATOR.parse(case["body"])
    assert caught.value.param == case["param"]
    assert caught.value.status == 400


@pytest.mark.parametrize("case", load("valid"), ids=lambda c: c["description"])
def test_valid_fixture_is_accepted(case: dict[str, Any]) -> None:
    VALIDATOR.parse(case["body"])


def test_defaults_fill_in_and_text_to_image_drops_image_urls() -> None:
    parsed = VALIDATOR.parse({"prompt": "p", "image_urls": ["http://a.test/x.png"]})
    assert parsed.model == "seedream/4.5-text-to-image"
    assert (parsed.input.aspect_ratio, parsed.input.quality) == ("1:1", "basic")
    assert parsed.input.image_urls == ()


@pytest.mark.parametrize(
    ("image_urls", "model"),
    [
        (["http://a.test/x.png"], "seedream/4.5-edit"),
        ([], "seedream/4.5-text-to-image"),
        (None, "seedream/4.5-text-to-image"),
    ],
)
def test_alias_picks_edit_only_with_images(image_urls: Any, model: str) -> None:
    body = {"prompt": "p", "model": "seedream-4-5", "image_urls": image_urls}
    assert VALIDATOR.parse(body).model == model


def test_first_field_in_order_wins_when_several_are_wrong() -> None:
    body = {"quality": "ultra", "aspect_ratio": "5:4", "model": "x"}
    with pytest.raises(InvalidRequestError) as caught:
        VALIDATOR.parse(body)
    assert caught.value.param == "prompt"
    del body["model"]
    body["prompt"] = "p"
    with pytest.raises(InvalidRequestError) as caught:
        VALIDATOR.parse(body)
    assert caught.value.param == "aspect_ratio"


def test_configured_prompt_cap_applies() -> None:
    small = RequestValidator(10, ("loopback",))
    small.parse({"prompt": "x" * 10})
    with pytest.raises(InvalidRequestError, match="at most 10 characters; got 11"):
        small.parse({"prompt": "x" * 11})


def test_messages_are_sentences_about_the_field() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        VALIDATOR.parse({"prompt": "p", "aspect_ratio": "5:4"})
    assert str(caught.value) == (
        'aspect_ratio must be one of 1:1, 4:3, 3:4, 16:9, 9:16, 2:3, 3:2, 21:9; got "5:4".'
    )


@pytest.mark.parametrize(
    ("url", "allowed", "expected"),
    [
        ("http://127.0.0.1:9000/cb", ("loopback",), True),
        ("http://127.5.6.7/cb", ("loopback",), True),
        ("http://[::1]:80/cb", ("loopback",), True),
        ("http://localhost/cb", ("loopback",), True),
        ("http://hooks.localhost/cb", ("loopback",), True),
        ("http://10.0.0.1/cb", ("loopback",), False),
        ("https://example.com/cb", ("loopback",), False),
        ("https://hooks.example.test/cb", ("*.example.test",), True),
        ("https://example.test/cb", ("*.example.test",), False),
        ("https://anything.test/cb", ("*",), True),
    ],
)
def test_callback_host_allow_list(url: str, allowed: tuple[str, ...], expected: bool) -> None:
    assert callback_host_allowed(url, allowed) is expected


def test_disallowed_callback_host_is_a_400_naming_callback_url() -> None:
    with pytest.raises(InvalidRequestError, match="not allowed") as caught:
        VALIDATOR.parse({"prompt": "p", "callback_url": "https://example.com/hook"})
    assert caught.value.param == "callback_url"


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("http://127.0.0.1:9000/cb?a=1", "http://127.0.0.1:9000/cb?a=1"),  # already sendable
        ("HTTP://LocalHost/cb", "http://localhost/cb"),
        ("http://127.0.0.1/café?q=ü#ä", "http://127.0.0.1/caf%C3%A9?q=%C3%BC#%C3%A4"),
        ("http://127.0.0.1/a%41%zz", "http://127.0.0.1/a%41%25zz"),  # a stray % is a literal
        ("http://127.0.0.1/a\x01[b]", "http://127.0.0.1/a%01%5Bb%5D"),
        ("http://b%C3%BCcher.localhost/", "http://xn--bcher-kva.localhost/"),
        ("http://[0:0:0:0:0:0:0:1]:8080/", "http://[::1]:8080/"),
    ],
)
def test_callback_url_is_kept_in_the_form_it_is_sent(url: str, sent: str) -> None:
    assert VALIDATOR.parse({"prompt": "p", "callback_url": url}).callback_url == sent


def test_non_ascii_host_gets_its_idna_form() -> None:
    # The contract's URL rule refuses a raw non-ASCII host before this step runs; the step
    # itself would dial its IDNA form, as the socket module does.
    assert ascii_host("bücher.localhost") == "xn--bcher-kva.localhost"
    with pytest.raises(CallbackUrlError, match="no IDNA form"):
        ascii_host("a..b.localhost")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:70000/", "port"),
        ("http://127.0.0.1:0/", "port 0"),
        ("http://x%ff.localhost/", "no IDNA form"),
        ("http://a%2f.localhost/", "not a valid name"),
        ("http://127.0.0.1/\ud800", "not valid Unicode"),
        ("http://l%6Fcalhost.example.com/", "'localhost.example.com' is not allowed"),
    ],
)
def test_unsendable_callback_url_is_a_400_saying_why(url: str, reason: str) -> None:
    with pytest.raises(InvalidRequestError, match=reason) as caught:
        VALIDATOR.parse({"prompt": "p", "callback_url": url})
    assert caught.value.param == "callback_url"


@given(st.text(max_size=40), st.text(max_size=20))
def test_every_accepted_callback_url_can_be_put_on_the_wire(path: str, query: str) -> None:
    url = f"http://127.0.0.1:8000/{path}?{query}"
    try:
        sent = VALIDATOR.parse({"prompt": "p", "callback_url": url}).callback_url
    except InvalidRequestError:
        return  # refused at submit, with a reason: fine
    assert sent is not None
    parts = urlsplit(sent)
    target = f"{parts.path}?{parts.query}"
    assert target.isascii()  # what http.client can write in a request line
    assert not re.search(r"[\x00-\x20\x7f]", target)
    assert normalise(sent) == sent  # and it stays as it is
