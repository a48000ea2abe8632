"""Returns and refunds: eligibility, window, restocking, refund limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from infra.clock import ManualClock
from orders import returns
from orders.errors import (
    IllegalTransition,
    RefundNotAllowed,
    ReturnNotAllowed,
    ReturnNotFound,
    ValidationFailed,
)
from orders.status import OrderStatus
from tests.factories import ACTOR, STAFF, ledger_total, make_shop, order_in, stock


@pytest.fixture
def clock() -> ManualClock:
    """The database's clock: it moves only when a test moves it."""
    return ManualClock()


@pytest.fixture
def delivered(session: Session):  # type: ignore[no-untyped-def]
    make_shop(session)
    return order_in(session, OrderStatus.DELIVERED)  # 2 BEAN at 14.50, 1 MUG at 12.00, from WH


def test_full_return_by_mail_restocks_and_refunds(session: Session, delivered) -> None:  # type: ignore[no-untyped-def]
    ret = returns.request_return(
        session, delivered, None, method="mail", actor=ACTOR, reason="not for me"
    )
    session.commit()
    assert ret.display_number == "R2001" and ret.status == "requested"
    returns.approve_return(session, ret, actor=STAFF)
    returns.receive_return(
        session, ret, actor=STAFF, location_code="WH", conditions={"MUG": "damaged"}
    )
    session.commit()
    assert delivered.status == "returned"
    assert stock(session, "BEAN", "WH").on_hand == 10  # 2 shipped out, 2 back
    assert stock(session, "MUG", "WH").on_hand == 9  # damaged: not back on the shelf
    assert ledger_total(session, "BEAN", "WH") == 10
    returns.refund_return(session, ret, actor=STAFF)
    session.commit()
    assert (ret.status, ret.refund_amount) == ("refunded", Decimal("41.00"))
    assert delivered.amount_paid == Decimal("0.00")
    with pytest.raises(IllegalTransition):
        returns.refund_return(session, ret, actor=STAFF)


def test_partial_return_in_store(session: Session, delivered) -> None:  # type: ignore[no-untyped-def]
    ret = returns.walk_in_return(session, delivered, {"BEAN": 1}, location_code="DT", actor=STAFF)
    session.commit()
    assert (ret.status, delivered.status) == ("received", "partially_returned")
    assert stock(session, "BEAN", "DT").on_hand == 11
    with pytest.raises(RefundNotAllowed, match=r"14\.50"):
        returns.refund_return(session, ret, actor=STAFF, amount=Decimal("20.00"))
    returns.refund_return(session, ret, actor=STAFF, amount=Decimal("10.00"))
    session.commit()
    assert delivered.amount_paid == Decimal("31.00")


def test_a_return_announced_for_one_store_and_brought_to_another_says_where_it_is(
    session: Session, delivered
) -> None:  # type: ignore[no-untyped-def]
    ret = returns.request_return(
        session, delivered, None, method="store", location_code="DT", actor=ACTOR
    )
    returns.approve_return(session, ret, actor=STAFF)
    assert ret.location is not None and ret.location.code == "DT"
    returns.receive_return(session, ret, actor=STAFF, location_code="WH")
    assert ret.location is not None and ret.location.code == "WH"  # before any reload
    assert stock(session, "BEAN", "WH").on_hand == 10


def test_cannot_return_more_than_was_shipped_or_is_already_returning(
    session: Session, delivered
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReturnNotAllowed, match="Only 2"):
        returns.request_return(session, delivered, {"BEAN": 3}, method="mail", actor=ACTOR)
    returns.request_return(session, delivered, {"BEAN": 2}, method="mail", actor=ACTOR)
    with pytest.raises(ReturnNotAllowed, match="Only 0"):
        returns.request_return(session, delivered, {"BEAN": 1}, method="mail", actor=ACTOR)


def test_rejected_return_frees_the_items_again(session: Session, delivered) -> None:  # type: ignore[no-untyped-def]
    ret = returns.request_return(session, delivered, {"BEAN": 2}, method="mail", actor=ACTOR)
    returns.reject_return(session, ret, actor=STAFF, reason="used")
    again = returns.request_return(session, delivered, {"BEAN": 2}, method="mail", actor=ACTOR)
    assert again.status == "requested"
    with pytest.raises(IllegalTransition):
        returns.receive_return(session, ret, actor=STAFF, location_code="WH")


def test_nothing_shipped_nothing_to_return(session: Session) -> None:
    make_shop(session)
    for status in (OrderStatus.PLACED, OrderStatus.CANCELLED, OrderStatus.READY_FOR_PICKUP):
        order = order_in(session, status)
        with pytest.raises(ReturnNotAllowed):
            returns.request_return(session, order, None, method="mail", actor=ACTOR)


def test_return_window(session: Session, delivered, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    clock.advance(days=31)
    with pytest.raises(ReturnNotAllowed, match="30-day"):
        returns.request_return(session, delivered, None, method="mail", actor=ACTOR)
    assert returns.request_return(
        session, delivered, None, method="mail", actor=ACTOR, window_days=45
    )


def test_receive_and_refund_need_the_right_state(session: Session, delivered) -> None:  # type: ignore[no-untyped-def]
    ret = returns.request_return(session, delivered, {"MUG": 1}, method="mail", actor=ACTOR)
    with pytest.raises(IllegalTransition):
        returns.receive_return(session, ret, actor=STAFF, location_code="WH")
    with pytest.raises(IllegalTransition):
        returns.refund_return(session, ret, actor=STAFF)
    returns.approve_return(session, ret, actor=STAFF)
    with pytest.raises(ValidationFailed):
        returns.receive_return(session, ret, actor=STAFF)  # by mail: where did it arrive?
    with pytest.raises(ValidationFailed):
        returns.receive_return(
            session, ret, actor=STAFF, location_code="WH", conditions={"MUG": "shiny"}
        )
    session.commit()
    assert stock(session, "MUG", "WH").on_hand == 9
    with pytest.raises(ReturnNotFound):
        returns.get_return(session, "R9999")
    with pytest.raises(RefundNotAllowed):
        returns.receive_return(session, ret, actor=STAFF, location_code="WH")
        returns.refund_return(session, ret, actor=STAFF, amount=Decimal("-5"))
