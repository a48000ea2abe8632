"""/api/v1 for store operations: stock receipts, adjustments, transfers, low stock,
the ledger, the pickup and shipping queues of a location, and walk-in returns.

A token scoped to some locations (`create-api-token NAME --location DT`) may only
act on those; reading stock, the ledger and queues of a location needs the same scope,
and it cannot change the catalog. A walk-in return at its own location may name any
order: the customer brings the goods and the receipt to the counter.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from api import serialize
from api.auth import (
    api_actor,
    caller_locations,
    require_location,
    require_token,
    require_whole_shop,
)
from api.errors import register_error_handlers
from api.parse import (
    body,
    conditions_from,
    items_from,
    optional_int,
    optional_text,
    required_int,
    required_text,
)
from infra.web import database, settings
from orders import queries, returns, stockops
from orders.models import Location

bp = Blueprint("api_store", __name__, url_prefix="/api/v1")
register_error_handlers(bp)


@bp.get("/locations")
@require_token
def list_locations():  # type: ignore[no-untyped-def]
    with database().transaction() as session:
        rows = session.scalars(
            select(Location).where(Location.active.is_(True)).order_by(Location.code)
        )
        return jsonify({"locations": [serialize.location(loc) for loc in rows]})


@bp.post("/inventory/receive")
@require_token
def receive_stock():  # type: ignore[no-untyped-def]
    data = body()
    location = required_text(data, "location")
    require_location(location)
    with database().transaction() as session:
        row = stockops.receive_stock(
            session,
            required_text(data, "sku"),
            location,
            required_int(data, "quantity"),
            actor=api_actor(),
            note=optional_text(data, "note") or "",
        )
        return jsonify(serialize.stock_level(row)), 201


@bp.post("/inventory/adjust")
@require_token
def adjust_stock():  # type: ignore[no-untyped-def]
    data = body()
    location = required_text(data, "location")
    require_location(location)
    with database().transaction() as session:
        row = stockops.adjust_stock(
            session,
            required_text(data, "sku"),
            location,
            reason=required_text(data, "reason"),
            delta=optional_int(data, "delta"),
            counted=optional_int(data, "counted"),
            actor=api_actor(),
            note=optional_text(data, "note") or "",
        )
        return jsonify(serialize.stock_level(row))


@bp.post("/inventory/transfer")
@require_token
def transfer_stock():  # type: ignore[no-untyped-def]
    data = body()
    source = required_text(data, "from")
    require_location(source)
    with database().transaction() as session:
        sent, arrived = stockops.transfer_stock(
            session,
            required_text(data, "sku"),
            source,
            required_text(data, "to"),
            required_int(data, "quantity"),
            actor=api_actor(),
            note=optional_text(data, "note") or "",
        )
        return jsonify({"from": serialize.stock_level(sent), "to": serialize.stock_level(arrived)})


@bp.get("/inventory/low-stock")
@require_token
def low_stock():  # type: ignore[no-untyped-def]
    code = request.args.get("location")
    if code:
        require_location(code)
    scope = {code} if code else caller_locations()
    with database().transaction() as session:
        rows = stockops.low_stock(session, scope)
        return jsonify({"low_stock": [serialize.stock_level(row) for row in rows]})


@bp.get("/inventory/movements")
@require_token
def stock_movements():  # type: ignore[no-untyped-def]
    code = request.args.get("location")
    if code:
        require_location(code)
    with database().transaction() as session:
        rows = stockops.movements(
            session,
            sku=request.args.get("sku"),
            location_code=code,
            location_codes=caller_locations(),
        )
        return jsonify({"movements": [serialize.movement(m) for m in rows]})


@bp.patch("/products/<sku>")
@require_token
def change_product(sku: str):  # type: ignore[no-untyped-def]
    require_whole_shop("change the catalog")
    data = body()
    with database().transaction() as session:
        product = stockops.set_low_stock_threshold(
            session, sku, required_int(data, "low_stock_threshold")
        )
        return jsonify(serialize.product(product))


@bp.get("/locations/<code>/pickups")
@require_token
def pickups(code: str):  # type: ignore[no-untyped-def]
    require_location(code)
    with database().transaction() as session:
        queue = stockops.pickup_queue(session, code, reminder_days=settings().pickup_reminder_days)
        return jsonify(serialize.pickup_queue(queue))


@bp.get("/locations/<code>/shipments")
@require_token
def shipments(code: str):  # type: ignore[no-untyped-def]
    require_location(code)
    with database().transaction() as session:
        return jsonify(serialize.shipping_queue(stockops.shipping_queue(session, code)))


@bp.post("/returns/walk-in")
@require_token
def walk_in_return():  # type: ignore[no-untyped-def]
    data = body()
    location = required_text(data, "location")
    require_location(location)
    with database().transaction() as session:
        order = queries.get_order(session, required_text(data, "order"))
        ret = returns.walk_in_return(
            session,
            order,
            items_from(data["lines"]) if data.get("lines") else None,
            location_code=location,
            actor=api_actor(),
            reason=optional_text(data, "reason") or "",
            conditions=conditions_from(data.get("conditions")),
            window_days=settings().return_window_days,
        )
        return jsonify(serialize.return_(ret)), 201
