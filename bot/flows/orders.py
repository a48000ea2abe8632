"""Existing orders: find one, track it, list history, change it, cancel it.

Steps: "choose_order" (which of these?), "modify" (what should change?), and the
confirmations "confirm_modify" / "confirm_cancel" whose `action` runs on an explicit yes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

from sqlalchemy import Select, bindparam, select

from bot import describe
from bot.dialogue import scope, variants
from bot.flows.common import (
    DELIVERY,
    OTHER_STORE,
    PICKUP,
    Mention,
    bare_quantity,
    chosen_index,
    loosely_named,
    mentions_on,
    product_mentions,
    wants_more,
    wants_removal,
)
from bot.replies import Reply
from bot.turn import Turn
from conversations.texts import load, say
from infra.identity_map import remember
from orders import inventory, ordering, queries
from orders.customers import purchase_history
from orders.models import Order, OrderLine
from orders.status import CANCELLABLE, MODIFIABLE, OPEN, RETURNABLE
from services import orders as order_service
from services.uow import within

MAX_CHOICES = 5
HISTORY_LENGTH = 5

# purpose -> which orders qualify when the customer names none
PURPOSES: dict[str, frozenset[str]] = {
    "track": OPEN,
    "modify": MODIFIABLE,
    # a new address or store: any order not yet with the customer could be the one meant
    "redirect": OPEN,
    "cancel": CANCELLABLE,
    "return": RETURNABLE,
}


def find_order(turn: Turn, purpose: str) -> Order | list[Reply]:
    """The order the customer means, or the replies that ask which one.

    In turn: a number in the message, the order just picked from a list, the order the
    conversation is about, the customer's only qualifying order, else a short list.

    A number is looked up among the customer's own orders only; someone else's number
    gets the same "no such order" as a number that doesn't exist.
    """
    number = turn.first("order_number") or turn.state.get("chosen_order")
    if number:
        return order_service.find_order(turn.session, turn.scope, number)
    focus_number = turn.state.get("order")
    named = _named_skus(turn, skip_added=purpose == "modify")
    if named:  # "cancel the kettle": the orders that have a kettle on them
        holding = orders_with(turn, PURPOSES[purpose], limit=MAX_CHOICES + 1, skus=named)
        if not holding and purpose in ("cancel", "modify", "redirect"):
            # too late to change it, but that is the order meant: the caller says why
            holding = orders_with(turn, OPEN, limit=MAX_CHOICES + 1, skus=named)
        focus = next((o for o in holding if o.number == focus_number), None)
        if focus is not None or len(holding) == 1:
            return focus or holding[0]
        if holding:
            return _ask_which_order(turn, holding, purpose)
    if focus_number:  # "cancel it" right after talking about that order
        focus = orders_with(turn, PURPOSES[purpose], number=focus_number)
        if focus:
            return focus[0]
    candidates = orders_with(turn, PURPOSES[purpose], limit=MAX_CHOICES + 1)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates and purpose in ("cancel", "modify"):
        # Nothing can be cancelled or changed: the open order they mean hears why not.
        candidates = orders_with(turn, OPEN, limit=MAX_CHOICES + 1)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        latest = orders_with(turn, None) if purpose == "track" else []
        if latest:
            return latest[0]  # nothing on its way: the latest order, whatever became of it
        turn.goto(None)
        return turn.reply(f"orders.none_for_{purpose}")
    return _ask_which_order(turn, candidates, purpose)


# Words that point at an order already placed: "my order", "on the order", "my kettle".
POINTS_AT_AN_ORDER = re.compile(
    r"\b(?:my|the|this|that|our|existing|last|placed) (?:\w+ )?(?:order|orders|parcel|delivery)\b"
    r"|\b(?:my|our) \w+|\border\b",
    re.I,
)


def new_to_every_order(turn: Turn) -> bool:
    """Whether the message names products to have that no open order of the customer
    holds, and points at no order: a new order, not a change to one."""
    if turn.entities("order_number") or turn.state.get("order"):
        return False
    if POINTS_AT_AN_ORDER.search(turn.text):
        return False
    named = {sku for m in product_mentions(turn) for sku in (m.sku, *m.options)}
    if not named or wants_removal(turn):
        return False
    return not orders_with(turn, OPEN, skus=named)


def _ask_which_order(turn: Turn, candidates: list[Order], purpose: str) -> list[Reply]:
    shown = candidates[:MAX_CHOICES]
    turn.goto("choose_order", options=[o.number for o in shown], purpose=purpose, asked=turn.text)
    listing = "\n".join(describe.order_brief(o, turn.settings.currency) for o in shown)
    return turn.reply("orders.which", choices=[o.display_number for o in shown], orders=listing)


def _named_skus(turn: Turn, *, skip_added: bool) -> set[str]:
    """Products the message points at on an existing order (for a change, not the ones
    it adds: "add a mug to my order" is about any order, not one with a mug)."""
    skus: set[str] = set()
    for entity in turn.entities("product"):
        added = scope.operation(turn.text, turn.parsed.entities, entity) == "add"
        if not (skip_added and added):
            skus.update([str(entity.value), *entity.candidates])
    return skus | loosely_named(turn) if skus else skus


def orders_with(
    turn: Turn,
    statuses: frozenset[str] | None,
    *,
    limit: int = 1,
    number: int | None = None,
    skus: set[str] | None = None,
) -> list[Order]:
    """The customer's orders in `statuses` (any status with None; with `number`, or a
    line of `skus`), newest first, searched in the database however many older orders
    exist. One statement: each order comes with what the replies about it read (its
    lines, store and shipments), which lazy loads would fetch one statement at a time."""
    values: dict[str, object] = {"customer_id": turn.customer_id, "limit": limit}
    if statuses is not None:
        values["statuses"] = sorted(statuses)
    if number is not None:
        values["number"] = number
    if skus:
        values["skus"] = sorted(skus)
    found = turn.session.scalars(_orders_query(frozenset(values)), values).unique()
    return remember(turn.session, "number", found)  # found again by number this turn


@cache
def _orders_query(filters: frozenset[str]) -> Select:
    """The statement for one combination of filters, built once: a turn neither builds
    it (nor its joined loads) again nor works out its cache key (memoized on it)."""
    query = select(Order).where(Order.customer_id == bindparam("customer_id"))
    if "statuses" in filters:
        query = query.where(Order.status.in_(bindparam("statuses", expanding=True)))
    if "number" in filters:
        query = query.where(Order.number == bindparam("number"))
    if "skus" in filters:
        query = query.where(Order.lines.any(OrderLine.sku.in_(bindparam("skus", expanding=True))))
    query = query.options(*queries.ORDER_DETAILS)
    return query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(bindparam("limit"))


# --- track and history ------------------------------------------------------------------


# "and the other one?" right after one order's status: the customer's other open order.
OTHER_ORDER = re.compile(r"\b(?:the )?other (?:one|order|parcel|package)\b|\bthe other\b", re.I)


def track(turn: Turn) -> list[Reply]:
    focus = turn.state.get("order")
    found: Order | list[Reply] | None = None
    if focus and OTHER_ORDER.search(turn.text) and not turn.first("order_number"):
        others = [o for o in orders_with(turn, OPEN, limit=MAX_CHOICES + 1) if o.number != focus]
        found = others[0] if len(others) == 1 else None
    found = found or _in_asked_status(turn) or find_order(turn, "track")
    if not isinstance(found, Order):
        return found
    turn.goto(None, order=found.number)
    return [Reply(status_text(turn, found))]


# "is anything ready to collect?", "has anything shipped?": the orders in that status.
ASKED_STATUS = (
    (re.compile(r"\bready\b|\bcollect", re.I), frozenset({"ready_for_pickup"})),
    (
        re.compile(r"\bshipped\b|\bon (?:its|the) way\b|\bdispatched\b|\bgone out\b", re.I),
        frozenset({"shipped"}),
    ),
)


def _in_asked_status(turn: Turn) -> Order | list[Reply] | None:
    """With no order named, a question about a status is about the orders in it: the one
    such order, or a list of them; None when no order is in that status."""
    if turn.first("order_number") or turn.entities("product"):
        return None
    statuses = next((s for pattern, s in ASKED_STATUS if pattern.search(turn.text)), None)
    if statuses is None:
        return None
    matching = orders_with(turn, statuses, limit=MAX_CHOICES + 1)
    if len(matching) > 1:
        return _ask_which_order(turn, matching, "track")
    return matching[0] if matching else None


def status_text(turn: Turn, order: Order) -> str:
    values: dict[str, object] = {
        "number": order.display_number,
        "lines": describe.order_lines(order),
        "total": turn.money(order.total),
        "store": order.location.name,
        "address": order.location.address,
        "hours": order.location.hours,
    }
    text = say(f"track.{order.status}", **values)
    if order.shipments:
        latest = order.shipments[-1]
        text += " " + say("track.shipment", carrier=latest.carrier, tracking=latest.tracking_number)
    if order.status == "ready_for_pickup":
        # The pickup code collects the goods: only shown to a proven sender.
        text += " " + (
            say("track.pickup_code", code=order.pickup_code)
            if turn.verified
            else say("track.pickup_code_hidden")
        )
    return text


def history(turn: Turn) -> list[Reply]:
    orders = purchase_history(turn.session, turn.customer_id, limit=HISTORY_LENGTH)
    if not orders:
        return turn.reply("orders.no_history")
    listing = "\n".join(
        say(
            "orders.history_line",
            date=f"{o.placed_at:%b %d}",
            brief=describe.order_brief(o, turn.settings.currency),
        )
        for o in orders
    )
    return turn.reply("orders.history", orders=listing)


# --- modify -----------------------------------------------------------------------------


REDIRECT_INTENTS = frozenset({"change_address", "change_fulfillment"})


def modify(turn: Turn) -> list[Reply]:
    redirect = turn.intent in REDIRECT_INTENTS or turn.entities("address")
    found = find_order(turn, "redirect" if redirect and not turn.entities("product") else "modify")
    if not isinstance(found, Order):
        return found
    if found.status not in MODIFIABLE:
        return _cannot_change(turn, found)
    if asked := _which_product(turn, found):
        return asked
    changes = _changes(turn, found)
    if not changes:
        turn.goto("modify", order=found.number)
        return turn.reply(
            "orders.ask_changes", number=found.display_number, lines=describe.order_lines(found)
        )
    return _preview(turn, found, changes)


def answer_changes(turn: Turn) -> list[Reply] | None:
    order = order_service.find_order(turn.session, turn.scope, turn.state["order"])
    if asked := _which_product(turn, order):
        return asked
    changes = _changes(turn, order)
    return _preview(turn, order, changes) if changes else None


def _which_product(turn: Turn, order: Order) -> list[Reply] | None:
    """A product named loosely with close alternatives: ask which before changing anything.

    The customer's wording (the operation, a quantity) and the other products the message
    names wait in the state until the answer names one of the offered products, by name
    or by its number in the list.
    """
    mentions = mentions_on(turn, _current(order))
    unsure = next((m for m in mentions if m.options), None)
    if unsure is None:
        return None
    options = [unsure.sku, *unsure.options]
    products = describe.products_by_sku(turn.session, options)
    names = [products[s].name for s in options if s in products]
    operation = unsure.operation or (
        "remove" if wants_removal(turn) else "add" if wants_more(turn) else None
    )
    turn.goto(
        "modify",
        order=order.number,
        options=options,
        pending={
            "quantity": unsure.quantity,
            "operation": operation,
            "others": [m.to_json() for m in mentions if m is not unsure],
        },
    )
    return turn.reply(
        "shop.which_product",
        choices=names,
        options="; ".join(f"{i}) {n}" for i, n in enumerate(names, 1)),
    )


def _answered_choice(turn: Turn) -> list[Mention] | None:
    """The product picked from the list `_which_product` offered, with the waiting wording
    and the other products the first message named."""
    options: list[str] = turn.state.pop("options", [])
    pending: dict = turn.state.pop("pending", {})
    picked = next((m.sku for m in product_mentions(turn) if m.sku in options), None)
    if picked is None and (index := chosen_index(turn, len(options))) is not None:
        picked = options[index]
    if picked is None:
        return None
    chosen = Mention(picked, pending.get("quantity"), [], pending.get("operation") or "set")
    others = [
        Mention(o["sku"], o["quantity"], [], o["operation"]) for o in pending.get("others", [])
    ]
    return [*others, chosen]


def _current(order: Order) -> dict[str, int]:
    return {line.sku: line.active_quantity for line in order.lines if line.active_quantity}


def _changes(turn: Turn, order: Order) -> dict:
    """What the message asks to change on `order`, as OrderChanges fields.

    Each product changes by its own operation: "drop the grinder but keep the mug" takes
    one line off; "replace A with B" takes A off and puts B on in A's quantity; "remove
    one of the mugs" takes one unit off.
    """
    current = _current(order)
    quantities: dict[str, int] = {}
    mentions = mentions_on(turn, current)
    loose = bare_quantity(turn)
    if answered := _answered_choice(turn):
        mentions, loose = answered, None
    if not mentions and loose is not None:
        sku = turn.state.get("last_sku")
        if sku not in current and len(current) == 1:
            sku = next(iter(current))
        fewer = scope.FEWER.search(turn.text)
        if sku in current:  # "make it 2"; "one less" takes units off
            quantities[sku] = max(current[sku] - loose, 0) if fewer else loose
    siblings = variants.swaps(turn.catalog, turn.parsed, current, turn.state.get("last_sku"))
    for old, new in siblings.items():  # "the black one instead": the line in another variant
        quantities.update({old: 0, new: current.get(new, 0) + current[old]})
    swapped = next((current[m.sku] for m in mentions if m.removes(turn) and m.sku in current), 1)
    for m in mentions:
        have = current.get(m.sku, 0)
        if m.operation == scope.KEEP or m.sku in siblings or m.sku in siblings.values():
            continue
        if m.removes(turn):
            partial = m.quantity is not None and m.quantity < have
            quantities[m.sku] = have - m.quantity if partial else 0
        elif m.adds(turn):
            quantities[m.sku] = have + (m.quantity or (swapped if not have else 1))
        else:
            quantities[m.sku] = m.quantity or have or 1
    changes: dict = {k: v for k, v in quantities.items() if current.get(k, 0) != v}
    changes = {"quantities": changes} if changes else {}
    code, address = turn.first("location"), turn.first("address")
    if OTHER_STORE.search(turn.text) and not code:
        code = _other_store(turn, order)
    if address:
        changes.update(address=address, fulfillment_method="delivery")
    elif code or (PICKUP.search(turn.text) and order.fulfillment_method != "pickup"):
        changes.update(fulfillment_method="pickup", pickup_location_code=code)
    elif DELIVERY.search(turn.text) and order.fulfillment_method != "delivery":
        changes.update(fulfillment_method="delivery")
    return changes


FULFILMENT_KEYS = ("address", "fulfillment_method", "pickup_location_code")


def correct(turn: Turn) -> list[Reply] | None:
    """A correction at "Change #N: ... Reply YES": merged into the change, previewed again.

    "fine, the other store then" picks the pickup store that is neither the one proposed
    nor the order's own; a new quantity or address replaces the one proposed.
    """
    action = turn.state["action"]
    order = order_service.find_order(turn.session, turn.scope, action["order"])
    previous: dict = dict(action["changes"])
    if OTHER_STORE.search(turn.text) and not turn.entities("location"):
        proposed = previous.get("pickup_location_code")
        mine = order.location.code if order.fulfillment_method == "pickup" else None
        others = [s for s in describe.pickup_stores(turn.session) if s.code not in (proposed, mine)]
        if len(others) != 1:
            return None
        new = {"fulfillment_method": "pickup", "pickup_location_code": others[0].code}
    else:
        new = _changes(turn, order)
    if not new:
        return None
    merged = {k: v for k, v in previous.items() if k != "quantities"}
    if any(k in new for k in FULFILMENT_KEYS):
        merged = {k: v for k, v in merged.items() if k not in FULFILMENT_KEYS}
    merged.update({k: v for k, v in new.items() if k != "quantities"})
    quantities = {**previous.get("quantities", {}), **new.get("quantities", {})}
    if quantities:
        merged["quantities"] = quantities
    return _preview(turn, order, merged)


def _other_store(turn: Turn, order: Order) -> str | None:
    """ "the other store": the one pickup store that is not this order's."""
    mine = order.location.code if order.fulfillment_method == "pickup" else None
    others = [s.code for s in describe.pickup_stores(turn.session) if s.code != mine]
    return others[0] if len(others) == 1 else None


