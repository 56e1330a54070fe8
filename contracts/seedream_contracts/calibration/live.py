"""A live calibration: the free probes, then (budget allowing) one paid task polled to its end.

Money is the point of care. Only ladder bodies can be accepted, and each is sent only after
`Budget.pay()` has confirmed that one more task fits `--max-credits`; a free probe a target
accepts anyway is counted too, and ends the probing. The key is sent only to the target, never
to a result URL's host, and records hold its fingerprint only. A network error ends the run
with what was recorded so far, for the learner.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from seedream_contracts.calibration.exchange import Exchange, Recorder
from seedream_contracts.calibration.inputs import Known, attribute
from seedream_contracts.calibration.learner import PRICE
from seedream_contracts.calibration.probes import (
    BAD_KEY,
    Probe,
    first_paid_body,
    fixed,
    free_probes,
)
from seedream_contracts.calibration.refusals import kind_of
from seedream_contracts.calibration.runs import (
    accepted,
    echoes_of,
    find_task_id,
    result_urls,
    state,
)
from seedream_contracts.client import USER_AGENT, TargetUnreachable

LADDER_STEPS = 24
Say = Callable[[str], None]


class BudgetExceeded(RuntimeError):
    """A create that could be accepted would cost more than --max-credits allows."""


@dataclass
class Budget:
    max_credits: int
    spent: int = 0

    def pay(self) -> None:
        """Reserve one task's credits, or refuse before anything is sent."""
        if self.spent + PRICE > self.max_credits:
            raise BudgetExceeded(
                f"{self.spent} + {PRICE} credits > --max-credits {self.max_credits}"
            )
        self.spent += PRICE


def _exchange_once(
    url: str, method: str, headers: dict[str, str], data: bytes | None, timeout: float
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection, never retried: a create resent after a dropped
    connection could be billed twice, so a network error ends the run instead."""
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.netloc, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target, body=data, headers=headers)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    except (OSError, http.client.HTTPException) as exc:
        raise TargetUnreachable(
            f"{method} {parts.scheme}://{parts.netloc}{parts.path}: {exc}"
        ) from exc
    finally:
        connection.close()


@dataclass
class Session:
    """Sends probes to one target and keeps (and records) every exchange."""

    target: str
    api_key: str
    recorder: Recorder | None = None
    timeout: float = 30.0
    exchanges: list[Exchange] = field(default_factory=list)

    def send(self, probe: Probe) -> Exchange:
        key = {"own": self.api_key, "bad": BAD_KEY, "none": None}[probe.key]
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        data = json.dumps(probe.body).encode() if probe.body is not None else probe.raw
        if data is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        url = self.target.rstrip("/") + probe.path
        started, clock = time.time(), time.perf_counter()
        status, answer_headers, body = _exchange_once(
            url, probe.method, headers, data, self.timeout
        )
        exchange = Exchange.of(
            probe.method,
            probe.path,
            headers,
            data or b"",
            status,
            answer_headers,
            body,
            started=started,
            elapsed_ms=(time.perf_counter() - clock) * 1000,
            note=probe.note,
        )
        self.keep(exchange)
        return exchange

    def keep(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        if self.recorder is not None:
            self.recorder.record(exchange)


@dataclass
class Outcome:
    exchanges: list[Exchange]
    spent: int
    stopped: str = ""  # the network error that ended the run early


def calibrate(
    session: Session,
    budget: Budget,
    poll_timeout: float = 900.0,
    say: Say = lambda line: None,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Probe, then pay for at most what the budget allows, poll, and fetch the result."""
    try:
        for probe in free_probes():
            if accepted(session.send(probe)):
                budget.spent += PRICE
                say(f"a target accepted the free probe {probe.note!r}: {PRICE} credits spent")
                break
        task = next((e for e in session.exchanges if accepted(e)), None)
        if task is None and budget.spent + PRICE <= budget.max_credits:
            task = _ladder(session, budget, say)
        if task is not None:
            _poll(session, task, poll_timeout, say, sleep)
    except TargetUnreachable as exc:
        return Outcome(session.exchanges, budget.spent, str(exc))
    return Outcome(session.exchanges, budget.spent)


def _ladder(session: Session, budget: Budget, say: Say) -> Exchange | None:
    body: dict[str, object] | None = first_paid_body()
    for step in range(1, LADDER_STEPS + 1):
        if body is None:
            break
        budget.pay()
        exchange = session.send(
            Probe(f"paid task, attempt {step}", "POST", "/api/v1/images/generations", body)
        )
        if accepted(exchange):
            say(f"paid task accepted at attempt {step} ({budget.spent} credits spent)")
            return exchange
        budget.spent -= PRICE  # refused: nothing was billed
        if kind_of(exchange) != "validation":
            say(f"the paid task was refused with HTTP {exchange.status}; not retried")
            return None
        body = fixed(body, attribute(exchange, Known.of(session.exchanges)))
    return None


def _poll(
    session: Session, create: Exchange, timeout: float, say: Say, sleep: Callable[[float], None]
) -> None:
    found = find_task_id(create.response_json)
    assert found is not None
    task_id, request = found[1], create.request_json or {}
    deadline, interval, documents = time.monotonic() + timeout, 0.5, []
    while True:
        exchange = session.send(Probe("poll", "GET", f"/api/v1/tasks/{task_id}"))
        if exchange.status == 200 and isinstance(exchange.response_json, dict):
            documents.append(exchange.response_json)
        elif exchange.status != 404 or documents:
            say(f"polling stopped: HTTP {exchange.status}")
            return
        if state(documents, request, task_id) is not None:
            break
        if time.monotonic() + interval > deadline:
            say(f"the task did not end within --poll-timeout {timeout:g} s")
            return
        sleep(interval)
        interval = min(interval * 1.5, 5.0)
    urls = result_urls(documents[-1], echoes_of(request, task_id))
    if urls:
        _download(session, urls[0])


def _download(session: Session, url: str) -> None:
    """GET the first result without the key (its host may be a CDN); keep its size only."""
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    started, clock = time.time(), time.perf_counter()
    status, answer_headers, body = _exchange_once(url, "GET", headers, None, session.timeout)
    exchange = Exchange.of(
        "GET",
        urlsplit(url).path,
        headers,
        b"",
        status,
        answer_headers,
        b"",
        started=started,
        elapsed_ms=(time.perf_counter() - clock) * 1000,
        note="result download",
    )
    kind = answer_headers.get("content-type", "")
    png = body[:8] == b"\x89PNG\r\n\x1a\n"
    exchange.extra.update({"bytes": len(body), "content_type": kind, "png": png})
    session.keep(exchange)
