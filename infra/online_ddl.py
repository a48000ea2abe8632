"""Indexes a migration builds on a live database without locking its tables.

A plain `CREATE INDEX` on PostgreSQL blocks every write to the table while it builds:
on a big shop's orders (1,000,000 rows) or its customers' trigram index, that is a minute
and more of webhooks that cannot store a message. `CREATE INDEX CONCURRENTLY` lets writes
go on, but cannot run in a transaction, so these run in Alembic's autocommit block (the
migration's work before it is committed first). A concurrent build that fails leaves an
INVALID index behind; the next run drops it and builds it again. SQLite has no such
lock to avoid and builds them plainly, in the migration's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

# (index name, table, what follows "ON table": "(customer_id, placed_at, id)" or
# "USING gin (lower(name) gin_trgm_ops)")
IndexDDL = tuple[str, str, str]

_INVALID = text(
    "SELECT 1 FROM pg_index JOIN pg_class ON pg_class.oid = pg_index.indexrelid "
    "WHERE pg_class.relname = :name AND NOT pg_index.indisvalid"
)


def on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_indexes(indexes: Sequence[IndexDDL], replacing: Sequence[str] = ()) -> None:
    """Build `indexes`, then drop the indexes named in `replacing` (the ones they make
    redundant); on PostgreSQL both CONCURRENTLY."""
    if not on_postgresql():
        for name, table, definition in indexes:
            op.execute(f"CREATE INDEX {name} ON {table} {definition}")
        for name in replacing:
            op.execute(f"DROP INDEX {name}")
        return
    with op.get_context().autocommit_block():
        for name, table, definition in indexes:
            if op.get_bind().execute(_INVALID, {"name": name}).first() is not None:
                op.execute(f"DROP INDEX CONCURRENTLY {name}")
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {definition}")
        for name in replacing:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
