"""A reset's old containers are emptied on the janitor thread, not on the caller's."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from mock_server.core.janitor import discard


def test_discarded_containers_are_emptied_on_another_thread() -> None:
    emptied_on: list[str] = []

    class Entry:
        def __del__(self) -> None:
            emptied_on.append(threading.current_thread().name)

    things = [Entry() for _ in range(600)]
    table = OrderedDict((i, Entry()) for i in range(600))
    discard(things, table, {Entry()})
    deadline = time.monotonic() + 10
    while (things or table) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not things
    assert not table
    assert set(emptied_on) == {"seedream-janitor"}
