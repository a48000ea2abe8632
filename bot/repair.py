"""Repair patterns every task shares: cancel ("never mind", "forget it"), repeat, and
which thing a cancel means when an unplaced cart and placed orders both exist."""

from __future__ import annotations

import re

from bot import describe
from bot.dialogue import stack
from bot.flows import shopping
from bot.flows.common import mentions_on
from bot.replies import Reply
from bot.turn import Turn

# The steps of taking a new order: the unplaced cart is what they are about.
CART_STEPS = frozenset(
    {
        "cart",
        "choose_product",
        "checkout_store",
        "checkout_address",
        "checkout_name",
        "confirm_order",
    }
)
# Words that point past the cart at an order already placed.
_PLACED = re.compile(
    r"\b(?:placed|last|previous|earlier|yesterday|existing|old|other|already|"
    r"(?:i|we) (?:ordered|bought|made))\b|#\d|\border (?:no|number|\d)",
    re.I,
)


def cancel(turn: Turn) -> list[Reply]:
    """Stop the task on top. In the ordering steps that drops the unplaced cart."""
    step = turn.state.get("step", "idle")
    if step in CART_STEPS or (step == "idle" and turn.state.get("cart")):
        return drop_cart(turn)
    stack.drop_top(turn.state)
    return turn.reply("chat.stopped")


def means_the_cart(turn: Turn) -> bool:
    """ "cancel it" / "cancel the order" while a cart is open and no placed order is named."""
    if not turn.state.get("cart") or turn.entities("order_number"):
        return False
    if _PLACED.search(turn.text):
        return False
    in_cart = mentions_on(turn, turn.state["cart"])
    return all(m.sku in turn.state["cart"] for m in in_cart)


_ELSEWHERE = re.compile(r"\b(?:instead|should go|needs to go|has to go)\b", re.I)


def points_past_the_cart(turn: Turn) -> bool:
    """Whether products named to take off, keep or send elsewhere are none of the cart's."""
    cart = turn.state.get("cart") or {}
    named = [
        m
        for m in mentions_on(turn, cart)
        if m.operation in ("remove", "keep") or _ELSEWHERE.search(turn.text)
    ]
    return bool(named) and not any(m.sku in cart for m in named)


def drop_cart(turn: Turn) -> list[Reply]:
    """Drop the unplaced cart, or only the lines (and units) named; placed orders are
    not touched."""
    items: dict[str, int] = dict(turn.state.get("cart") or {})
    named = [m for m in mentions_on(turn, items) if m.sku in items]
    left = dict(items)
    for m in named:
        left[m.sku] -= m.quantity if m.quantity and m.quantity < left[m.sku] else left[m.sku]
    left = {sku: q for sku, q in left.items() if q > 0}
    if named and left:
        turn.state["cart"] = left
        return shopping.checkout(turn)
    turn.state.pop("cart", None)
    turn.state.pop("checkout", None)
    if turn.state.get("step", "idle") in CART_STEPS:
        stack.drop_top(turn.state)
    if not items:
        return turn.reply("chat.stopped")
    products = describe.products_by_sku(turn.session, list(items))
    lines = describe.line_list([(q, products[s].name) for s, q in items.items() if s in products])
    return turn.reply("chat.cart_dropped", lines=lines)


def repeat(turn: Turn) -> list[Reply]:
    """ "repeat that": the bot's last replies again, word for word."""
    last = turn.state.get("last_replies") or []
    return [Reply(text) for text in last] or turn.reply("chat.nothing_to_repeat")
