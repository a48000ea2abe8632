"""Apply Alembic migrations from code (start-up, `db upgrade`, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from infra.db import Database

MIGRATIONS = Path(__file__).parent.parent / "migrations"
# Any constant works; it only has to be the same in every process of this app.
PG_MIGRATION_LOCK = 72_0417


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database: Database) -> None:
    """Bring the schema to head. Safe when many processes start at once: on
    PostgreSQL an advisory lock lets one migrate while the others wait; on SQLite
    the IMMEDIATE transaction does the same."""
    config = alembic_config(database.url)
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
