"""Every way `calibrate` can be asked wrongly ends with one clear line, before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_api import KEY, FakeApi


def _bad_recordings(tmp_path: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "x.jsonl").write_text("{not json\n", "utf-8")
    return folder


CASES = {
    "not a URL": (["--target", "apiin.one", "--api-key", KEY], "not an http(s) URL"),
    "ftp URL": (["--target", "ftp://apiin.one", "--api-key", KEY], "not an http(s) URL"),
    "no key": (["--target", "{url}"], "--target needs a key"),
    "negative budget": (["--target", "{url}", "--api-key", KEY, "--max-credits", "-12"],
                        "--max-credits must be 0 or more"),
    "out in a missing folder": (["--target", "{url}", "--api-key", KEY, "--out",
                                 "{tmp}/no/such/dir/p.json"], "no such directory"),
    "out is a folder": (["--target", "{url}", "--api-key", KEY, "--out", "{tmp}"],
                        "is a directory"),
    "report in a missing folder": (["--from", "{tmp}", "--report", "{tmp}/nope/r"],
                                   "no such directory"),
    "from a missing folder": (["--from", "{tmp}/missing"], "not a directory of recordings"),
    "from an empty folder": (["--from", "{tmp}"], "no *.jsonl recordings"),
    "from unreadable lines": (["--from", "{bad}"], "x.jsonl:1: not an exchange record"),
    "unknown base": (["--from", "{bad}", "--base", "nope"], "no profile 'nope'"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_a_wrong_option_gets_one_line_and_sends_nothing(
    case: str, fake: FakeApi, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEEDREAM_MOCK_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    args, expected = CASES[case]
    values = {"url": fake.url, "tmp": str(tmp_path), "bad": str(_bad_recordings(tmp_path))}
    ran = cli("calibrate", *[a.format(**values) for a in args])
    assert ran.code == 2, (ran.out, ran.err)
    assert ran.err.count("\n") == 1, ran.err
    assert ran.err.startswith("seedream-mock: error: ")
    assert expected in ran.err
    assert fake.requests == 0
    assert KEY not in ran.err


def test_target_and_from_together_are_a_usage_error(cli, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        cli("calibrate", "--target", "http://127.0.0.1:1", "--from", str(tmp_path))
    assert stop.value.code == 2


def test_help_states_the_cost(cli) -> None:
    with pytest.raises(SystemExit):
        cli("calibrate", "--help")


def test_help_text_names_the_price(capsys: pytest.CaptureFixture[str]) -> None:
    from mock_server.cli.main import main

    with pytest.raises(SystemExit):
        main(["calibrate", "--help"])
    assert "12 credits (about $0.12) per paid task" in capsys.readouterr().out
