"""Returns at a store: find one by its R number or the customer, receive it line by line
(resellable units go back on this store's shelf), refund it; or take a walk-in return
with no prior request in one step, under the same eligibility rules."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import redirect, request, url_for
from sqlalchemy.orm import Session

from backoffice import bp
from backoffice.auth import requires, staff_scope
from infra.web import database, settings
from orders import customers, queries, returns
from orders.errors import DomainError, ValidationFailed
from orders.models import Location, Order, Return
from services import returns as return_service
from store import reads as store_reads
from store.views import (
    STAFF,
    VIEWERS,
    desk,
    form_int,
    form_text,
    render_store_page,
    visible_location,
)


def _here(found: list[Return], location: Location) -> list[Return]:
    """Only returns this store may handle at its counter (`Scope.check_return`): one bound
    for another store is not shown."""
    return [r for r in found if r.location_id is None or r.location_id == location.id]


def _found(s: Session, query: str, location: Location) -> tuple[list[Return], str]:
    """Returns matching an R number, an order number or a customer; and what went wrong."""
    if not query:
        return [], ""
    if query.upper().startswith("R"):
        try:
            ret = returns.get_return(s, query)
        except DomainError as exc:
            return [], exc.message
        found = _here([ret], location)
        return found, "" if found else f"There is no return {query}."
    if queries.parse_order_number(query) is not None:
        found = _here(returns.find_returns(s, order_number=query), location)
        return found, "" if found else f"No returns on order {query}."
    matches = customers.search_customers(s, query, limit=20)
    found = [r for c in matches for r in returns.find_returns(s, customer_id=c.id, limit=20)]
    found = _here(found, location)
    return found, "" if found else f"No returns for a customer matching {query!r}."


@bp.get("/store/<code>/returns")
@requires(*VIEWERS)
def store_returns(code: str):  # type: ignore[no-untyped-def]
    query = request.args.get("q", "").strip()[:200]
    with database().reading() as s:
        location = visible_location(s, code)
        found, not_found = _found(s, query, location)
        return render_store_page(
            "csr/store/returns.html",
            location,
            q=query,
            found=found,
            not_found=not_found,
            expected=store_reads.returns_at(s, location, store_reads.EXPECTED),
            to_refund=store_reads.returns_at(s, location, store_reads.TO_REFUND),
        )


@bp.get("/store/<code>/returns/<number>")
@requires(*VIEWERS)
def store_return(code: str, number: str):  # type: ignore[no-untyped-def]
    with database().reading() as s:
        location = visible_location(s, code)
        here = staff_scope().at(code)
        ret = return_service.find_return(s, here, number, counter=location.code)
        return render_store_page("csr/store/return.html", location, ret=ret)


def _conditions(ret: Return) -> dict[str, dict[str, int]]:
    """SKU -> units per condition, from the `resellable_ID` / `damaged_ID` fields."""
    counts: dict[str, dict[str, int]] = {}
    for line in ret.lines:
        sku = line.order_line.sku
        for condition in returns.CONDITIONS:
            field = f"{condition}_{line.id}"
            counts.setdefault(sku, {})[condition] = form_int(
                field, f"The {condition} count of {line.order_line.name}", default=0
            )
    return counts


@bp.post("/store/<code>/returns/<number>/receive")
@requires(*STAFF)
def store_receive_return(code: str, number: str):  # type: ignore[no-untyped-def]
    with desk(code, f"Return {number} received.") as d:
        ret = return_service.find_return(d.session, d.scope, number, counter=d.code)
        conditions = _conditions(ret)
        return_service.receive_return(
            d.uow, d.actor, d.scope, number, location=d.location.code, conditions=conditions
        )
        d.audit("return_receive", "return", ret.display_number, conditions=conditions)
    return redirect(url_for("csr.store_return", code=code, number=number))


def _amount() -> Decimal | None:
    raw = form_text("amount")
    try:
        return Decimal(raw) if raw else None
    except InvalidOperation as exc:
        raise ValidationFailed("The refund amount must be a number such as 12.50.") from exc


@bp.post("/store/<code>/returns/<number>/refund")
@requires(*STAFF)
def store_refund_return(code: str, number: str):  # type: ignore[no-untyped-def]
    with desk(code, f"Return {number} refunded.") as d:
        ret = return_service.refund_return(d.uow, d.actor, d.scope, number, amount=_amount())
        d.audit("return_refund", "return", ret.display_number, amount=str(ret.refund_amount))
    return redirect(url_for("csr.store_return", code=code, number=number))


@bp.get("/store/<code>/walk-in")
@requires(*VIEWERS)
def store_walk_in(code: str):  # type: ignore[no-untyped-def]
    number = request.args.get("order", "").strip()[:20]
    with database().reading() as s:
        location = visible_location(s, code)
        order = queries.get_order(s, number) if number else None
        # Goods may come back to any store, but who bought them is the selling store's to know.
        ours = order is not None and order.location_id == location.id
        return render_store_page(
            "csr/store/walk_in.html",
            location,
            order=order,
            customer_name=order.customer.name if ours else None,
            returnable=returns.returnable_quantities(s, order) if order else {},
            conditions=returns.CONDITIONS,
        )


def _walk_in_lines(order: Order) -> tuple[dict[str, int], dict[str, str]]:
    """SKU -> units coming back, and SKU -> their condition, from the form."""
    items: dict[str, int] = {}
    conditions: dict[str, str] = {}
    for line in order.lines:
        quantity = form_int(f"qty_{line.sku}", f"The quantity of {line.name}", default=0)
        if quantity:
            items[line.sku] = quantity
            conditions[line.sku] = request.form.get(f"condition_{line.sku}", "resellable")
    if not items:
        raise ValidationFailed("Enter how many of each item the customer brought back.")
    return items, conditions


@bp.post("/store/<code>/walk-in")
@requires(*STAFF)
def store_walk_in_submit(code: str):  # type: ignore[no-untyped-def]
    created: list[str] = []
    number = form_text("order")
    with desk(code, f"Walk-in return on order {number} received.") as d:
        order = queries.get_order(d.session, number)
        items, conditions = _walk_in_lines(order)
        ret = return_service.walk_in_return(
            d.uow,
            d.actor,
            d.scope,
            number,
            items,
            location=d.location.code,
            reason=form_text("reason"),
            conditions=conditions,
            window_days=settings().return_window_days,
        )
        d.audit("return_walk_in", "return", ret.display_number, order=order.number, items=items)
        created.append(ret.display_number)
    if created:
        return redirect(url_for("csr.store_return", code=code, number=created[0]))
    return redirect(url_for("csr.store_walk_in", code=code, order=number))
