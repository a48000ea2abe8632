"""SQLite's cross-process wake-ups over a named pipe (PostgreSQL's NOTIFY is tested with
the answering workers in test_answering.py)."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra import wakeup
from infra.db import Database

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/shop.db")
    yield database
    database.dispose()


def listening(database: Database, signal: wakeup.Signal) -> threading.Event:
    """Listen for `signal` until the returned event is set; returns once listening."""
    stop = threading.Event()
    wakeup.listen(database, [signal], stop)
    assert signal.wait(5), "the listener wakes its signal once it listens"
    return stop


def test_another_process_storing_wakes_the_listener(sqlite_db: Database, tmp_path: Path) -> None:
    signal = wakeup.Signal("test_wakeup")
    stop = listening(sqlite_db, signal)
    other_process = Database(f"sqlite:///{tmp_path}/shop.db")
    try:
        assert not signal.wait(0.05)
        wakeup.notify_processes(other_process, signal)
        assert signal.wait(5)
    finally:
        stop.set()
        other_process.dispose()
    assert stat.S_ISFIFO(os.stat(f"{tmp_path}/shop.db.test_wakeup").st_mode)


def test_a_listener_too_busy_to_read_never_blocks_the_writer(
    sqlite_db: Database, tmp_path: Path
) -> None:
    signal = wakeup.Signal("test_busy")
    path = f"{tmp_path}/shop.db.test_busy"
    os.mkfifo(path)
    unread = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a listener that never reads
    try:
        started = time.monotonic()
        for _ in range(200_000):  # more bytes than a pipe holds
            wakeup.notify_processes(sqlite_db, signal)
        assert time.monotonic() - started < 10
        assert os.read(unread, 1_000_000)
    finally:
        os.close(unread)


def test_notifying_with_no_listener_is_harmless(sqlite_db: Database, tmp_path: Path) -> None:
    signal = wakeup.Signal("test_nobody")
    wakeup.notify_processes(sqlite_db, signal)  # no pipe yet
    stop = listening(sqlite_db, signal)
    wakeup.notify_processes(sqlite_db, signal)
    stop.set()
    time.sleep(1.5)  # the listener notices `stop` within its one-second select and leaves
    wakeup.notify_processes(sqlite_db, signal)  # nobody reads the pipe any more
    stop = listening(sqlite_db, signal)  # a worker started again
    try:
        while signal.wait(0.1):
            pass  # what was sent while nobody listened
        wakeup.notify_processes(sqlite_db, signal)
        assert signal.wait(5)
    finally:
        stop.set()
