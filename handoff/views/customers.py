"""The customer panel and actions on the customer's behalf, through the application services.

Every change goes through the same service function the bot and the API call, with
`Actor.csr(email)` (channel "phone" for an order taken over the phone), so the
order's event log says which CSR did it; the console's audit log records it too.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import bp
from backoffice.auth import (
    AGENTS,
    console_work,
    current_user,
    requires,
    staff_scope,
)
from conversations import audit, tags
from conversations.models import Conversation, Message
from conversations.search import SHORTEST, messages_saying
from infra.input_guard import whole_number
from infra.web import database
from orders import customers, ordering
from orders.errors import ValidationFailed
from orders.events import Actor
from orders.models import Location, Order
from services import customers as customer_service
from services import orders as order_service
from services import returns as return_service
from services.scope import Scope

TRANSCRIPT_LIMIT = 500


def works_conversations() -> bool:
    """CSRs and admins: the transcript, the conversation search and the forms that act on
    a customer's behalf. A store user reads its customers' orders and returns there."""
    return g.csr_user.role in AGENTS


def customer_panel(s: Session, scope: Scope, customer_id: int) -> dict[str, Any]:
    """What the panel shows: profile, identities, open orders, history and returns, as
    `scope` sees them (services.customers); another store's customer is refused."""
    return {
        "customer": customer_service.find_customer(s, scope, customer_id),
        "open_orders": customer_service.open_orders(s, scope, customer_id),
        "history": customer_service.purchase_history(s, scope, customer_id),
        "customer_returns": customer_service.customer_returns(s, scope, customer_id),
        "csr_tools": works_conversations(),
        "pickup_locations": s.scalars(
            select(Location)
            .where(Location.pickup.is_(True), Location.active.is_(True))
            .order_by(Location.code)
        ).all(),
        "all_locations": s.scalars(
            select(Location).where(Location.active.is_(True)).order_by(Location.code)
        ).all(),
    }


def _back(default: str) -> str:
    """Return to the page the form was on (a console path), else `default`."""
    target = request.form.get("back", "")
    return target if target.startswith("/csr/") and not target.startswith("//") else default


def _quantity(raw: str, what: str) -> int:
    value = whole_number(raw)
    if value is None:
        raise ValidationFailed(f"The quantity for {what} must be a whole number.")
    return value


def _changes_from_form(order: Order) -> ordering.OrderChanges:
    """Only what differs from the order as it is becomes a change."""
    form = request.form
    quantities = {
        line.sku: _quantity(form[f"qty_{line.sku}"], line.sku)
        for line in order.lines
        if f"qty_{line.sku}" in form
        and form[f"qty_{line.sku}"].strip() != str(line.active_quantity)
    }
    new_sku = form.get("new_sku", "").strip().upper()
    if new_sku:
        quantities[new_sku] = _quantity(form.get("new_qty", "1"), new_sku)
    method = form.get("method", order.fulfillment_method)
    address = form.get("address", "").strip()
    location = form.get("location", "").strip().upper()
    return ordering.OrderChanges(
        quantities=quantities,
        address=address if method == "delivery" and address != order.address else None,
        fulfillment_method=method if method != order.fulfillment_method else None,
        pickup_location_code=location
        if method == "pickup" and location and location != order.location.code
        else None,
    )


def transcript(s: Session, customer_id: int, after: int = 0) -> list[Message]:
    """Every message with this customer on every channel, oldest first."""
    newest = (
        select(Message)
        .join(Conversation)
        .where(Conversation.customer_id == customer_id, Message.id > after)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(TRANSCRIPT_LIMIT)
    )
    return sorted(s.scalars(newest), key=lambda m: (m.created_at, m.id))


@bp.get("/customers/<int:customer_id>")
@requires()
def customer_page(customer_id: int):  # type: ignore[no-untyped-def]
    with database().reading() as s:
        panel = customer_panel(s, staff_scope(), customer_id)  # refuses before reading more
        return render_template(
            "csr/customer.html",
            messages=transcript(s, customer_id) if works_conversations() else [],
            **panel,
        )


@bp.post("/orders/<number>/change")
@requires(*AGENTS)
def change_order(number: str):  # type: ignore[no-untyped-def]
    with console_work(f"Order {number} changed.") as uow:
        user = current_user(uow.session)
        changes = _changes_from_form(order_service.find_order(uow.session, staff_scope(), number))
        order = order_service.change_order(
            uow, Actor.csr(user.email), staff_scope(), number, changes
        )
        audit.record(
            uow.session, user.email, "order_change", "order", order.number, **changes.__dict__
        )
    return redirect(_back(url_for("csr.search")))


@bp.post("/orders/<number>/cancel")
@requires(*AGENTS)
def cancel_order(number: str):  # type: ignore[no-untyped-def]
    reason = request.form.get("reason", "").strip()
    with console_work(f"Order {number} cancelled.") as uow:
        user = current_user(uow.session)
        order = order_service.cancel_order(
            uow, Actor.csr(user.email), staff_scope(), number, reason=reason
        )
        audit.record(uow.session, user.email, "order_cancel", "order", order.number, reason=reason)
    return redirect(_back(url_for("csr.search")))


def _amount(raw: str) -> Decimal | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise ValidationFailed("The refund amount must be a number such as 12.50.") from exc


@bp.post("/returns/<number>/<action>")
@requires(*AGENTS)
def return_action(number: str, action: str):  # type: ignore[no-untyped-def]
    form = request.form
    with console_work(f"Return {number}: {action} done.") as uow:
        user = current_user(uow.session)
        actor, scope = Actor.csr(user.email), staff_scope()
        if action == "approve":
            ret = return_service.approve_return(uow, actor, scope, number)
        elif action == "reject":
            reason = form.get("reason", "")
            ret = return_service.reject_return(uow, actor, scope, number, reason=reason)
        elif action == "receive":
            location = form.get("location") or None
            ret = return_service.receive_return(uow, actor, scope, number, location=location)
        elif action == "refund":
            amount = _amount(form.get("amount", ""))
            ret = return_service.refund_return(uow, actor, scope, number, amount=amount)
        else:
            raise ValidationFailed(f"No return action {action!r}.")
        audit.record(uow.session, user.email, f"return_{action}", "return", ret.display_number)
    return redirect(_back(url_for("csr.search")))


@bp.get("/search")
@requires()
def search():  # type: ignore[no-untyped-def]
    """Customers and orders as the user's scope sees them; CSRs also search conversations."""
    q = request.args.get("q", "").strip()[:200]
    scope, chats = staff_scope(), works_conversations()
    with database().reading() as s:
        orders = order_service.order_summaries(s, scope, q=q, limit=50) if q else []
        return render_template(
            "csr/search.html",
            q=q,
            orders=orders,
            customers=customers.customers_by_id(s, [o["customer_id"] for o in orders]),
            found_customers=customer_service.search_customers(s, scope, q) if q else [],
            conversations=chats,
            found_messages=messages_saying(s, q) if chats and len(q) >= SHORTEST else [],
            tagged=tags.conversations_tagged_like(s, q) if chats and q else [],
        )
