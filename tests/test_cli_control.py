"""The control API is never open to other hosts by accident: on a non-loopback bind it needs a
token (generated and printed when none is given); `--insecure-control` opts out, loudly.

The servers bind 0.0.0.0 (the case that matters) and are reached through 127.0.0.1, so no
traffic leaves this host.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
from collections.abc import Iterator

from cli_support import CLI, ROOT, STOP_TIMEOUT, Served, _env, _read_banner, _request

from seedream_contracts.receiver import WebhookReceiver

ANY_URL_LINE = re.compile(
    r"^seedream-mock \S+ serving the Seedream 4\.5 API at http://(\S+):(\d+)$"
)
TOKEN_LINE = re.compile(r"^ +needs X-Mock-Token: (\S+)$", re.MULTILINE)


@contextlib.contextmanager
def _serving_anywhere(*args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """`serve ARGS` on whatever host it binds; yields once the banner is out. Always reaped."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [*CLI, "serve", "--port", "0", "--clock", "manual", *args],
            cwd=ROOT,
            env=_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            bufsize=0,
        )
        try:
            served = Served(proc, stderr, banner=_read_banner(proc))
            match = ANY_URL_LINE.match(served.banner.splitlines()[0] if served.banner else "")
            assert match, f"no server:\n{served.banner}\n{served.stderr_text()}"
            served.url, served.port = f"http://127.0.0.1:{match[2]}", int(match[2])
            yield served
        finally:
            proc.terminate()
            proc.wait(timeout=STOP_TIMEOUT)
            assert proc.stdout is not None
            proc.stdout.close()


def test_a_non_loopback_bind_needs_the_token_it_prints() -> None:
    """The SSRF path from another host: submit with a loopback callback_url, complete the task
    through the control API, read the receiver's answer from the delivery log. Without the
    token, the control half of it is refused; the public API and /_mock/health stay open."""
    with WebhookReceiver() as hooks, _serving_anywhere("--host", "0.0.0.0") as served:
        body = {"prompt": "a fox", "callback_url": hooks.url}
        status, answer = _request(served.port, "POST", "/api/v1/images/generations", body)
        assert status == 200, answer
        task_id = answer["data"]["task_id"]
        for method, path in [
            ("POST", f"/_mock/tasks/{task_id}/complete"),
            ("GET", "/_mock/webhooks/deliveries"),
            ("GET", "/_mock/keys"),
        ]:
            status, answer = _request(served.port, method, path, key=None)
            assert status == 401, (path, answer)
            assert "X-Mock-Token" in answer["error"]["message"]
        assert hooks.received == []
        status, answer = _request(served.port, "GET", "/_mock/health", key=None)
        assert status == 200, answer
        match = TOKEN_LINE.search(served.banner)
        assert match, served.banner
        token = {"X-Mock-Token": match[1]}
        path = f"/_mock/tasks/{task_id}/complete"
        status, answer = _request(served.port, "POST", path, headers=token, key=None)
        assert status == 200, answer
        assert len(hooks.wait(1)) == 1


def test_a_token_given_on_a_non_loopback_bind_is_required_but_never_printed() -> None:
    with _serving_anywhere("--host", "0.0.0.0", "--control-token", "s3cret") as served:
        assert "s3cret" not in served.banner
        assert TOKEN_LINE.search(served.banner) is None
        status, _ = _request(served.port, "GET", "/_mock/clock", key=None)
        assert status == 401
        right = {"X-Mock-Token": "s3cret"}
        status, _ = _request(served.port, "GET", "/_mock/clock", headers=right, key=None)
        assert status == 200


def test_insecure_control_opts_out_with_a_warning_in_the_banner_and_on_stderr() -> None:
    with _serving_anywhere("--host", "0.0.0.0", "--insecure-control") as served:
        assert "WARNING: open to every host, no token (--insecure-control)" in served.banner
        assert TOKEN_LINE.search(served.banner) is None
        status, answer = _request(served.port, "GET", "/_mock/clock", key=None)
        assert status == 200, answer
        warning = served.stderr_text()
    assert "seedream-mock: warning: --insecure-control: the control API needs no token" in warning


def test_a_loopback_bind_needs_no_token_and_prints_none() -> None:
    with _serving_anywhere("--host", "127.0.0.1") as served:
        assert "X-Mock-Token" not in served.banner
        assert "WARNING" not in served.banner
        status, answer = _request(served.port, "GET", "/_mock/clock", key=None)
        assert status == 200, answer
        assert "warning" not in served.stderr_text()
