"""Apply Alembic migrations from code (start-up, `db upgrade`, tests)."""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from infra.db import Database

MIGRATIONS = Path(__file__).parent.parent / "migrations"
# Any constant works; it only has to be the same in every process of this app.
PG_MIGRATION_LOCK = 72_0417
LOCK_POLL_SECONDS = 0.2


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database: Database) -> None:
    """Bring the schema to head. Safe when many processes start at once: on
    PostgreSQL an advisory lock lets one migrate while the others wait; on SQLite
    the IMMEDIATE transaction does the same.

    On PostgreSQL each migration is a transaction of its own and the lock is the
    session's, so a migration may build an index CONCURRENTLY outside any transaction
    (`infra.online_ddl`) while the lock still keeps the other processes waiting."""
    config = alembic_config(database.url)
    if database.engine.dialect.name != "postgresql":
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return
    lock = {"key": PG_MIGRATION_LOCK}
    with database.engine.connect() as connection:
        # Asked again and again, not waited for in one statement: a process waiting
        # inside a statement holds a snapshot, which a CONCURRENTLY build waits for in
        # turn (a deadlock, seen with three processes starting at once).
        while not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), lock):
            connection.commit()
            time.sleep(LOCK_POLL_SECONDS)
        connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        finally:
            connection.rollback()  # what a failed migration left open
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
            connection.commit()
