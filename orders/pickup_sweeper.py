"""Run `stockops.sweep_uncollected_pickups` on its own transaction, once or every hour.

`python app.py` starts the loop in-process; production runs it in `python app.py
worker` or from cron with `python app.py pickups-sweep`. Running it in several
processes at once is safe: the reminder is claimed with a conditional update and a
cancel re-checks the order under a row lock.
"""

from __future__ import annotations

import logging
import threading

from infra.db import Database
from infra.settings import Settings
from orders.stockops import SweepResult, sweep_uncollected_pickups

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 3600


def sweep_once(database: Database, settings: Settings) -> SweepResult:
    with database.transaction() as session:
        result = sweep_uncollected_pickups(
            session,
            reminder_days=settings.pickup_reminder_days,
            expiry_days=settings.pickup_expiry_days,
        )
    if result.reminded or result.cancelled:
        log.info("pickups reminded %s, cancelled %s", result.reminded, result.cancelled)
    return result


def start(
    database: Database, settings: Settings, interval_seconds: float = INTERVAL_SECONDS
) -> threading.Thread:
    """A daemon thread that sweeps now and then every `interval_seconds`."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                sweep_once(database, settings)
            except Exception:  # a bad night must not kill the loop; the next run retries
                log.exception("pickup sweep failed")
            stop.wait(interval_seconds)

    thread = threading.Thread(target=loop, name="pickup-sweeper", daemon=True)
    thread.start()
    return thread
