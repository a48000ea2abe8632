"""/api/v1: products, inventory, customers, orders and returns, through the same
service functions the bot and the CSR console use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import serialize
from api.auth import (
    api_actor,
    caller_locations,
    require_customer_access,
    require_location,
    require_order_access,
    require_return_access,
    require_token,
)
from api.errors import ApiError, register_error_handlers
from api.parse import (
    body,
    conditions_from,
    items_from,
    optional_int,
    optional_money,
    optional_text,
    query_digits,
)
from infra.web import database, settings
from orders import customers, fulfilment, ordering, queries, returns
from orders.models import Customer, Location, Order, Product, Stock
from orders.status import OrderStatus, ReturnStatus

bp = Blueprint("api", __name__, url_prefix="/api/v1")
register_error_handlers(bp)


@bp.get("/products")
@require_token
def list_products():  # type: ignore[no-untyped-def]
    with database().transaction() as session:
        rows = session.scalars(select(Product).order_by(Product.sku))
        return jsonify({"products": [serialize.product(p) for p in rows]})


@bp.get("/inventory")
@require_token
def inventory():  # type: ignore[no-untyped-def]
    query = select(Stock).join(Product).join(Location).order_by(Product.sku, Location.code)
    if sku := request.args.get("sku"):
        query = query.where(Product.sku == sku.strip().upper())
    if code := request.args.get("location"):
        require_location(code)
        query = query.where(Location.code == code.strip().upper())
    if (scope := caller_locations()) is not None:
        query = query.where(Location.code.in_(scope))
    with database().transaction() as session:
        return jsonify({"inventory": [serialize.stock(row) for row in session.scalars(query)]})


@bp.get("/customers")
@require_token
def search_customers():  # type: ignore[no-untyped-def]
    with database().transaction() as session:
        found = customers.search_customers(
            session, request.args.get("q", ""), location_codes=caller_locations()
        )
        return jsonify({"customers": [serialize.customer(c) for c in found]})


@bp.get("/customers/<int:customer_id>")
@require_token
def get_customer(customer_id: int):  # type: ignore[no-untyped-def]
    with database().transaction() as session:
        customer = customers.get_customer(session, customer_id)
        require_customer_access(session, customer_id)
        history = customers.purchase_history(
            session, customer_id, location_codes=caller_locations()
        )
        return jsonify(serialize.customer(customer, history))


# A page of GET /orders: `limit` orders (this many unless asked for fewer), newest
# first, and `next`, the URL of the page after it (null on the last page).
ORDERS_PAGE = 100
ORDERS_PAGE_MAX = 200


@bp.get("/orders")
@require_token
def list_orders():  # type: ignore[no-untyped-def]
    status = request.args.get("status") or None
    if status and status not in OrderStatus.__members__.values():
        raise ApiError(400, "bad_status", f"Unknown order status {status!r}.")
    customer_id = query_digits("customer")
    limit = query_digits("limit")
    limit = ORDERS_PAGE if limit is None else limit
    if not 1 <= limit <= ORDERS_PAGE_MAX:
        raise ApiError(400, "bad_limit", f"limit must be 1 to {ORDERS_PAGE_MAX}.")
    with database().transaction() as session:
        found = queries.search_orders(
            session,
            customer_id=customer_id,
            status=status,
            sku=request.args.get("sku") or None,
            q=request.args.get("q") or None,
            location_codes=caller_locations(),
            limit=limit + 1,
            after=_page_after(session),
        )
        page = found[:limit]
        more = len(found) > limit
        next_url = (
            url_for(request.endpoint or "", **{**request.args, "after": page[-1].number})
            if more
            else None
        )
        return jsonify({"orders": [serialize.order(o) for o in page], "next": next_url})


def _page_after(session: Session) -> tuple[datetime, int] | None:
    """Where a page starts: after the order numbered `after` (the last of the page before)."""
    number = query_digits("after")
    if number is None:
        return None
    row = session.execute(
        select(Order.placed_at, Order.id).where(Order.number == number)
    ).one_or_none()
    if row is None:
        raise ApiError(400, "bad_after", f"after must be an order number; there is no {number}.")
    return row.placed_at, row.id


@bp.get("/orders/<number>")
@require_token
def get_order(number: str):  # type: ignore[no-untyped-def]
    with database().transaction() as session:
        order = queries.get_order(session, number)
        require_order_access(order)
        return jsonify(serialize.order(order))


def _customer_for_new_order(session: Session, data: dict[str, Any]) -> Customer:
    """The order's customer; a store-limited token may name only customers it has served
    (or a new phone / email), so it cannot adopt another store's customer."""
    customer_id = optional_int(data, "customer_id")
    if customer_id is not None:
        customer = customers.get_customer(session, customer_id)
        require_customer_access(session, customer_id)
        return customer
    spec = data.get("customer")
    if not isinstance(spec, dict):
        raise ApiError(400, "bad_customer", "Give customer_id or customer {name, phone|email}.")
    name = optional_text(spec, "name") or ""
    for kind in ("phone", "email"):
        value = optional_text(spec, kind)
        if value:
            return customers.customer_for_identity(
                session, kind, value, name, location_codes=caller_locations()
            )
    raise ApiError(400, "bad_customer", "A new customer needs a phone or an email.")


