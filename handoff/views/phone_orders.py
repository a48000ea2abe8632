"""A phone order: the CSR finds products (price and stock at the chosen store), builds the
order with a running total, previews it in the very words the bot would use, and places
it with one click.

The page's script keeps the lines; the server searches, previews and places through the
application services (`services.orders`: the preview checks what placing checks), so
every rule is the order core's and every word the bot's.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backoffice import bp, words
from backoffice.auth import (
    AGENTS,
    console_work,
    current_user,
    requires,
    staff_scope,
)
from bot import describe
from conversations import audit
from conversations.texts import say
from infra.input_guard import whole_number
from infra.web import database, settings
from orders import customers, inventory
from orders.errors import ValidationFailed
from orders.events import Actor
from orders.models import Product
from orders.ordering import OrderPlan
from services import orders as order_service
from services.orders import NewOrder

SEARCH_RESULTS = 15
MAX_LINES = 50


@bp.get("/products/search")
@requires(*AGENTS)
def product_search():  # type: ignore[no-untyped-def]
    """Products whose name, SKU or alias contains `q`, with price and what is available at
    `location` (or in all, when none is chosen)."""
    q = request.args.get("q", "").strip()[:100]
    if len(q) < 2:
        return jsonify({"products": []})
    with database().reading() as s:
        found = s.scalars(
            select(Product)
            .where(
                Product.active.is_(True),
                or_(
                    *(
                        func.lower(column).contains(q.lower(), autoescape=True)
                        for column in (Product.name, Product.sku, Product.aliases)
                    )
                ),
            )
            .order_by(Product.name)
            .limit(SEARCH_RESULTS)
        ).all()
        stock = _available(s, [p.id for p in found], request.args.get("location", ""))
        return jsonify(
            {
                "products": [
                    {
                        "sku": p.sku,
                        "name": p.name,
                        "price": str(p.price),
                        "price_text": words.money(p.price, settings()),
                        "available": stock.get(p.id, 0),
                    }
                    for p in found
                ]
            }
        )


def _available(s: Session, product_ids: list[int], code: str) -> dict[int, int]:
    needs = dict.fromkeys(product_ids, 1)
    if code:
        return inventory.available(s, inventory.get_location(s, code).id, needs)
    totals: dict[int, int] = {}
    for location in describe.pickup_stores(s) + inventory.delivery_candidates(s):
        for product_id, qty in inventory.available(s, location.id, needs).items():
            totals[product_id] = totals.get(product_id, 0) + max(qty, 0)
    return totals


def _order_from_form(customer_id: int) -> NewOrder:
    """The form's lines as they came (a product twice is the order core's to refuse) and
    how the customer gets them."""
    skus = request.form.getlist("sku")[:MAX_LINES]
    quantities = request.form.getlist("qty")[:MAX_LINES]
    items: list[tuple[str, int]] = []
    for sku, raw in zip(skus, quantities, strict=False):
        sku = sku.strip().upper()
        quantity = whole_number(raw)
        if not sku:
            continue
        if quantity is None or quantity < 1:
            raise ValidationFailed(f"The quantity of {sku} must be a whole number above 0.")
        items.append((sku, quantity))
    if not items:
        raise ValidationFailed("Add at least one product.")
    pickup = request.form.get("method") == "pickup"
    return NewOrder(
        customer_id,
        items,
        method="pickup" if pickup else "delivery",
        address=request.form.get("address", "").strip() or None,
        pickup_location=request.form.get("location", "").strip().upper() if pickup else None,
    )


@dataclass(frozen=True)
class Preview:
    """What the bot shows a customer before they say yes, for the same order."""

    lines: str
    total: str
    where: str

    @classmethod
    def of(cls, s: Session, plan: OrderPlan) -> Preview:
        cart = {line.sku: line.quantity for line in plan.lines}
        products = describe.products_by_sku(s, list(cart))
        if plan.store is not None:
            where = say("shop.summary_pickup", store=plan.store.name, address=plan.store.address)
        else:
            where = say("shop.summary_delivery", address=plan.address)
        return cls(
            describe.cart_lines(cart, products, settings().currency),
            words.money(plan.total, settings()),
            where,
        )


@bp.route("/customers/<int:customer_id>/phone-order", methods=["GET", "POST"])
@requires(*AGENTS)
def phone_order(customer_id: int):  # type: ignore[no-untyped-def]
    preview: Preview | None = None
    if request.method == "POST":
        placing = request.form.get("step") == "place"
        done = "Order placed." if placing else "Check the order with the customer."
        with console_work(done) as uow:
            order = _order_from_form(customer_id)
            preview = Preview.of(
                uow.session, order_service.preview_order(uow.session, staff_scope(), order)
            )
            if placing:
                user = current_user(uow.session)
                actor = Actor.csr(user.email, channel="phone")
                placed = order_service.place_order(uow, actor, staff_scope(), order)
                audit.record(uow.session, user.email, "phone_order", "order", placed.number)
                return redirect(url_for("csr.customer_page", customer_id=customer_id))
    with database().reading() as s:
        return render_template(
            "csr/phone_order.html",
            customer=customers.get_customer(s, customer_id),
            pickup_locations=describe.pickup_stores(s),
            preview=preview,
            form=request.form,
            currency=settings().currency,
        )
