"""A journal row in the state file reads back as the entry written, in today's array form and
in the object form rows had before it."""

from __future__ import annotations

import json

from mock_server.journal.records import Recorded
from mock_server.state.journaled import _FIELDS, _doc, _entry

ENTRY = Recorded(
    1_800_000_000.5,
    1_800_000_001.25,
    "POST",
    "/api/v1/images/generations",
    "a=1",
    [(b"Host", b"127.0.0.1:8080"), (b"X-Caf\xe9", b"\xe9t\xe9")],
    b'{"prompt": "a fox"}',
    19,
    200,
    [("Content-Type", "application/json"), ("Seedream-Mock-Portability", "model-missing")],
    b'{"code":200}',
    12,
    "n30abc_seed",
    ("slow",),
    [{"code": "model-missing", "param": "model", "message": "no model given"}],
    0.0042,
)


def test_a_row_reads_back_as_written() -> None:
    assert _entry(_doc(ENTRY), ENTRY.body, ENTRY.answer_body) == ENTRY


def test_a_row_in_the_earlier_object_form_reads_the_same() -> None:
    array = json.loads(_doc(ENTRY))
    assert len(array) == len(_FIELDS)
    earlier = json.dumps(dict(zip(_FIELDS, array, strict=True)))
    assert _entry(earlier, ENTRY.body, ENTRY.answer_body) == ENTRY
