"""The event bus tells each subscriber the kinds it asked for, and says which kinds anyone
wants, so producers can skip building events nobody listens to."""

from __future__ import annotations

from mock_server.core.events import Event, EventBus


def test_a_subscriber_hears_only_the_kinds_it_named() -> None:
    bus = EventBus()
    resets: list[str] = []
    everything: list[str] = []
    bus.subscribe(lambda event: resets.append(event.kind), ("state.reset",))
    for kind in ("task.created", "state.reset"):
        bus.publish(Event(kind, 0.0))
    assert resets == ["state.reset"]

    def listen(event: Event) -> None:
        everything.append(event.kind)

    bus.subscribe(listen)
    bus.publish(Event("task.created", 1.0))
    assert everything == ["task.created"]
    assert resets == ["state.reset"]


def test_wants_follows_subscriptions() -> None:
    bus = EventBus()
    assert not bus.wants("task.created")

    def listen(event: Event) -> None:
        return None

    bus.subscribe(listen, ("task.completed", "task.failed"))
    assert bus.wants("task.completed")
    assert not bus.wants("task.created")
    bus.subscribe(listen)
    assert bus.wants("task.created")
    bus.unsubscribe(listen)
    assert not bus.wants("task.completed")


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    bus = EventBus()
    heard: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    bus.subscribe(broken)
    bus.subscribe(lambda event: heard.append(event.kind))
    bus.publish(Event("state.reset", 0.0))
    assert heard == ["state.reset"]
