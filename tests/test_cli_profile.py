"""`--profile` on the command line: refused at start in one line that names where it was written
and the shipped profiles; served in its dialect; `openapi --profile` prints that dialect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import (  # tests/ is on sys.path (rootdir import mode)
    _config_error,
    _run,
    _serving,
    _submit,
)

SHIPPED_LIST = "default, kie, strict"
# Each way a profile is refused (a `bad_files` name, None: an unknown name) and the words said.
BAD_PROFILES = [
    (None, "no profile 'nope'"),
    ("not_json", "not readable JSON"),
    ("invalid", "'answers' is a required property"),
    ("backwards", "MIN must not be above MAX"),
]


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    not_json = tmp_path / "not-json.json"
    not_json.write_text("{nope", "utf-8")
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"name": "x", "statuses": {}}), "utf-8")
    backwards = tmp_path / "backwards.json"
    backwards.write_text(
        json.dumps(
            {
                "name": "b",
                "extends": "default",
                "timing": {"pending_seconds": 1, "processing_seconds": [9, 2]},
            }
        ),
        "utf-8",
    )
    return {"not_json": not_json, "invalid": invalid, "backwards": backwards}


@pytest.mark.parametrize(("file", "words"), BAD_PROFILES)
def test_a_bad_profile_flag_is_one_line_naming_it_and_the_shipped_profiles(
    bad_files: dict[str, Path], file: str | None, words: str
) -> None:
    spec = "nope" if file is None else str(bad_files[file])
    stderr = _config_error(_run("serve", "--profile", spec))
    assert stderr.startswith(f"seedream-mock: error: --profile {spec}: "), stderr
    assert words in stderr
    assert SHIPPED_LIST in stderr
    assert stderr.count("\n") == 1, stderr


@pytest.mark.parametrize("variable", ["SEEDREAM_MOCK_PROFILE", "MOCK_PROFILE"])
def test_a_bad_profile_variable_is_named_as_written(variable: str) -> None:
    stderr = _config_error(_run("serve", env={variable: "kei"}))
    assert stderr.startswith(f"seedream-mock: error: {variable}=kei: no profile 'kei'"), stderr


def test_a_bad_profile_in_the_config_file_names_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('profile = "lenient"\n', "utf-8")
    stderr = _config_error(_run("serve", "--config", str(config)))
    assert f"config file {config}: profile = 'lenient': no profile 'lenient'" in stderr


def test_the_profile_variable_is_served_and_shown_in_the_banner() -> None:
    with _serving("--port", "0", env={"SEEDREAM_MOCK_PROFILE": "kie"}) as served:
        assert "  profile:     kie" in served.banner
        status, answer = _submit(served.port)
    assert status == 200
    assert set(answer) == {"code", "msg", "data"}
    assert set(answer["data"]) == {"taskId"}


def test_openapi_prints_the_profiles_dialect() -> None:
    printed = _run("openapi", "--profile", "kie")
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert "resultJson" in json.dumps(document["components"]["schemas"]["task"])
    from_env = _run("openapi", env={"SEEDREAM_MOCK_PROFILE": "strict"})
    assert "x_unannounced" in json.dumps(json.loads(from_env.stdout)["components"])
    plain = json.loads(_run("openapi").stdout)
    assert "resultJson" not in json.dumps(plain)


def test_openapi_refuses_an_unknown_profile_naming_it() -> None:
    stderr = _config_error(_run("openapi", "--profile", "nope"))
    assert stderr.startswith("seedream-mock: error: --profile nope: no profile 'nope'"), stderr


def test_serve_help_explains_the_profile_flag() -> None:
    help_text = _run("serve", "--help").stdout
    assert "--profile NAME|FILE" in help_text
    assert "GET /_mock/profile" in help_text


def test_profile_list_names_every_shipped_profile_with_its_purpose() -> None:
    listed = _run("profile", "list")
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == SHIPPED_LIST.split(", ")
    assert all(len(line.split(maxsplit=1)[1]) > 20 for line in listed.stdout.splitlines())


def test_profile_show_prints_a_document_that_serves_as_a_file(tmp_path: Path) -> None:
    shown = _run("profile", "show", "kie")
    assert shown.returncode == 0, shown.stderr
    mine = tmp_path / "mine.json"
    document = json.loads(shown.stdout)
    document["name"] = "mine"
    document["statuses"]["completed"] = "done"
    mine.write_text(json.dumps(document), "utf-8")
    checked = _run("profile", "validate", str(mine))
    assert checked.returncode == 0, checked.stderr
    assert "profile 'mine', statuses waiting → generating → done | fail" in checked.stdout


@pytest.mark.parametrize(("file", "words"), BAD_PROFILES)
def test_profile_validate_refuses_what_serve_would_refuse(
    bad_files: dict[str, Path], file: str | None, words: str
) -> None:
    spec = "nope" if file is None else str(bad_files[file])
    checked = _run("profile", "validate", spec)
    assert checked.returncode == 2
    assert words in checked.stderr
    assert "Traceback" not in checked.stderr
