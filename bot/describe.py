"""Orders, products and stores put into short customer-facing words."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from conversations.texts import money, say
from infra.identity_map import recall, remember
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


def common_and_different(names: list[str]) -> tuple[str, list[str]]:
    """ "Organic Tee White S", "Organic Tee White XL" -> ("Organic Tee White", ["S", "XL"]):
    the words every name has, and what tells each apart (the words only some have)."""
    split = [name.split() for name in names]
    shared = set.intersection(*(set(words) for words in split)) if split else set()
    common = " ".join(w for w in split[0] if w in shared) if split else ""
    return common, [" ".join(w for w in words if w not in shared) for words in split]


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
    """The active products of these SKUs. A turn asks for the same ones several times:
    those the session has loaded already come from it, the rest in one statement."""
    if not skus:
        return {}
    known = recall(session, Product, "sku", skus, needed=("active",))
    if missing := [sku for sku in skus if sku not in known]:
        found = session.scalars(_ACTIVE_BY_SKU, {"skus": missing})
        known.update((p.sku, p) for p in remember(session, "sku", found))
    return {sku: p for sku in skus if (p := known.get(sku)) is not None and p.active}


# Built once: its cache key is memoized on the statement (see bot/answering.py).
_ACTIVE_BY_SKU = select(Product).where(
    Product.sku.in_(bindparam("skus", expanding=True)), Product.active.is_(True)
)


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
    return _filling(session, pickup_stores(session), needs)


def deliverable(session: Session, needs: Mapping[int, int]) -> bool:
    return bool(_filling(session, inventory.delivery_candidates(session), needs))


def _filling(
    session: Session, locations: list[Location], needs: Mapping[int, int]
) -> list[Location]:
    """The `locations` that have all of `needs`, their stock read in one statement."""
    have = inventory.available_at(session, [location.id for location in locations], needs)
    return [location for location in locations if inventory.fills(have[location.id], needs)]


def needs_of(cart: Mapping[str, int], products: Mapping[str, Product]) -> dict[int, int]:
    return {products[sku].id: qty for sku, qty in cart.items() if sku in products}


def store_names(stores: list[Location]) -> str:
    return (
        say("common.or_join", first=", ".join(s.name for s in stores[:-1]), last=stores[-1].name)
        if len(stores) > 1
        else (stores[0].name if stores else "")
    )
