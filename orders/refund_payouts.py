"""Refunds paid out after the transaction that decided them has committed.

`orders.payments.refund` records a pending refund row. Here a worker claims committed
ones with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's IMMEDIATE
transactions serialise claims) and commits the claim, then calls the gateway outside
any write transaction and records its reference. A rollback of the deciding
transaction leaves no row, so no money moves. A try that fails, or a worker that dies
mid-call and whose lease runs out, is tried again with the same idempotency key,
which the gateway passes to its provider: the customer is paid once. A refusal that
will not pass, or too many tries, marks it failed, logged and in the order's history.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from infra import clock
from infra.db import Database
from infra.retry_backoff import backoff_seconds
from infra.row_locks import claimable
from orders import events, payments
from orders.models import Order, Payment

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)  # longer than the slowest gateway call
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 30
POLL_SECONDS = 1.0
BATCH = 10
ERROR_CHARS = 2000


@dataclass(frozen=True)
class Claimed:
    payment_id: int
    order_id: int
    amount: Decimal
    reason: str
    locked_until: datetime

    @property
    def key(self) -> str:
        """The idempotency key: the same on every try of this refund."""
        return f"refund-{self.payment_id}"


def _due(now: datetime) -> ColumnElement[bool]:
    waiting = and_(
        Payment.state == "pending",
        or_(Payment.next_attempt_at.is_(None), Payment.next_attempt_at <= now),
    )
    abandoned = and_(Payment.state == "paying", Payment.locked_until < now)
    return and_(Payment.kind == "refund", or_(waiting, abandoned))


def claim(session: Session, limit: int = BATCH, lease: timedelta = LEASE) -> list[Claimed]:
    now = clock.now(session)
    query = select(Payment).where(_due(now)).order_by(Payment.id).limit(limit)
    claimed = []
    for row in session.scalars(claimable(session, query)):
        row.state, row.locked_until, row.attempts = "paying", now + lease, row.attempts + 1
        claimed.append(Claimed(row.id, row.order_id, -row.amount, row.reason, row.locked_until))
    session.flush()
    return claimed


def pay_out_due(database: Database, gateway: payments.PaymentGateway) -> int:
    """Claim the refunds that are due and pay them out; how many were tried."""
    with database.reading() as session:  # a look that takes no write lock, every second
        if not session.scalar(select(exists().where(_due(clock.now(session))))):
            return 0
    with database.transaction() as session:
        claimed = claim(session)
    for refund in claimed:
        _pay_out(database, gateway, refund)
    return len(claimed)


def _pay_out(database: Database, gateway: payments.PaymentGateway, refund: Claimed) -> None:
    try:
        with database.reading() as session:  # the gateway may read the order and customer
            order = session.get_one(Order, refund.order_id)
            reference = gateway.refund(order, refund.amount, refund.reason, refund.key)
    except payments.RefundFailed as exc:
        _record_failure(database, refund, str(exc), retry=exc.retryable)
    except Exception as exc:  # no answer: the same key makes another try safe
        log.exception("refund %s: the gateway call failed", refund.payment_id)
        _record_failure(database, refund, f"{type(exc).__name__}: {exc}", retry=True)
    else:
        with database.transaction() as session:
            row = _still_ours(session, refund)
            if row is not None:
                row.state, row.reference, row.locked_until = "done", reference[:120], None
                row.last_error = ""


def _still_ours(session: Session, refund: Claimed) -> Payment | None:
    """The row, unless our lease ran out and another worker has taken it over."""
    return session.scalar(
        select(Payment)
        .where(
            Payment.id == refund.payment_id,
            Payment.state == "paying",
            Payment.locked_until == refund.locked_until,
        )
        .with_for_update()
    )


def _record_failure(database: Database, refund: Claimed, error: str, *, retry: bool) -> None:
    with database.transaction() as session:
        row = _still_ours(session, refund)
        if row is None:
            return
        row.last_error, row.locked_until = error[:ERROR_CHARS], None
        if retry and row.attempts < MAX_ATTEMPTS:
            row.state = "pending"
            delay = backoff_seconds(row.attempts, BACKOFF_SECONDS)
            row.next_attempt_at = clock.now(session) + timedelta(seconds=delay)
            return
        row.state = "failed"
        log.error("refund %s of %s failed: %s", row.id, refund.amount, error)
        order = session.get_one(Order, refund.order_id)
        actor = events.Actor.system("refunds")
        events.record(
            session, order, "refund_failed", actor, amount=str(refund.amount), error=error
        )


def run(database: Database, gateway: payments.PaymentGateway, stop: threading.Event) -> None:
    """Pay out due refunds until `stop`; looks every `POLL_SECONDS` when there were none."""
    while not stop.is_set():
        tried = 0
        try:
            tried = pay_out_due(database, gateway)
        except Exception:  # the database restarting, say: keep the loop alive
            log.exception("refund pay-outs failed; continuing")
        if not tried:
            stop.wait(POLL_SECONDS)
