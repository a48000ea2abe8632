"""The clock: what time it is, as the process's wiring says.

Everything that decides by time (leases, rate limits, the WhatsApp 24-hour window, the
return window, the pickup sweep, how long a handoff has waited, when a token's
`last_used_at` is due, a report's "today") asks the clock `bootstrap()` wired into its
database, through its session or the database (`now(carrier)`), never the system clock
directly. A process runs on `SystemClock`; a test hands `bootstrap()` a `ManualClock`
and moves it, instead of sleeping or rewriting stored times.

Columns' defaults (`created_at` and the like, `infra.db.utcnow`) stay the system clock:
SQLAlchemy evaluates them with no session at hand. A `ManualClock` starts at the system
time, so the two agree until a test moves it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from infra.db import Database, utcnow, wired

CLOCK = "clock"  # the database wiring's key


class Clock(Protocol):
    def now(self) -> datetime:
        """The time now, timezone-aware UTC."""
        ...


class SystemClock:
    """The computer's clock."""

    def now(self) -> datetime:
        return utcnow()


class ManualClock:
    """A clock that moves only when told: `advance(days=31)` and a return window has
    closed, with no sleep and no stored time rewritten. Safe to move from a test while
    a worker thread reads it."""

    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("naive datetime; give the clock a UTC time")
        self._now = (start or utcnow()).astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by `delta` or by `units` (timedelta's: days=, hours=, seconds=...)."""
        step = (delta or timedelta()) + timedelta(**units)
        if step < timedelta():
            raise ValueError("a clock does not go back")
        with self._lock:
            self._now += step
            return self._now


def clock(carrier: Session | Database) -> Clock:
    """The clock `bootstrap()` wired into this database (or this session's)."""
    found: Clock = wired(carrier, CLOCK)
    return found


def now(carrier: Session | Database) -> datetime:
    """The time now by the wired clock."""
    return clock(carrier).now()
