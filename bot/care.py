"""Handoff with care: a complaint first gets an apology and the remedy the bot can give
itself (a return for a broken item, the tracking of a late parcel), with a person on
offer; a handoff says sorry, what the bot already knows, and what happens next."""

from __future__ import annotations

from bot import describe, escalation
from bot.dialogue import trouble
from bot.flows import exchange, orders, returns
from bot.replies import Reply
from bot.turn import Turn
from conversations.texts import say
from orders.errors import DomainError
from orders.models import Order
from orders.status import OPEN
from services import orders as order_service

SMS_SIZE = 320
_DAMAGED = trouble.DAMAGED
_LATE = trouble.LATE


def return_request(turn: Turn) -> list[Reply]:
    """A return that says what is wrong ("arrived smashed, can I send it back") is a
    complaint with its remedy: an apology, the damage taken as the reason. Another size
    asked for ("too small, can I have the large?") is an exchange."""
    if (swapped := exchange.start(turn)) is not None:
        return swapped
    if _DAMAGED.search(turn.parsed.norm) and (replies := _offer_return(turn)):
        return replies
    return returns.start(turn)


def complaint(turn: Turn) -> list[Reply]:
    """A problem the bot can put right itself is put right; anything else goes to a person."""
    norm = turn.parsed.norm
    if (swapped := exchange.start(turn)) is not None:
        return swapped  # "you sent the wrong size, I need an L"
    if _DAMAGED.search(norm):
        replies = _offer_return(turn)
        if replies:
            return replies
    if _LATE.search(norm):
        replies = _late_parcel(turn)
        if replies:
            return replies
    return handoff(turn, "complaint")


def _offer_return(turn: Turn) -> list[Reply] | None:
    """Start the return of the damaged item, the complaint taken as its reason."""
    before = dict(turn.state)
    try:
        replies = returns.start(turn)
    except DomainError:
        turn.state = before
        return None
    if turn.state.get("step") in ("return_reason", "return_method"):
        replies = returns.answer_reason(turn)  # the complaint is the reason
        number = turn.state["order"]
        order = order_service.find_order(turn.session, turn.scope, number)
        names = {line.sku: line.name for line in order.lines}
        items = [(q, names[s]) for s, q in turn.state["items"].items()]
        replies = turn.reply(
            "care.return_start",
            choices=replies[0].choices,
            lines=describe.line_list(items),
            number=order.display_number,
            stores=describe.store_names(describe.pickup_stores(turn.session)),
        )
    elif turn.state.get("step", "idle") == "idle":
        turn.state = before
        return None
    return _with_apology(replies, say("care.return_offer"))


def _late_parcel(turn: Turn) -> list[Reply] | None:
    """Where the parcel is, from its tracking, and a person if that is not enough."""
    found = orders.find_order(turn, "track")
    if not isinstance(found, Order):
        return _with_apology(found, "") if turn.state.get("step") == "choose_order" else None
    turn.goto(None, order=found.number)
    return _with_apology([Reply(orders.status_text(turn, found))], say("care.person_offer"))


def _with_apology(replies: list[Reply], offer: str) -> list[Reply]:
    first = " ".join(p for p in (say("care.sorry"), replies[0].text, offer) if p)
    if len(first) <= SMS_SIZE:
        return [Reply(first, replies[0].choices), *replies[1:]]
    return [Reply(say("care.sorry")), *replies, *([Reply(offer)] if offer else [])]


def handoff(turn: Turn, reason: str, note: str = "") -> list[Reply]:
    """Hand over to a person: sorry (unless they simply asked), what the bot knows, the queue."""
    known = _what_we_know(turn)
    notice = escalation.escalate(turn, reason, note)[0].text
    parts = [say("care.sorry") if reason != "human_agent" else "", known, notice]
    text = " ".join(p for p in parts if p)
    if len(text) <= SMS_SIZE:
        return [Reply(text)]
    return [Reply(p) for p in parts if p]


def _what_we_know(turn: Turn) -> str:
    """The order in question, in a line, so the customer is not left with nothing."""
    number = turn.first("order_number") or turn.state.get("order")
    if number:
        try:
            order = order_service.find_order(turn.session, turn.scope, number)
        except DomainError:
            return ""
    else:
        open_orders = orders.orders_with(turn, OPEN, limit=2)
        if len(open_orders) != 1:
            return ""
        order = open_orders[0]
    return say("care.known", brief=describe.order_brief(order, turn.settings.currency))
