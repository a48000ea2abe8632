"""Wake-ups: tell whoever waits for new work that there is some, at once, across processes.

A `Signal` is a named wake-up. On PostgreSQL a transaction that runs
`pg_notify(signal.channel, '')` (intake does it in its insert) wakes every process that
runs `listen()` when, and only if, it commits; within one process `wake()` sets an Event.
On SQLite there is nothing to listen to, so waiters also poll: `wait()` always returns
after its timeout.
"""

from __future__ import annotations

import logging
import threading

import psycopg

from db import Database

log = logging.getLogger(__name__)

LISTEN_RECONNECT_SECONDS = 1.0


class Signal:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._event = threading.Event()

    def wake(self) -> None:
        """Wake this process's waiters (after the commit)."""
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Until woken (True), or `timeout` seconds (False)."""
        woken = self._event.wait(timeout)
        self._event.clear()
        return woken


INBOUND = Signal("inbound_message")


def listen(database: Database, signals: list[Signal], stop: threading.Event) -> None:
    """Start a thread that wakes `signals` when another process notifies them (PostgreSQL).

    A lost connection (the server restarting) is retried every second; meanwhile the
    waiters fall back on their own polling, so nothing is missed, only later.
    """
    if database.is_sqlite:
        return
    threading.Thread(
        target=_listen, args=(database, signals, stop), name="pg-listen", daemon=True
    ).start()


def _listen(database: Database, signals: list[Signal], stop: threading.Event) -> None:
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
