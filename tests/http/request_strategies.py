"""Hypothesis strategies for request bodies: valid, one field wrong, or anything at all."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from request_oracle import ALIAS, EDIT, FIELDS, MODELS, QUALITIES, RATIOS

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
