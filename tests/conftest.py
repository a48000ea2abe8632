"""Test databases: SQLite by default, PostgreSQL when TEST_DATABASE_URL points at one.

Each run migrates one fresh database (a template file on SQLite, a new database
on PostgreSQL) with the real Alembic migrations; each test then starts from empty
tables (a copy of the template / TRUNCATE ... RESTART IDENTITY).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import create_app
from entrypoints import schema
from entrypoints.bootstrap import Wiring, bootstrap
from infra import migrate
from infra.clock import Clock, SystemClock
from infra.db import Database
from infra.settings import load_settings

pytest_plugins = ["tests.standins.fixtures", "tests.channels_support"]

IN_CI = os.environ.get("CI") == "true"


def require_service(available: bool, reason: str) -> None:
    """Skip on a laptop without the service; in CI a missing service is a failure."""
    if not available:
        if IN_CI:
            pytest.fail(f"{reason} (required in CI)")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        template = tmp_path_factory.mktemp("db") / "template.db"
        database = Database(f"sqlite:///{template}")
        migrate.upgrade(database)
        database.dispose()
        yield f"sqlite:///{template}"
        return
    name = f"orders_test_{uuid.uuid4().hex[:10]}"
    # pre-ping: a fault test restarts the server, and this engine outlives it
    admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        require_service(False, f"PostgreSQL at {base} is not reachable: {exc}")
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    migrate.upgrade(database)
    database.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_url(database_url: str, tmp_path: Path) -> str:
    """A URL of an empty, migrated database for this test."""
    if database_url.startswith("sqlite"):
        copy = tmp_path / "test.db"
        shutil.copy(make_url(database_url).database, copy)
        return f"sqlite:///{copy}"
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(_EMPTY_POSTGRESQL))
    engine.dispose()
    return database_url


# DELETE, children first, then every sequence back to 1: on tables of a few rows this
# is several times faster than TRUNCATE, which makes and fsyncs new files per table.
_EMPTY_POSTGRESQL = (
    "".join(f'DELETE FROM "{t.name}";' for t in reversed(schema.metadata.sorted_tables))
    + "SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"
)


@pytest.fixture
def clock() -> Clock:
    """The clock the test's wiring runs on: the system's. A module or a test that decides
    by time overrides this fixture with an `infra.clock.ManualClock` and moves it."""
    return SystemClock()


@pytest.fixture
def wiring(db_url: str, clock: Clock) -> Iterator[Wiring]:
    """The process's wiring, as `python app.py worker` has it, on this test's database."""
    wired = bootstrap(load_settings(database_url=db_url), clock=clock)
    yield wired
    wired.database.dispose()


@pytest.fixture
def db(wiring: Wiring) -> Database:
    return wiring.database


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.sessions() as s:
        yield s


@pytest.fixture
def app(db_url: str, clock: Clock) -> Iterator[Flask]:
    settings = load_settings(
        database_url=db_url, secret_key="test-secret", admin_api_token="test-admin-token"
    )
    flask_app = create_app(wiring=bootstrap(settings, clock=clock))
    flask_app.config["TESTING"] = True
    yield flask_app
    flask_app.extensions["db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
