"""Refunds move money only after the decision commits, and exactly once.

A recording payment gateway, handed to the pay-outs as `bootstrap()` hands a shop's,
counts the money it was asked to send back.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from infra.db import Database, utcnow
from orders import ordering, payments, refund_payouts, returns
from orders.models import Order, OrderEvent, Payment
from orders.status import OrderStatus
from tests.factories import ACTOR, STAFF, make_shop, order_in
from tests.handoff_support import agent, login


class RecordingGateway:
    """Pays out by appending (order id, amount, key); `fail` holds exceptions for the next calls."""

    def __init__(self) -> None:
        self.paid: list[tuple[int, Decimal, str]] = []
        self.fail: list[Exception] = []
        self._lock = threading.Lock()

    def refund(self, order: Order, amount: Decimal, reason: str, key: str) -> str:
        with self._lock:
            if self.fail:
                raise self.fail.pop(0)
            self.paid.append((order.id, amount, key))
            return f"re_{len(self.paid)}"


@pytest.fixture
def gateway() -> RecordingGateway:
    return RecordingGateway()


@pytest.fixture
def paid_order(db: Database) -> int:
    with db.sessions() as session:
        make_shop(session)
        order = order_in(session, OrderStatus.PLACED)
        session.commit()
        return order.id


def refunds(db: Database) -> list[Payment]:
    with db.transaction() as session:
        return list(
            session.scalars(select(Payment).where(Payment.kind == "refund").order_by(Payment.id))
        )


def cancel(db: Database, order_id: int) -> Decimal:
    with db.transaction() as session:
        order = session.get_one(Order, order_id)
        ordering.cancel_order(session, order, actor=ACTOR)
        return -sum(p.amount for p in order.payments if p.kind == "refund")


def test_a_refund_rolled_back_after_the_decision_moves_no_money(
    db: Database, gateway: RecordingGateway, paid_order: int
) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        order = session.get_one(Order, paid_order)
        ordering.cancel_order(session, order, actor=ACTOR)
        assert order.amount_paid == 0  # decided within the transaction...
        raise RuntimeError("a later step of the same transaction failed")
    assert gateway.paid == []  # ...and nothing left before the commit
    assert refund_payouts.pay_out_due(db, gateway) == 0
    assert gateway.paid == [] and refunds(db) == []
    with db.transaction() as session:
        assert session.get_one(Order, paid_order).status == OrderStatus.PLACED


def test_a_committed_refund_is_paid_out_once_by_racing_workers(
    db: Database, gateway: RecordingGateway, paid_order: int
) -> None:
    amount = cancel(db, paid_order)
    assert amount > 0 and gateway.paid == []  # not inside the transaction
    [pending] = refunds(db)
    assert pending.state == "pending"
    workers = [
        threading.Thread(target=refund_payouts.pay_out_due, args=(db, gateway)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    refund_payouts.pay_out_due(db, gateway)
    assert gateway.paid == [(paid_order, amount, f"refund-{pending.id}")]
    [done] = refunds(db)
    assert (done.state, done.reference, done.attempts) == ("done", "re_1", 1)


def test_a_try_without_an_answer_is_repeated_with_the_same_key(
    db: Database, gateway: RecordingGateway, paid_order: int
) -> None:
    amount = cancel(db, paid_order)
    gateway.fail.append(TimeoutError("the gateway did not answer"))
    assert refund_payouts.pay_out_due(db, gateway) == 1
    [row] = refunds(db)
    assert (row.state, row.attempts) == ("pending", 1) and "TimeoutError" in row.last_error
    assert refund_payouts.pay_out_due(db, gateway) == 0  # waits out its backoff
    make_due(db)
    refund_payouts.pay_out_due(db, gateway)
    assert gateway.paid == [(paid_order, amount, f"refund-{row.id}")]
    assert refunds(db)[0].state == "done"


def test_a_worker_killed_mid_call_leaves_it_to_another_after_its_lease(
    db: Database, gateway: RecordingGateway, paid_order: int
) -> None:
    cancel(db, paid_order)
    with db.transaction() as session:
        [claimed] = refund_payouts.claim(session)  # this worker then dies
    assert refund_payouts.pay_out_due(db, gateway) == 0  # leased: nobody else pays it meanwhile
    with db.transaction() as session:
        session.execute(update(Payment).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert refund_payouts.pay_out_due(db, gateway) == 1
    assert [key for _, _, key in gateway.paid] == [claimed.key]


def test_a_refusal_fails_visibly_and_is_not_retried(
    db: Database, gateway: RecordingGateway, paid_order: int
) -> None:
    cancel(db, paid_order)
    gateway.fail.append(payments.RefundFailed("card expired"))
    refund_payouts.pay_out_due(db, gateway)
    make_due(db)
    refund_payouts.pay_out_due(db, gateway)
    [row] = refunds(db)
    assert (row.state, row.last_error, gateway.paid) == ("failed", "card expired", [])
    with db.transaction() as session:
        event = session.scalar(select(OrderEvent).where(OrderEvent.type == "refund_failed"))
        assert event is not None and event.details["error"] == "card expired"


def test_csrs_see_a_failed_refund(
    db: Database, gateway: RecordingGateway, paid_order: int, client: FlaskClient
) -> None:
    amount = cancel(db, paid_order)
    gateway.fail.append(payments.RefundFailed("card <expired>"))
    refund_payouts.pay_out_due(db, gateway)
    with db.sessions() as session:
        agent(session, "csr@example.com")
        number = session.get_one(Order, paid_order).display_number
    login(client, "csr@example.com")
    page = client.get("/csr/dead-letters").get_data(as_text=True)
    assert number in page and str(amount) in page and "card &lt;expired&gt;" in page


def test_a_returns_refund_is_paid_after_commit(
    db: Database, gateway: RecordingGateway, session
) -> None:  # type: ignore[no-untyped-def]
    make_shop(session)
    order = order_in(session, OrderStatus.DELIVERED)
    ret = returns.request_return(session, order, {"MUG": 1}, method="mail", actor=ACTOR)
    returns.approve_return(session, ret, actor=STAFF)
    returns.receive_return(session, ret, actor=STAFF, location_code="WH")
    returns.refund_return(session, ret, actor=STAFF)
    assert gateway.paid == []
    session.commit()
    refund_payouts.pay_out_due(db, gateway)
    [(order_id, amount, key)] = gateway.paid
    assert (order_id, amount, key.startswith("refund-")) == (order.id, Decimal("12.00"), True)


def make_due(db: Database) -> None:
    with db.transaction() as session:
        session.execute(update(Payment).values(next_attempt_at=utcnow()))
