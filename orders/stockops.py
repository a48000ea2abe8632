"""Store operations: stock receipts, adjustments and transfers, low stock, the pickup
and shipping queues of a location, and the sweep for pickups nobody collected.

Every change of on-hand quantity goes through `inventory.move`, so the stock ledger
(StockMovement: who, why, when) always sums to what is on the shelf. Reserved units
belong to open orders: an adjustment or transfer can only take what is available.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, select, update
from sqlalchemy.orm import Session, selectinload

from infra import clock
from orders import events, inventory, ordering, queries
from orders.customers import check_text
from orders.errors import DomainError, InvalidQuantity, ValidationFailed
from orders.events import Actor
from orders.models import Location, Order, Product, Stock, StockMovement
from orders.ordering import atomic
from orders.status import OrderStatus

MAX_MOVE = 100_000
MAX_NOTE = 500
# Why on-hand changed without an order: the words a store user picks from.
ADJUST_REASONS = ("count", "damage", "theft", "found")
# Reasons that can only take stock away, or only add it.
REMOVING = frozenset({"damage", "theft"})
ADDING = frozenset({"found"})
PICKUP_REMINDER_EVENT = "pickup_reminder"


def _move_quantity(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidQuantity(f"{quantity!r} is not a whole number.")
    if not 1 <= quantity <= MAX_MOVE:
        raise InvalidQuantity(f"Quantity must be between 1 and {MAX_MOVE}, not {quantity}.")
    return quantity


@atomic
def receive_stock(
    session: Session, sku: str, location_code: str, quantity: int, *, actor: Actor, note: str = ""
) -> Stock:
    """A delivery from a supplier arrived: on hand goes up. `note` holds e.g. the PO number."""
    product = ordering.get_product(session, sku)
    location = inventory.get_location(session, location_code)
    inventory.move(
        session,
        product.id,
        location.id,
        _move_quantity(quantity),
        "receipt",
        actor.label,
        note=check_text(note, MAX_NOTE, "note"),
    )
    return inventory.stock_row(session, product.id, location.id)


@atomic
def adjust_stock(
    session: Session,
    sku: str,
    location_code: str,
    *,
    reason: str,
    actor: Actor,
    delta: int | None = None,
    counted: int | None = None,
    note: str = "",
) -> Stock:
    """Correct on hand: by `delta` (damage and theft take away, found adds), or for a
    count, to the `counted` quantity. Units reserved for open orders can't be adjusted
    away; cancel or move those orders first."""
    if reason not in ADJUST_REASONS:
        raise ValidationFailed(
            f"Reason must be one of {', '.join(ADJUST_REASONS)}, not {reason!r}."
        )
    product = ordering.get_product(session, sku)
    location = inventory.get_location(session, location_code)
    row = inventory.stock_row(session, product.id, location.id)
    if (delta is None) == (counted is None):
        raise ValidationFailed("Give either the change (delta) or the counted quantity.")
    if counted is not None:
        if (
            isinstance(counted, bool)
            or not isinstance(counted, int)
            or not 0 <= counted <= MAX_MOVE
        ):
            raise InvalidQuantity(f"A count must be a whole number from 0 to {MAX_MOVE}.")
        delta = counted - row.on_hand
    elif isinstance(delta, bool) or not isinstance(delta, int) or not 0 < abs(delta) <= MAX_MOVE:
        raise InvalidQuantity(f"The change must be a non-zero whole number up to {MAX_MOVE}.")
    if (reason in REMOVING and delta > 0) or (reason in ADDING and delta < 0):
        raise ValidationFailed(
            f"A {reason} adjustment can't {'add' if delta > 0 else 'remove'} stock."
        )
    inventory.move(
        session,
        product.id,
        location.id,
        delta,
        reason,
        actor.label,
        note=check_text(note, MAX_NOTE, "note"),
    )
    return row


@atomic
def transfer_stock(
    session: Session,
    sku: str,
    from_code: str,
    to_code: str,
    quantity: int,
    *,
    actor: Actor,
    note: str = "",
) -> tuple[Stock, Stock]:
    """Move available units between locations: one ledger entry out, one in."""
    product = ordering.get_product(session, sku)
    source = inventory.get_location(session, from_code)
    target = inventory.get_location(session, to_code)
    if source.id == target.id:
        raise ValidationFailed("A transfer needs two different locations.")
    quantity = _move_quantity(quantity)
    note = check_text(note, MAX_NOTE, "note") or f"{source.code} -> {target.code}"
    # Both rows are locked in location id order, so two opposite transfers can't deadlock.
    legs = sorted([(source, -quantity), (target, quantity)], key=lambda leg: leg[0].id)
    for location, delta in legs:
        reason = "transfer_out" if delta < 0 else "transfer_in"
        inventory.move(session, product.id, location.id, delta, reason, actor.label, note=note)
    return (
        inventory.stock_row(session, product.id, source.id),
        inventory.stock_row(session, product.id, target.id),
    )


@atomic
def set_low_stock_threshold(session: Session, sku: str, threshold: int) -> Product:
    product = ordering.get_product(session, sku)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int)
        or not 0 <= threshold <= MAX_MOVE
    ):
        raise InvalidQuantity(f"A threshold must be a whole number from 0 to {MAX_MOVE}.")
    product.low_stock_threshold = threshold
    session.flush()
    return product


def low_stock(session: Session, location_codes: Iterable[str] | None = None) -> list[Stock]:
    """Stock rows whose available quantity is at or below the product's threshold,
    for active products at active locations (all, or only `location_codes`)."""
    query = (
        select(Stock)
        .join(Product)
        .join(Location)
        .where(
            Product.active.is_(True),
            Location.active.is_(True),
            Stock.on_hand - Stock.reserved <= Product.low_stock_threshold,
        )
        .options(selectinload(Stock.product), selectinload(Stock.location))
        .order_by(Location.code, Product.sku)
    )
    if location_codes is not None:
        query = query.where(Location.code.in_([c.strip().upper() for c in location_codes]))
    return list(session.scalars(query))


@dataclass
class PickupQueue:
    """A store's pickup orders: to prepare, ready on the shelf, and ready but not
    collected after the reminder period (the ones to phone or put back)."""

    location: Location
    to_prepare: list[Order] = field(default_factory=list)
    ready: list[Order] = field(default_factory=list)
    not_collected: list[Order] = field(default_factory=list)


def _orders_at(location: Location) -> Select[tuple[Order]]:
    return (
        select(Order)
        .where(Order.location_id == location.id)
        .options(selectinload(Order.lines), selectinload(Order.customer))
    )


def pickup_queue(
    session: Session, location_code: str, *, reminder_days: int, now: datetime | None = None
) -> PickupQueue:
    location = inventory.get_location(session, location_code)
    overdue_since = (now or clock.now(session)) - timedelta(days=reminder_days)
    queue = PickupQueue(location)
    rows = session.scalars(
        _orders_at(location)
        .where(
            Order.fulfillment_method == "pickup",
            Order.status.in_(
                [OrderStatus.PLACED, OrderStatus.PROCESSING, OrderStatus.READY_FOR_PICKUP]
            ),
        )
        .order_by(Order.placed_at, Order.id)
    )
    for order in rows:
        if order.status != OrderStatus.READY_FOR_PICKUP:
            queue.to_prepare.append(order)
        elif order.ready_at is not None and order.ready_at <= overdue_since:
            queue.not_collected.append(order)
        else:
            queue.ready.append(order)
    return queue


@dataclass
class PickItem:
    sku: str
    name: str
    quantity: int
    orders: list[str]


@dataclass
class ShippingQueue:
    """Delivery orders a location still has to ship, oldest first, and the pick list:
    the open units per SKU across all of them."""

    location: Location
    orders: list[Order]
    pick_list: list[PickItem]


def shipping_queue(session: Session, location_code: str) -> ShippingQueue:
    location = inventory.get_location(session, location_code)
    orders = list(
        session.scalars(
            _orders_at(location)
            .where(
                Order.fulfillment_method == "delivery",
                Order.status.in_(
                    [OrderStatus.PLACED, OrderStatus.PROCESSING, OrderStatus.PARTIALLY_SHIPPED]
                ),
            )
            .order_by(Order.placed_at, Order.id)
        )
    )
    picks: dict[str, PickItem] = {}
    for order in orders:
        for line in order.lines:
            if line.open_quantity > 0:
                item = picks.setdefault(line.sku, PickItem(line.sku, line.name, 0, []))
                item.quantity += line.open_quantity
                item.orders.append(order.display_number)
    return ShippingQueue(location, orders, sorted(picks.values(), key=lambda p: p.sku))


@dataclass
class SweepResult:
    reminded: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)


def sweep_uncollected_pickups(
    session: Session,
    *,
    reminder_days: int,
    expiry_days: int,
    now: datetime | None = None,
    actor: Actor | None = None,
) -> SweepResult:
    """Run periodically: remind once about pickups ready for `reminder_days`, and cancel
    (stock released, money refunded) those ready for `expiry_days`.

    The reminder is an order event "pickup_reminder"; a notification listener turns it
    into a message. Claiming the reminder with a conditional UPDATE makes two sweeps
    running at once (two workers) send it only once.
    """
    now = now or clock.now(session)
    actor = actor or Actor.system("pickup-sweep")
    result = SweepResult()
    ready = select(Order).where(
        Order.status == OrderStatus.READY_FOR_PICKUP, Order.ready_at.is_not(None)
    )
    expired = session.scalars(
        ready.where(Order.ready_at <= now - timedelta(days=expiry_days)).order_by(Order.id)
    ).all()
    for order in expired:
        try:
            ordering.cancel_order(
                session, order, actor=actor, reason=f"not collected within {expiry_days} days"
            )
        except DomainError:
            continue  # handed over or cancelled by someone else meanwhile
        result.cancelled.append(order.display_number)
    due = session.scalars(
        ready.where(
            Order.pickup_reminded_at.is_(None),
            Order.ready_at <= now - timedelta(days=reminder_days),
        ).order_by(Order.id)
    ).all()
    for order in due:
        claimed = session.execute(
            update(Order)
            .where(and_(Order.id == order.id, Order.pickup_reminded_at.is_(None)))
            .values(pickup_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        session.refresh(order)
        cancels_on = order.ready_at + timedelta(days=expiry_days)  # type: ignore[operator]
        events.record(
            session,
            order,
            PICKUP_REMINDER_EVENT,
            actor,
            location=order.location.code,
            ready_since=order.ready_at.isoformat(),  # type: ignore[union-attr]
            cancels_on=cancels_on.isoformat(),
        )
        result.reminded.append(order.display_number)
    return result


def movements(
    session: Session,
    *,
    sku: str | None = None,
    location_code: str | None = None,
    location_codes: Collection[str] | None = None,
    limit: int = 200,
) -> list[StockMovement]:
    """The stock ledger, newest first (at one location, or only at `location_codes`)."""
    query = (
        select(StockMovement)
        .options(
            selectinload(StockMovement.product),
            selectinload(StockMovement.location),
            selectinload(StockMovement.order),
        )
        .order_by(StockMovement.id.desc())
        .limit(limit)
    )
    if sku:
        query = query.where(StockMovement.product_id == ordering.get_product(session, sku).id)
    if location_code:
        location = inventory.get_location(session, location_code)
        query = query.where(StockMovement.location_id == location.id)
    if location_codes is not None:
        query = query.where(StockMovement.location_id.in_(queries.location_ids(location_codes)))
    return list(session.scalars(query))
