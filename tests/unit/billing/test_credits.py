"""The ledger: hold, capture, release, grant — and the invariant between them."""

from __future__ import annotations

import pytest

from mock_server.billing.credits import Ledger
from mock_server.core.errors import InsufficientCreditsError


def balanced(ledger: Ledger) -> bool:
    return ledger.available + ledger.held + ledger.spent == ledger.granted


def test_hold_then_capture_spends_the_price() -> None:
    ledger = Ledger()
    ledger.grant(30, 0)
    ledger.hold(12, 1, "t1")
    assert (ledger.available, ledger.held, ledger.spent) == (18, 12, 0)
    ledger.capture(12, 2, "t1")
    assert (ledger.available, ledger.held, ledger.spent) == (18, 0, 12)
    assert balanced(ledger)
    assert [e.kind for e in ledger.entries] == ["granted", "held", "captured"]


def test_release_gives_the_hold_back() -> None:
    ledger = Ledger()
    ledger.grant(12, 0)
    ledger.hold(12, 1, "t1")
    ledger.release(12, 2, "t1")
    assert (ledger.available, ledger.held, ledger.spent) == (12, 0, 0)


def test_short_balance_raises_402_and_changes_nothing() -> None:
    ledger = Ledger()
    ledger.grant(20, 0)
    ledger.hold(12, 1, "t1")
    with pytest.raises(InsufficientCreditsError, match="needs 12 credits but the key has 8"):
        ledger.hold(12, 2, "t2")
    assert (ledger.available, ledger.held) == (8, 12)
    assert len(ledger.entries) == 2


def test_cannot_take_back_more_than_is_available() -> None:
    ledger = Ledger()
    ledger.grant(24, 0)
    ledger.hold(12, 1, "t1")
    with pytest.raises(ValueError, match="only 12 are available"):
        ledger.grant(-13, 2)
    ledger.grant(-12, 2)
    assert ledger.available == 0
    assert balanced(ledger)


def test_settling_more_than_is_held_is_refused() -> None:
    ledger = Ledger()
    ledger.grant(12, 0)
    with pytest.raises(ValueError, match="only 0 held"):
        ledger.capture(12, 1, "t1")
    assert balanced(ledger)
