"""A tiny shop for service tests: three products, a warehouse and two pickup stores."""

from __future__ import annotations

import itertools
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from orders import customers, fulfilment, inventory, ordering, returns
from orders.events import Actor
from orders.models import Customer, Location, Order, Product, Stock, StockMovement
from orders.status import OrderStatus

ACTOR = Actor("bot", "", "sms")
_phone_numbers = itertools.count(1000)
STAFF = Actor.csr("csr@example.com")

PRODUCTS = [
    ("BEAN", "Ethiopia Beans 250g", "14.50"),
    ("MUG", "Mug White", "12.00"),
    ("GRIND", "Burr Grinder", "89.00"),
]
LOCATIONS = [
    ("WH", "Warehouse", False, "warehouse", 1),
    ("DT", "Downtown", True, "store", 2),
    ("RV", "Riverside", True, "store", 3),
]


def make_shop(session: Session, stock: dict[tuple[str, str], int] | None = None) -> None:
    for sku, name, price in PRODUCTS:
        session.add(
            Product(
                sku=sku,
                name=name,
                price=Decimal(price),
                aliases="",
                description="",
                active=True,
                low_stock_threshold=2,
            )
        )
    for code, name, pickup, kind, priority in LOCATIONS:
        session.add(
            Location(
                code=code,
                name=name,
                address=f"1 {name} St",
                kind=kind,
                pickup=pickup,
                hours="9-5",
                priority=priority,
                active=True,
            )
        )
    session.flush()
    levels = stock or {(sku, code): 10 for sku, *_ in PRODUCTS for code, *_ in LOCATIONS}
    for (sku, code), quantity in levels.items():
        set_stock(session, sku, code, quantity)
    session.commit()


def set_stock(session: Session, sku: str, code: str, quantity: int) -> None:
    product = ordering.get_product(session, sku)
    location = inventory.get_location(session, code)
    inventory.set_on_hand(session, product.id, location.id, quantity, "test")


def stock(session: Session, sku: str, code: str) -> Stock:
    session.expire_all()
    return session.scalar(
        select(Stock).join(Product).join(Location).where(Product.sku == sku, Location.code == code)
    )


def ledger_total(session: Session, sku: str, code: str) -> int:
    rows = session.scalars(
        select(StockMovement.delta)
        .join(Product, StockMovement.product_id == Product.id)
        .join(Location, StockMovement.location_id == Location.id)
        .where(Product.sku == sku, Location.code == code)
    )
    return sum(rows)


def customer(session: Session, phone: str = "+15555550111", name: str = "Jo") -> Customer:
    c = customers.create_customer(session, name, "1 Test Road", {"phone": phone})
    session.commit()
    return c


def order_in(
    session: Session, status: OrderStatus, who: Customer | None = None, *, pickup: bool = False
) -> Order:
    """An order brought to `status` through the real services (pickup where it must be)."""
    who = who or customer(session, phone=f"+1555555{next(_phone_numbers):04d}")
    pickup = pickup or status in (OrderStatus.READY_FOR_PICKUP, OrderStatus.PICKED_UP)
    order = ordering.place_order(
        session,
        who,
        {"BEAN": 2, "MUG": 1},
        method="pickup" if pickup else "delivery",
        pickup_location_code="DT" if pickup else None,
        actor=ACTOR,
    )
    steps = {
        OrderStatus.PLACED: [],
        OrderStatus.PROCESSING: ["processing"],
        OrderStatus.READY_FOR_PICKUP: ["ready"],
        OrderStatus.PICKED_UP: ["ready", "picked_up"],
        OrderStatus.PARTIALLY_SHIPPED: ["ship_part"],
        OrderStatus.SHIPPED: ["ship"],
        OrderStatus.DELIVERED: ["ship", "deliver"],
        OrderStatus.CANCELLED: ["cancel"],
        OrderStatus.PARTIALLY_RETURNED: ["ship", "deliver", "return_part"],
        OrderStatus.RETURNED: ["ship", "deliver", "return_all"],
    }[status]
    for step in steps:
        if step == "processing":
            fulfilment.mark_processing(session, order, actor=STAFF)
        elif step == "ready":
            fulfilment.mark_ready_for_pickup(session, order, actor=STAFF)
        elif step == "picked_up":
            fulfilment.mark_picked_up(session, order, order.pickup_code, actor=STAFF)
        elif step == "ship_part":
            fulfilment.ship(
                session, order, carrier="UPS", tracking_number="1Z1", actor=STAFF, items={"BEAN": 1}
            )
        elif step == "ship":
            fulfilment.ship(session, order, carrier="UPS", tracking_number="1Z1", actor=STAFF)
        elif step == "deliver":
            fulfilment.mark_delivered(session, order, actor=STAFF)
        elif step == "cancel":
            ordering.cancel_order(session, order, actor=ACTOR)
        elif step in ("return_part", "return_all"):
            items = {"MUG": 1} if step == "return_part" else None
            ret = returns.request_return(session, order, items, method="mail", actor=ACTOR)
            returns.approve_return(session, ret, actor=STAFF)
            returns.receive_return(session, ret, actor=STAFF, location_code="WH")
    session.commit()
    assert order.status == status
    return order
