"""Exchanges: a line that came in the wrong size (or colour) goes back, the right one out.

The order core has no exchange of its own, so an exchange is the two things it has,
previewed together and done on one yes: a return of the line (approved as any return
is) and a new order of the variant wanted, in the same quantity, sent where the first
one went (delivered to its address and the line mailed back, or collected at its store
and brought back there). "By post" or a store said at the preview changes how the line
comes back; a refund above the automatic limit goes to a person and nothing is sent yet.

Step: "confirm_exchange" (its `action` runs on an explicit yes).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from bot import describe
from bot.dialogue import trouble, variants
from bot.flows import returns, shopping
from bot.flows.orders import orders_with
from bot.replies import Reply
from bot.turn import Turn
from conversations.texts import say
from infra import clock
from orders import inventory
from orders import returns as return_rules
from orders.models import Order
from orders.status import MODIFIABLE, RETURNABLE
from services import orders as order_service
from services.orders import NewOrder
from services.uow import within

MAX_ORDERS = 5


# Asking for an exchange without saying what for ("can I exchange it?").
_ASKS_TO_SWAP = re.compile(r"\b(?:exchange|swap|another (?:size|one)|(?:a )?different size)\b")
MAX_OFFERED = 6


def _wanted(turn: Turn, lines: Collection[str]) -> dict[str, str]:
    """Line SKU -> the variant asked for instead, among `lines`; {} when none is asked.
    After "which size instead?" the answer alone says it ("L")."""
    asked = turn.state.get("swap_asked")
    if not (asked or variants.ANOTHER.search(turn.parsed.norm) or variants.size_step(turn.text)):
        return {}
    return variants.swaps(turn.catalog, turn.parsed, lines, None, asked=True)


def start(turn: Turn) -> list[Reply] | None:
    """A new request for another variant of a line that is already with the customer
    ("can I exchange the rain jacket for a large?"); None when the message asks none, or
    the line is on an order that can still simply be changed."""
    if not (variants.ANOTHER.search(turn.parsed.norm) or variants.size_step(turn.text)):
        return None
    for order in orders_with(turn, RETURNABLE, limit=MAX_ORDERS):
        left = returns.returnable(turn, order)
        swaps = _wanted(turn, list(left))
        if not swaps:
            continue
        family = {sku for old in swaps for sku in turn.catalog.variants.family(old)}
        if orders_with(turn, MODIFIABLE, skus=family):
            return None  # the order not yet sent is changed instead
        now = clock.now(turn.session)
        return_rules.check_eligible(order, turn.settings.return_window_days, now)
        return _preview(turn, order, swaps, {sku: left[sku][0] for sku in swaps}, "")
    return None


def during_return(turn: Turn) -> list[Reply] | None:
    """ "can I swap it for an XL instead?" while a return is being set up: that return,
    of the items already chosen, becomes an exchange."""
    items: dict[str, int] = turn.state.get("items") or {}
    if not items:
        return None
    swaps = _wanted(turn, list(items))
    if not swaps:
        return _ask_which(turn, list(items)) if _ASKS_TO_SWAP.search(turn.parsed.norm) else None
    order = order_service.find_order(turn.session, turn.scope, turn.state["order"])
    reason = turn.state.get("reason") or turn.text.strip()[:500]
    return _preview(turn, order, swaps, dict(items), reason)


def _ask_which(turn: Turn, lines: list[str]) -> list[Reply] | None:
    """ "can I exchange it?" without what for: the other variants of the line, to pick."""
    family = [sku for sku in turn.catalog.variants.family(lines[0]) if sku != lines[0]]
    if len(lines) != 1 or not family:
        return None
    products = describe.products_by_sku(turn.session, family[:MAX_OFFERED])
    names = [products[sku].name for sku in family[:MAX_OFFERED] if sku in products]
    turn.state["swap_asked"] = True
    return turn.reply("exchange.ask_which", choices=names, options=", ".join(names))


def _preview(
    turn: Turn, order: Order, swaps: dict[str, str], counts: dict[str, int], reason: str
) -> list[Reply]:
    """`counts` come back (SKU -> units); those of them in `swaps` go out again in the
    other variant: a return of several lines keeps the lines not swapped."""
    pickup = order.fulfillment_method == "pickup"
    store = order.location.code if pickup else None
    action = {
        "kind": "exchange",
        "order": order.number,
        "items": counts,
        "reason": reason or turn.text.strip()[:500],
        "method": "store" if pickup else "mail",
        "store": store,
        "new": {
            "items": {swaps[sku]: counts[sku] for sku in swaps},
            "method": "pickup" if pickup else "delivery",
            "store": store,
            "address": None if pickup else order.address or turn.customer.default_address,
        },
    }
    return _confirm(turn, order, action)


def _confirm(turn: Turn, order: Order, action: dict) -> list[Reply]:
    new = action["new"]
    plan = order_service.preview_order(turn.session, turn.scope, _new_order(turn, new))
    by_sku = {line.sku: line for line in order.lines}
    back = describe.line_list([(n, by_sku[sku].name) for sku, n in action["items"].items()])
    out = _sent(turn, new)
    refund = returns.items_value(order, action["items"])
    how = returns.how_back(turn, action["method"], action["store"])
    where = (
        say("exchange.to_store", store=inventory.get_location(turn.session, new["store"]).name)
        if new["method"] == "pickup"
        else say("exchange.to_address", address=new["address"])
    )
    turn.goto("confirm_exchange", action=action, order=order.number)
    apology = say("care.sorry") + " " if trouble.DAMAGED.search(turn.parsed.norm) else ""
    text = say(
        "exchange.confirm",
        number=order.display_number,
        back=back,
        how=how,
        out=out,
        total=turn.money(plan.total),
        where=where,
        refund=turn.money(refund),
    )
    return [Reply(apology + text, ["Yes", "No"])]


def _sent(turn: Turn, new: dict) -> str:
    """The new order's lines, in words ("1 x Ceramic Mug Black")."""
    products = describe.products_by_sku(turn.session, list(new["items"]))
    return describe.line_list([(n, products[sku].name) for sku, n in new["items"].items()])


