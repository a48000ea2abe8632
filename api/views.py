"""/api/v1: products, inventory, customers, orders and returns, through the same
application services the bot, the console and the store screens call. Reads run in
read transactions; every change in one unit of work of its own."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import inputs, outputs
from api.auth import api_actor, api_scope, require_token
from api.contract import endpoint
from api.errors import ApiError, register_error_handlers
from infra.web import database, settings
from orders import queries, returns
from orders.models import Location, Order, Product, Stock
from orders.ordering import OrderChanges
from services import customers as customer_service
from services import fulfilment as fulfilment_service
from services import orders as order_service
from services import returns as return_service
from services.orders import NewCustomer, NewOrder
from services.uow import transaction

bp = Blueprint("api", __name__, url_prefix="/api/v1")
register_error_handlers(bp)


@bp.get("/products")
@require_token
@endpoint(outputs.Products)
def list_products() -> outputs.Products:
    """The catalog, by SKU."""
    with database().reading() as session:
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
    scope = api_scope()
    if code := query.location:
        scope.check_location(code)
        rows = rows.where(Location.code == code.strip().upper())
    if scope.codes is not None:
        rows = rows.where(Location.code.in_(scope.codes))
    with database().reading() as session:
        return outputs.Inventory(
            inventory=[outputs.StockOut.of(row) for row in session.scalars(rows)]
        )


@bp.get("/customers")
@require_token
@endpoint(outputs.Customers, query=inputs.CustomerQuery)
def search_customers(query: inputs.CustomerQuery) -> outputs.Customers:
    """Customers by name, phone, email or address."""
    with database().reading() as session:
        found = customer_service.search_customers(session, api_scope(), query.q)
        return outputs.Customers(customers=[outputs.CustomerOut.of(c) for c in found])


@bp.get("/customers/<int:customer_id>")
@require_token
@endpoint(outputs.CustomerProfile)
def get_customer(customer_id: int) -> outputs.CustomerProfile:
    """A customer's profile, identities and purchase history."""
    with database().reading() as session:
        customer = customer_service.find_customer(session, api_scope(), customer_id)
        history = customer_service.purchase_history(session, api_scope(), customer_id)
        return outputs.CustomerProfile.with_history(customer, history)


@bp.get("/orders")
@require_token
@endpoint(outputs.Orders, query=inputs.OrderQuery)
def list_orders(query: inputs.OrderQuery) -> outputs.Orders:
    """Orders, newest first, by customer, status, SKU or a search; a page at a time."""
    limit = query.limit or inputs.ORDERS_PAGE
    with database().reading() as session:
        found = order_service.order_rows(
            session,
            api_scope(),
            customer_id=query.customer,
            status=query.status,
            sku=query.sku,
            q=query.q,
            limit=limit + 1,
            after=_page_after(session, query.after, api_scope().codes),
        )
        page = found[:limit]
        next_url = (
            url_for(request.endpoint or "", **{**request.args, "after": page[-1]["number"]})
            if len(found) > limit
            else None
        )
        return outputs.Orders(orders=[outputs.OrderOut.of_row(o) for o in page], next=next_url)


def _page_after(
    session: Session, number: int | None, codes: set[str] | None
) -> tuple[datetime, int] | None:
    """Where a page starts: after the order numbered `after` (the last of the page before),
    among the orders the caller may see (`codes`: their locations; None: all)."""
    if number is None:
        return None
    where = [Order.number == number]
    if codes is not None:
        where.append(Order.location_id.in_(queries.location_ids(codes)))
    row = session.execute(select(Order.placed_at, Order.id).where(*where)).one_or_none()
    if row is None:
        raise ApiError(400, "bad_after", f"after must be an order number; there is no {number}.")
    return row.placed_at, row.id


@bp.get("/orders/<number>")
@require_token
@endpoint(outputs.OrderOut)
def get_order(number: str) -> outputs.OrderOut:
    """One order (`10042` or `#10042`)."""
    with database().reading() as session:
        return outputs.OrderOut.of(order_service.find_order(session, api_scope(), number))


def _customer_for_new_order(data: inputs.NewOrder) -> int | NewCustomer:
    if data.customer_id is not None:
        return data.customer_id
    spec = data.customer
    if spec is None:
        raise ApiError(400, "bad_customer", "Give customer_id or customer {name, phone|email}.")
    for kind, value in (("phone", spec.phone), ("email", spec.email)):
        if value:
            return NewCustomer(kind, value, spec.name or "")
    raise ApiError(400, "bad_customer", "A new customer needs a phone or an email.")


