"""A profile: every point of the contract that no source settles, as data one can switch.

The mock answers through a profile (`task_answer`, `error_answer`, …), and a client-side reader
(the contract suite, `calibrate`, the proxy's drift check) reads answers through the same one
(`read_task`, `read_error`, …), so both sides agree on where each value sits by construction.
Shipped profiles live in the kit's fixtures (`profiles/<name>.json`); a user's own is any file
of the same shape, optionally `"extends"` a shipped one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from seedream_contracts.loader import first_error
from seedream_contracts.profiles import template
from seedream_contracts.profiles.fields import (
    CREATE_FIELDS,
    ERROR_FIELDS,
    STATES,
    TASK_FIELDS,
)
from seedream_contracts.profiles.views import ErrorView, TaskView, read_task, value_at

ERROR_KINDS = (
    "validation",
    "invalid_request",
    "authentication",
    "insufficient_credits",
    "not_found",
    "expired",
    "method_not_allowed",
    "too_large",
    "rate_limit",
    "server",
    "upstream",
)


class ProfileError(ValueError):
    """A profile that cannot be used, with a sentence saying where and why."""


class Profile:
    """One dialect of the API: names, shapes, error kinds, input rules and timing."""

    def __init__(
        self, document: Mapping[str, Any], origin: str = "<memory>", check: bool = True
    ) -> None:
        """`check=False` skips the schema check, for the shipped profiles only: they never change
        at run time, a test checks each, and the check (jsonschema) was a fifth of start-up."""
        self.origin = origin
        self.document: dict[str, Any] = copy.deepcopy(dict(document))
        problem = first_error("profile", self.document) if check else None
        if problem is not None:
            raise ProfileError(f"profile {origin}: {problem[1]}")
        answers = self.document["answers"]
        template.check(answers["create"], CREATE_FIELDS, "answers.create")
        template.check(answers["task"], TASK_FIELDS, "answers.task")
        template.check(answers["error"], ERROR_FIELDS, "answers.error")
        if self.callback_template is not answers["task"]:
            template.check(self.callback_template, TASK_FIELDS, "callback.body")
        self._check_names()
        low, high = self.document["timing"]["processing_seconds"]
        if high < low:  # a range the schema cannot order
            raise ProfileError(
                f"profile {origin}: timing.processing_seconds is [{low:g}, {high:g}]; "
                "MIN must not be above MAX"
            )

    def _check_names(self) -> None:
        ending = [self.statuses["completed"], self.statuses["failed"]]
        running = [self.statuses["pending"], self.statuses["processing"]]
        running += list(self.statuses.get("also_in_progress", []))
        if ending[0] == ending[1] or set(ending) & set(running):
            raise ProfileError(
                f"profile {self.origin}: the completed and failed names must differ from each "
                f"other and from every in-progress name; got {ending} and {running}"
            )
        if "status" not in self.task_slots:
            raise ProfileError(f"profile {self.origin}: answers.task must hold the status")
        if "task_id" not in template.locate(self.document["answers"]["create"]):
            raise ProfileError(f"profile {self.origin}: answers.create must hold the task_id")

    # -- what it is ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return str(self.document["name"])

    @property
    def statuses(self) -> dict[str, Any]:
        return dict(self.document["statuses"])

    @property
    def input_rules(self) -> dict[str, Any]:
        return dict(self.document["input"])

    @property
    def timing(self) -> dict[str, Any]:
        return dict(self.document["timing"])

    @property
    def callback_headers(self) -> dict[str, str]:
        return dict(self.document.get("callback", {}).get("headers", {}))

    @property
    def callback_template(self) -> Any:
        body = self.document.get("callback", {}).get("body")
        return self.document["answers"]["task"] if body is None else body

    def error_kind(self, kind: str) -> tuple[int, str]:
        """(HTTP status, `type` string) this dialect answers an error of `kind` with."""
        entry = self.document["errors"][kind]
        return int(entry["status"]), str(entry["type"])

    def kind_for_status(self, status: int) -> str | None:
        """The error kind the *default* status `status` stands for (a fault rule's 503)."""
        return KIND_BY_DEFAULT_STATUS.get(status)

    def wire_status(self, state: str) -> str:
        """The name this dialect gives an internal state."""
        return str(self.statuses[state])

    def state_of(self, name: Any) -> str | None:
        """The internal state a status name stands for; None for a name the profile lacks."""
        for state in STATES:
            if self.statuses[state] == name:
                return state
        if name in self.statuses.get("also_in_progress", []):
            return "processing"
        return None

    def to_json(self) -> str:
        return json.dumps(self.document, indent=2, ensure_ascii=False) + "\n"

    # -- writing answers (the mock) ------------------------------------------------------------

    def create_answer(self, task_id: str) -> Any:
        values = {"task_id": task_id, "status": self.statuses["on_create"]}
        return self._renderers["create"](values, None)

    def task_answer(self, values: Mapping[str, Any]) -> Any:
        """`values` holds TASK_FIELDS by name; `status` is the internal state and timestamps are
        seconds since the epoch (None while unset)."""
        return self._task(self._renderers["task"], values)

    def callback_body(self, values: Mapping[str, Any]) -> Any:
        return self._task(self._renderers["callback"], values)

    def _task(self, renderer: template.Renderer, values: Mapping[str, Any]) -> Any:
        state = str(values["status"])
        named = dict(values)
        named["status"] = self._wire[state]
        return renderer(named, state)

    def error_answer(self, status: int, message: str, kind: str, param: str | None) -> Any:
        values = {"status": status, "message": message, "type": kind, "param": param}
        return self._renderers["error"](values, None)

    @cached_property
    def _renderers(self) -> dict[str, template.Renderer]:
        answers = self.document["answers"]
        shapes = {**answers, "callback": self.callback_template}
        return {name: template.compile_template(shape) for name, shape in shapes.items()}

    @cached_property
    def _wire(self) -> dict[str, Any]:
        return {state: self.statuses[state] for state in STATES}

    # -- reading answers (clients) -------------------------------------------------------------

    @cached_property
    def task_slots(self) -> dict[str, template.Slot]:
        return template.locate(self.document["answers"]["task"])

    @cached_property
    def callback_slots(self) -> dict[str, template.Slot]:
        return template.locate(self.callback_template)

    def read_task(self, document: Any) -> TaskView:
        return read_task(document, self.task_slots, self.state_of)

    def read_callback(self, document: Any) -> TaskView:
        return read_task(document, self.callback_slots, self.state_of)

    def read_created(self, document: Any) -> tuple[str | None, Any]:
        """(task id, status name) of a create answer; None/None where they are missing."""
        slots = template.locate(self.document["answers"]["create"])
        found = {name: value_at(document, slot) for name, slot in slots.items()}
        task_id = found.get("task_id")
        return (task_id if isinstance(task_id, str) else None), found.get("status")

    def read_error(self, document: Any) -> ErrorView:
        slots = template.locate(self.document["answers"]["error"])
        found: dict[str, Any] = {}
        for name, slot in slots.items():
            try:
                found[name] = template.follow(document, slot.path)
            except KeyError:
                continue
        return ErrorView(
            document,
            status=found.get("status"),
            message=found.get("message"),
            type=found.get("type"),
            param=found.get("param"),
            has_param="param" in found,
        )


KIND_BY_DEFAULT_STATUS = {
    400: "invalid_request",
    401: "authentication",
    402: "insufficient_credits",
    404: "not_found",
    405: "method_not_allowed",
    410: "expired",
    413: "too_large",
    429: "rate_limit",
    500: "server",
    502: "upstream",
    503: "upstream",
    504: "upstream",
}
