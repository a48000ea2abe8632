"""Read-only lists the store pages show that the orders services don't already offer.

Nothing here changes a row: every store action goes through an orders service.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from orders.models import Location, Order, Product, Return, ReturnLine, Shipment, Stock
from orders.status import OrderStatus, ReturnStatus


def locations(session: Session, codes: Iterable[str] | None) -> list[Location]:
    """Active locations, all of them (None) or only those `codes`, by code."""
    query = select(Location).where(Location.active.is_(True)).order_by(Location.code)
    if codes is not None:
        query = query.where(Location.code.in_([c.upper() for c in codes]))
    return list(session.scalars(query))


def products(session: Session) -> list[Product]:
    return list(
        session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.sku))
    )


def stock_levels(session: Session, location: Location) -> list[Stock]:
    """On hand, reserved and available of every active product stocked at `location`."""
    return list(
        session.scalars(
            select(Stock)
            .join(Product)
            .where(Stock.location_id == location.id, Product.active.is_(True))
            .options(selectinload(Stock.product))
            .order_by(Product.sku)
        )
    )


def awaiting_delivery(session: Session, location: Location) -> list[Shipment]:
    """Shipments sent from `location` whose delivery nobody has confirmed yet."""
    return list(
        session.scalars(
            select(Shipment)
            .join(Order)
            .where(
                Shipment.location_id == location.id,
                Shipment.delivered_at.is_(None),
                Order.status.in_([OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED]),
            )
            .options(
                selectinload(Shipment.order).selectinload(Order.customer),
                selectinload(Shipment.lines),
            )
            .order_by(Shipment.shipped_at, Shipment.id)
        )
    )


def returns_at(session: Session, location: Location, statuses: Iterable[str]) -> list[Return]:
    """Returns bound for (or received at) `location` in one of `statuses`, oldest first.

    A return by mail names no store: it comes back to where the order was sent from.
    """
    bound_here = or_(
        Return.location_id == location.id,
        and_(
            Return.location_id.is_(None),
            Return.order_id.in_(select(Order.id).where(Order.location_id == location.id)),
        ),
    )
    return list(
        session.scalars(
            select(Return)
            .where(bound_here, Return.status.in_(list(statuses)))
            .options(
                selectinload(Return.order).selectinload(Order.customer),
                selectinload(Return.lines).selectinload(ReturnLine.order_line),
            )
            .order_by(Return.id)
        )
    )


EXPECTED = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED)
TO_REFUND = (ReturnStatus.RECEIVED,)