def _preview(turn: Turn, order: Order, changes: dict) -> list[Reply]:
    if set(changes) == {"quantities"} and _empties(order, changes["quantities"]):
        return _confirm_cancel(turn, order)  # taking every line off is cancelling the order
    if changes.get("fulfillment_method") == "pickup" and not changes.get("pickup_location_code"):
        turn.goto("modify", order=order.number)
        stores = describe.pickup_stores(turn.session)
        return turn.reply(
            "orders.ask_store",
            choices=[s.name for s in stores],
            stores=describe.store_names(stores),
        )
    quantities = changes.get("quantities", {})
    products = describe.products_by_sku(turn.session, list(quantities))
    before = {line.sku: (line.active_quantity, line.name, line.unit_price) for line in order.lines}
    parts, total = [], order.total
    for sku, new in quantities.items():
        old, name, price = before.get(sku, (0, products[sku].name, products[sku].price))
        parts.append(say("orders.line_change", name=name, old=old, new=new))
        total += price * (new - old)
    if changes.get("address"):
        parts.append(say("orders.address_change", address=changes["address"]))
    elif changes.get("fulfillment_method") == "pickup":
        store = inventory.get_location(turn.session, changes["pickup_location_code"])
        parts.append(say("orders.pickup_change", store=store.name))
    elif changes.get("fulfillment_method") == "delivery":
        address = order.address or turn.customer.default_address
        parts.append(say("orders.address_change", address=address or "?"))
    action = {"kind": "modify", "order": order.number, "changes": changes}
    turn.goto("confirm_modify", action=action, order=order.number)
    return turn.reply(
        "orders.confirm_modify",
        choices=["Yes", "No"],
        number=order.display_number,
        changes="; ".join(parts),
        total=turn.money(total),
        before=turn.money(order.total),
        difference=_difference(turn, total - order.total),
    )


