"""Database engine, sessions and the column types every module shares.

One `Database` per process, made by `entrypoints.bootstrap.bootstrap()` (the Flask app
keeps it in `app.extensions["db"]`, a worker makes its own). Service functions receive a
`Session` and never commit: the caller opens one transaction with
`Database.transaction()`, so an order change, its event and the outbox rows it causes
commit together or not at all.

Every session carries the wiring `bootstrap()` gave its database (`session.info`): the
order-event handlers, the catalogue cache, the wake-ups. Code deep in a use case reaches
them through its session with `wired()`, so what runs is what the process wired, never a
module global that the last app made happened to set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeDecorator

from infra.sqlite_lock import WriterLock

SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_AUTOCHECKPOINT_PAGES = 10_000
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")
READ_ONLY = "read_only"  # execution option: a SQLite transaction that takes no write lock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Money(TypeDecorator[Decimal]):
    """An exact amount stored as integer cents, read back as a two-place Decimal."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: object) -> int | None:
        if value is None:
            return None
        cents = Decimal(value) * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"{value} has more than two decimal places")
        return int(cents)

    def process_result_value(self, value: int | None, dialect: object) -> Decimal | None:
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use db.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def wired(carrier: Session | Database, key: str) -> Any:
    """What `bootstrap()` wired under `key` for this session's (or this) database.

    A database made without `bootstrap()` has nothing wired: that is an error here, not
    a quiet difference (an order event that queues no customer notice, say)."""
    wiring = carrier.info if isinstance(carrier, Session) else carrier.wiring
    try:
        return wiring[key]
    except KeyError:
        raise LookupError(
            f"nothing is wired for {key!r}: make the Database with bootstrap()"
        ) from None


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout and BEGIN IMMEDIATE, so writers queue instead of failing.

    pysqlite's own transaction handling is switched off (isolation_level None) so
    SQLAlchemy's "begin" event can start every transaction with BEGIN IMMEDIATE:
    the write lock is taken up front and two read-then-write transactions cannot
    deadlock on the upgrade from a shared lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # A commit that crosses this many WAL pages checkpoints in place, holding the write
        # lock through an fsync; workers checkpoint in the background long before that.
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_AUTOCHECKPOINT_PAGES}")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        reading = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip on every checkout, a fifth of what acknowledging
    # a webhook costs. After a database restart the first statement on a stale connection
    # fails once (a webhook gets a 500, which the provider retries), and SQLAlchemy then
    # replaces every connection older than that failure.
    return create_engine(url, pool_size=10, max_overflow=20)


class DriverStatement:
    """A statement compiled once for one engine's driver, run on a driver connection with
    no SQLAlchemy work per execution (compiled-cache lookup, execution context, result
    objects). For the one insert a webhook waits for, where that work cost more than the
    database did; everything else goes through sessions."""

    def __init__(self, statement: ClauseElement, engine: Engine) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = compiled.string
        self._order = compiled.positiontup if compiled.positional else None
        self._processors = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(engine.dialect).bind_processor(engine.dialect))
        }

    def parameters(self, values: dict[str, object]) -> dict[str, object] | tuple[object, ...]:
        """`values` by name, converted by their types (JSON, UTCDateTime) as the driver
        takes them, in the order of the driver's parameter style."""
        bound = {
            name: processor(value) if (processor := self._processors.get(name)) else value
            for name, value in values.items()
        }
        return bound if self._order is None else tuple(bound[name] for name in self._order)

    def first(self, connection: DBAPIConnection, values: dict[str, object]) -> tuple | None:
        """Execute; the first row it returns, if any."""
        cursor = connection.cursor()
        try:
            cursor.execute(self.sql, self.parameters(values))
            return cursor.fetchone()
        finally:
            cursor.close()


