"""Lists of orders read as rows, not ORM objects: the read model of order pages.

A page of 100 orders through the ORM is some 800 objects (each order with its lines,
shipments, payments, location and customer), and making them was most of the page's
CPU on a big shop (issue 17: ~18 of ~25 ms). A list needs only the columns it shows:
the orders with their location's code in one select, then their lines, their shipments
and what was paid on each (summed in SQL), one select each, as dicts. `order_row` gives
one loaded ORM order the same shape, so one output serves a list and a single order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from sqlalchemy import ColumnElement, func, select, type_coerce
from sqlalchemy.orm import Session

from infra.db import Money
from orders.models import Location, Order, OrderLine, Payment, Shipment
from orders.queries import NEWEST_FIRST, OrderFilters, order_conditions


class LineRow(TypedDict):
    sku: str
    name: str
    unit_price: Decimal
    quantity: int
    quantity_cancelled: int
    quantity_fulfilled: int
    quantity_returned: int


class ShipmentRow(TypedDict):
    carrier: str
    tracking_number: str
    shipped_at: datetime | None
    delivered_at: datetime | None


class OrderRow(TypedDict):
    id: int
    number: int | None
    status: str
    customer_id: int
    channel: str
    fulfillment_method: str
    address: str
    location: str  # its code
    pickup_code: str
    placed_at: datetime | None
    updated_at: datetime | None
    lines: list[LineRow]
    shipments: list[ShipmentRow]
    total: Decimal
    amount_paid: Decimal


# An order's own columns that a row carries as they are (its location: by code).
_ORDER_FIELDS = (
    "id",
    "number",
    "status",
    "customer_id",
    "channel",
    "fulfillment_method",
    "address",
    "pickup_code",
    "placed_at",
    "updated_at",
)


def _columns(model: type, fields: Iterable[str]) -> tuple[Any, ...]:
    return tuple(getattr(model, name) for name in fields)


def _values(instance: object, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


_ORDER = (*_columns(Order, _ORDER_FIELDS), Location.code.label("location"))
_LINE = (OrderLine.order_id, *_columns(OrderLine, LineRow.__annotations__))
_SHIPMENT = (Shipment.order_id, *_columns(Shipment, ShipmentRow.__annotations__))
_NOTHING = Decimal("0.00")


def order_rows(
    session: Session, *, limit: int = 100, **filters: Unpack[OrderFilters]
) -> list[OrderRow]:
    """The orders `filters` match, newest first, at most `limit` (as
    `queries.search_orders` finds them), as rows: four statements for any number."""
    found = session.execute(
        select(*_ORDER)
        .join(Location, Location.id == Order.location_id)
        .where(*_page(session, limit, filters))
        .order_by(*NEWEST_FIRST)
        .limit(limit)
    ).mappings()
    orders: list[dict[str, Any]] = [dict(row) for row in found]
    if not orders:
        return []
    ids = [order["id"] for order in orders]
    lines = _by_order(session.execute(_children(_LINE, ids, OrderLine.id)).mappings())
    shipments = _by_order(session.execute(_children(_SHIPMENT, ids, Shipment.id)).mappings())
    paid: dict[int, Decimal] = dict(
        session.execute(
            select(Payment.order_id, func.sum(Payment.amount))
            .where(Payment.order_id.in_(ids))
            .group_by(Payment.order_id)
        )
        .tuples()
        .all()
    )
    for order in orders:
        order["lines"] = lines.get(order["id"], [])
        order["total"] = sum(map(subtotal, order["lines"]), _NOTHING)
        order["shipments"] = shipments.get(order["id"], [])
        order["amount_paid"] = paid.get(order["id"]) or _NOTHING
    return orders  # type: ignore[return-value]


class OrderSummary(TypedDict):
    """An order as a one-line list shows it."""

    id: int
    number: int | None
    customer_id: int
    status: str
    placed_at: datetime | None
    total: Decimal


def order_summaries(
    session: Session, *, limit: int = 100, **filters: Unpack[OrderFilters]
) -> list[OrderSummary]:
    """The orders of `order_rows`, each with its total summed in SQL: one statement."""
    page = (
        select(Order.id, Order.number, Order.customer_id, Order.status, Order.placed_at)
        .where(*_page(session, limit, filters))
        .order_by(*NEWEST_FIRST)
        .limit(limit)
        .subquery()
    )
    units = OrderLine.quantity - OrderLine.quantity_cancelled
    total = type_coerce(func.coalesce(func.sum(OrderLine.unit_price * units), 0), Money)
    found = session.execute(
        select(*page.c, total.label("total"))
        .outerjoin(OrderLine, OrderLine.order_id == page.c.id)
        .group_by(*page.c)
        .order_by(page.c.placed_at.desc(), page.c.id.desc())
    ).mappings()
    return [dict(row) for row in found]  # type: ignore[misc]


def _page(session: Session, limit: int, filters: OrderFilters) -> list[ColumnElement[bool]]:
    """What a page's orders meet: `filters`' conditions, or for a search their newest ids."""
    where = order_conditions(session, **filters)
    return [newest_ids(where, limit)] if filters.get("q") else where


def newest_ids(where: list[ColumnElement[bool]], limit: int) -> ColumnElement[bool]:
    """The order is among the newest `limit` that `where` matches: their ids picked first.

    For a search (`q`: a name's customers) the matching orders are spread over the table,
    one heap page each, and a 100-order page sorted ~400 of them read whole (issue 17).
    Their ids come from `ix_orders_customer_placed` alone (customer_id, placed_at, id: an
    index-only scan), so only the page's 100 rows are read. A status or one customer's
    orders come in order from their index and stop at the limit: they keep one select."""
    return Order.id.in_(select(Order.id).where(*where).order_by(*NEWEST_FIRST).limit(limit))


def subtotal(line: LineRow) -> Decimal:
    """What the line comes to: its price times the units not cancelled."""
    return line["unit_price"] * (line["quantity"] - line["quantity_cancelled"])


def _children(columns: Sequence[Any], order_ids: list[int], by: Any) -> Any:
    return select(*columns).where(columns[0].in_(order_ids)).order_by(by)


def _by_order(rows: Iterable[Any]) -> dict[int, list[Any]]:
    """Rows grouped by their order's id, without it, in the order they came."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        values = dict(row)
        grouped[values.pop("order_id")].append(values)
    return grouped


def order_row(order: Order) -> OrderRow:
    """A loaded ORM order as an `OrderRow` (its lines, shipments, payments and location
    are read)."""
    return OrderRow(
        **_values(order, _ORDER_FIELDS),
        location=order.location.code,
        lines=[LineRow(**_values(line, LineRow.__annotations__)) for line in order.lines],
        shipments=[ShipmentRow(**_values(s, ShipmentRow.__annotations__)) for s in order.shipments],
        total=order.total,
        amount_paid=order.amount_paid,
    )
