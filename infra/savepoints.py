"""Savepoints that nest without repeating themselves.

A use case's writes run in a SAVEPOINT (`services.uow.UnitOfWork.atomic`) so a refusal
undoes exactly them; the domain function it calls opens its own (`orders.ordering.atomic`)
for callers that have none. Directly one inside the other, the inner one adds a SAVEPOINT,
a RELEASE and two flushes and undoes nothing the outer does not: whatever the domain
function raises leaves the outer block too, which rolls it back. So an outer savepoint
opened with `shared_savepoint` lends itself to the first `savepoint` asked for directly
inside it, once; any other `savepoint` (nested deeper, or a second one) is its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

_SHARED = "savepoints.shared"


@contextmanager
def shared_savepoint(session: Session) -> Iterator[Session]:
    """A SAVEPOINT around a block that catches nothing it calls raises: the first
    `savepoint` directly inside it may be this one."""
    with session.begin_nested() as nested:
        session.info[_SHARED] = nested
        try:
            yield session
        finally:
            if session.info.get(_SHARED) is nested:
                del session.info[_SHARED]


@contextmanager
def savepoint(session: Session) -> Iterator[Session]:
    """A SAVEPOINT: all of the block's writes or none of them (see the module's doc for
    when it is the enclosing one's)."""
    shared = session.info.pop(_SHARED, None)
    if shared is not None and shared is session.get_nested_transaction() and shared.is_active:
        yield session
        return
    with session.begin_nested():
        yield session