@bp.post("/orders")
@require_token
@endpoint(outputs.OrderOut, status=201, body=inputs.NewOrder)
def create_order(body: inputs.NewOrder) -> outputs.OrderOut:
    """Place an order (stock is reserved at once)."""
    fulfillment = body.fulfillment
    new = NewOrder(
        customer=_customer_for_new_order(body),
        items=body.lines,
        method=fulfillment.method or "",
        address=fulfillment.address,
        pickup_location=fulfillment.location,
    )
    with transaction(database()) as uow:
        order = order_service.place_order(uow, api_actor(), api_scope(), new)
        return outputs.OrderOut.of(order)


@bp.patch("/orders/<number>")
@require_token
@endpoint(outputs.OrderOut, body=inputs.OrderChange)
def change_order(number: str, body: inputs.OrderChange) -> outputs.OrderOut:
    """Change quantities, the address, or delivery / pickup."""
    fulfillment = body.fulfillment
    changes = OrderChanges(
        quantities=body.lines or {},
        address=body.address or fulfillment.address,
        fulfillment_method=fulfillment.method,
        pickup_location_code=fulfillment.location,
    )
    with transaction(database()) as uow:
        order = order_service.change_order(uow, api_actor(), api_scope(), number, changes)
        return outputs.OrderOut.of(order)


@bp.post("/orders/<number>/cancel")
@require_token
@endpoint(outputs.OrderOut, body=inputs.Cancellation)
def cancel_order(number: str, body: inputs.Cancellation) -> outputs.OrderOut:
    """Cancel the order, or some of its items."""
    reason = body.reason or ""
    with transaction(database()) as uow:
        order = order_service.cancel_order(
            uow, api_actor(), api_scope(), number, reason=reason, items=body.lines
        )
        return outputs.OrderOut.of(order)


@bp.post("/orders/<number>/fulfillments")
@require_token
@endpoint(outputs.OrderOut, status=201, body=inputs.NewFulfillment)
def add_fulfillment(
    number: str,
    body: inputs.Shipment | inputs.ReadyForPickup | inputs.PickedUp | inputs.Delivered,
) -> outputs.OrderOut:
    """Ship (all or some items), mark ready for pickup, picked up, or delivered."""
    actor, scope = api_actor(), api_scope()
    with transaction(database()) as uow:
        if isinstance(body, inputs.Shipment):
            order = fulfilment_service.ship(
                uow,
                actor,
                scope,
                number,
                carrier=body.carrier or "",
                tracking_number=body.tracking_number or "",
                items=body.lines,
            ).order
        elif isinstance(body, inputs.ReadyForPickup):
            order = fulfilment_service.ready_for_pickup(uow, actor, scope, number)
        elif isinstance(body, inputs.PickedUp):
            code = body.pickup_code or ""
            order = fulfilment_service.hand_over(uow, actor, scope, number, code)
        else:
            order = fulfilment_service.delivered(
                uow, actor, scope, number, shipment_id=body.shipment_id
            )
        return outputs.OrderOut.of(order)


@bp.get("/returns")
@require_token
@endpoint(outputs.Returns, query=inputs.ReturnQuery)
def list_returns(query: inputs.ReturnQuery) -> outputs.Returns:
    """Returns by status, customer or order."""
    with database().reading() as session:
        found = returns.find_returns(
            session,
            status=query.status,
            customer_id=query.customer,
            order_number=query.order,
            location_codes=api_scope().codes,
        )
        return outputs.Returns(returns=[outputs.ReturnOut.of(r) for r in found])


@bp.post("/orders/<number>/returns")
@require_token
@endpoint(outputs.ReturnOut, status=201, body=inputs.NewReturn)
def create_return(number: str, body: inputs.NewReturn) -> outputs.ReturnOut:
    """Request a return (by mail, or brought to a store) within the return window."""
    with transaction(database()) as uow:
        ret = return_service.request_return(
            uow,
            api_actor(),
            api_scope(),
            number,
            body.lines,
            method=body.method or "mail",
            location=body.location,
            reason=body.reason or "",
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
    actor, scope = api_actor(), api_scope()
    with transaction(database()) as uow:
        if action == "approve":
            ret = return_service.approve_return(uow, actor, scope, number)
        elif action == "reject":
            reason = body.reason or ""
            ret = return_service.reject_return(uow, actor, scope, number, reason=reason)
        elif action == "receive":
            ret = return_service.receive_return(
                uow, actor, scope, number, location=body.location, conditions=body.conditions
            )
        else:  # refund (`endpoint` admits only these four)
            ret = return_service.refund_return(uow, actor, scope, number, amount=body.amount)
        return outputs.ReturnOut.of(ret)
