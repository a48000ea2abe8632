"""Orders, products and stores put into short customer-facing words."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.texts import money, say
from orders import inventory
from orders.models import Location, Order, Product

MAX_LISTED_LINES = 4


def status_word(status: str) -> str:
    return say(f"status.{status}")


def line_list(items: list[tuple[int, str]]) -> str:
    """ "2 x Ethiopia Beans, 1 x Mug" (and "+2 more" beyond a few, to stay SMS-sized)."""
    shown = [f"{qty} x {name}" for qty, name in items[:MAX_LISTED_LINES]]
    if len(items) > MAX_LISTED_LINES:
        shown.append(say("common.more", count=len(items) - MAX_LISTED_LINES))
    return ", ".join(shown)


def order_lines(order: Order) -> str:
    return line_list(
        [(line.active_quantity, line.name) for line in order.lines if line.active_quantity > 0]
    )


def order_brief(order: Order, currency: str) -> str:
    """ "#10002 (1 x Electric Burr Grinder, $89.00, placed)" for lists and questions."""
    return say(
        "common.order_brief",
        number=order.display_number,
        lines=order_lines(order),
        total=money(order.total, currency),
        status=status_word(order.status),
    )


def products_by_sku(session: Session, skus: list[str]) -> dict[str, Product]:
    if not skus:
        return {}
    rows = session.scalars(select(Product).where(Product.sku.in_(skus), Product.active.is_(True)))
    return {p.sku: p for p in rows}


def cart_total(cart: Mapping[str, int], products: Mapping[str, Product]) -> Decimal:
    return sum((products[s].price * q for s, q in cart.items() if s in products), Decimal("0.00"))


def cart_lines(cart: Mapping[str, int], products: Mapping[str, Product], currency: str) -> str:
    return "\n".join(
        f"{qty} x {products[sku].name} {money(products[sku].price * qty, currency)}"
        for sku, qty in cart.items()
        if sku in products
    )


def pickup_stores(session: Session) -> list[Location]:
    return list(
        session.scalars(
            select(Location)
            .where(Location.active.is_(True), Location.pickup.is_(True))
            .order_by(Location.priority, Location.id)
        )
    )


def stores_with(session: Session, needs: Mapping[int, int]) -> list[Location]:
    """Pickup stores where every product in `needs` is available in that quantity."""
    return [s for s in pickup_stores(session) if inventory.can_fill(session, s.id, needs)]


def deliverable(session: Session, needs: Mapping[int, int]) -> bool:
    return any(
        inventory.can_fill(session, loc.id, needs) for loc in inventory.delivery_candidates(session)
    )


def needs_of(cart: Mapping[str, int], products: Mapping[str, Product]) -> dict[int, int]:
    return {products[sku].id: qty for sku, qty in cart.items() if sku in products}


def store_names(stores: list[Location]) -> str:
    return (
        say("common.or_join", first=", ".join(s.name for s in stores[:-1]), last=stores[-1].name)
        if len(stores) > 1
        else (stores[0].name if stores else "")
    )
