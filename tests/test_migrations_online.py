"""On PostgreSQL, the big-shop indexes (migration 0005) are built CONCURRENTLY, so a live
shop's tables take writes while they build, and a build that failed half-way is redone.

Each test migrates a database of its own up to 0004 and then runs the app's own
`migrate.upgrade` (as `python app.py db upgrade` and every start do) to head.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import make_url

from infra import migrate
from infra.db import Database

BEFORE = "0004_variants"
ROOT = Path(__file__).resolve().parents[1]
BUILT_IN_0005 = (
    "ix_orders_customer_placed",
    "ix_orders_status_placed",
    "ix_orders_status_ready",
    "ix_orders_location_status",
    "ix_order_lines_sku",
    "ix_customers_name_trgm",
    "ix_customer_identities_value_trgm",
)


@pytest.fixture
def at_0004(database_url: str) -> Iterator[Database]:
    """A new PostgreSQL database migrated to 0004 (the suite's own is already at head)."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not database_url.startswith("postgresql") or not base:
        pytest.skip("CREATE INDEX CONCURRENTLY is PostgreSQL's; SQLite builds them plainly")
    name = f"orders_online_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    command.upgrade(migrate.alembic_config(url), BEFORE)
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def index_validity(database: Database) -> dict[str, bool]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname, i.indisvalid FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ANY(:names)"
            ),
            {"names": list(BUILT_IN_0005)},
        )
        return {name: valid for name, valid in rows}


def test_the_big_shop_indexes_are_built_concurrently(at_0004: Database) -> None:
    sent: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        sent.append(" ".join(statement.split()))

    event.listen(at_0004.engine, "before_cursor_execute", keep)
    try:
        migrate.upgrade(at_0004)
    finally:
        event.remove(at_0004.engine, "before_cursor_execute", keep)

    builds = [s for s in sent if s.upper().startswith("CREATE INDEX") and " ix_" in s]
    for name in BUILT_IN_0005:
        (build,) = [s for s in builds if f" {name} " in s]
        assert build.startswith("CREATE INDEX CONCURRENTLY"), build
    assert index_validity(at_0004) == dict.fromkeys(BUILT_IN_0005, True)
    # the single-column indexes the composite ones replace are gone
    with at_0004.engine.connect() as connection:
        left = connection.scalar(
            text("SELECT count(*) FROM pg_class WHERE relname = ANY(:names)"),
            {"names": ["ix_orders_customer_id", "ix_orders_status", "ix_orders_location_id"]},
        )
    assert left == 0
    # and the migration lock is given back
    with at_0004.engine.connect() as connection:
        held = connection.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"))
    assert held == 0


def test_an_index_a_failed_concurrent_build_left_invalid_is_built_again(
    at_0004: Database,
) -> None:
    """A concurrent build that fails (here: unique over two customers of one name) leaves
    an INVALID index of that name; the migration drops it and builds the right one."""
    with at_0004.engine.connect() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (name, default_address, created_at) "
                "VALUES ('Jo Rivera', '', now()), ('Jo Rivera', '', now())"
            )
        )
        connection.commit()
        connection.execution_options(isolation_level="AUTOCOMMIT")
        with pytest.raises(Exception, match="could not create unique index"):
            connection.execute(
                text("CREATE UNIQUE INDEX CONCURRENTLY ix_customers_name_trgm ON customers (name)")
            )
    assert index_validity(at_0004)["ix_customers_name_trgm"] is False

    migrate.upgrade(at_0004)

    assert index_validity(at_0004) == dict.fromkeys(BUILT_IN_0005, True)
    with at_0004.engine.connect() as connection:
        definition = connection.scalar(
            text("SELECT pg_get_indexdef('ix_customers_name_trgm'::regclass)")
        )
    assert "gin" in definition and "gin_trgm_ops" in definition, definition


def test_processes_starting_at_once_wait_for_the_one_that_migrates(at_0004: Database) -> None:
    """Three `db upgrade`s wait for the migration lock (held here until all three are
    connected); then one builds the indexes while the others wait without holding a
    snapshot, which a concurrent build would wait for in turn: a deadlock."""
    env = {**os.environ, "DATABASE_URL": at_0004.url}
    lock = {"key": migrate.PG_MIGRATION_LOCK}
    with at_0004.engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:key)"), lock)
        holder.commit()
        started = [
            subprocess.Popen(
                [sys.executable, "app.py", "db", "upgrade"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(3)
        ]
        deadline = time.monotonic() + 120
        while connected(holder) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        holder.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
        holder.commit()
    outputs = [process.communicate(timeout=300)[0] for process in started]
    assert [process.returncode for process in started] == [0, 0, 0], outputs
    assert index_validity(at_0004) == dict.fromkeys(BUILT_IN_0005, True)


def connected(holder: Connection) -> int:
    """Other sessions on the holder's database."""
    found = holder.scalar(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )
    holder.commit()
    return int(found or 0)
