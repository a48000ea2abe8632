"""/api/v1 for store operations: stock receipts, adjustments, transfers, low stock,
the ledger, the pickup and shipping queues of a location, and walk-in returns.

A token scoped to some locations (`create-api-token NAME --location DT`) may only
act on those; reading stock, the ledger and queues of a location needs the same scope,
and it cannot change the catalog. A walk-in return at its own location may name any
order: the customer brings the goods and the receipt to the counter.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from api import inputs, outputs
from api.auth import (
    api_actor,
    api_scope,
    require_token,
)
from api.contract import endpoint
from api.errors import register_error_handlers
from infra.web import database, settings
from orders import stockops
from orders.models import Location
from services import returns as return_service
from services import stock as stock_service
from services.uow import transaction

bp = Blueprint("api_store", __name__, url_prefix="/api/v1")
register_error_handlers(bp)


@bp.get("/locations")
@require_token
@endpoint(outputs.Locations)
def list_locations() -> outputs.Locations:
    """The active stores and warehouses."""
    with database().reading() as session:
        rows = session.scalars(
            select(Location).where(Location.active.is_(True)).order_by(Location.code)
        )
        return outputs.Locations(locations=[outputs.LocationOut.of(loc) for loc in rows])


@bp.post("/inventory/receive")
@require_token
@endpoint(outputs.StockLevel, status=201, body=inputs.StockReceipt)
def receive_stock(body: inputs.StockReceipt) -> outputs.StockLevel:
    """Goods arrived at a location."""
    with transaction(database()) as uow:
        row = stock_service.receive(
            uow,
            api_actor(),
            api_scope(),
            body.sku,
            body.location,
            body.quantity,
            note=body.note or "",
        )
        return outputs.StockLevel.of(row)


@bp.post("/inventory/adjust")
@require_token
@endpoint(outputs.StockLevel, body=inputs.StockAdjustment)
def adjust_stock(body: inputs.StockAdjustment) -> outputs.StockLevel:
    """Correct the stock of a location: a count, damage, loss..."""
    with transaction(database()) as uow:
        row = stock_service.adjust(
            uow,
            api_actor(),
            api_scope(),
            body.sku,
            body.location,
            reason=body.reason,
            delta=body.delta,
            counted=body.counted,
            note=body.note or "",
        )
        return outputs.StockLevel.of(row)


@bp.post("/inventory/transfer")
@require_token
@endpoint(outputs.Transfer, body=inputs.StockTransfer)
def transfer_stock(body: inputs.StockTransfer) -> outputs.Transfer:
    """Move stock from one location to another."""
    with transaction(database()) as uow:
        sent, arrived = stock_service.transfer(
            uow,
            api_actor(),
            api_scope(),
            body.sku,
            body.source,
            body.to,
            body.quantity,
            note=body.note or "",
        )
        return outputs.Transfer(
            source=outputs.StockLevel.of(sent), to=outputs.StockLevel.of(arrived)
        )


@bp.get("/inventory/low-stock")
@require_token
@endpoint(outputs.LowStock, query=inputs.LocationQuery)
def low_stock(query: inputs.LocationQuery) -> outputs.LowStock:
    """Stock at or below its product's low-stock threshold."""
    code = query.location
    if code:
        api_scope().check_location(code)
    codes = {code} if code else api_scope().codes
    with database().reading() as session:
        rows = stockops.low_stock(session, codes)
        return outputs.LowStock(low_stock=[outputs.StockLevel.of(row) for row in rows])


@bp.get("/inventory/movements")
@require_token
@endpoint(outputs.Movements, query=inputs.MovementQuery)
def stock_movements(query: inputs.MovementQuery) -> outputs.Movements:
    """The stock ledger: every change, newest first."""
    code = query.location
    if code:
        api_scope().check_location(code)
    with database().reading() as session:
        rows = stockops.movements(
            session,
            sku=query.sku,
            location_code=code,
            location_codes=api_scope().codes,
        )
        return outputs.Movements(movements=[outputs.MovementOut.of(m) for m in rows])


@bp.patch("/products/<sku>")
@require_token
@endpoint(outputs.ProductOut, body=inputs.ProductChange)
def change_product(sku: str, body: inputs.ProductChange) -> outputs.ProductOut:
    """Set a product's low-stock threshold (a whole-shop token)."""
    with transaction(database()) as uow:
        product = stock_service.set_low_stock_threshold(
            uow, api_scope(), sku, body.low_stock_threshold
        )
        return outputs.ProductOut.of(product)


@bp.get("/locations/<code>/pickups")
@require_token
@endpoint(outputs.PickupQueueOut)
def pickups(code: str) -> outputs.PickupQueueOut:
    """A store's pickups: to prepare, ready, and not collected in time."""
    api_scope().check_location(code)
    with database().reading() as session:
        queue = stockops.pickup_queue(session, code, reminder_days=settings().pickup_reminder_days)
        return outputs.PickupQueueOut.of(queue)


@bp.get("/locations/<code>/shipments")
@require_token
@endpoint(outputs.ShippingQueueOut)
def shipments(code: str) -> outputs.ShippingQueueOut:
    """A location's orders to ship, and the pick list for them."""
    api_scope().check_location(code)
    with database().reading() as session:
        return outputs.ShippingQueueOut.of(stockops.shipping_queue(session, code))


@bp.post("/returns/walk-in")
@require_token
@endpoint(outputs.ReturnOut, status=201, body=inputs.WalkInReturn)
def walk_in_return(body: inputs.WalkInReturn) -> outputs.ReturnOut:
    """Goods brought back to the counter: the return is received at once."""
    with transaction(database()) as uow:
        ret = return_service.walk_in_return(
            uow,
            api_actor(),
            api_scope(),
            body.order,
            body.lines,
            location=body.location,
            reason=body.reason or "",
            conditions=body.conditions,
            window_days=settings().return_window_days,
        )
        return outputs.ReturnOut.of(ret)
