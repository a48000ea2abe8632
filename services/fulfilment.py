"""Getting orders to customers: prepare, ready for pickup, hand over, ship, delivered."""

from __future__ import annotations

from orders import fulfilment
from orders.events import Actor
from orders.models import Order, Shipment
from orders.ordering import Items
from services.orders import find_order
from services.scope import Scope
from services.uow import UnitOfWork


def prepare(uow: UnitOfWork, actor: Actor, scope: Scope, number: str | int) -> Order:
    with uow.atomic() as session:
        order = find_order(session, scope, number)
        return fulfilment.mark_processing(session, order, actor=actor)


def ready_for_pickup(uow: UnitOfWork, actor: Actor, scope: Scope, number: str | int) -> Order:
    with uow.atomic() as session:
        order = find_order(session, scope, number)
        return fulfilment.mark_ready_for_pickup(session, order, actor=actor)


def hand_over(
    uow: UnitOfWork, actor: Actor, scope: Scope, number: str | int, pickup_code: str
) -> Order:
    with uow.atomic() as session:
        order = find_order(session, scope, number)
        return fulfilment.mark_picked_up(session, order, pickup_code, actor=actor)


def ship(
    uow: UnitOfWork,
    actor: Actor,
    scope: Scope,
    number: str | int,
    *,
    carrier: str,
    tracking_number: str,
    items: Items | None = None,
) -> Shipment:
    """Everything still open, or only `items` for a partial shipment."""
    with uow.atomic() as session:
        order = find_order(session, scope, number)
        return fulfilment.ship(
            session,
            order,
            carrier=carrier,
            tracking_number=tracking_number,
            items=items,
            actor=actor,
        )


def delivered(
    uow: UnitOfWork,
    actor: Actor,
    scope: Scope,
    number: str | int,
    *,
    shipment_id: int | None = None,
) -> Order:
    with uow.atomic() as session:
        order = find_order(session, scope, number)
        return fulfilment.mark_delivered(session, order, actor=actor, shipment_id=shipment_id)
