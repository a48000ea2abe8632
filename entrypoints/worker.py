"""The background work of a process: answering stored messages, outbox delivery, the IMAP
reader, and paying out committed refunds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot import catalog_cache, dispatch
from channels import email_in
from conversations import delivery
from entrypoints.bootstrap import Wiring
from infra import wakeup
from infra.db import Database
from orders import refund_payouts

log = logging.getLogger(__name__)

IDLE_SECONDS = 1.0
CHECKPOINT_SECONDS = 1.0


def run_delivery(wiring: Wiring, stop: threading.Event) -> None:
    """Send until `stop`; sleeps when the outbox is empty until woken or a second passes."""
    while not stop.is_set():
        tried = 0
        try:
            tried = delivery.run_once(wiring.database, wiring.settings, wiring.senders)
        except Exception:  # the database restarting, say: keep the worker alive
            log.exception("delivery worker error; continuing")
            stop.wait(IDLE_SECONDS)
        if not tried:
            wiring.wakeups.outbox.wait(IDLE_SECONDS)


def run_checkpoints(database: Database, stop: threading.Event) -> None:
    """SQLite: checkpoint the WAL every second, off the writers' path."""
    while not stop.wait(CHECKPOINT_SECONDS):
        try:
            database.checkpoint()
        except Exception:  # busy or locked this time: the next one will do
            log.exception("WAL checkpoint failed; continuing")


def _warm_catalogue(database: Database) -> None:
    """The bot's catalogue index, built before the first turn needs it (seconds on a big
    catalogue); a failure here is the first turn's to report."""
    try:
        catalog_cache.warm(database)
    except Exception:
        log.exception("building the catalogue index at start failed; a turn will retry")


def start(wiring: Wiring) -> threading.Event:
    """Start the worker threads (daemons); set the returned event to stop them."""
    database, settings = wiring.database, wiring.settings
    stop = threading.Event()
    wakeup.listen(database, [wiring.wakeups.inbound], stop)
    dispatch.start(database, settings, stop)
    jobs: list[tuple[str, Callable[[], None]]] = [
        ("catalogue-index", lambda: _warm_catalogue(database)),
        ("outbox-delivery", lambda: run_delivery(wiring, stop)),
        ("refund-payouts", lambda: refund_payouts.run(database, wiring.gateway, stop)),
    ]
    if settings.imap_enabled:
        jobs.append(("imap-reader", lambda: email_in.run_reader(database, settings, stop)))
    if database.is_sqlite:
        jobs.append(("sqlite-checkpoint", lambda: run_checkpoints(database, stop)))
    for name, job in jobs:
        threading.Thread(target=job, name=name, daemon=True).start()
    return stop
