"""The background work of a process: outbox delivery, stranded-message recovery, the IMAP reader."""

from __future__ import annotations

import logging
import threading
import time

from channels import delivery, email_in, intake
from db import Database
from settings import Settings

log = logging.getLogger(__name__)

IDLE_SECONDS = 1.0
STRANDED_SWEEP_SECONDS = 10.0


def run_delivery(database: Database, settings: Settings, stop: threading.Event) -> None:
    """Send until `stop`; sleeps when the outbox is empty until woken or a second passes."""
    last_sweep = 0.0
    while not stop.is_set():
        tried = 0
        try:
            tried = delivery.run_once(database, settings)
            if time.monotonic() - last_sweep >= STRANDED_SWEEP_SECONDS:
                intake.handle_stranded(database, settings)
                last_sweep = time.monotonic()
        except Exception:  # the database restarting, say: keep the worker alive
            log.exception("delivery worker error; continuing")
            stop.wait(IDLE_SECONDS)
        if not tried:
            delivery.wait_for_work(IDLE_SECONDS)


def start(database: Database, settings: Settings) -> threading.Event:
    """Start the worker threads (daemons); set the returned event to stop them."""
    stop = threading.Event()
    jobs = [("outbox-delivery", run_delivery)]
    if settings.imap_enabled:
        jobs.append(("imap-reader", email_in.run_reader))
    for name, job in jobs:
        threading.Thread(
            target=job, args=(database, settings, stop), name=name, daemon=True
        ).start()
    return stop
