"""A phone order: the CSR finds products (price and stock at the chosen store), builds the
order with a running total, previews it in the very words the bot would use, and places
it with one click.

The page's script keeps the lines; the server searches, previews and places, so every
rule is the order core's (`ordering.place_order`) and every word the bot's.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backoffice import bp, words
from backoffice.auth import AGENTS, console_action, current_user, requires
from bot import describe
from conversations import audit
from conversations.texts import say
from infra.input_guard import whole_number
from infra.web import database, settings
from orders import customers, inventory, ordering
from orders.errors import ValidationFailed
from orders.events import Actor
from orders.models import Product

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


@dataclass(frozen=True)
class PhoneOrder:
    """What the form says: the lines and how the customer gets them."""

    items: dict[str, int]
    method: str
    address: str
    location: str

    @classmethod
    def from_form(cls) -> PhoneOrder:
        skus = request.form.getlist("sku")[:MAX_LINES]
        quantities = request.form.getlist("qty")[:MAX_LINES]
        items: dict[str, int] = {}
        for sku, raw in zip(skus, quantities, strict=False):
            sku = sku.strip().upper()
            quantity = whole_number(raw)
            if not sku:
                continue
            if quantity is None or quantity < 1:
                raise ValidationFailed(f"The quantity of {sku} must be a whole number above 0.")
            if sku in items:
                raise ValidationFailed(f"{sku} is on the order twice; change its quantity instead.")
            items[sku] = quantity
        if not items:
            raise ValidationFailed("Add at least one product.")
        method = "pickup" if request.form.get("method") == "pickup" else "delivery"
        return cls(
            items,
            method,
            request.form.get("address", "").strip(),
            request.form.get("location", "").strip().upper(),
        )


@dataclass(frozen=True)
class Preview:
    """What the bot shows a customer before they say yes, for the same order."""

    lines: str
    total: str
    where: str


def _preview(s: Session, order: PhoneOrder) -> Preview:
    products = describe.products_by_sku(s, list(order.items))
    missing = sorted(set(order.items) - set(products))
    if missing:
        raise ValidationFailed(f"There is no product {', '.join(missing)}.")
    needs = describe.needs_of(order.items, products)
    lines = describe.cart_lines(order.items, products, settings().currency)
    total = words.money(describe.cart_total(order.items, products), settings())
    if order.method == "pickup":
        store = ordering.pickup_location(s, order.location)
        if not inventory.can_fill(s, store.id, needs):
            raise ValidationFailed(f"{store.name} does not have all of it right now.")
        where = say("shop.summary_pickup", store=store.name, address=store.address)
    else:
        if not order.address:
            raise ValidationFailed("Give the delivery address.")
        if not describe.deliverable(s, needs):
            raise ValidationFailed(say("shop.cannot_deliver"))
        where = say("shop.summary_delivery", address=order.address)
    return Preview(lines, total, where)


@bp.route("/customers/<int:customer_id>/phone-order", methods=["GET", "POST"])
@requires(*AGENTS)
def phone_order(customer_id: int):  # type: ignore[no-untyped-def]
    preview: Preview | None = None
    if request.method == "POST":
        placing = request.form.get("step") == "place"
        with console_action(
            "Order placed." if placing else "Check the order with the customer."
        ) as s:
            order = PhoneOrder.from_form()
            preview = _preview(s, order)
            if placing:
                user = current_user(s)
                placed = ordering.place_order(
                    s,
                    customers.get_customer(s, customer_id),
                    order.items,
                    method=order.method,
                    address=order.address or None,
                    pickup_location_code=order.location if order.method == "pickup" else None,
                    actor=Actor.csr(user.email, channel="phone"),
                )
                audit.record(s, user.email, "phone_order", "order", placed.number)
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
