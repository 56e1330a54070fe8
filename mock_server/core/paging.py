"""Pages of a listing in a stable order (tasks and deliveries newest first, keys and fault rules
oldest first), with a cursor that survives new items arriving.

`before` names the last item a client has seen; the page is the items after it. An offset would
shift whenever a task or delivery is added at the top, or an old key is forgotten; an id does not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from mock_server.core.errors import InvalidRequestError

T = TypeVar("T")


def page(
    listing: Sequence[T], ident: Callable[[T], str], limit: int | None, before: str | None
) -> list[T]:
    """Up to `limit` items (all when None) after the one whose id is `before`. 400 (param
    `before`) when no listed item has that id: it was forgotten, or never existed."""
    start = 0
    if before is not None:
        found = next((n for n, item in enumerate(listing) if ident(item) == before), None)
        if found is None:
            raise InvalidRequestError(
                f"before={before!r} names nothing in this list (it may have been forgotten); "
                "list again without it.",
                "before",
            )
        start = found + 1
    end = None if limit is None else start + limit
    return list(listing[start:end])
