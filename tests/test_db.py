"""The Database wrapper: SQLite's queued writers and lock-free reads, checkpoints, async commits."""

from __future__ import annotations

import gc
import multiprocessing
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from infra.db import Database
from infra.sqlite_lock import WriterLock
from orders.models import Customer, Product

HOLD_SECONDS = 0.4


def _hold(lock: WriterLock, holding: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    with lock:
        holding.set()
        time.sleep(HOLD_SECONDS)


def test_writer_lock_excludes_another_process_even_after_a_fork(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "shop.db"))
    with lock:  # opened here, before the fork: the child must not share this lock
        pass
    context = multiprocessing.get_context("fork")
    holding = context.Event()
    child = context.Process(target=_hold, args=(lock, holding))
    child.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with lock:
            waited = time.monotonic() - started
    finally:
        child.join(10)
    assert waited >= HOLD_SECONDS / 2  # it queued until the other process let go


def test_writer_lock_is_reentrant_within_a_thread(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "shop.db"))
    with lock, lock:
        pass
    acquired = threading.Event()

    def other() -> None:
        with lock:
            acquired.set()

    thread = threading.Thread(target=other)
    thread.start()
    assert acquired.wait(5)  # released fully once the outer block ended
    thread.join()


def test_a_disposed_database_closes_its_writer_lock_file(tmp_path: Path) -> None:
    """Each SQLite database holds its lock file open; a process that opens one database
    after another (the stories do, 450 of them) ran out of file descriptors."""

    def lock_files() -> int:
        fds = Path("/proc/self/fd")
        return sum(1 for fd in fds.iterdir() if "writer-lock" in str(_target(fd)))

    before = lock_files()
    database = Database(f"sqlite:///{tmp_path}/shop.db")
    with database.transaction() as session:
        session.execute(text("CREATE TABLE notes (body TEXT)"))
    assert lock_files() == before + 1
    database.dispose()
    assert lock_files() == before
    with database.transaction() as session:  # still usable: the file opens again
        session.execute(text("INSERT INTO notes VALUES ('again')"))
    database.dispose()
    assert lock_files() == before


def _target(fd: Path) -> str:
    try:
        return str(fd.readlink())
    except OSError:  # closed while listed
        return ""


@pytest.fixture
def sqlite_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = Database(f"sqlite:///{tmp_path}/shop.db")
    with database.transaction() as session:
        session.execute(text("CREATE TABLE notes (body TEXT)"))
    yield database
    database.dispose()


def test_a_read_does_not_wait_for_a_writer(sqlite_db: Database) -> None:
    writing, done = threading.Event(), threading.Event()

    def writer() -> None:
        with sqlite_db.transaction() as session:
            session.execute(text("INSERT INTO notes VALUES ('not yet committed')"))
            writing.set()
            done.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(5)
        started = time.monotonic()
        with sqlite_db.reading() as session:
            assert session.scalar(text("SELECT count(*) FROM notes")) == 0
        assert time.monotonic() - started < 1
    finally:
        done.set()
        thread.join()


def test_checkpoint_copies_the_whole_wal_into_the_database(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as session:
        for number in range(200):
            session.execute(text("INSERT INTO notes VALUES (:body)"), {"body": f"note {number}"})
    sqlite_db.checkpoint()
    connection = sqlite_db.engine.raw_connection()
    try:
        busy, frames, copied = connection.driver_connection.execute(  # type: ignore[union-attr]
            "PRAGMA wal_checkpoint(PASSIVE)"
        ).fetchone()
    finally:
        connection.close()
    assert busy == 0 and frames == copied


def test_async_commit_is_only_for_its_own_transaction(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("synchronous_commit is a PostgreSQL setting")
    with db.transaction(async_commit=True) as session:
        assert session.scalar(text("SHOW synchronous_commit")) == "off"
    with db.transaction() as session:
        assert session.scalar(text("SHOW synchronous_commit")) == "on"


def _write_with_a_database_and_dispose(url: str, number: int) -> None:
    database = Database(url)
    with database.transaction() as session:
        customer = Customer(name="Ada")
        session.add_all([customer, Product(sku=f"S{number}", name="Beans", price=1)])
        session.flush()
        customer.name = "Ada L."
    database.dispose()


def test_a_disposed_database_leaves_no_objects_behind(db_url: str) -> None:
    """The ORM caches the statements a flush compiles on its mappers, per dialect: a
    process that makes one Database after another (tests, the conversation stories,
    the benches) kept every earlier engine's, some 2,400 objects a story."""
    for number in range(2):  # what the first ones make for good (imports, mapper setup)
        _write_with_a_database_and_dispose(db_url, number)
    gc.collect()
    before = len(gc.get_objects())
    for number in range(2, 7):
        _write_with_a_database_and_dispose(db_url, number)
    gc.collect()
    assert (len(gc.get_objects()) - before) / 5 < 60
