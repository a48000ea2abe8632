"""Finding orders: by number, for one customer, or by search filters."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TypedDict, Unpack

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


class OrderFilters(TypedDict, total=False):
    """An order search's filters, combined with AND. `q` matches an order number, a
    customer's whole phone number (any format) or part of their name; `location_codes`
    keeps orders fulfilled from those locations (None: all); `after` (an order's
    placed_at and id) starts after that order, newest first: the next page."""

    number: str | int | None
    customer_id: int | None
    status: str | None
    placed_from: datetime | None
    placed_to: datetime | None
    sku: str | None
    q: str | None
    location_codes: Collection[str] | None
    after: tuple[datetime, int] | None


def order_conditions(
    session: Session, **filters: Unpack[OrderFilters]
) -> list[ColumnElement[bool]]:
    """What `filters` ask of the `orders` table (a name in `q` is looked up first)."""
    where: list[ColumnElement[bool]] = []
    if (codes := filters.get("location_codes")) is not None:
        where.append(Order.location_id.in_(location_ids(codes)))
    if (number := filters.get("number")) is not None:
        where.append(Order.number == parse_order_number(number))
    if (customer_id := filters.get("customer_id")) is not None:
        where.append(Order.customer_id == customer_id)
    if status := filters.get("status"):
        where.append(Order.status == status)
    if (placed_from := filters.get("placed_from")) is not None:
        where.append(Order.placed_at >= placed_from)
    if (placed_to := filters.get("placed_to")) is not None:
        where.append(Order.placed_at < placed_to)
    if sku := filters.get("sku"):
        where.append(
            Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku == sku.strip().upper()))
        )
    if (q := filters.get("q")) and q.strip():
        where.append(_matching(session, q))
    if (after := filters.get("after")) is not None:
        where.append(tuple_(Order.placed_at, Order.id) < tuple_(*after))
    return where


NEWEST_FIRST = (Order.placed_at.desc(), Order.id.desc())


def search_orders(
    session: Session, *, limit: int = 100, **filters: Unpack[OrderFilters]
) -> list[Order]:
    """Orders matching `filters`, newest first. Lines, shipments, payments, location and
    customer come loaded, one query each, for a list without a query per order."""
    query = _with_lines(select(Order)).options(
        selectinload(Order.payments), selectinload(Order.location), selectinload(Order.customer)
    )
    where = order_conditions(session, **filters)
    return list(session.scalars(query.where(*where).order_by(*NEWEST_FIRST).limit(limit)))


# A name shared by at most this many customers is looked up before their orders.
NAMED_CUSTOMERS_LISTED = 500


def _matching(session: Session, q: str) -> ColumnElement[bool]:
    """What a free-text order search means: a number, a phone number, or a name.

    The customers a name matches are read first, and their orders by their ids: inside
    one statement PostgreSQL cannot tell how many customers `LIKE '%ada abbott%'` will
    match (it guessed 2,000 for 80), and for some names walked every order newest first
    looking for theirs (5 s on a million orders). A name so common that it matches more
    than NAMED_CUSTOMERS_LISTED customers stays a subquery: then that walk is the fast
    way, as their orders are everywhere."""
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
    named = select(Customer.id).where(name_contains(q))
    ids = session.scalars(named.limit(NAMED_CUSTOMERS_LISTED + 1)).all()
    return Order.customer_id.in_(ids if len(ids) <= NAMED_CUSTOMERS_LISTED else named)
