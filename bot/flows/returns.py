"""Returns and refunds: which order and items, why, by mail or in store, then the number.

Steps: "return_items", "return_reason", "return_method", "confirm_return".

Approval policy (decided here, in code): a return that passes the order core's
eligibility check (status and the settings.return_window_days window) is approved at
once, unless what it could refund exceeds settings.refund_escalation_amount; then it
stays requested and the conversation goes to a person.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from bot import describe, escalation
from bot.flows.common import OTHER_STORE, bare_quantity, mentions_on
from bot.flows.orders import find_order
from bot.replies import Reply
from bot.turn import Turn
from conversations.texts import say, shop_name
from infra import clock
from orders import inventory
from orders import returns as service
from orders.models import Location, Order, Return
from services import orders as order_service
from services import returns as return_service
from services.uow import within

EVERYTHING = re.compile(r"\b(?:all|everything|whole order|both|all of it)\b", re.I)
BY_MAIL = re.compile(r"\b(?:mail|post|ship|send|courier|parcel)\b", re.I)
IN_STORE = re.compile(r"\b(?:store|shop|in person|drop)\b", re.I)
# How it comes back said outright ("I can post it"); "send back" alone says no more.
POSTED = re.compile(r"\b(?:post|posting|mail|mailing|courier)\b", re.I)
RECENT_RETURNS = 3
# A reason given with the request ("it's too big", "they leak", "sent two by mistake").
REASON = re.compile(
    r"\b(?:because|cause|since|it s|it is|its|they re|they are|too \w+|by mistake|wrong|"
    r"broken|broke|damaged|doesn t|don t|didn t|does not|do not|did not|not what|leak\w*|"
    r"chip\w*|crack\w*|faulty|defective|fit|fits|unopened|unused|changed my mind|no longer|"
    r"smashed|shattered|dented|bent|crushed|ruined|only used|did not use|did not need|"
    r"torn|ripped|stain\w*|smell\w*|stopped working|loud|noisy|only (?:needed|wanted|need|want)|"
    r"too many|spare|extra|not needed|surplus)\b",
    re.I,
)


def start(turn: Turn) -> list[Reply]:
    found = find_order(turn, "return")
    if not isinstance(found, Order):
        return found
    service.check_eligible(found, turn.settings.return_window_days, clock.now(turn.session))
    turn.goto("return_items", order=found.number)
    return _take_items(turn, found) or _ask_items(turn, found)


def returnable(turn: Turn, order: Order) -> dict[str, tuple[int, str]]:
    """SKU -> (units that can still come back, line name) of `order`."""
    left = service.returnable_quantities(turn.session, order)
    return {line.sku: (left[line.id], line.name) for line in order.lines if left[line.id] > 0}


def _ask_items(turn: Turn, order: Order) -> list[Reply]:
    left = returnable(turn, order)
    turn.state["lines"] = list(left)  # "the black one" picks among them
    lines = describe.line_list([(q, n) for q, n in left.values()])
    return turn.reply("returns.ask_items", number=order.display_number, lines=lines)


def _take_items(turn: Turn, order: Order) -> list[Reply] | None:
    left = returnable(turn, order)
    if not left:
        turn.goto(None)
        return turn.reply("returns.nothing_left", number=order.display_number)
    mentions = mentions_on(turn, left, adds=False)
    # "one of the three tees", then "the white one": the count said before still holds.
    said = next((m.quantity for m in mentions if m.quantity), turn.state.get("count"))
    wanted = {
        m.sku: min(m.quantity or said or left[m.sku][0], left[m.sku][0])
        for m in mentions
        if m.sku in left and not m.options
    }
    if said:
        turn.state["count"] = said
    named_elsewhere = turn.entities("product") and not wanted
    if named_elsewhere and not EVERYTHING.search(turn.text):
        return None  # a product that is not on this order: ask which items, never all
    if not wanted and (len(left) == 1 or EVERYTHING.search(turn.text)):
        # "can I return the other two?" of the one line: that many, not every unit
        count = bare_quantity(turn) if len(left) == 1 else None
        wanted = {sku: min(count or qty, qty) for sku, (qty, _name) in left.items()}
    if not wanted:
        return None
    turn.state.update(step="return_reason", items=wanted)
    lines = describe.line_list([(q, left[s][1]) for s, q in wanted.items()])
    # "..., it's too big for me": the reason is said; "I can post it": how it comes back
    # is, and the message stands for the reason (a store said waits for the reason)
    if REASON.search(turn.parsed.norm) or POSTED.search(turn.text):
        turn.state.update(step="return_method", reason=turn.text.strip()[:500])
        return answer_method(turn) or _ask_method(turn, lines, order.display_number)
    if code := turn.first("location"):  # "bring 1 of the 3 back to the garden centre"
        turn.state["store_said"] = code
    return turn.reply("returns.ask_reason", number=order.display_number, lines=lines)


def answer_items(turn: Turn) -> list[Reply] | None:
    return _take_items(turn, _order(turn))


# An answer to "what's the reason?" that only says how it comes back ("by post").
METHOD_ONLY = 4


def answer_reason(turn: Turn) -> list[Reply]:
    """The reason; an answer that also says how the items come back ("it leaks, I'll
    post it", "I'll drop it at the bridge store") answers that too, and one that only
    says how ("by post") is that answer, the return going on without a reason."""
    says_how = turn.first("location") or BY_MAIL.search(turn.text)
    only_how = len(turn.text.split()) <= METHOD_ONLY and not REASON.search(turn.parsed.norm)
    reason = "" if says_how and only_how else turn.text.strip()[:500]
    turn.state.update(step="return_method", reason=reason)
    if says_how and (replies := answer_method(turn)):
        return replies
    if store := turn.state.get("store_said"):  # the store named with the request
        turn.state.update(method="store", store=store)
        return _confirm(turn)
    return _ask_method(turn)


def _ask_method(turn: Turn, lines: str = "", number: str = "") -> list[Reply]:
    """How the items come back; with `lines`, which items of which order as well (when
    the reason came with the request, this is the first the customer hears of them)."""
    stores = describe.pickup_stores(turn.session)
    first = turn.reply("returns.returning", lines=lines, number=number) if lines else []
    return first + turn.reply(
        "returns.ask_method",
        choices=["Mail", *[s.name for s in stores]],
        stores=describe.store_names(stores),
    )


def answer_method(turn: Turn) -> list[Reply] | None:
    code = turn.first("location")
    if code:
        turn.state.update(method="store", store=code)
    elif BY_MAIL.search(turn.text):
        turn.state.update(method="mail", store=None)
    elif IN_STORE.search(turn.text):
        stores = describe.pickup_stores(turn.session)
        return turn.reply(
            "returns.ask_store",
            choices=[s.name for s in stores],
            stores=describe.store_names(stores),
        )
    else:
        return None
    return _confirm(turn)


def correct(turn: Turn) -> list[Reply] | None:
    """A correction at the return's preview: "the other store", "by mail instead",
    "just one": the return is previewed again with the change."""
    action = turn.state["action"]
    before = dict(turn.state)
    turn.goto(
        "return_method",
        order=action["order"],
        items=dict(action["items"]),
        reason=action["reason"],
        method=action["method"],
        store=action["store"],
    )
    quantity = bare_quantity(turn)
    if quantity and len(action["items"]) == 1 and not turn.entities("location"):
        sku = next(iter(action["items"]))
        left = returnable(turn, _order(turn)).get(sku, (0, ""))[0]
        turn.state["items"] = {sku: max(1, min(quantity, left))}
        return _confirm(turn)
    if OTHER_STORE.search(turn.text) and not turn.entities("location"):
        others = [s for s in describe.pickup_stores(turn.session) if s.code != action["store"]]
        if action["method"] == "store" and len(others) == 1:
            turn.state.update(method="store", store=others[0].code)
            return _confirm(turn)
    replies = answer_method(turn)
    if replies is None:
        turn.state = before
    return replies


def items_value(order: Order, items: dict[str, int]) -> Decimal:
    """What `items` (SKU -> units) of `order` were bought for: the most a return refunds."""
    prices = {line.sku: line.unit_price for line in order.lines}
    return sum((prices[sku] * n for sku, n in items.items()), Decimal("0.00"))


def how_back(turn: Turn, method: str, store: str | None) -> str:
    """How the items come back, in words: mailed, or brought to the store."""
    if method == "store":
        return say("returns.how_store", store=inventory.get_location(turn.session, store).name)
    return say("returns.how_mail")


def _confirm(turn: Turn) -> list[Reply]:
    order = _order(turn)
    items: dict[str, int] = turn.state["items"]
    by_sku = {line.sku: line for line in order.lines}
    value = items_value(order, items)
    how = how_back(turn, turn.state["method"], turn.state["store"])
    action = {
        "kind": "return",
        "order": order.number,
        "items": items,
        "reason": turn.state.get("reason", ""),
        "method": turn.state["method"],
        "store": turn.state.get("store"),
    }
    turn.goto("confirm_return", action=action, order=order.number)
    return turn.reply(
        "returns.confirm",
        choices=["Yes", "No"],
        number=order.display_number,
        lines=describe.line_list([(q, by_sku[s].name) for s, q in items.items()]),
        how=how,
        value=turn.money(value),
    )


def _order(turn: Turn) -> Order:
    return order_service.find_order(turn.session, turn.scope, turn.state["order"])


def run_return(turn: Turn, action: dict) -> list[Reply]:
    uow = within(turn.session)
    ret = return_service.request_return(
        uow,
        turn.actor,
        turn.scope,
        action["order"],
        action["items"],
        method=action["method"],
        reason=action["reason"],
        location=action["store"],
        window_days=turn.settings.return_window_days,
    )
    order = ret.order
    turn.goto(None, order=order.number)
    number, value = ret.display_number, turn.money(ret.value)
    if ret.value > turn.settings.refund_escalation_amount:
        summary = say(
            "handoff.return_review",
            number=number,
            order=order.display_number,
            value=value,
            reason=ret.reason,
        )
        if then := action.get("then"):  # an exchange: the new order waits for the approval
            summary = f"{summary} {then}"
        first = turn.reply("returns.needs_review", number=number, value=value)
        return first + escalation.escalate(turn, "policy", summary)
    return_service.approve_return(uow, turn.actor, turn.scope, ret.number)
    if ret.method == "store":
        return turn.reply(
            "returns.approved_store",
            number=number,
            value=value,
            store=ret.location.name,
            address=ret.location.address,
        )
    return turn.reply(
        "returns.approved_mail", number=number, value=value, address=_returns_address(turn)
    )


def _returns_address(turn: Turn) -> str:
    """Where parcels go: the shop's first non-store location (its warehouse), else any."""
    locations = inventory.delivery_candidates(turn.session)
    chosen: Location | None = next((loc for loc in locations if not loc.pickup), None)
    chosen = chosen or (locations[0] if locations else None)
    return f"{chosen.name}, {chosen.address}" if chosen else shop_name(turn.settings.store_name)


# --- refund status ----------------------------------------------------------------------


def refund_status(turn: Turn) -> list[Reply]:
    number = turn.first("return_number")
    if number:
        returns = [return_service.find_return(turn.session, turn.scope, number)]
    else:
        returns = list(
            turn.session.scalars(
                select(Return)
                .join(Order)
                .where(Order.customer_id == turn.customer_id)
                .order_by(Return.created_at.desc(), Return.id.desc())
                .limit(RECENT_RETURNS)
            )
        )
    if not returns:
        return turn.reply("returns.none")
    turn.goto(None)
    return [Reply("\n".join(_return_status(turn, r) for r in returns))]


def _return_status(turn: Turn, ret: Return) -> str:
    amount = turn.money(ret.refund_amount if ret.refund_amount is not None else ret.value)
    return say(
        f"returns.status_{ret.status}",
        number=ret.display_number,
        order=ret.order.display_number,
        amount=amount,
        date=f"{ret.refunded_at:%b %d}" if ret.refunded_at else "",
    )
