"""Durable state (`--state FILE`): the emulator's state written through to one SQLite file and
resumed from it at start; memory stays the default. See docs/durable-state.md."""