def correct(turn: Turn) -> list[Reply] | None:
    """ "I'll bring it to the harbour store" / "by post" at the preview: how the line comes
    back (and, for a store, where the new one is collected), previewed again."""
    action = dict(turn.state["action"])
    new = dict(action["new"])
    code = turn.first("location")
    if code:
        action.update(method="store", store=code)
        new.update(method="pickup", store=code, address=None)
    elif returns.BY_MAIL.search(turn.text):
        action.update(method="mail", store=None)
    else:
        return None
    action["new"] = new
    order = order_service.find_order(turn.session, turn.scope, action["order"])
    return _confirm(turn, order, action)


def _new_order(turn: Turn, new: dict) -> NewOrder:
    return NewOrder(
        turn.customer.id,
        dict(new["items"]),
        method=new["method"],
        address=new["address"],
        pickup_location=new["store"],
    )


def run_exchange(turn: Turn, action: dict) -> list[Reply]:
    """The return, then the new order; a refund a person must approve sends nothing yet.
    Both or neither: the return is undone with the order when the order is refused (the
    variant sold out since the preview), so no refund goes out for a swap not sent."""
    back = {k: action[k] for k in ("order", "items", "reason", "method", "store")}
    # Should a person have to approve the refund, what they send once they have.
    back["then"] = say("handoff.exchange_then", out=_sent(turn, action["new"]))
    with turn.session.begin_nested():
        first = order_service.find_order(turn.session, turn.scope, action["order"])
        replies = returns.run_return(turn, {"kind": "return", **back})
        if returns.items_value(first, action["items"]) > turn.settings.refund_escalation_amount:
            return replies  # a person approves the refund first, and sends the new one then
        order = order_service.place_order(
            within(turn.session), turn.actor, turn.scope, _new_order(turn, action["new"])
        )
    turn.goto(None, order=order.number)
    return replies + shopping.placed(turn, order)
