"""/api/v1: products, inventory, customers, orders and returns, through the same
service functions the bot and the CSR console use."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import serialize
from api.auth import api_actor, require_token
from api.errors import ApiError, register_error_handlers
from orders import customers, fulfilment, ordering, queries, returns
from orders.models import Location, Product, Return, Stock
from orders.status import OrderStatus, ReturnStatus
from web import database, settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")
register_error_handlers(bp)


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and not request.data:
        return {}
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "The request body must be a JSON object.")
    return data


def items_from(raw: object) -> dict[str, int]:
    """`{"SKU": 2}` or `[{"sku": "SKU", "quantity": 2}]` -> {"SKU": 2}."""
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list) and all(isinstance(x, dict) for x in raw):
        pairs = [(x.get("sku"), x.get("quantity")) for x in raw]
    else:
        raise ApiError(400, "bad_lines", "lines must be a list of {sku, quantity} or a map.")
    items: dict[str, int] = {}
    for sku, quantity in pairs:
        if not isinstance(sku, str) or isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ApiError(
                400, "bad_lines", "Each line needs a sku (text) and a quantity (integer)."
            )
        items[sku.strip().upper()] = items.get(sku.strip().upper(), 0) + quantity
    return items


def optional_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, "bad_field", f"{key} must be text.")
    return value


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
        query = query.where(Location.code == code.strip().upper())
    with database().transaction() as session:
        return jsonify({"inventory": [serialize.stock(row) for row in session.scalars(query)]})


@bp.get("/customers")
@require_token
def search_customers():  # type: ignore[no-untyped-def]
    with database().transaction() as session:
        found = customers.search_customers(session, request.args.get("q", ""))
        return jsonify({"customers": [serialize.customer(c) for c in found]})


@bp.get("/customers/<int:customer_id>")
@require_token
def get_customer(customer_id: int):  # type: ignore[no-untyped-def]
    with database().transaction() as session:
        customer = customers.get_customer(session, customer_id)
        history = customers.purchase_history(session, customer_id)
        return jsonify(serialize.customer(customer, history))


@bp.get("/orders")
@require_token
def list_orders():  # type: ignore[no-untyped-def]
    status = request.args.get("status") or None
    if status and status not in OrderStatus.__members__.values():
        raise ApiError(400, "bad_status", f"Unknown order status {status!r}.")
    customer = request.args.get("customer")
    if customer is not None and not customer.isdigit():
        raise ApiError(400, "bad_customer", "customer must be a customer id.")
    with database().transaction() as session:
        found = queries.search_orders(
            session,
            customer_id=int(customer) if customer else None,
            status=status,
            sku=request.args.get("sku") or None,
            q=request.args.get("q") or None,
        )
        return jsonify({"orders": [serialize.order(o) for o in found]})


@bp.get("/orders/<number>")
@require_token
def get_order(number: str):  # type: ignore[no-untyped-def]
    with database().transaction() as session:
        return jsonify(serialize.order(queries.get_order(session, number)))


def _customer_for_new_order(session: Session, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    if isinstance(data.get("customer_id"), int):
        return customers.get_customer(session, data["customer_id"])
    spec = data.get("customer")
    if not isinstance(spec, dict):
        raise ApiError(400, "bad_customer", "Give customer_id or customer {name, phone|email}.")
    for kind in ("phone", "email"):
        if isinstance(spec.get(kind), str):
            customer = customers.customer_for_identity(
                session, kind, spec[kind], spec.get("name", "")
            )
            return customer
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
        ordering.modify_order(session, order, changes, actor=api_actor())
        return jsonify(serialize.order(order))


@bp.post("/orders/<number>/cancel")
@require_token
def cancel_order(number: str):  # type: ignore[no-untyped-def]
    data = body()
    reason = optional_text(data, "reason") or ""
    with database().transaction() as session:
        order = queries.get_order(session, number)
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
            fulfilment.mark_delivered(session, order, actor=api_actor())
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
    query = select(Return).order_by(Return.id.desc()).limit(200)
    if status:
        query = query.where(Return.status == status)
    with database().transaction() as session:
        return jsonify({"returns": [serialize.return_(r) for r in session.scalars(query)]})


@bp.post("/orders/<number>/returns")
@require_token
def create_return(number: str):  # type: ignore[no-untyped-def]
    data = body()
    with database().transaction() as session:
        order = queries.get_order(session, number)
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
        if action == "approve":
            returns.approve_return(session, ret, actor=api_actor())
        elif action == "reject":
            returns.reject_return(
                session, ret, actor=api_actor(), reason=optional_text(data, "reason") or ""
            )
        elif action == "receive":
            conditions = data.get("conditions") or {}
            if not isinstance(conditions, dict):
                raise ApiError(400, "bad_conditions", "conditions must map sku to a condition.")
            returns.receive_return(
                session,
                ret,
                actor=api_actor(),
                location_code=optional_text(data, "location"),
                conditions=conditions,
            )
        elif action == "refund":
            amount = None
            if data.get("amount") is not None:
                try:
                    amount = Decimal(str(data["amount"]))
                except InvalidOperation as exc:
                    raise ApiError(400, "bad_amount", "amount must be a decimal string.") from exc
            returns.refund_return(session, ret, actor=api_actor(), amount=amount)
        else:
            raise ApiError(404, "not_found", f"No return action {action!r}.")
        return jsonify(serialize.return_(ret))
