"""The demo store: a small coffee roaster with two pickup stores and a warehouse.

`seed(session)` loads the CSVs beside this file through the same importers a shop
uses, then a few customers with orders in several states, so every flow can be
tried at once. It does nothing when the catalog already has products.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infra.db import utcnow
from orders import csv_import, customers, fulfilment, ordering, returns
from orders.events import Actor
from orders.models import Customer, Order, Product

HERE = Path(__file__).parent
ACTOR = Actor.system("demo")
# The demo shop's name is part of its data: a shop with its own catalog is never
# introduced to its customers as the demo's coffee roaster.
NAME = "Bean There Coffee Co."
MARKER_SKU = "ETH-250"  # the demo catalog's first product

CUSTOMERS = [
    (
        "Jo Rivera",
        "77 Oak Avenue, Springfield",
        {"phone": "+15555550101", "email": "jo@example.com"},
    ),
    ("Sam Chen", "5 Harbor Lane, Springfield", {"telegram": "424242", "email": "sam@example.com"}),
    ("Priya Patel", "310 Elm Street, Springfield", {"phone": "+15555550103"}),
    ("Alex Morgan", "18 Pine Court, Springfield", {"email": "alex@example.com"}),
]


def _backdate(order: Order, days: int) -> None:
    when = utcnow() - timedelta(days=days)
    order.placed_at = when
    for shipment in order.shipments:
        shipment.shipped_at = when + timedelta(days=1)
        if shipment.delivered_at:
            shipment.delivered_at = when + timedelta(days=3)
    if order.fulfilled_at:
        order.fulfilled_at = when + timedelta(days=1)
    if order.delivered_at:
        order.delivered_at = when + timedelta(days=3)


def _orders(session: Session, people: list) -> None:
    jo, sam, priya, alex = people
    delivered = ordering.place_order(
        session, jo, {"ETH-250": 2, "MUG-WHT": 1}, method="delivery", actor=ACTOR
    )
    fulfilment.ship(
        session, delivered, carrier="UPS", tracking_number="1Z999AA10123456784", actor=ACTOR
    )
    fulfilment.mark_delivered(session, delivered, actor=ACTOR)
    _backdate(delivered, 12)
    ordering.place_order(
        session, jo, {"GRD-BURR": 1}, method="pickup", pickup_location_code="DT", actor=ACTOR
    )

    shipped = ordering.place_order(
        session, sam, {"KET-GOOSE": 1, "V60-02": 1, "FLT-100": 2}, method="delivery", actor=ACTOR
    )
    fulfilment.ship(
        session, shipped, carrier="USPS", tracking_number="9400111899223197428490", actor=ACTOR
    )
    _backdate(shipped, 2)
    ordering.place_order(session, sam, {"COL-250": 1}, method="delivery", actor=ACTOR)

    ready = ordering.place_order(
        session,
        priya,
        {"TEA-EG": 2, "MUG-BLU": 2},
        method="pickup",
        pickup_location_code="RV",
        actor=ACTOR,
    )
    fulfilment.mark_ready_for_pickup(session, ready, actor=ACTOR)

    cancelled = ordering.place_order(session, alex, {"AERO": 1}, method="delivery", actor=ACTOR)
    ordering.cancel_order(session, cancelled, actor=ACTOR, reason="changed mind")
    _backdate(cancelled, 20)
    with_return = ordering.place_order(
        session, alex, {"FP-1L": 1, "SCL-DIG": 1}, method="delivery", actor=ACTOR
    )
    fulfilment.ship(
        session, with_return, carrier="FedEx", tracking_number="449044304137821", actor=ACTOR
    )
    fulfilment.mark_delivered(session, with_return, actor=ACTOR)
    _backdate(with_return, 6)
    returns.request_return(
        session,
        with_return,
        {"FP-1L": 1},
        method="mail",
        actor=ACTOR,
        reason="glass arrived cracked",
    )


def catalog_is_empty(session: Session) -> bool:
    """No products yet: a new database, which the demo may be seeded into."""
    return not session.scalar(select(func.count()).select_from(Product))


def installed(session: Session) -> bool:
    """Whether the demo catalog is what this shop sells."""
    return session.scalar(select(Product.id).where(Product.sku == MARKER_SKU)) is not None


def seed(session: Session) -> bool:
    """Load the demo store into an empty catalog; False when there was one already."""
    if not catalog_is_empty(session):
        return False
    csv_import.import_locations(session, (HERE / "locations.csv").read_bytes())
    csv_import.import_catalog(session, (HERE / "catalog.csv").read_bytes())
    csv_import.import_stock(session, (HERE / "stock.csv").read_bytes(), actor="demo")
    people = [_person(session, *person) for person in CUSTOMERS]
    _orders(session, people)
    return True


def _person(session: Session, name: str, address: str, identities: dict[str, str]) -> Customer:
    """A demo customer; whoever chatted as them before the demo was seeded
    (`python app.py chat --as +15555550101` on a new database) becomes them."""
    known = [
        found.customer
        for kind, value in identities.items()
        if (found := customers.find_by_identity(session, kind, value)) is not None
    ]
    if not known:
        return customers.create_customer(session, name, address, identities)
    person = known[0]
    for other in known[1:]:
        customers.merge_customers(session, person, other)
    person.name = person.name or name
    person.default_address = person.default_address or address
    for kind, value in identities.items():
        customers.add_identity(session, person, kind, value)
    return person
