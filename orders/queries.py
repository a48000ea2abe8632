"""Finding orders: by number, for one customer, or by search filters."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Select, bindparam, func, select, tuple_
from sqlalchemy.orm import Session, joinedload, selectinload

from infra.identity_map import recall, remember
from orders.errors import LocationAccessDenied, OrderNotFound
from orders.models import Customer, CustomerIdentity, Location, Order, OrderLine
from orders.phones import typed_phone
from orders.status import OPEN


def parse_order_number(raw: str | int) -> int | None:
    """`#10042`, `10042` or 10042 -> 10042; anything else -> None."""
    text = str(raw).strip().lstrip("#").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def location_ids(codes: Collection[str]) -> Select:
    """A subquery of the ids of these location codes (any case)."""
    return select(Location.id).where(Location.code.in_([c.strip().upper() for c in codes]))


def check_location_access(allowed_codes: Collection[str] | None, code: str) -> None:
    """Refuse a user scoped to some locations acting on another; None means all (admin)."""
    if allowed_codes is None:
        return
    if code.strip().upper() not in {c.upper() for c in allowed_codes}:
        raise LocationAccessDenied(
            f"You can only act on {', '.join(sorted(allowed_codes)) or 'no location'}, "
            f"not {code.strip().upper()}.",
            location=code,
        )


def name_contains(text: str) -> ColumnElement[bool]:
    """The customer's name contains `text`, in any case: `lower(name) LIKE '%text%'`, the
    shape the trigram index on lower(name) serves on PostgreSQL."""
    return func.lower(Customer.name).contains(text.strip().lower())


# What an order found by number comes with (and must have, to be found again in memory).
DETAILS = ("lines", "shipments", "location")


def _with_lines(query: Select) -> Select:
    return query.options(selectinload(Order.lines), selectinload(Order.shipments))


def get_order(session: Session, number: str | int) -> Order:
    """The order of that number, with its lines, shipments and store. One the session
    already holds with them (a bot turn asks for its order two or three times) costs no
    statement."""
    parsed = parse_order_number(number)
    order = None
    if parsed is not None:
        order = recall(session, Order, "number", [parsed], needed=DETAILS).get(parsed)
        if order is None:
            order = session.scalars(_ORDER_BY_NUMBER, {"number": parsed}).unique().first()
            remember(session, "number", [order] if order is not None else [])
    if order is None:
        raise OrderNotFound(f"There is no order {str(number).strip()}.")
    return order


# What a reply about an order reads, loaded with it: joined, one statement (an order's
# lines times its shipments are a few rows) where lazy loads would take one each.
ORDER_DETAILS = (
    joinedload(Order.lines),
    joinedload(Order.location),
    joinedload(Order.shipments),
)
# Built once: its cache key is memoized on the statement.
_ORDER_BY_NUMBER = select(Order).where(Order.number == bindparam("number")).options(*ORDER_DETAILS)


def open_orders(
    session: Session, customer_id: int, *, location_codes: Collection[str] | None = None
) -> list[Order]:
    """The customer's open orders, newest first (only those at `location_codes` when given)."""
    query = _with_lines(select(Order)).where(
        Order.customer_id == customer_id, Order.status.in_(list(OPEN))
    )
    if location_codes is not None:
        query = query.where(Order.location_id.in_(location_ids(location_codes)))
    return list(session.scalars(query.order_by(Order.placed_at.desc(), Order.id.desc())))


def search_orders(
    session: Session,
    *,
    number: str | int | None = None,
    customer_id: int | None = None,
    status: str | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
    sku: str | None = None,
    q: str | None = None,
    location_codes: Collection[str] | None = None,
    limit: int = 100,
    after: tuple[datetime, int] | None = None,
) -> list[Order]:
    """Filters combine with AND; newest first. `q` matches an order number, a customer's
    whole phone number (any format) or part of their name; `location_codes` keeps orders
    fulfilled from those locations (None: all). `after` (an order's placed_at and id)
    starts after that order: the next page. Lines, shipments, payments, location and
    customer come loaded, one query each, for a list without a query per order."""
    query = _with_lines(select(Order)).options(
        selectinload(Order.payments), selectinload(Order.location), selectinload(Order.customer)
    )
    if location_codes is not None:
        query = query.where(Order.location_id.in_(location_ids(location_codes)))
    if number is not None:
        query = query.where(Order.number == parse_order_number(number))
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    if status:
        query = query.where(Order.status == status)
    if placed_from is not None:
        query = query.where(Order.placed_at >= placed_from)
    if placed_to is not None:
        query = query.where(Order.placed_at < placed_to)
    if sku:
        query = query.where(
            Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku == sku.strip().upper()))
        )
    if q and q.strip():
        query = query.where(_matching(q))
    if after is not None:
        query = query.where(tuple_(Order.placed_at, Order.id) < tuple_(*after))
    return list(
        session.scalars(query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(limit))
    )


def _matching(q: str) -> ColumnElement[bool]:
    """What a free-text order search means: a number, a phone number, or a name."""
    number = parse_order_number(q)
    if number is not None:
        return Order.number == number
    phone = typed_phone(q)
    if phone is not None:
        return Order.customer_id.in_(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == "phone", CustomerIdentity.value == phone
            )
        )
    return Order.customer_id.in_(select(Customer.id).where(name_contains(q)))
