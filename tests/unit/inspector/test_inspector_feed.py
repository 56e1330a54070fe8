"""The inspector's feed: deaf (and free) until a page looks, bounded, and ended by close()."""

from __future__ import annotations

import threading

import pytest

from mock_server.core.events import Event, EventBus
from mock_server.inspector import feed as feeds
from mock_server.inspector.feed import Busy, Feed


def _task(bus: EventBus, task_id: str, kind: str = "task.created") -> None:
    bus.publish(Event(kind, 0.0, "aio_k", task_id))


def _waiting(feed: Feed) -> tuple[list[feeds.Batch], threading.Thread]:
    """A page waiting (in a thread of its own) for what changes after now."""
    seen = feed.touch()
    got: list[feeds.Batch] = []
    waiting = threading.Thread(target=lambda: got.append(feed.wait(seen, hold_s=30)))
    waiting.start()
    return got, waiting


def test_nothing_listens_until_a_page_looks() -> None:
    bus = EventBus()
    feed = Feed(bus)
    assert bus._subscribers == []
    feed.touch()
    assert len(bus._subscribers) == 1


def test_changes_after_a_seq_come_back_sorted_by_kind() -> None:
    bus = EventBus()
    feed = Feed(bus)
    seen = feed.touch()
    _task(bus, "t1")
    _task(bus, "t1", "webhook.exhausted")
    bus.publish(Event("request.recorded", 0.0, None, "t1"))
    bus.publish(Event("credits.held", 0.0, "aio_k", "t1"))  # not watched
    batch = feed.wait(seen, hold_s=0)
    assert (batch.tasks, batch.deliveries, batch.requests, batch.reload) == (
        ["t1"],
        ["t1"],
        1,
        False,
    )
    assert feed.wait(batch.seq, hold_s=0).empty


def test_a_reset_or_a_seq_out_of_the_ring_means_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "RING", 4)
    bus = EventBus()
    feed = Feed(bus)
    feed.touch()
    for n in range(6):
        _task(bus, f"t{n}")
    assert feed.wait(0, hold_s=0).reload
    assert not feed.wait(3, hold_s=0).reload
    bus.publish(Event("state.reset", 0.0))
    assert feed.wait(6, hold_s=0).reload
    assert feed.wait(99, hold_s=0).reload  # another server's ids


def test_the_feed_stops_listening_once_no_page_has_looked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bus = EventBus()
    feed = Feed(bus)
    seen = feed.touch()
    monkeypatch.setattr(feeds, "IDLE_S", -1.0)
    _task(bus, "t1")
    assert bus._subscribers == []
    monkeypatch.setattr(feeds, "IDLE_S", 30.0)
    assert feed.wait(seen, hold_s=0).reload  # deaf meanwhile: the page must reload


def test_waiting_pages_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "MAX_CLIENTS", 1)
    feed = Feed(EventBus())
    with feed.client(), pytest.raises(Busy), feed.client():
        pass
    with feed.client():  # the slot is free again
        pass


def test_close_ends_a_wait_at_once() -> None:
    bus = EventBus()
    feed = Feed(bus)
    got, waiting = _waiting(feed)
    feed.close()
    waiting.join(2)
    assert got
    assert got[0].closed
    assert bus._subscribers == []


def test_a_wait_returns_when_something_changes() -> None:
    bus = EventBus()
    feed = Feed(bus)
    got, waiting = _waiting(feed)
    _task(bus, "t9")
    waiting.join(2)
    assert got
    assert got[0].tasks == ["t9"]


def test_unsubscribe_leaves_a_publish_under_way_alone() -> None:
    bus = EventBus()
    heard: list[str] = []

    def second(event: Event) -> None:
        heard.append(event.kind)

    def first(event: Event) -> None:
        bus.unsubscribe(second)

    bus.subscribe(first)
    bus.subscribe(second)
    bus.publish(Event("task.created", 0.0))
    bus.publish(Event("task.created", 0.0))
    assert heard == ["task.created"]


def test_a_looking_page_asks_for_every_kind_it_shows_and_no_other() -> None:
    """The bus builds an event only for a kind someone wants: the kinds the page shows must
    all be wanted while it looks (a task's every state, every delivery state, the journal,
    reset), and the credit events, which it does not show, stay unbuilt."""
    from mock_server.core.tasks import Status
    from mock_server.webhooks.records import DeliveryState

    bus = EventBus()
    feed = Feed(bus)
    shown = ["task.created", *(f"task.{s}" for s in Status), "request.recorded", "state.reset"]
    shown += [f"webhook.{s}" for s in DeliveryState]
    assert not any(bus.wants(kind) for kind in shown)
    feed.touch()
    assert [kind for kind in shown if not bus.wants(kind)] == []
    assert not bus.wants("credits.held")
