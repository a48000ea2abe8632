"""Getting orders to customers: processing, shipping, pickup, delivery."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from sqlalchemy.orm import Session

from infra import clock
from orders import events, inventory
from orders.customers import check_text
from orders.errors import InvalidQuantity, ProductNotFound, ValidationFailed, WrongPickupCode
from orders.events import Actor
from orders.models import Order, Shipment, ShipmentLine
from orders.ordering import Items, atomic, check_quantity, normalise_items
from orders.status import OrderStatus, check_order_transition


def _require_method(order: Order, method: str, what: str) -> None:
    if order.fulfillment_method != method:
        raise ValidationFailed(
            f"Can't {what}: order {order.display_number} is for {order.fulfillment_method}."
        )


@atomic
def mark_processing(session: Session, order: Order, *, actor: Actor) -> Order:
    check_order_transition(order.status, OrderStatus.PROCESSING, "start processing it")
    order.status = OrderStatus.PROCESSING
    events.record(session, order, "processing", actor)
    return order


def _take_out(
    session: Session, order: Order, quantities: Mapping[int, int], reason: str, actor: Actor
) -> None:
    """Reserved units leave the shelf: on hand and reserved both go down."""
    lines = {line.id: line for line in order.lines}
    for line_id, quantity in quantities.items():
        line = lines[line_id]
        line.quantity_fulfilled += quantity
        inventory.move(
            session,
            line.product_id,
            order.location_id,
            -quantity,
            reason,
            actor.label,
            order_id=order.id,
            reserved_delta=-quantity,
        )


@atomic
def ship(
    session: Session,
    order: Order,
    *,
    carrier: str,
    tracking_number: str,
    actor: Actor,
    items: Items | None = None,
) -> Shipment:
    """Ship everything still open, or only `items` (SKU -> quantity) for a partial shipment."""
    _require_method(order, "delivery", "ship it")
    carrier = check_text(carrier, 60, "carrier")
    tracking_number = check_text(tracking_number, 100, "tracking number")
    if not carrier or not tracking_number:
        raise ValidationFailed("A shipment needs a carrier and a tracking number.")
    by_sku = {line.sku: line for line in order.lines}
    if items is None:
        quantities = {line.id: line.open_quantity for line in order.lines if line.open_quantity}
    else:
        quantities = {}
        for sku, quantity in normalise_items(items).items():
            line = by_sku.get(sku)
            if line is None:
                raise ProductNotFound(f"Order {order.display_number} has no {sku!r}.", sku=sku)
            if check_quantity(quantity) > line.open_quantity:
                raise InvalidQuantity(f"Only {line.open_quantity} of {line.name} left to ship.")
            quantities[line.id] = quantity
    if not quantities:
        raise ValidationFailed(f"Nothing left to ship on order {order.display_number}.")
    _take_out(session, order, quantities, "shipment", actor)
    complete = all(line.open_quantity == 0 for line in order.lines)
    new_status = OrderStatus.SHIPPED if complete else OrderStatus.PARTIALLY_SHIPPED
    check_order_transition(order.status, new_status, "ship it")
    order.status = new_status
    if complete:
        order.fulfilled_at = clock.now(session)
    shipment = Shipment(
        shipped_at=clock.now(session),
        location_id=order.location_id,
        carrier=carrier,
        tracking_number=tracking_number,
        lines=[ShipmentLine(order_line_id=i, quantity=q) for i, q in quantities.items()],
    )
    order.shipments.append(shipment)  # not just order_id: a delivery in this session sees it
    session.flush()
    events.record(
        session,
        order,
        "shipped" if complete else "partially_shipped",
        actor,
        carrier=carrier,
        tracking_number=tracking_number,
        shipment_id=shipment.id,
        lines={line.sku: quantities[line.id] for line in order.lines if line.id in quantities},
    )
    return shipment


@atomic
def mark_ready_for_pickup(session: Session, order: Order, *, actor: Actor) -> Order:
    _require_method(order, "pickup", "make it ready for pickup")
    check_order_transition(order.status, OrderStatus.READY_FOR_PICKUP, "make it ready for pickup")
    order.status = OrderStatus.READY_FOR_PICKUP
    order.ready_at = clock.now(session)
    events.record(session, order, "ready_for_pickup", actor, location=order.location.code)
    return order


@atomic
def mark_picked_up(session: Session, order: Order, pickup_code: str, *, actor: Actor) -> Order:
    check_order_transition(order.status, OrderStatus.PICKED_UP, "hand it over")
    if not hmac.compare_digest(pickup_code.strip().encode(), order.pickup_code.encode()):
        raise WrongPickupCode(f"That is not the pickup code for order {order.display_number}.")
    quantities = {line.id: line.open_quantity for line in order.lines if line.open_quantity}
    _take_out(session, order, quantities, "pickup", actor)
    order.status = OrderStatus.PICKED_UP
    order.fulfilled_at = order.delivered_at = clock.now(session)
    events.record(session, order, "picked_up", actor, location=order.location.code)
    return order


@atomic
def mark_delivered(
    session: Session, order: Order, *, actor: Actor, shipment_id: int | None = None
) -> Order:
    """Record delivery of one shipment, or all of them; the order is delivered when all are."""
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED):
        check_order_transition(order.status, OrderStatus.DELIVERED, "mark it delivered")
    now = clock.now(session)
    targets = [s for s in order.shipments if shipment_id in (None, s.id) and s.delivered_at is None]
    if not targets:
        raise ValidationFailed("No shipment of that order is waiting for delivery.")
    for shipment in targets:
        shipment.delivered_at = now
    if order.status == OrderStatus.SHIPPED and all(s.delivered_at for s in order.shipments):
        order.status = OrderStatus.DELIVERED
        order.delivered_at = now
    events.record(session, order, "delivered", actor, shipments=[s.id for s in targets])
    return order
