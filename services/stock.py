"""Stock at the shop's locations: receipts, adjustments with a reason, transfers, and
the catalog's low-stock threshold (the whole shop's to set)."""

from __future__ import annotations

from orders import stockops
from orders.events import Actor
from orders.models import Product, Stock
from services.scope import Scope
from services.uow import UnitOfWork


def receive(
    uow: UnitOfWork,
    actor: Actor,
    scope: Scope,
    sku: str,
    location: str,
    quantity: int,
    *,
    note: str = "",
) -> Stock:
    scope.check_location(location)
    with uow.atomic() as session:
        return stockops.receive_stock(session, sku, location, quantity, actor=actor, note=note)


def adjust(
    uow: UnitOfWork,
    actor: Actor,
    scope: Scope,
    sku: str,
    location: str,
    *,
    reason: str,
    delta: int | None = None,
    counted: int | None = None,
    note: str = "",
) -> Stock:
    scope.check_location(location)
    with uow.atomic() as session:
        return stockops.adjust_stock(
            session,
            sku,
            location,
            reason=reason,
            delta=delta,
            counted=counted,
            actor=actor,
            note=note,
        )


def transfer(
    uow: UnitOfWork,
    actor: Actor,
    scope: Scope,
    sku: str,
    source: str,
    target: str,
    quantity: int,
    *,
    note: str = "",
) -> tuple[Stock, Stock]:
    """Sent from a location in scope to any other: the receiving store need not be ours."""
    scope.check_location(source)
    with uow.atomic() as session:
        return stockops.transfer_stock(
            session, sku, source, target, quantity, actor=actor, note=note
        )


def set_low_stock_threshold(uow: UnitOfWork, scope: Scope, sku: str, threshold: int) -> Product:
    """The product's, for every location (the ledger records stock, not settings)."""
    scope.check_whole_shop("change the catalog")
    with uow.atomic() as session:
        return stockops.set_low_stock_threshold(session, sku, threshold)