def run_modify(turn: Turn, action: dict) -> list[Reply]:
    before = order_service.find_order(turn.session, turn.scope, action["order"]).total
    changes = ordering.OrderChanges(**action["changes"])
    order = order_service.change_order(
        within(turn.session), turn.actor, turn.scope, action["order"], changes
    )
    turn.goto(None, order=order.number)
    where = (
        say("orders.where_pickup", store=order.location.name)
        if order.fulfillment_method == "pickup"
        else say("orders.where_delivery", address=order.address)
    )
    return turn.reply(
        "orders.modified",
        number=order.display_number,
        lines=describe.order_lines(order),
        total=turn.money(order.total),
        where=where,
        difference=_difference(turn, order.total - before),
    )


def _difference(turn: Turn, amount: Decimal) -> str:
    if amount > 0:
        return say("orders.extra_charge", amount=turn.money(amount))
    if amount < 0:
        return say("orders.refund_due", amount=turn.money(-amount))
    return ""


def _cannot_change(turn: Turn, order: Order) -> list[Reply]:
    """Too late to change `order`: the reason, and the nearest thing that can be done."""
    turn.goto(None, order=order.number)
    nearest = load()["orders"].get(f"nearest_{order.status}", "")
    if order.shipments:
        latest = order.shipments[-1]
        shipment = say("track.shipment", carrier=latest.carrier, tracking=latest.tracking_number)
        nearest = f"{shipment} {nearest}"
    return turn.reply(
        "orders.cannot_change",
        number=order.display_number,
        status=describe.status_word(order.status),
        nearest=nearest.strip(),
    )