@bp.post("/orders")
@require_token
def create_order():  # type: ignore[no-untyped-def]
    data = body()
    fulfillment = data.get("fulfillment") or {}
    if not isinstance(fulfillment, dict):
        raise ApiError(400, "bad_fulfillment", "fulfillment must be an object.")
    with database().transaction() as session:
        customer = _customer_for_new_order(session, data)
        order = ordering.place_order(
            session,
            customer,
            items_from(data.get("lines", [])),
            method=optional_text(fulfillment, "method") or "",
            address=optional_text(fulfillment, "address"),
            pickup_location_code=optional_text(fulfillment, "location"),
            actor=api_actor(),
            location_codes=caller_locations(),
        )
        return jsonify(serialize.order(order)), 201


@bp.patch("/orders/<number>")
@require_token
def change_order(number: str):  # type: ignore[no-untyped-def]
    data = body()
    fulfillment = data.get("fulfillment") or {}
    if not isinstance(fulfillment, dict):
        raise ApiError(400, "bad_fulfillment", "fulfillment must be an object.")
    changes = ordering.OrderChanges(
        quantities=items_from(data["lines"]) if "lines" in data else {},
        address=optional_text(data, "address") or optional_text(fulfillment, "address"),
        fulfillment_method=optional_text(fulfillment, "method"),
        pickup_location_code=optional_text(fulfillment, "location"),
    )
    with database().transaction() as session:
        order = queries.get_order(session, number)
        require_order_access(order)
        ordering.modify_order(session, order, changes, actor=api_actor())
        require_order_access(order)  # nor move it to another location
        return jsonify(serialize.order(order))


@bp.post("/orders/<number>/cancel")
@require_token
def cancel_order(number: str):  # type: ignore[no-untyped-def]
    data = body()
    reason = optional_text(data, "reason") or ""
    with database().transaction() as session:
        order = queries.get_order(session, number)
        require_order_access(order)
        if "lines" in data:
            ordering.cancel_lines(
                session, order, items_from(data["lines"]), actor=api_actor(), reason=reason
            )
        else:
            ordering.cancel_order(session, order, actor=api_actor(), reason=reason)
        return jsonify(serialize.order(order))


@bp.post("/orders/<number>/fulfillments")
@require_token
def add_fulfillment(number: str):  # type: ignore[no-untyped-def]
    data = body()
    kind = data.get("type")
    with database().transaction() as session:
        order = queries.get_order(session, number)
        require_order_access(order)
        if kind == "shipment":
            fulfilment.ship(
                session,
                order,
                carrier=optional_text(data, "carrier") or "",
                tracking_number=optional_text(data, "tracking_number") or "",
                items=items_from(data["lines"]) if data.get("lines") else None,
                actor=api_actor(),
            )
        elif kind == "ready_for_pickup":
            fulfilment.mark_ready_for_pickup(session, order, actor=api_actor())
        elif kind == "picked_up":
            fulfilment.mark_picked_up(
                session, order, optional_text(data, "pickup_code") or "", actor=api_actor()
            )
        elif kind == "delivered":
            fulfilment.mark_delivered(
                session, order, actor=api_actor(), shipment_id=optional_int(data, "shipment_id")
            )
        else:
            raise ApiError(
                400, "bad_type", "type must be shipment, ready_for_pickup, picked_up or delivered."
            )
        return jsonify(serialize.order(order)), 201


@bp.get("/returns")
@require_token
def list_returns():  # type: ignore[no-untyped-def]
    status = request.args.get("status") or None
    if status and status not in ReturnStatus.__members__.values():
        raise ApiError(400, "bad_status", f"Unknown return status {status!r}.")
    with database().transaction() as session:
        found = returns.find_returns(
            session,
            status=status,
            customer_id=query_digits("customer"),
            order_number=request.args.get("order") or None,
            location_codes=caller_locations(),
        )
        return jsonify({"returns": [serialize.return_(r) for r in found]})


@bp.post("/orders/<number>/returns")
@require_token
def create_return(number: str):  # type: ignore[no-untyped-def]
    data = body()
    with database().transaction() as session:
        order = queries.get_order(session, number)
        require_order_access(order)
        ret = returns.request_return(
            session,
            order,
            items_from(data["lines"]) if data.get("lines") else None,
            method=optional_text(data, "method") or "mail",
            location_code=optional_text(data, "location"),
            reason=optional_text(data, "reason") or "",
            actor=api_actor(),
            window_days=settings().return_window_days,
        )
        return jsonify(serialize.return_(ret)), 201


@bp.post("/returns/<number>/<action>")
@require_token
def return_action(number: str, action: str):  # type: ignore[no-untyped-def]
    data = body()
    with database().transaction() as session:
        ret = returns.get_return(session, number)
        require_return_access(ret)
        if action == "approve":
            returns.approve_return(session, ret, actor=api_actor())
        elif action == "reject":
            returns.reject_return(
                session, ret, actor=api_actor(), reason=optional_text(data, "reason") or ""
            )
        elif action == "receive":
            location = optional_text(data, "location") or (ret.location and ret.location.code)
            if location:
                require_location(location)
            returns.receive_return(
                session,
                ret,
                actor=api_actor(),
                location_code=location,
                conditions=conditions_from(data.get("conditions")),
            )
        elif action == "refund":
            if ret.location is not None:
                require_location(ret.location.code)
            returns.refund_return(
                session, ret, actor=api_actor(), amount=optional_money(data, "amount")
            )
        else:
            raise ApiError(404, "not_found", f"No return action {action!r}.")
        return jsonify(serialize.return_(ret))
