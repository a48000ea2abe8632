"""A limit on guessing order and return numbers.

Someone else's number already gets exactly the "not found" answer; this stops a
customer from trying numbers one after another: after `MAX_FAILURES` numbers that
were not theirs within `WINDOW`, the bot looks up no numbers for them until the
oldest failure leaves the window, and says so.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.models import LookupFailure
from infra import clock

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
NUMBER_ENTITIES = ("order_number", "return_number")
NOT_FOUND_CODES = frozenset({"order_not_found", "return_not_found"})


def minutes_paused(session: Session, customer_id: int) -> int:
    """0 if the customer may look numbers up now, else the minutes until they may."""
    since = clock.now(session) - WINDOW
    recent = list(
        session.scalars(
            select(LookupFailure.created_at)
            .where(LookupFailure.customer_id == customer_id, LookupFailure.created_at > since)
            .order_by(LookupFailure.created_at.desc())
            .limit(MAX_FAILURES)
        )
    )
    if len(recent) < MAX_FAILURES:
        return 0
    free_at = recent[-1] + WINDOW
    return max(1, math.ceil((free_at - clock.now(session)).total_seconds() / 60))


def record_failure(session: Session, customer_id: int) -> None:
    """Count one failed lookup; older rows of this customer are dropped as they expire."""
    session.execute(
        delete(LookupFailure).where(
            LookupFailure.customer_id == customer_id,
            LookupFailure.created_at <= clock.now(session) - WINDOW,
        )
    )
    session.add(LookupFailure(customer_id=customer_id, created_at=clock.now(session)))
    session.flush()
