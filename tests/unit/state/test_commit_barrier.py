"""CommitBarrier (mock_server/state/barrier.py): which answer waits for which commit."""

from __future__ import annotations

from mock_server.state.barrier import CommitBarrier


class World:
    """A change count the test moves; the commits are the test's own (`begin`, `end`)."""

    def __init__(self) -> None:
        self.changes = 0
        self.wakes = 0

    def barrier(self) -> CommitBarrier:
        barrier = CommitBarrier(lambda: self.changes, self.commit)
        barrier.on_commit(self.wake)
        number, changes = barrier.begin()  # the first commit, as attaching a file makes
        barrier.end(number, changes, ok=True)
        return barrier

    def commit(self) -> None:
        raise AssertionError("the barrier commits nothing itself")

    def wake(self) -> None:
        self.wakes += 1


def test_an_answer_while_everything_is_committed_needs_no_commit() -> None:
    world = World()
    barrier = world.barrier()
    assert barrier.ticket() is None
    assert barrier.settled()


def test_a_change_waits_for_the_next_commit_to_begin() -> None:
    world = World()
    barrier = world.barrier()
    world.changes += 1
    ticket = barrier.ticket()
    assert ticket == 2
    assert barrier.outcome(ticket) is None
    number, changes = barrier.begin()
    assert (number, changes) == (2, 1)
    assert barrier.outcome(ticket) is None  # begun is not committed
    barrier.end(number, changes, ok=True)
    assert barrier.outcome(ticket) is True
    assert barrier.ticket() is None
    assert world.wakes == 2


def test_a_change_made_while_a_commit_is_written_waits_for_the_one_after() -> None:
    world = World()
    barrier = world.barrier()
    world.changes += 1
    number, changes = barrier.begin()  # it began before the change below was made
    world.changes += 1
    ticket = barrier.ticket()
    assert ticket == number + 1
    barrier.end(number, changes, ok=True)
    assert barrier.outcome(ticket) is None
    assert not barrier.settled()
    following = barrier.begin()
    barrier.end(*following, ok=True)
    assert barrier.outcome(ticket) is True
    assert barrier.settled()


def test_an_answer_that_saw_only_what_the_commit_being_written_carries_waits_for_that_one() -> None:
    world = World()
    barrier = world.barrier()
    world.changes += 1  # another request's change: this answer may report it
    number, changes = barrier.begin()
    ticket = barrier.ticket()
    assert ticket == number
    barrier.end(number, changes, ok=True)
    assert barrier.outcome(ticket) is True


def test_a_failed_commit_fails_its_answers_until_a_later_one_succeeds() -> None:
    world = World()
    barrier = world.barrier()
    world.changes += 1
    ticket = barrier.ticket()
    assert ticket is not None
    barrier.end(*barrier.begin(), ok=False)
    assert barrier.outcome(ticket) is False
    assert barrier.ticket() == ticket + 1  # still unsettled: the next answer waits again
    barrier.end(*barrier.begin(), ok=True)  # writes everything again (DurableState._lost)
    assert barrier.outcome(ticket) is True
