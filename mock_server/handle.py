"""What a test holds: the mock's URL and key, and its levers (clock, credits, faults, tasks,
deliveries) as plain method calls. In-process, so a lever costs microseconds, not a request."""

from __future__ import annotations

from typing import Any

from mock_server.core.tasks import Status, TaskError
from mock_server.faults import scenarios
from mock_server.server import MockServer
from mock_server.settings.config import DEFAULT_KEY
from mock_server.webhooks.records import DeliveryState
from seedream_contracts.client import Client, Reply
from seedream_contracts.profiles import schemas


def _check_choice(name: str, value: str | None, allowed: set[str]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(sorted(allowed))}; got {value!r}")


class Clock:
    def __init__(self, server: MockServer) -> None:
        self._control = server.control

    def advance(self, seconds: float) -> None:
        """Move time forward; every transition and webhook attempt due on the way happens."""
        if seconds < 0:
            raise ValueError("time never goes back: seconds must be >= 0")
        self._control.advance_clock(seconds)

    def set(self, mode: str, speed: float | None = None) -> None:
        self._control.set_clock(mode, speed)

    @property
    def now(self) -> str:
        return str(self._control.clock_document()["now"])

    @property
    def mode(self) -> str:
        return str(self._control.clock_document()["mode"])


class Credits:
    def __init__(self, server: MockServer) -> None:
        self._control = server.control

    def grant(self, amount: int, key: str = DEFAULT_KEY) -> None:
        self._control.grant(key, amount)

    def balance(self, key: str = DEFAULT_KEY) -> int:
        return int(self._control.ledger(key)["available"])

    def ledger(self, key: str = DEFAULT_KEY) -> dict[str, Any]:
        return self._control.ledger(key)

    def create_key(self, key: str, credits: int) -> None:
        """A new key with this grant (open mode also makes keys on their first request)."""
        self._control.create_key(key, credits)


class Faults:
    def __init__(self, server: MockServer) -> None:
        self._control = server.control

    def add(self, name: str, action: dict[str, Any], **rule: Any) -> dict[str, Any]:
        """Add a fault rule (see the cookbook): `add("busy", {"type": "http_error", ...})`."""
        return self._control.add_fault({"name": name, "action": action, **rule})

    def remove(self, name: str) -> None:
        self._control.remove_fault(name)

    def list(self) -> list[dict[str, Any]]:
        """The rules, each with how often it `fired`."""
        return self._control.faults()

    def clear(self) -> None:
        self._control.clear_faults()

    def load_scenario(self, scenario: str | dict[str, Any]) -> None:
        """A shipped scenario by name, a file path, or a scenario document."""
        document = scenarios.read_file(scenario) if isinstance(scenario, str) else scenario
        self._control.load_scenario(document)


class Tasks:
    def __init__(self, server: MockServer) -> None:
        self._control = server.control

    def list(self, key: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        _check_choice("status", status, set(Status))
        return self._control.tasks(key, status, None, 10_000)

    def complete(self, task_id: str) -> None:
        self._control.complete(task_id)

    def fail(self, task_id: str, code: str = "generation_failed", message: str = "") -> None:
        error = TaskError(code, message or f"The task failed ({code}).")
        self._control.fail(task_id, error)


class MockHandle:
    """`seedream_mock` in a test: `.base_url`, `.api_key`, `.client`, `.submit()`, `.task()`,
    and `.clock`, `.credits`, `.faults`, `.tasks`, `.deliveries()`."""

    def __init__(self, server: MockServer) -> None:
        self.server = server
        self.base_url = server.base_url
        self.api_key = DEFAULT_KEY
        self.client = Client(self.base_url, self.api_key)
        self.clock = Clock(server)
        self.credits = Credits(server)
        self.faults = Faults(server)
        self.tasks = Tasks(server)
        # Answers are read and checked in the dialect the server speaks (--profile).
        self.profile = server.emulator.profile
        self._schemas = {
            name: schemas.compile_schema(schemas.ANSWER_SCHEMAS[name](self.profile))
            for name in ("create_response", "task")
        }

    def _checked(self, reply: Reply, schema: str) -> Any:
        document = reply.expect_json(200)
        errors = [e.message for e in self._schemas[schema].iter_errors(document)]
        if errors:
            raise AssertionError(
                f"the {schema} answer breaks profile {self.profile.name}: {errors}"
            )
        return document

    def submit(self, prompt: str, **fields: Any) -> str:
        """POST a generation over HTTP (as your code would) and return its task id."""
        reply = self.client.create({"prompt": prompt, **fields})
        task_id, _ = self.profile.read_created(self._checked(reply, "create_response"))
        assert task_id is not None  # the create schema requires it
        return task_id

    def task(self, task_id: str) -> dict[str, Any]:
        """GET the task over HTTP; its `data` (the whole answer in a dialect without one)."""
        answer = self._checked(self.client.task(task_id), "task")
        data: dict[str, Any] = answer.get("data", answer)
        return data

    def wait_for(self, task_id: str, max_seconds: float = 3600.0) -> dict[str, Any]:
        """Advance the clock (in steps, up to `max_seconds`) until the task has ended; its data.
        On the manual clock this is how a test 'waits' without waiting."""
        for _ in range(int(max_seconds // 10) + 1):
            answer = self._checked(self.client.task(task_id), "task")
            if self.profile.read_task(answer).ended:
                data: dict[str, Any] = answer.get("data", answer)
                return data
            self.clock.advance(10)
        raise TimeoutError(f"task {task_id} did not end within {max_seconds} s of mock time")

    def deliveries(self, task_id: str | None = None, state: str | None = None) -> list[Any]:
        _check_choice("state", state, set(DeliveryState))
        return self.server.control.deliveries(task_id, None, state)

    def close(self) -> None:
        self.client.close()
