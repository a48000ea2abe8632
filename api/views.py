"""/api/v1: products, inventory, customers, orders and returns, through the same
service functions the bot and the CSR console use."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import inputs, outputs
from api.auth import (
    api_actor,
    caller_locations,
    require_customer_access,
    require_location,
    require_order_access,
    require_return_access,
    require_token,
)
from api.contract import endpoint
from api.errors import ApiError, register_error_handlers
from infra.web import database, settings
from orders import customers, fulfilment, ordering, queries, returns
from orders.models import Customer, Location, Order, Product, Stock

bp = Blueprint("api", __name__, url_prefix="/api/v1")
register_error_handlers(bp)


@bp.get("/products")
@require_token
@endpoint(outputs.Products)
def list_products() -> outputs.Products:
    """The catalog, by SKU."""
    with database().transaction() as session:
        rows = session.scalars(select(Product).order_by(Product.sku))
        return outputs.Products(products=[outputs.ProductOut.of(p) for p in rows])


@bp.get("/inventory")
@require_token
@endpoint(outputs.Inventory, query=inputs.InventoryQuery)
def inventory(query: inputs.InventoryQuery) -> outputs.Inventory:
    """Stock per product and location: on hand, reserved, available."""
    rows = select(Stock).join(Product).join(Location).order_by(Product.sku, Location.code)
    if sku := query.sku:
        rows = rows.where(Product.sku == sku.strip().upper())
    if code := query.location:
        require_location(code)
        rows = rows.where(Location.code == code.strip().upper())
    if (scope := caller_locations()) is not None:
        rows = rows.where(Location.code.in_(scope))
    with database().transaction() as session:
        return outputs.Inventory(
            inventory=[outputs.StockOut.of(row) for row in session.scalars(rows)]
        )


@bp.get("/customers")
@require_token
@endpoint(outputs.Customers, query=inputs.CustomerQuery)
def search_customers(query: inputs.CustomerQuery) -> outputs.Customers:
    """Customers by name, phone, email or address."""
    with database().transaction() as session:
        found = customers.search_customers(session, query.q, location_codes=caller_locations())
        return outputs.Customers(customers=[outputs.CustomerOut.of(c) for c in found])


@bp.get("/customers/<int:customer_id>")
@require_token
@endpoint(outputs.CustomerProfile)
def get_customer(customer_id: int) -> outputs.CustomerProfile:
    """A customer's profile, identities and purchase history."""
    with database().transaction() as session:
        customer = customers.get_customer(session, customer_id)
        require_customer_access(session, customer_id)
        history = customers.purchase_history(
            session, customer_id, location_codes=caller_locations()
        )
        return outputs.CustomerProfile.with_history(customer, history)


@bp.get("/orders")
@require_token
@endpoint(outputs.Orders, query=inputs.OrderQuery)
def list_orders(query: inputs.OrderQuery) -> outputs.Orders:
    """Orders, newest first, by customer, status, SKU or a search; a page at a time."""
    limit = query.limit or inputs.ORDERS_PAGE
    with database().transaction() as session:
        found = queries.search_orders(
            session,
            customer_id=query.customer,
            status=query.status,
            sku=query.sku,
            q=query.q,
            location_codes=caller_locations(),
            limit=limit + 1,
            after=_page_after(session, query.after),
        )
        page = found[:limit]
        next_url = (
            url_for(request.endpoint or "", **{**request.args, "after": page[-1].number})
            if len(found) > limit
            else None
        )
        return outputs.Orders(orders=[outputs.OrderOut.of(o) for o in page], next=next_url)


def _page_after(session: Session, number: int | None) -> tuple[datetime, int] | None:
    """Where a page starts: after the order numbered `after` (the last of the page before)."""
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
@endpoint(outputs.OrderOut)
def get_order(number: str) -> outputs.OrderOut:
    """One order (`10042` or `#10042`)."""
    with database().transaction() as session:
        order = queries.get_order(session, number)
        require_order_access(order)
        return outputs.OrderOut.of(order)


def _customer_for_new_order(session: Session, data: inputs.NewOrder) -> Customer:
    """The order's customer; a store-limited token may name only customers it has served
    (or a new phone / email), so it cannot adopt another store's customer."""
    if data.customer_id is not None:
        customer = customers.get_customer(session, data.customer_id)
        require_customer_access(session, data.customer_id)
        return customer
    spec = data.customer
    if spec is None:
        raise ApiError(400, "bad_customer", "Give customer_id or customer {name, phone|email}.")
    name = spec.name or ""
    for kind, value in (("phone", spec.phone), ("email", spec.email)):
        if value:
            return customers.customer_for_identity(
                session, kind, value, name, location_codes=caller_locations()
            )
    raise ApiError(400, "bad_customer", "A new customer needs a phone or an email.")


@bp.post("/orders")
@require_token
@endpoint(outputs.OrderOut, status=201, body=inputs.NewOrder)
def create_order(body: inputs.NewOrder) -> outputs.OrderOut:
    """Place an order (stock is reserved at once)."""
    fulfillment = body.fulfillment
    with database().transaction() as session:
        customer = _customer_for_new_order(session, body)
        order = ordering.place_order(
            session,
            customer,
            body.lines,
            method=fulfillment.method or "",
            address=fulfillment.address,
            pickup_location_code=fulfillment.location,
            actor=api_actor(),
            location_codes=caller_locations(),
        )
        return outputs.OrderOut.of(order)


