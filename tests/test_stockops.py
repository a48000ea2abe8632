"""Store operations through the service layer: stock moves, queues, the pickup sweep,
returns received at the counter, location scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.db import utcnow
from orders import fulfilment, ordering, queries, returns, stockops
from orders.errors import (
    IllegalTransition,
    InvalidQuantity,
    LocationAccessDenied,
    LocationNotFound,
    OutOfStock,
    ProductNotFound,
    ReturnNotAllowed,
    ValidationFailed,
)
from orders.models import OrderEvent, StockMovement
from orders.status import OrderStatus
from tests.factories import ACTOR, STAFF, customer, ledger_total, make_shop, order_in, stock


@pytest.fixture
def shop(session: Session) -> Session:
    make_shop(session)  # 10 of each product at WH, DT and RV
    return session


def pickup_order(session: Session, code: str = "DT", items: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
    order = ordering.place_order(
        session,
        customer(session, phone=f"+1555444{len(queries.search_orders(session)):04d}"),
        items or {"BEAN": 2},
        method="pickup",
        pickup_location_code=code,
        actor=ACTOR,
    )
    session.commit()
    return order


def test_receive_stock_writes_the_ledger_with_who_and_why(shop: Session) -> None:
    row = stockops.receive_stock(shop, "bean", "dt", 25, actor=STAFF, note="PO-77")
    shop.commit()
    assert row.on_hand == 35 == ledger_total(shop, "BEAN", "DT")
    last = shop.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert (last.delta, last.reason, last.actor, last.note) == (
        25,
        "receipt",
        "csr:csr@example.com",
        "PO-77",
    )
    assert last.at is not None


@pytest.mark.parametrize("quantity", [0, -3, 100_001, 2.5, "5", True])
def test_receive_refuses_bad_quantities(shop: Session, quantity: object) -> None:
    with pytest.raises(InvalidQuantity):
        stockops.receive_stock(shop, "BEAN", "DT", quantity, actor=STAFF)  # type: ignore[arg-type]
    shop.commit()
    assert stock(shop, "BEAN", "DT").on_hand == 10


def test_receive_refuses_unknown_product_location_and_long_note(shop: Session) -> None:
    with pytest.raises(ProductNotFound):
        stockops.receive_stock(shop, "NOPE", "DT", 1, actor=STAFF)
    with pytest.raises(LocationNotFound):
        stockops.receive_stock(shop, "BEAN", "XX", 1, actor=STAFF)
    with pytest.raises(ValidationFailed, match="too long"):
        stockops.receive_stock(shop, "BEAN", "DT", 1, actor=STAFF, note="x" * 501)
    shop.commit()
    assert ledger_total(shop, "BEAN", "DT") == 10


def test_adjustments_by_reason(shop: Session) -> None:
    stockops.adjust_stock(shop, "MUG", "RV", reason="damage", delta=-2, actor=STAFF)
    stockops.adjust_stock(shop, "MUG", "RV", reason="theft", delta=-1, actor=STAFF)
    stockops.adjust_stock(shop, "MUG", "RV", reason="found", delta=1, actor=STAFF)
    stockops.adjust_stock(shop, "MUG", "RV", reason="count", counted=6, actor=STAFF)
    shop.commit()
    assert stock(shop, "MUG", "RV").on_hand == 6 == ledger_total(shop, "MUG", "RV")
    reasons = shop.scalars(
        select(StockMovement.reason).where(StockMovement.actor == STAFF.label)
    ).all()
    assert reasons == ["damage", "theft", "found", "count"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"reason": "damage", "delta": 2}, ValidationFailed),
        ({"reason": "found", "delta": -2}, ValidationFailed),
        ({"reason": "shrinkage", "delta": -1}, ValidationFailed),
        ({"reason": "count"}, ValidationFailed),
        ({"reason": "count", "delta": -1, "counted": 3}, ValidationFailed),
        ({"reason": "count", "counted": -1}, InvalidQuantity),
        ({"reason": "damage", "delta": 0}, InvalidQuantity),
        ({"reason": "damage", "delta": -(10**9)}, InvalidQuantity),
        ({"reason": "theft", "delta": -11}, OutOfStock),
    ],
)
def test_bad_adjustments_change_nothing(shop: Session, kwargs, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        stockops.adjust_stock(shop, "MUG", "RV", actor=STAFF, **kwargs)
    shop.commit()
    assert stock(shop, "MUG", "RV").on_hand == 10 == ledger_total(shop, "MUG", "RV")


def test_adjustment_cannot_take_reserved_units(shop: Session) -> None:
    pickup_order(shop, "DT", {"BEAN": 8})
    with pytest.raises(OutOfStock, match="8 reserved"):
        stockops.adjust_stock(shop, "BEAN", "DT", reason="count", counted=5, actor=STAFF)
    stockops.adjust_stock(shop, "BEAN", "DT", reason="damage", delta=-2, actor=STAFF)
    shop.commit()
    row = stock(shop, "BEAN", "DT")
    assert (row.on_hand, row.reserved, row.available) == (8, 8, 0)


def test_transfer_moves_available_units_with_both_legs_in_the_ledger(shop: Session) -> None:
    pickup_order(shop, "WH" if False else "DT", {"GRIND": 3})
    sent, arrived = stockops.transfer_stock(shop, "GRIND", "DT", "RV", 7, actor=STAFF)
    shop.commit()
    assert (sent.on_hand, sent.reserved, arrived.on_hand) == (3, 3, 17)
    legs = shop.scalars(select(StockMovement).where(StockMovement.reason.like("transfer%"))).all()
    assert sorted((m.reason, m.delta, m.note) for m in legs) == [
        ("transfer_in", 7, "DT -> RV"),
        ("transfer_out", -7, "DT -> RV"),
    ]
    assert ledger_total(shop, "GRIND", "DT") == 3 and ledger_total(shop, "GRIND", "RV") == 17


@pytest.mark.parametrize(
    ("source", "target", "quantity", "error"),
    [
        ("DT", "RV", 1, OutOfStock),  # only reserved units left at DT
        ("DT", "DT", 1, ValidationFailed),
        ("DT", "XX", 1, LocationNotFound),
        ("DT", "RV", 0, InvalidQuantity),
        ("WH", "RV", 11, OutOfStock),  # would go negative
    ],
)
def test_refused_transfers_change_nothing(shop: Session, source, target, quantity, error) -> None:  # type: ignore[no-untyped-def]
    pickup_order(shop, "DT", {"GRIND": 10})
    with pytest.raises(error):
        stockops.transfer_stock(shop, "GRIND", source, target, quantity, actor=STAFF)
    shop.commit()
    for code in ("WH", "DT", "RV"):
        assert stock(shop, "GRIND", code).on_hand == 10 == ledger_total(shop, "GRIND", code)


def test_transfer_to_a_location_that_never_had_the_product(session: Session) -> None:
    make_shop(session, {("MUG", "WH"): 5})
    stockops.transfer_stock(session, "MUG", "WH", "RV", 2, actor=STAFF)
    session.commit()
    assert stock(session, "MUG", "RV").on_hand == 2 == ledger_total(session, "MUG", "RV")


def test_low_stock_is_at_or_below_the_threshold_of_available(shop: Session) -> None:
    stockops.set_low_stock_threshold(shop, "MUG", 4)
    stockops.adjust_stock(shop, "MUG", "RV", reason="count", counted=4, actor=STAFF)
    pickup_order(shop, "DT", {"MUG": 6})  # DT: 10 on hand, 4 available
    stockops.adjust_stock(shop, "BEAN", "WH", reason="count", counted=3, actor=STAFF)
    shop.commit()
    low = {(r.location.code, r.product.sku) for r in stockops.low_stock(shop)}
    assert low == {("DT", "MUG"), ("RV", "MUG")}  # BEAN's threshold is 2, 3 are left
    assert [r.location.code for r in stockops.low_stock(shop, ["rv"])] == ["RV"]
    with pytest.raises(InvalidQuantity):
        stockops.set_low_stock_threshold(shop, "MUG", -1)


def test_pickup_queue_splits_to_prepare_ready_and_not_collected(shop: Session) -> None:
    waiting = pickup_order(shop)
    ready = pickup_order(shop)
    forgotten = pickup_order(shop)
    elsewhere = pickup_order(shop, "RV")
    for order in (ready, forgotten, elsewhere):
        fulfilment.mark_ready_for_pickup(shop, order, actor=STAFF)
    forgotten.ready_at = utcnow() - timedelta(days=4)
    shop.commit()
    queue = stockops.pickup_queue(shop, "DT", reminder_days=3)
    assert ([o.number for o in queue.to_prepare], [o.number for o in queue.ready]) == (
        [waiting.number],
        [ready.number],
    )
    assert [o.number for o in queue.not_collected] == [forgotten.number]


def test_shipping_queue_and_pick_list(shop: Session) -> None:
    a = order_in(shop, OrderStatus.PLACED)  # 2 BEAN + 1 MUG from WH
    b = order_in(shop, OrderStatus.PARTIALLY_SHIPPED)  # 1 BEAN + 1 MUG still open
    order_in(shop, OrderStatus.SHIPPED)
    pickup_order(shop, "DT")
    queue = stockops.shipping_queue(shop, "WH")
    assert [o.number for o in queue.orders] == [a.number, b.number]
    assert [(p.sku, p.quantity, p.orders) for p in queue.pick_list] == [
        ("BEAN", 3, [a.display_number, b.display_number]),
        ("MUG", 2, [a.display_number, b.display_number]),
    ]
    assert stockops.shipping_queue(shop, "DT").orders == []


def _events(session: Session, order, type_: str) -> list[OrderEvent]:  # type: ignore[no-untyped-def]
    return list(
        session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.type == type_)
        )
    )


def test_sweep_reminds_once_then_cancels_and_releases(shop: Session) -> None:
    order = pickup_order(shop, "DT", {"BEAN": 3})
    fulfilment.mark_ready_for_pickup(shop, order, actor=STAFF)
    shop.commit()
    now = utcnow()
    kwargs = {"reminder_days": 3, "expiry_days": 7}
    assert (
        stockops.sweep_uncollected_pickups(shop, now=now + timedelta(days=2), **kwargs).reminded
        == []
    )
    first = stockops.sweep_uncollected_pickups(shop, now=now + timedelta(days=3, hours=1), **kwargs)
    again = stockops.sweep_uncollected_pickups(shop, now=now + timedelta(days=4), **kwargs)
    shop.commit()
    assert (first.reminded, again.reminded) == ([order.display_number], [])
    [reminder] = _events(shop, order, stockops.PICKUP_REMINDER_EVENT)
    assert reminder.details["location"] == "DT" and reminder.actor_kind == "system"
    assert order.status == "ready_for_pickup" and stock(shop, "BEAN", "DT").reserved == 3
    done = stockops.sweep_uncollected_pickups(shop, now=now + timedelta(days=7, hours=1), **kwargs)
    shop.commit()
    assert done.cancelled == [order.display_number]
    assert order.status == "cancelled" and order.amount_paid == Decimal("0.00")
    assert stock(shop, "BEAN", "DT").reserved == 0
    assert "not collected" in _events(shop, order, "cancelled")[0].details["reason"]


def test_sweep_leaves_collected_and_fresh_pickups_alone(shop: Session) -> None:
    collected = order_in(shop, OrderStatus.PICKED_UP)
    fresh = pickup_order(shop)
    fulfilment.mark_ready_for_pickup(shop, fresh, actor=STAFF)
    shop.commit()
    result = stockops.sweep_uncollected_pickups(
        shop, reminder_days=3, expiry_days=7, now=utcnow() + timedelta(days=1)
    )
    assert (result.reminded, result.cancelled) == ([], [])
    assert (collected.status, fresh.status) == ("picked_up", "ready_for_pickup")


def test_receive_return_with_split_conditions_and_missing_units(shop: Session) -> None:
    order = order_in(shop, OrderStatus.DELIVERED)  # 2 BEAN at 14.50, 1 MUG at 12.00, from WH
    ret = returns.request_return(shop, order, None, method="store", location_code="DT", actor=ACTOR)
    returns.approve_return(shop, ret, actor=STAFF)
    with pytest.raises(ReturnNotAllowed, match="has 2"):
        returns.receive_return(shop, ret, actor=STAFF, conditions={"BEAN": {"resellable": 3}})
    with pytest.raises(ValidationFailed, match="Nothing"):
        returns.receive_return(
            shop, ret, actor=STAFF, conditions={"BEAN": {"resellable": 0}, "MUG": {"damaged": 0}}
        )
    with pytest.raises(ProductNotFound):
        returns.receive_return(shop, ret, actor=STAFF, conditions={"GRIND": "damaged"})
    returns.receive_return(
        shop, ret, actor=STAFF, conditions={"bean": {"resellable": 1, "damaged": 1}, "MUG": {}}
    )
    shop.commit()
    assert sorted((rl.order_line.sku, rl.quantity, rl.condition) for rl in ret.lines) == [
        ("BEAN", 1, "damaged"),
        ("BEAN", 1, "resellable"),
    ]
    assert stock(shop, "BEAN", "DT").on_hand == 11 == ledger_total(shop, "BEAN", "DT")
    assert order.status == "partially_returned"
    assert ret.value == Decimal("29.00")
    with pytest.raises(IllegalTransition, match="received"):
        returns.receive_return(shop, ret, actor=STAFF)
    # The mug never arrived, so it can still be returned later.
    assert returns.request_return(shop, order, {"MUG": 1}, method="mail", actor=ACTOR)


def test_return_received_while_rest_is_still_open_keeps_the_order_shippable(
    shop: Session,
) -> None:
    order = order_in(shop, OrderStatus.PARTIALLY_SHIPPED)  # 1 BEAN shipped, 1 BEAN + 1 MUG open
    returns.walk_in_return(shop, order, {"BEAN": 1}, location_code="DT", actor=STAFF)
    shop.commit()
    assert order.status == "partially_shipped"
    fulfilment.ship(shop, order, carrier="UPS", tracking_number="1Z2", actor=STAFF)
    shop.commit()
    assert order.status == "shipped" and stock(shop, "BEAN", "WH").reserved == 0


def test_walk_in_return_follows_the_same_eligibility(shop: Session) -> None:
    placed = order_in(shop, OrderStatus.PLACED)
    with pytest.raises(ReturnNotAllowed):
        returns.walk_in_return(shop, placed, None, location_code="DT", actor=STAFF)
    delivered = order_in(shop, OrderStatus.DELIVERED)
    delivered.delivered_at = utcnow() - timedelta(days=40)
    shop.commit()
    with pytest.raises(ReturnNotAllowed, match="window"):
        returns.walk_in_return(shop, delivered, None, location_code="DT", actor=STAFF)
    shop.commit()
    assert returns.find_returns(shop) == []


def test_find_returns_by_customer_and_order(shop: Session) -> None:
    mine = order_in(shop, OrderStatus.DELIVERED)
    theirs = order_in(shop, OrderStatus.DELIVERED)
    a = returns.request_return(shop, mine, None, method="mail", actor=ACTOR)
    b = returns.request_return(shop, theirs, None, method="mail", actor=ACTOR)
    assert returns.find_returns(shop, customer_id=mine.customer_id) == [a]
    assert returns.find_returns(shop, order_number=theirs.display_number) == [b]
    assert returns.find_returns(shop, status="approved") == []


def test_location_access() -> None:
    queries.check_location_access(None, "WH")
    queries.check_location_access({"DT", "RV"}, "dt")
    with pytest.raises(LocationAccessDenied, match="DT, RV"):
        queries.check_location_access({"DT", "RV"}, "WH")
    with pytest.raises(LocationAccessDenied):
        queries.check_location_access(set(), "DT")
