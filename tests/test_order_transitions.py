"""Every operation tried from every order status: allowed exactly where the table says."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from orders import fulfilment, ordering, returns
from orders.errors import DomainError, IllegalTransition
from orders.models import Order
from orders.status import ORDER_TRANSITIONS, OrderStatus
from tests.factories import ACTOR, STAFF, make_shop, order_in

S = OrderStatus


def _modify(session: Session, order: Order) -> None:
    ordering.modify_order(
        session, order, ordering.OrderChanges(quantities={"BEAN": 3}), actor=ACTOR
    )


def _return(session: Session, order: Order) -> None:
    returns.request_return(session, order, {"BEAN": 1}, method="mail", actor=ACTOR)


OPERATIONS: dict[str, tuple[Callable[[Session, Order], object], set[OrderStatus]]] = {
    "modify": (_modify, {S.PLACED}),
    "cancel": (
        lambda s, o: ordering.cancel_order(s, o, actor=ACTOR),
        {S.PLACED, S.PROCESSING, S.READY_FOR_PICKUP},
    ),
    "processing": (lambda s, o: fulfilment.mark_processing(s, o, actor=STAFF), {S.PLACED}),
    "ship": (
        lambda s, o: fulfilment.ship(s, o, carrier="UPS", tracking_number="1", actor=STAFF),
        {S.PLACED, S.PROCESSING, S.PARTIALLY_SHIPPED},
    ),
    "ready": (
        lambda s, o: fulfilment.mark_ready_for_pickup(s, o, actor=STAFF),
        {S.PLACED, S.PROCESSING},
    ),
    "picked_up": (
        lambda s, o: fulfilment.mark_picked_up(s, o, o.pickup_code, actor=STAFF),
        {S.READY_FOR_PICKUP},
    ),
    "delivered": (
        lambda s, o: fulfilment.mark_delivered(s, o, actor=STAFF),
        {S.SHIPPED, S.PARTIALLY_SHIPPED},
    ),
    "return": (
        _return,
        {S.SHIPPED, S.DELIVERED, S.PICKED_UP, S.PARTIALLY_SHIPPED, S.PARTIALLY_RETURNED},
    ),
}
PICKUP_ONLY = {"ready", "picked_up"}
PICKUP_REACHABLE = {S.PLACED, S.PROCESSING, S.READY_FOR_PICKUP, S.PICKED_UP, S.CANCELLED}
CASES = [(op, status) for op in OPERATIONS for status in S]


@pytest.mark.parametrize(("op", "status"), CASES, ids=[f"{o}-from-{s}" for o, s in CASES])
def test_operation_allowed_only_from_listed_statuses(
    session: Session, op: str, status: OrderStatus
) -> None:
    make_shop(session)
    order = order_in(session, status, pickup=op in PICKUP_ONLY and status in PICKUP_REACHABLE)
    action, allowed_from = OPERATIONS[op]
    before = order.status
    if status in allowed_from:
        action(session, order)
        session.commit()
        assert order.status in ORDER_TRANSITIONS[before] | {before}
    else:
        with pytest.raises(DomainError):
            action(session, order)
        session.commit()
        session.expire_all()
        assert order.status == before


def test_transition_table_names_every_status() -> None:
    assert set(ORDER_TRANSITIONS) == set(OrderStatus)
    assert ORDER_TRANSITIONS[S.CANCELLED] == frozenset()
    assert ORDER_TRANSITIONS[S.RETURNED] == frozenset()


def test_refused_modification_says_why(session: Session) -> None:
    make_shop(session)
    order = order_in(session, S.SHIPPED)
    with pytest.raises(IllegalTransition, match="already shipped"):
        _modify(session, order)
