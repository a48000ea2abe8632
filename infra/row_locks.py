"""Row locks, the one place that knows which databases have them.

PostgreSQL locks rows: two transactions changing the same order take turns on its row,
and workers sharing a queue skip the rows another one holds. SQLite has no row locks and
needs none here: every write transaction begins IMMEDIATE (`infra.db`), so it holds the
database's one write lock from its first statement. Domain code asks for the lock it
means and never looks at the dialect itself.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, inspect
from sqlalchemy.orm import Session

T = TypeVar("T", bound=tuple[Any, ...])


def has_row_locks(session: Session) -> bool:
    return session.get_bind().dialect.name != "sqlite"


def claimable(session: Session, query: Select[T], *of: Any) -> Select[T]:
    """`query` for rows a worker claims from a shared queue: locked, skipping rows another
    worker has locked (FOR UPDATE SKIP LOCKED, of the tables `of`), where rows lock."""
    if not has_row_locks(session):
        return query
    return query.with_for_update(skip_locked=True, of=of or None)


def refresh_locked(session: Session, row: object) -> None:
    """Read `row` afresh, locked until the transaction ends (FOR UPDATE) where rows lock."""
    session.refresh(row, with_for_update=_lock_of(session, row))


def _lock_of(session: Session, row: object) -> dict[str, Any] | bool:
    """FOR UPDATE OF `row`'s own table: a refresh loads what `row` was loaded with, and
    PostgreSQL locks no row of the outer-joined tables of a joined eager load (an order
    found with its lines and shipments): it refuses a plain FOR UPDATE there."""
    return has_row_locks(session) and {"of": inspect(row).mapper.local_table}


def reread_locked(session: Session, row: object) -> None:
    """Take `row`'s lock and see it as the transaction that held it before us left it:
    write pending changes, forget what this session read (it may be stale), and read
    `row` afresh under FOR UPDATE. Nothing to do without row locks."""
    if not has_row_locks(session):
        return
    session.flush()
    session.expire_all()
    session.refresh(row, with_for_update=_lock_of(session, row))
