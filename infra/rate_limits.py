"""Counting events per subject in fixed time windows, in the database.

Web processes and workers run on several hosts, so a count kept in memory would be
one process's view; a row per (bucket, subject, window) is everyone's. One statement adds
the event and reads the total (an upsert), so two processes counting at once get two
different totals and never both the last allowed one. A fixed window lets a burst of
up to twice the limit through across a window's edge; that is the price of one row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, String, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from infra import clock
from infra.db import Base

# Rows are deleted this long after their window ended: by then no open transaction
# still counts in them, so a delete never waits for (or deadlocks with) a counter.
KEEP_SECONDS = 86_400


class RateCounter(Base):
    """How many events `subject` had in `bucket` during one window."""

    __tablename__ = "rate_counters"

    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(320), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Unix seconds
    hits: Mapped[int] = mapped_column(Integer)
    window_end: Mapped[int] = mapped_column(BigInteger, index=True)  # Unix seconds


@dataclass(frozen=True)
class Limit:
    """At most `allowed` events per subject in `bucket` every `seconds`; 0 allows any number."""

    bucket: str
    allowed: int
    seconds: int


# Text, as in conversations/intake.py: SQLite and PostgreSQL both speak this upsert, and
# SQLAlchemy would compile on_conflict_do_update() anew for every call.
_COUNT = text(
    "INSERT INTO rate_counters (bucket, subject, window_start, hits, window_end)"
    " VALUES (:bucket, :subject, :window_start, 1, :window_end)"
    " ON CONFLICT (bucket, subject, window_start) DO UPDATE SET hits = rate_counters.hits + 1"
    " RETURNING hits"
)
_FORGET = text("DELETE FROM rate_counters WHERE window_end < :before")


def count(session: Session, limit: Limit, subject: str, now: float | None = None) -> int:
    """Count one event for `subject`; how many its window holds now, this one included.

    Runs in the caller's transaction: if that rolls back, the event was never counted.
    """
    now = clock.now(session).timestamp() if now is None else now
    start = int(now) // limit.seconds * limit.seconds
    values = {
        "bucket": limit.bucket,
        "subject": subject[:320],
        "window_start": start,
        "window_end": start + limit.seconds,
    }
    hits = session.execute(_COUNT, values).scalar_one()
    if hits == 1:  # a new window: a good moment to drop the long-finished ones
        session.execute(_FORGET, {"before": int(now) - KEEP_SECONDS})
    return hits


def allow(session: Session, limit: Limit, subject: str, now: float | None = None) -> bool:
    """Count one event; False once `subject` is over its limit in this window."""
    return limit.allowed <= 0 or count(session, limit, subject, now) <= limit.allowed
