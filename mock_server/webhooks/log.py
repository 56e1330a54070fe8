"""The bounded delivery log: finished deliveries leave it oldest-ended first, in O(1) each;
pending and held ones never leave.

Evicting a pending or held delivery would lose it: nothing would send it again or report it at
shutdown, against the promise that no callback is lost silently. So while more deliveries wait
than the limit allows, the log holds more than the limit, and it shrinks back as they end.
The ended ones are kept in the order they ended, so eviction pops from the front instead of
scanning every delivery under the state lock for each new one (which was quadratic while a dead
receiver kept thousands pending).
"""

from __future__ import annotations

from collections import OrderedDict

from mock_server.core.store import Store


class DeliveryLog:
    """Which stored deliveries may be evicted, and when. Callers hold the state lock."""

    def __init__(self, store: Store, limit: int) -> None:
        self._store, self.limit = store, limit
        self._ended: OrderedDict[str, None] = OrderedDict()

    def ended(self, event_id: str) -> None:
        """The delivery reached an end state (and has been saved): it may now be evicted, after
        every delivery that ended before it."""
        self._ended[event_id] = None
        self._ended.move_to_end(event_id)  # a resend after the end counts as a later end
        self.trim()

    def trim(self) -> None:
        """Evict ended deliveries, oldest end first, until the log is within its limit or only
        waiting ones are left."""
        while self._store.delivery_count() > self.limit and self._ended:
            event_id, _ = self._ended.popitem(last=False)
            self._store.delete_delivery(event_id)

    def clear(self) -> None:
        """Forget every ended delivery (the store was cleared by a reset)."""
        self._ended.clear()
