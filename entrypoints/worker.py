"""The background work of a process: answering stored messages, outbox delivery, the IMAP
reader, and paying out committed refunds."""

from __future__ import annotations

import logging
import threading

from bot import dispatch
from channels import email_in
from conversations import delivery
from infra import wakeup
from infra.db import Database
from infra.settings import Settings
from orders import refund_payouts

log = logging.getLogger(__name__)

IDLE_SECONDS = 1.0
CHECKPOINT_SECONDS = 1.0


def run_delivery(database: Database, settings: Settings, stop: threading.Event) -> None:
    """Send until `stop`; sleeps when the outbox is empty until woken or a second passes."""
    while not stop.is_set():
        tried = 0
        try:
            tried = delivery.run_once(database, settings)
        except Exception:  # the database restarting, say: keep the worker alive
            log.exception("delivery worker error; continuing")
            stop.wait(IDLE_SECONDS)
        if not tried:
            delivery.wait_for_work(IDLE_SECONDS)


def run_checkpoints(database: Database, settings: Settings, stop: threading.Event) -> None:
    """SQLite: checkpoint the WAL every second, off the writers' path."""
    while not stop.wait(CHECKPOINT_SECONDS):
        try:
            database.checkpoint()
        except Exception:  # busy or locked this time: the next one will do
            log.exception("WAL checkpoint failed; continuing")


def start(database: Database, settings: Settings) -> threading.Event:
    """Start the worker threads (daemons); set the returned event to stop them."""
    stop = threading.Event()
    wakeup.listen(database, [wakeup.INBOUND], stop)
    dispatch.start(database, settings, stop)
    jobs = [("outbox-delivery", run_delivery), ("refund-payouts", refund_payouts.run)]
    if settings.imap_enabled:
        jobs.append(("imap-reader", email_in.run_reader))
    if database.is_sqlite:
        jobs.append(("sqlite-checkpoint", run_checkpoints))
    for name, job in jobs:
        threading.Thread(
            target=job, args=(database, settings, stop), name=name, daemon=True
        ).start()
    return stop