class Database:
    def __init__(
        self, url: str, *, wiring: dict[str, Any] | None = None, engine: Engine | None = None
    ) -> None:
        """`engine`: one `make_engine(url)` made, shared with other databases of the same
        URL made one after another (a bench telling many conversations, as one worker
        process answers them with one engine and its warm statement caches); `dispose`
        then closes its connections only, and whoever made it calls `dispose_engine`."""
        self.url = url
        self._owns_engine = engine is None
        self.engine = engine or make_engine(url)
        # Shared with every session's `info` (each session gets its own copy of the dict).
        self.wiring: dict[str, Any] = {} if wiring is None else wiring
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=self.wiring)
        # SQLite has one writer and every transaction here takes the write lock up front:
        # writers queue on this lock rather than in SQLite's sleeping busy handler.
        self._sqlite_writer = WriterLock(self.engine.url.database) if self.is_sqlite else None
        self._driver_statements: dict[ClauseElement, DriverStatement] = {}

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def concurrent_writers(self) -> bool:
        """Whether transactions can write at once (PostgreSQL); SQLite has one writer."""
        return not self.is_sqlite

    @contextmanager
    def transaction(self, *, async_commit: bool = False) -> Iterator[Session]:
        """One unit of work: commit when the block ends, roll back if it raises.

        With `async_commit` (PostgreSQL), the commit returns before its WAL record is
        flushed to disk, so it costs no fsync wait. Only for work nothing outside the
        database relies on until a later ordinary commit: every WAL flush covers all
        earlier records, so that commit makes this one durable too (a bot's answer is
        made durable by the delivery worker's claim, before it is sent anywhere).
        """
        if self._sqlite_writer is None:
            with self.sessions() as session, session.begin():
                if async_commit:
                    session.execute(_ASYNC_COMMIT)
                yield session
            return
        with self._sqlite_writer, self.sessions() as session, session.begin():
            yield session  # SQLite in WAL mode with synchronous=NORMAL waits for no fsync

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A look that changes nothing: on SQLite it takes no write lock, so a poller running
        it many times a second never makes a writer wait. Anything written is rolled back."""
        with self.sessions() as session:
            session.connection(execution_options={READ_ONLY: True})
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def standalone_statements(self) -> Iterator[Connection]:
        """A connection for writes each of which stands alone, committed at the least cost:
        on PostgreSQL in autocommit (each statement commits itself: no BEGIN and COMMIT
        round trips); on SQLite in one transaction under the writer lock, committed when
        the block ends, as `transaction` does."""
        if self._sqlite_writer is None:
            autocommit = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with autocommit as connection:
                yield connection
            return
        with self._sqlite_writer, self.engine.begin() as connection:
            yield connection

    def driver_statement(self, statement: ClauseElement) -> DriverStatement:
        """`statement` compiled for this engine's driver (once: statements are constants)."""
        compiled = self._driver_statements.get(statement)
        if compiled is None:
            compiled = self._driver_statements[statement] = DriverStatement(statement, self.engine)
        return compiled

    @contextmanager
    def one_statement(self) -> Iterator[DBAPIConnection]:
        """A driver connection for one write that commits when the block ends: on PostgreSQL
        in autocommit (one round trip, no BEGIN and COMMIT); on SQLite in a transaction
        that takes the write lock up front, under the writer lock, as `transaction` does."""
        pooled = self.engine.raw_connection()
        connection: Any = pooled.driver_connection
        try:
            if self._sqlite_writer is None:
                connection.autocommit = True
                try:
                    yield connection
                except self.engine.dialect.loaded_dbapi.Error as exc:
                    # What SQLAlchemy does for its own statements: a connection the
                    # server dropped (a restart) is not given back to the pool.
                    if self.engine.dialect.is_disconnect(exc, connection, None):
                        pooled.invalidate(exc)
                    raise
                finally:
                    if pooled.is_valid:
                        connection.autocommit = False
                return
            with self._sqlite_writer:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.rollback()
                    raise
                connection.commit()
        finally:
            pooled.close()

    def checkpoint(self) -> None:
        """SQLite: copy the WAL into the database without blocking writers (PASSIVE), so
        no writer's commit has to do it while holding the write lock."""
        connection = self.engine.raw_connection()  # outside any transaction, as it must be
        try:
            connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
        finally:
            connection.close()

    def dispose(self) -> None:
        """Close the connections and, when the engine is this database's own, forget the
        statements compiled for it (see `dispose_engine`)."""
        if self._owns_engine:
            dispose_engine(self.engine)
        else:
            self.engine.dispose()
        if self._sqlite_writer is not None:
            self._sqlite_writer.close()


def dispose_engine(engine: Engine) -> None:
    """Close the engine's connections and forget the statements compiled for it.

    The ORM keeps the INSERT and UPDATE statements a flush compiles in a cache on each
    mapper (SQLAlchemy's `Mapper._compiled_cache`, up to 100 per mapper), keyed by the
    engine's dialect: a process that makes a Database after another (a test, a
    conversation story, the bench) would otherwise keep every earlier engine's, some
    2,400 objects a story, until that cache pruned them.
    """
    engine.dispose()
    dialect = engine.dialect
    for mapper in Base.registry.mappers:
        cache = mapper._compiled_cache
        for key in [k for k in list(cache) if isinstance(k, tuple) and k and k[0] is dialect]:
            cache.pop(key, None)
