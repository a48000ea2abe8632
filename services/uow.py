"""Units of work: the transaction a use case's writes go into.

An adapter chooses one and holds it for the request, because what it adds to the
same transaction is its own (the console's audit row, the bot's replies and dialogue
state); the service runs its part in `atomic()`, a SAVEPOINT, so a refusal undoes
exactly the service's writes whatever the caller then does:

- `transaction(database)` opens a `Database.transaction()` and commits it when the
  adapter's block ends (the API, the console, the store screens); a refusal raised out
  of the block rolls all of it back.
- `within(session)` runs inside a session the caller already holds and commits (the
  bot's turn, which commits the reply explaining a refusal with the rest of the turn).

Reads need no unit of work: they run in `Database.reading()` (no write lock on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from conversations.handoffs import SqlHandoffs
from infra.db import Database
from infra.savepoints import shared_savepoint


class UnitOfWork:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def handoffs(self) -> SqlHandoffs:
        """The handoff queue's changes, in this transaction (services.handoffs)."""
        return SqlHandoffs(self.session)

    @contextmanager
    def atomic(self) -> Iterator[Session]:
        """A service's writes: all of them, or none of them. A service catches nothing in
        the block, so the domain function it calls there uses this savepoint rather than
        opening a second one (infra.savepoints)."""
        with shared_savepoint(self.session):
            yield self.session


@contextmanager
def transaction(database: Database) -> Iterator[UnitOfWork]:
    """A unit of work of its own: committed when the block ends, rolled back if it raises."""
    with database.transaction() as session:
        yield UnitOfWork(session)


def within(session: Session) -> UnitOfWork:
    """A unit of work inside the caller's transaction; the caller commits."""
    return UnitOfWork(session)
