"""Placing, changing, cancelling and fulfilling orders through the service layer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.db import utcnow
from orders import customers, fulfilment, ordering, queries
from orders.errors import (
    InvalidQuantity,
    LocationNotFound,
    OrderNotFound,
    OutOfStock,
    ProductNotFound,
    ValidationFailed,
    WrongPickupCode,
)
from orders.models import OrderEvent
from orders.ordering import OrderChanges
from services import orders as order_service
from services.scope import Scope
from tests.factories import ACTOR, STAFF, customer, ledger_total, make_shop, set_stock, stock


@pytest.fixture
def shop(session: Session) -> Session:
    make_shop(session)
    return session


def place(session: Session, items: dict[str, int], **kwargs: object):  # type: ignore[no-untyped-def]
    who = kwargs.pop("who", None) or customer(session)
    kwargs.setdefault("method", "delivery")
    order = ordering.place_order(session, who, items, actor=ACTOR, **kwargs)  # type: ignore[arg-type]
    session.commit()
    return order


def test_numbers_start_at_10001_and_lines_keep_the_price_paid(shop: Session) -> None:
    first = place(shop, {"BEAN": 2, "MUG": 1})
    second = place(shop, {"MUG": 1}, who=first.customer)
    assert (first.display_number, second.display_number) == ("#10001", "#10002")
    ordering.get_product(shop, "BEAN").price = Decimal("20.00")
    shop.commit()
    assert first.lines[0].unit_price == Decimal("14.50")
    assert first.total == Decimal("41.00")
    assert first.amount_paid == Decimal("41.00")


def test_pickup_reserves_at_the_pickup_store_with_a_code(shop: Session) -> None:
    order = place(shop, {"BEAN": 2}, method="pickup", pickup_location_code="rv")
    assert order.location.code == "RV"
    assert len(order.pickup_code) == 6 and order.pickup_code.isdigit()
    assert (stock(shop, "BEAN", "RV").reserved, stock(shop, "BEAN", "WH").reserved) == (2, 0)


def test_delivery_reserves_at_the_first_location_by_priority_that_has_it_all(
    session: Session,
) -> None:
    make_shop(
        session,
        {
            ("BEAN", "WH"): 1,
            ("MUG", "WH"): 5,
            ("BEAN", "DT"): 5,
            ("MUG", "DT"): 0,
            ("BEAN", "RV"): 3,
            ("MUG", "RV"): 3,
        },
    )
    order = place(session, {"BEAN": 2, "MUG": 1})
    assert order.location.code == "RV"  # WH lacks beans, DT lacks mugs
    assert stock(session, "BEAN", "RV").available == 1


def test_out_of_stock_changes_nothing(shop: Session) -> None:
    who = customer(shop)
    with pytest.raises(OutOfStock, match="Riverside"):
        ordering.place_order(
            shop, who, {"BEAN": 11}, method="pickup", pickup_location_code="RV", actor=ACTOR
        )
    with pytest.raises(OutOfStock):
        ordering.place_order(shop, who, {"BEAN": 11}, method="delivery", actor=ACTOR)
    shop.commit()
    assert stock(shop, "BEAN", "RV").reserved == 0
    assert queries.search_orders(shop) == []


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**9, 2.5, "2", True])
def test_bad_quantities_are_refused(shop: Session, quantity: object) -> None:
    with pytest.raises(InvalidQuantity):
        place(shop, {"BEAN": quantity})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("items", "kwargs", "error"),
    [
        ({"NOPE": 1}, {}, ProductNotFound),
        ({}, {}, ValidationFailed),
        ({"BEAN": 1}, {"method": "pickup", "pickup_location_code": "XX"}, LocationNotFound),
        ({"BEAN": 1}, {"method": "pickup", "pickup_location_code": "WH"}, ValidationFailed),
        ({"BEAN": 1}, {"method": "pickup"}, ValidationFailed),
        ({"BEAN": 1}, {"method": "drone"}, ValidationFailed),
        ({"BEAN": 1}, {"address": "x" * 501}, ValidationFailed),
    ],
)
def test_bad_orders_are_refused(shop: Session, items, kwargs, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        place(shop, items, **kwargs)


def test_delivery_needs_an_address(shop: Session) -> None:
    nobody = customers.create_customer(shop, "No Address")
    with pytest.raises(ValidationFailed, match="address"):
        ordering.place_order(shop, nobody, {"BEAN": 1}, method="delivery", actor=ACTOR)


def test_modify_quantity_add_and_remove_lines_moves_reservations(shop: Session) -> None:
    order = place(shop, {"BEAN": 2, "MUG": 1})
    assert order.location.code == "WH"
    ordering.modify_order(
        shop, order, OrderChanges(quantities={"BEAN": 5, "MUG": 0, "GRIND": 1}), actor=ACTOR
    )
    shop.commit()
    assert {line.sku: line.active_quantity for line in order.lines} == {"BEAN": 5, "GRIND": 1}
    assert (stock(shop, "BEAN", "WH").reserved, stock(shop, "MUG", "WH").reserved) == (5, 0)
    assert stock(shop, "GRIND", "WH").reserved == 1
    assert order.total == Decimal("161.50")
    assert order.amount_paid == Decimal("161.50")


def test_modify_that_cannot_be_filled_changes_nothing(shop: Session) -> None:
    order = place(shop, {"BEAN": 2}, method="pickup", pickup_location_code="DT")
    with pytest.raises(OutOfStock):
        ordering.modify_order(shop, order, OrderChanges(quantities={"BEAN": 11}), actor=ACTOR)
    shop.commit()
    shop.expire_all()
    assert order.lines[0].active_quantity == 2
    assert stock(shop, "BEAN", "DT").reserved == 2


def test_switch_pickup_store_and_to_delivery_and_back(shop: Session) -> None:
    order = place(shop, {"BEAN": 2}, method="pickup", pickup_location_code="DT")
    ordering.modify_order(shop, order, OrderChanges(pickup_location_code="RV"), actor=ACTOR)
    shop.commit()
    assert order.location.code == "RV"
    assert (stock(shop, "BEAN", "DT").reserved, stock(shop, "BEAN", "RV").reserved) == (0, 2)
    ordering.modify_order(
        shop,
        order,
        OrderChanges(fulfillment_method="delivery", address="9 New Street"),
        actor=ACTOR,
    )
    shop.commit()
    assert (order.fulfillment_method, order.address, order.pickup_code) == (
        "delivery",
        "9 New Street",
        "",
    )
    assert stock(shop, "BEAN", "RV").reserved + stock(shop, "BEAN", "WH").reserved == 2
    ordering.modify_order(
        shop,
        order,
        OrderChanges(fulfillment_method="pickup", pickup_location_code="DT"),
        actor=ACTOR,
    )
    shop.commit()
    assert order.location.code == "DT" and order.pickup_code


def test_modify_that_would_empty_the_order_is_refused(shop: Session) -> None:
    order = place(shop, {"BEAN": 2})
    with pytest.raises(ValidationFailed, match="cancel"):
        ordering.modify_order(shop, order, OrderChanges(quantities={"BEAN": 0}), actor=ACTOR)


def test_cancel_releases_and_refunds(shop: Session) -> None:
    order = place(shop, {"BEAN": 2, "MUG": 1})
    ordering.cancel_order(shop, order, actor=ACTOR, reason="changed mind")
    shop.commit()
    assert order.status == "cancelled"
    assert stock(shop, "BEAN", "WH").reserved == 0
    assert order.amount_paid == Decimal("0.00")


def test_cancel_some_lines(shop: Session) -> None:
    order = place(shop, {"BEAN": 2, "MUG": 1})
    ordering.cancel_lines(shop, order, {"BEAN": 1}, actor=ACTOR)
    shop.commit()
    assert order.status == "placed" and order.total == Decimal("26.50")
    assert stock(shop, "BEAN", "WH").reserved == 1
    with pytest.raises(InvalidQuantity):
        ordering.cancel_lines(shop, order, {"BEAN": 2}, actor=ACTOR)
    ordering.cancel_lines(shop, order, {"BEAN": 1, "MUG": 1}, actor=ACTOR)
    shop.commit()
    assert order.status == "cancelled"


def test_partial_shipment_then_rest_cancelled_completes_as_shipped(shop: Session) -> None:
    order = place(shop, {"BEAN": 2, "MUG": 1})
    fulfilment.ship(
        shop, order, carrier="UPS", tracking_number="1Z9", items={"BEAN": 2}, actor=STAFF
    )
    shop.commit()
    assert order.status == "partially_shipped"
    bean = stock(shop, "BEAN", "WH")
    assert (bean.on_hand, bean.reserved) == (8, 0)
    assert ledger_total(shop, "BEAN", "WH") == 8
    ordering.cancel_lines(shop, order, {"MUG": 1}, actor=ACTOR)
    shop.commit()
    assert order.status == "shipped"


def test_ship_more_than_open_is_refused(shop: Session) -> None:
    order = place(shop, {"BEAN": 2})
    with pytest.raises(InvalidQuantity):
        fulfilment.ship(
            shop, order, carrier="UPS", tracking_number="1", items={"BEAN": 3}, actor=STAFF
        )
    with pytest.raises(ValidationFailed):
        fulfilment.ship(shop, order, carrier="", tracking_number="1", actor=STAFF)


def test_pickup_checks_the_code(shop: Session) -> None:
    order = place(shop, {"MUG": 2}, method="pickup", pickup_location_code="DT")
    fulfilment.mark_ready_for_pickup(shop, order, actor=STAFF)
    with pytest.raises(WrongPickupCode):
        fulfilment.mark_picked_up(
            shop, order, "000000" if order.pickup_code != "000000" else "111111", actor=STAFF
        )
    shop.commit()
    assert order.status == "ready_for_pickup"
    fulfilment.mark_picked_up(shop, order, order.pickup_code, actor=STAFF)
    shop.commit()
    mug = stock(shop, "MUG", "DT")
    assert (order.status, mug.on_hand, mug.reserved) == ("picked_up", 8, 0)


def test_every_change_is_in_the_event_log_with_its_actor(shop: Session) -> None:
    order = place(shop, {"BEAN": 1})
    ordering.modify_order(shop, order, OrderChanges(address="2 Other Road"), actor=ACTOR)
    fulfilment.ship(shop, order, carrier="DHL", tracking_number="JD1", actor=STAFF)
    shop.commit()
    events = shop.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()
    assert [e.type for e in events] == ["placed", "modified", "shipped"]
    assert (events[0].actor_kind, events[0].channel) == ("bot", "sms")
    assert events[1].details["address"] == ["1 Test Road", "2 Other Road"]
    assert (events[2].actor_kind, events[2].actor_id) == ("csr", "csr@example.com")


def test_search_and_ownership(shop: Session) -> None:
    jo = customer(shop, "+15555550001", "Jo Rivera")
    sam = customer(shop, "+15555550002", "Sam Chen")
    a = place(shop, {"BEAN": 1}, who=jo)
    b = place(shop, {"MUG": 1}, who=sam, method="pickup", pickup_location_code="DT")
    assert queries.search_orders(shop, sku="mug") == [b]
    assert queries.search_orders(shop, customer_id=jo.id) == [a]
    assert queries.search_orders(shop, q="rivera") == [a]
    assert queries.search_orders(shop, q="#10002") == [b]
    assert queries.search_orders(shop, status="placed", placed_from=utcnow() - timedelta(hours=1))
    assert queries.search_orders(shop, placed_to=utcnow() - timedelta(days=1)) == []
    mine = Scope.customer(jo.id)  # a customer's scope: their own orders (services.scope)
    assert order_service.find_order(shop, mine, "#10001") is a
    with pytest.raises(OrderNotFound) as theirs:
        order_service.find_order(shop, mine, "10002")
    with pytest.raises(OrderNotFound) as missing:
        order_service.find_order(shop, mine, "10003")
    assert str(theirs.value).replace("10002", "N") == str(missing.value).replace("10003", "N")


def test_customers_identities_and_search(session: Session) -> None:
    jo = customers.create_customer(
        session, "Jo Rivera", "", {"phone": "(555) 555-0101", "email": "Jo@Example.COM"}
    )
    session.commit()
    assert [i.value for i in jo.identities] == ["+15555550101", "Jo@example.com"]
    assert customers.customer_for_identity(session, "phone", "+1 555 555 0101") is jo
    assert customers.search_customers(session, "555-0101") == [jo]
    assert customers.search_customers(session, "rivera") == [jo]
    assert customers.search_customers(session, "jo@example") == [jo]
    # a whole number in any format is the identity it normalises to; a namesake is not it
    namesake = customers.create_customer(session, "Jo Rivera", "", {"phone": "+15555550102"})
    for typed in ("(555) 555-0101", "+1 555.555.0101", "15555550101"):
        assert customers.search_customers(session, typed) == [jo]
    assert customers.search_customers(session, "rivera") == [namesake, jo]
    other = customers.create_customer(session, "Someone")
    with pytest.raises(Exception, match="another customer"):
        customers.add_identity(session, other, "phone", "+15555550101")
    with pytest.raises(ValidationFailed):
        customers.normalise_identity("phone", "not a phone")


def test_stock_import_is_in_the_ledger(shop: Session) -> None:
    set_stock(shop, "BEAN", "DT", 4)
    shop.commit()
    assert stock(shop, "BEAN", "DT").on_hand == 4 == ledger_total(shop, "BEAN", "DT")