@bp.patch("/orders/<number>")
@require_token
@endpoint(outputs.OrderOut, body=inputs.OrderChange)
def change_order(number: str, body: inputs.OrderChange) -> outputs.OrderOut:
    """Change quantities, the address, or delivery / pickup."""
    fulfillment = body.fulfillment
    changes = ordering.OrderChanges(
        quantities=body.lines or {},
        address=body.address or fulfillment.address,
        fulfillment_method=fulfillment.method,
        pickup_location_code=fulfillment.location,
    )
    with database().transaction() as session:
        order = queries.get_order(session, number)
        require_order_access(order)
        ordering.modify_order(session, order, changes, actor=api_actor())
        require_order_access(order)  # nor move it to another location
        return outputs.OrderOut.of(order)


@bp.post("/orders/<number>/cancel")
@require_token
@endpoint(outputs.OrderOut, body=inputs.Cancellation)
def cancel_order(number: str, body: inputs.Cancellation) -> outputs.OrderOut:
    """Cancel the order, or some of its items."""
    reason = body.reason or ""
    with database().transaction() as session:
        order = queries.get_order(session, number)
        require_order_access(order)
        if body.lines is not None:
            ordering.cancel_lines(session, order, body.lines, actor=api_actor(), reason=reason)
        else:
            ordering.cancel_order(session, order, actor=api_actor(), reason=reason)
        return outputs.OrderOut.of(order)


@bp.post("/orders/<number>/fulfillments")
@require_token
@endpoint(outputs.OrderOut, status=201, body=inputs.NewFulfillment)
def add_fulfillment(
    number: str,
    body: inputs.Shipment | inputs.ReadyForPickup | inputs.PickedUp | inputs.Delivered,
) -> outputs.OrderOut:
    """Ship (all or some items), mark ready for pickup, picked up, or delivered."""
    with database().transaction() as session:
        order = queries.get_order(session, number)
        require_order_access(order)
        if isinstance(body, inputs.Shipment):
            fulfilment.ship(
                session,
                order,
                carrier=body.carrier or "",
                tracking_number=body.tracking_number or "",
                items=body.lines,
                actor=api_actor(),
            )
        elif isinstance(body, inputs.ReadyForPickup):
            fulfilment.mark_ready_for_pickup(session, order, actor=api_actor())
        elif isinstance(body, inputs.PickedUp):
            fulfilment.mark_picked_up(session, order, body.pickup_code or "", actor=api_actor())
        else:
            fulfilment.mark_delivered(
                session, order, actor=api_actor(), shipment_id=body.shipment_id
            )
        return outputs.OrderOut.of(order)


@bp.get("/returns")
@require_token
@endpoint(outputs.Returns, query=inputs.ReturnQuery)
def list_returns(query: inputs.ReturnQuery) -> outputs.Returns:
    """Returns by status, customer or order."""
    with database().transaction() as session:
        found = returns.find_returns(
            session,
            status=query.status,
            customer_id=query.customer,
            order_number=query.order,
            location_codes=caller_locations(),
        )
        return outputs.Returns(returns=[outputs.ReturnOut.of(r) for r in found])


@bp.post("/orders/<number>/returns")
@require_token
@endpoint(outputs.ReturnOut, status=201, body=inputs.NewReturn)
def create_return(number: str, body: inputs.NewReturn) -> outputs.ReturnOut:
    """Request a return (by mail, or brought to a store) within the return window."""
    with database().transaction() as session:
        order = queries.get_order(session, number)
        require_order_access(order)
        ret = returns.request_return(
            session,
            order,
            body.lines,
            method=body.method or "mail",
            location_code=body.location,
            reason=body.reason or "",
            actor=api_actor(),
            window_days=settings().return_window_days,
        )
        return outputs.ReturnOut.of(ret)


@bp.post("/returns/<number>/<action>")
@require_token
@endpoint(
    outputs.ReturnOut,
    body=inputs.ReturnDecision,
    choices={"action": ("approve", "reject", "receive", "refund")},
)
def return_action(number: str, action: str, body: inputs.ReturnDecision) -> outputs.ReturnOut:
    """Approve, reject, receive (with the items' conditions) or refund a return."""
    with database().transaction() as session:
        ret = returns.get_return(session, number)
        require_return_access(ret)
        if action == "approve":
            returns.approve_return(session, ret, actor=api_actor())
        elif action == "reject":
            returns.reject_return(session, ret, actor=api_actor(), reason=body.reason or "")
        elif action == "receive":
            location = body.location or (ret.location and ret.location.code)
            if location:
                require_location(location)
            returns.receive_return(
                session,
                ret,
                actor=api_actor(),
                location_code=location,
                conditions=body.conditions,
            )
        else:  # refund (`endpoint` admits only these four)
            if ret.location is not None:
                require_location(ret.location.code)
            returns.refund_return(session, ret, actor=api_actor(), amount=body.amount)
        return outputs.ReturnOut.of(ret)