# --- cancel -----------------------------------------------------------------------------


def cancel(turn: Turn) -> list[Reply]:
    """Cancel an order, or only the lines the message names ("cancel the kettle",
    "cancel one of the mugs"): a partial cancel is previewed as a change of those lines."""
    found = find_order(turn, "cancel")
    if not isinstance(found, Order):
        return found
    named = mentions_on(turn, _current(found))
    if named and not any(m.sku in _current(found) for m in named):
        turn.goto(None, order=found.number)
        return turn.reply(
            "orders.not_on_order", number=found.display_number, lines=describe.order_lines(found)
        )
    if found.status in MODIFIABLE and named:
        changes = _changes(turn, found)
        if changes.get("quantities") and not _empties(found, changes["quantities"]):
            return _preview(turn, found, {"quantities": changes["quantities"]})
    return _confirm_cancel(turn, found)


def _empties(order: Order, quantities: dict[str, int]) -> bool:
    """Whether new line quantities would leave nothing on the order."""
    after = {**_current(order), **quantities}
    return not any(after.values())


def _confirm_cancel(turn: Turn, found: Order) -> list[Reply]:
    if found.status not in CANCELLABLE:
        turn.goto(None, order=found.number)
        return turn.reply(
            "orders.cannot_cancel",
            number=found.display_number,
            status=describe.status_word(found.status),
        )
    action = {"kind": "cancel", "order": found.number}
    turn.goto("confirm_cancel", action=action, order=found.number)
    return turn.reply(
        "orders.confirm_cancel",
        choices=["Yes", "No"],
        brief=describe.order_brief(found, turn.settings.currency),
        refund=turn.money(found.amount_paid),
    )


def run_cancel(turn: Turn, action: dict) -> list[Reply]:
    paid = order_service.find_order(turn.session, turn.scope, action["order"]).amount_paid
    order = order_service.cancel_order(
        within(turn.session), turn.actor, turn.scope, action["order"], reason="customer asked"
    )
    turn.goto(None, order=order.number)
    return turn.reply(
        "orders.cancelled", number=order.display_number, refund=turn.money(paid - order.amount_paid)
    )
