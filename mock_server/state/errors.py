"""The state file's one error, apart from schema.py so a start without --state (which catches it)
does not import sqlite3."""

from __future__ import annotations


class StateFileError(RuntimeError):
    """A state file this code must not use (and will not write): the message names it."""
