"""Scratch databases for one bench run: a temporary SQLite file and a PostgreSQL
database, both gone afterwards."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

Row = TypeVar("Row")


@contextmanager
def scratch_postgres(base: str, prefix: str) -> Iterator[str | None]:
    """The URL of a new, empty database on the server of `base`; None (and a line saying
    so) when there is no server, so a bench carries on with SQLite's figures."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL skipped ({base} not reachable: {exc.__class__.__name__})")
        yield None
        return
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def on_both_databases(run: Callable[[str, str], list[Row]], pg_base: str, prefix: str) -> list[Row]:
    """run(label, url) on a new SQLite file, then on a new PostgreSQL database (if any)."""
    with tempfile.TemporaryDirectory() as tmp:
        rows = run("SQLite", f"sqlite:///{tmp}/bench.db")
    with scratch_postgres(pg_base, prefix) as url:
        if url is not None:
            rows += run("PostgreSQL", url)
    return rows
