"""What a CSR's open console tabs are told about the queue: the live alert state.

`state()` is small and cheap (two indexed queries): the waiting chats, how many wait
too long, the chats assigned to this CSR, and a `token` that changes whenever any of
that changes. `wait_for_change()` is the long poll behind /csr/queue/alerts: it answers
as soon as the token differs from the one the tab last saw, or after a bounded wait, so
a tab learns of a new chat within about a second without holding a connection for long.
"""

from __future__ import annotations

import hashlib
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from conversations.staff_models import Handoff
from infra import clock as wired_clock
from infra.db import Database
from infra.settings import Settings

CHECK_EVERY_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 20.0


@dataclass(frozen=True)
class AlertState:
    token: str
    waiting: list[int]  # handoff ids, oldest first
    overdue: list[int]
    mine: list[int]  # open handoffs assigned to this CSR

    def to_json(self) -> dict[str, object]:
        return {
            "token": self.token,
            "waiting": self.waiting,
            "overdue": self.overdue,
            "mine": self.mine,
        }


def state(database: Database, settings: Settings, user_id: int, now: datetime) -> AlertState:
    overdue_before = now - timedelta(minutes=settings.handoff_wait_alert_minutes)
    with database.reading() as session:
        waiting = session.execute(
            select(Handoff.id, Handoff.created_at)
            .where(Handoff.status == "waiting")
            .order_by(Handoff.created_at, Handoff.id)
        ).all()
        mine = list(
            session.scalars(
                select(Handoff.id)
                .where(Handoff.status == "assigned", Handoff.assigned_to_id == user_id)
                .order_by(Handoff.id)
            )
        )
    waiting_ids = [row.id for row in waiting]
    overdue = [row.id for row in waiting if row.created_at <= overdue_before]
    digest = hashlib.sha256(repr((waiting_ids, overdue, mine)).encode()).hexdigest()[:16]
    return AlertState(digest, waiting_ids, overdue, mine)


def wait_for_change(
    database: Database, settings: Settings, user_id: int, seen: str, wait_seconds: float
) -> AlertState:
    """The state as soon as its token differs from `seen`, or when the wait is over."""
    deadline = clock.monotonic() + min(max(wait_seconds, 0.0), LONGEST_WAIT_SECONDS)
    while True:
        current = state(database, settings, user_id, wired_clock.now(database))
        if current.token != seen or clock.monotonic() >= deadline:
            return current
        clock.sleep(CHECK_EVERY_SECONDS)
