"""Wake-ups: tell whoever waits for new work that there is some, at once, across processes.

A `Signal` is a named wake-up; within one process `wake()` sets an Event. `bootstrap()`
makes a process's `Wakeups` (new inbound messages, outbox rows to send) and wires them
into its database, where intake, the answering threads and the delivery worker find
them (`wakeups(database or session)`). Across processes:

- PostgreSQL: a transaction that runs `pg_notify(signal.channel, '')` (intake does it
  in its insert) wakes every process that runs `listen()` when, and only if, it commits.
- SQLite, whose processes all share one host: after its commit the writer calls
  `notify_processes()`, which writes a byte to a named pipe beside the database
  (`<database>.<channel>`); a process that runs `listen()` reads it. A byte reaches one
  listening process, which is enough: any of them can do the work. Where there are no
  named pipes (Windows), waiters only poll.

A lost wake-up costs only time: waiters also look every few tenths of a second.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from dataclasses import dataclass, field

import psycopg
from sqlalchemy.orm import Session

from infra.db import Database, wired

log = logging.getLogger(__name__)

LISTEN_RECONNECT_SECONDS = 1.0


class Signal:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._event = threading.Event()
        self._writers: dict[str, _PipeWriter] = {}  # by pipe path: this signal's SQLite pipes
        self._writers_lock = threading.Lock()

    def wake(self) -> None:
        """Wake this process's waiters (after the commit)."""
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Until woken (True), or `timeout` seconds (False)."""
        woken = self._event.wait(timeout)
        self._event.clear()
        return woken

    def _writer(self, path: str) -> _PipeWriter:
        with self._writers_lock:
            if path not in self._writers:
                self._writers[path] = _PipeWriter(path)
            return self._writers[path]


@dataclass(frozen=True)
class Wakeups:
    """A process's wake-ups. Only `inbound` crosses processes (see `listen`): outbox rows
    are made by the answering threads of the process whose worker sends them, or wait
    for that worker's next look."""

    inbound: Signal = field(default_factory=lambda: Signal("inbound_message"))
    outbox: Signal = field(default_factory=lambda: Signal("outbox"))


WAKEUPS = "wakeups"  # the database wiring's key


def wakeups(carrier: Database | Session) -> Wakeups:
    """The wake-ups `bootstrap()` wired into this database (or this session's)."""
    found: Wakeups = wired(carrier, WAKEUPS)
    return found


def statement_channel(database: Database, signal: Signal | None) -> str | None:
    """The channel a write's own statement names in `pg_notify(channel, '')`, so that its
    commit wakes `signal` in other processes (PostgreSQL); None where a commit cannot
    announce itself (SQLite: call `notify_processes` after it) or there is no `signal`."""
    return signal.channel if signal is not None and not database.is_sqlite else None


def notify_processes(database: Database, signal: Signal) -> None:
    """After a commit that made work for `signal`: wake a process listening for it on this
    host (SQLite's pipes). Nothing to do on PostgreSQL: the statement's pg_notify
    (`statement_channel`) did it with the commit."""
    path = _pipe_path(database, signal)
    if path is not None:
        signal._writer(path).send()


def listen(database: Database, signals: list[Signal], stop: threading.Event) -> None:
    """Start a thread that wakes `signals` when another process announces them.

    A lost connection (the PostgreSQL server restarting) is retried every second;
    meanwhile the waiters fall back on their own polling, so nothing is missed, only later.
    """
    if not database.is_sqlite:
        target, args = _listen_postgres, (database, signals, stop)
    elif paths := {path: s for s in signals if (path := _pipe_path(database, s)) is not None}:
        target, args = _listen_pipes, (paths, stop)
    else:
        return
    threading.Thread(target=target, args=args, name="wakeup-listen", daemon=True).start()


def _listen_postgres(database: Database, signals: list[Signal], stop: threading.Event) -> None:
    by_channel = {signal.channel: signal for signal in signals}
    args, kwargs = database.engine.dialect.create_connect_args(database.engine.url)
    while not stop.is_set():
        try:
            with psycopg.connect(*args, **kwargs, autocommit=True) as connection:
                for channel in by_channel:
                    connection.execute(f'LISTEN "{channel}"')
                for signal in by_channel.values():
                    signal.wake()  # anything sent while we were not listening
                while not stop.is_set():
                    for notice in connection.notifies(timeout=1.0):
                        by_channel[notice.channel].wake()
        except psycopg.Error as exc:
            log.warning("listening for wake-ups failed (%s); retrying", type(exc).__name__)
            stop.wait(LISTEN_RECONNECT_SECONDS)


# --- SQLite: named pipes ------------------------------------------------------------------


def _pipe_path(database: Database, signal: Signal) -> str | None:
    path = database.engine.url.database
    if not database.is_sqlite or not hasattr(os, "mkfifo") or path in (None, "", ":memory:"):
        return None
    return f"{path}.{signal.channel}"


def _listen_pipes(signals: dict[str, Signal], stop: threading.Event) -> None:
    readers: dict[int, Signal] = {}
    own_writers: list[int] = []
    try:
        for path, signal in signals.items():
            with contextlib.suppress(FileExistsError):
                os.mkfifo(path, 0o600)
            readers[os.open(path, os.O_RDONLY | os.O_NONBLOCK)] = signal
            # With no writer open, a pipe reads as end-of-file at once, forever: hold one.
            own_writers.append(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            signal.wake()  # anything sent before we listened
        while not stop.is_set():
            ready, _, _ = select.select(list(readers), [], [], 1.0)
            for descriptor in ready:
                os.read(descriptor, 4096)  # every byte waiting: a burst makes one wake-up
                readers[descriptor].wake()
    except OSError:
        log.exception("listening for wake-ups failed; the waiters poll instead")
    finally:
        for descriptor in [*readers, *own_writers]:
            os.close(descriptor)


class _PipeWriter:
    """This process's writing end of one pipe, opened when first needed and while a
    listener exists (opening one with no reader fails, and so does a write after the
    last reader has gone: both mean no one is listening, so nothing is lost by skipping;
    Python ignores SIGPIPE, so the write raises rather than ending the process)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._descriptor: int | None = None

    def send(self) -> None:
        with self._lock:
            try:
                if self._descriptor is None:
                    self._descriptor = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
                os.write(self._descriptor, b"\n")
            except BlockingIOError:
                pass  # the pipe is full of wake-ups the listener has yet to read
            except OSError:  # no pipe yet, no listener, or the listener has gone
                self._close()

    def _close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
