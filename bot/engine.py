"""The dialogue: one customer message in, the bot's replies out.

Shaped like python-telegram-bot's conversationbot: named steps, a table from each step
to the handlers that answer its question, and fallbacks that work from any step (stop,
a person, a new request). The step and its slots live in `conversation.state`, so a
conversation survives restarts and moves freely between worker processes.

A handler returns replies, or None when the message is not an answer to its question;
then the message is routed by its intent. Nothing here commits: the caller's
transaction saves the order change, the new state and the outbox rows together.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot import escalation, probing, verification
from bot.catalog_cache import catalog_cache
from bot.flows import choosing, info, orders, returns, shopping
from bot.nlu import CONFIDENCE_THRESHOLD, ParseContext, is_abort, parse
from bot.replies import Reply
from bot.texts import load, say
from bot.turn import Turn
from channels.models import Conversation
from orders.errors import DomainError
from settings import Settings

Handler = Callable[[Turn], list[Reply] | None]
MISSES_BEFORE_HANDOFF = 2
ORDER_INTENTS = frozenset({"place_order", "modify_order", "change_fulfillment", "change_address"})

RUNNERS: dict[str, verification.Runner] = {
    "modify": orders.run_modify,
    "cancel": orders.run_cancel,
    "return": returns.run_return,
}


def _confirm_action(turn: Turn) -> list[Reply] | None:
    """The yes/no to "Reply YES to confirm": only an explicit yes changes anything."""
    if turn.intent == "affirm":
        action = turn.state["action"]
        return verification.require(turn, action, RUNNERS[action["kind"]])
    if turn.intent == "deny":
        turn.goto(None, order=turn.state.get("order"))
        return turn.reply("chat.no_change")
    return None


def _verify(turn: Turn) -> list[Reply] | None:
    return verification.check_code(turn, lambda t, action: RUNNERS[action["kind"]](t, action))


def _confirm_guess(turn: Turn) -> list[Reply] | None:
    """ "Did you mean ...?" answered: yes runs the guessed intent on the first message."""
    guess = turn.state["guess"]
    if turn.intent == "deny":
        turn.goto(None)
        return turn.reply("chat.rephrase")
    if turn.intent != "affirm":
        return None
    parsed = parse(guess["text"], turn.catalog)
    parsed.intent, parsed.confidence = guess["intent"], 1.0
    again = dataclasses.replace(turn, text=guess["text"], parsed=parsed)
    again.state = {k: v for k, v in turn.state.items() if k != "guess"}
    replies = _route(again)
    turn.state = again.state
    return replies


@dataclass(frozen=True)
class Step:
    handler: Handler | None
    expecting: str | None = None
    # Intents this step's handler hears out; anything else is a new request. Messages the
    # NLU is unsure about always go to the step first (short answers like "by mail").
    hears: frozenset[str] = frozenset()
    # The answer is free text ("why are you returning it?"): the step goes before escalation.
    free_text: bool = False
    hint: str = "chat.hint_idle"


CONFIRM = frozenset({"affirm", "deny"})
STEPS: dict[str, Step] = {
    "idle": Step(None),
    "cart": Step(
        shopping.in_cart,
        "fulfillment",
        ORDER_INTENTS | CONFIRM | {"goodbye"},
        hint="chat.hint_cart",
    ),
    "choose_product": Step(
        shopping.choose_product,
        "choice",
        ORDER_INTENTS | CONFIRM | {"browse_catalog"},
        hint="chat.hint_choice",
    ),
    "checkout_store": Step(
        shopping.answer_store, "location", ORDER_INTENTS | CONFIRM, hint="chat.hint_store"
    ),
    "checkout_address": Step(
        shopping.answer_address, "address", ORDER_INTENTS | CONFIRM, hint="chat.hint_address"
    ),
    "confirm_order": Step(
        shopping.confirm_order, "confirm", ORDER_INTENTS | CONFIRM, hint="chat.hint_confirm"
    ),
    "choose_order": Step(
        choosing.choose_order,
        "order_number",
        frozenset({"track_order", "affirm"}),
        hint="chat.hint_choice",
    ),
    "modify": Step(orders.answer_changes, "product", ORDER_INTENTS, hint="chat.hint_modify"),
    "confirm_modify": Step(_confirm_action, "confirm", CONFIRM, hint="chat.hint_confirm"),
    "confirm_cancel": Step(_confirm_action, "confirm", CONFIRM, hint="chat.hint_confirm"),
    "return_items": Step(
        returns.answer_items,
        "product",
        frozenset({"place_order", "return_order", "modify_order", "affirm"}),
        hint="chat.hint_return_items",
    ),
    "return_reason": Step(returns.answer_reason, "reason", free_text=True),
    "return_method": Step(
        returns.answer_method,
        "location",
        frozenset({"change_fulfillment", "return_order", "store_info"}),
        hint="chat.hint_return_method",
    ),
    "confirm_return": Step(_confirm_action, "confirm", CONFIRM, hint="chat.hint_confirm"),
    "verify_code": Step(
        _verify,
        None,
        frozenset({"track_order", "out_of_scope"}),
        free_text=True,
        hint="chat.hint_code",
    ),
    "confirm_guess": Step(_confirm_guess, "confirm", CONFIRM, hint="chat.hint_confirm"),
}


def _order_request(turn: Turn) -> list[Reply] | None:
    """ "make it 3", "add a mug", "pickup instead": the cart if one is open, else an order."""
    shopping_now = turn.state.get("cart") or (
        turn.state.get("last_sku")
        and not turn.entities("order_number")
        and not turn.state.get("order")
    )
    if turn.intent == "place_order" or shopping_now:
        replies = shopping.add_to_cart(turn)
        if replies is not None:
            return replies
        if turn.intent == "place_order":
            turn.goto("cart")
            return turn.reply("shop.ask_what")
    return orders.modify(turn)


INTENTS: dict[str, Handler] = {
    "greet": info.greet,
    "goodbye": info.goodbye,
    "thanks": info.thanks,
    "help": info.help_,
    "affirm": info.nothing_pending,
    "deny": info.nothing_pending,
    "browse_catalog": shopping.browse,
    "place_order": _order_request,
    "modify_order": _order_request,
    "change_address": _order_request,
    "change_fulfillment": _order_request,
    "cancel_order": orders.cancel,
    "track_order": orders.track,
    "order_history": orders.history,
    "return_order": returns.start,
    "refund_status": returns.refund_status,
    "store_info": info.store_info,
    "human_agent": lambda turn: escalation.escalate(turn, "human_agent"),
    "complaint": lambda turn: escalation.escalate(turn, "complaint"),
}
ESCALATING = frozenset({"human_agent", "complaint"})
# Answered without leaving the flow the customer is in.
SIDE_QUESTIONS = frozenset(
    {
        "browse_catalog",
        "track_order",
        "order_history",
        "refund_status",
        "store_info",
        "help",
        "greet",
        "thanks",
    }
)


def _route(turn: Turn) -> list[Reply] | None:
    """The step's own handler first when the message can be its answer, then the intent."""
    step = STEPS.get(turn.state.get("step", "idle"), STEPS["idle"])
    confident = turn.parsed.confidence >= CONFIDENCE_THRESHOLD
    if step.free_text and step.handler and not _interrupts_free_text(turn, step):
        replies = step.handler(turn)
        if replies is not None:
            return replies
    if confident and turn.intent in ESCALATING:
        return INTENTS[turn.intent](turn)
    if step.handler and not step.free_text and (not confident or turn.intent in step.hears):
        replies = step.handler(turn)
        if replies is not None:
            return replies
    if confident and turn.intent in INTENTS:
        if turn.intent in SIDE_QUESTIONS and turn.state.get("step", "idle") != "idle":
            return _aside(turn, step)
        return INTENTS[turn.intent](turn)
    return None


# In a free-text step these are not the answer when the NLU is sure of them: questions
# are answered aside, and a new return or cancel that names what it is about starts over.
FREE_TEXT_ASIDES = frozenset({"track_order", "order_history", "refund_status"})
FREE_TEXT_RESTARTS = frozenset({"return_order", "cancel_order"})


def _interrupts_free_text(turn: Turn, step: Step) -> bool:
    """Whether a message in a free-text step is something else than its answer.

    A request for a person always is. Where the answer is a reason ("why are you
    returning it?"), which often sounds like a complaint or names the product ("the mug
    is chipped"), only a sure question about orders, or a sure new return or
    cancellation that names a product or an order, interrupts. A code is always a code.
    """
    if turn.intent == "human_agent":
        return True
    if step.expecting != "reason" or turn.parsed.confidence < CONFIDENCE_THRESHOLD:
        return False
    if turn.intent in FREE_TEXT_ASIDES:
        return True
    names = turn.entities("product") or turn.entities("order_number")
    return turn.intent in FREE_TEXT_RESTARTS and bool(names)


def _aside(turn: Turn, step: Step) -> list[Reply]:
    """A question in the middle of a flow: answer it, then carry on where we were."""
    before = copy.deepcopy(turn.state)
    replies = INTENTS[turn.intent](turn)
    if turn.state.get("step", "idle") == "idle":
        turn.state = before
        replies = [*replies, Reply(say(step.hint))]
    return replies


def _not_understood(turn: Turn) -> list[Reply]:
    """Ask about a guess below the threshold; otherwise help, and a person after two misses."""
    if turn.intent in INTENTS and turn.intent not in CONFIRM and turn.parsed.confidence >= 0.45:
        turn.state.update(step="confirm_guess", guess={"intent": turn.intent, "text": turn.text})
        return turn.reply(
            "chat.did_you_mean", choices=["Yes", "No"], guess=say(f"intents.{turn.intent}")
        )
    misses = int(turn.state.get("misses", 0)) + 1
    if misses >= MISSES_BEFORE_HANDOFF:
        turn.state["misses"] = 0
        return escalation.escalate(turn, "bot_failed", say("handoff.misunderstood"))
    turn.state["misses"] = misses
    step = STEPS.get(turn.state.get("step", "idle"), STEPS["idle"])
    return turn.reply("chat.not_understood", hint=say(step.hint))


def respond(
    session: Session,
    conversation: Conversation,
    text: str,
    *,
    message_id: int | None,
    verified: bool,
    settings: Settings,
) -> list[Reply]:
    """The bot's answer to one customer message; `conversation.state` is updated in place."""
    load()  # fail on a broken texts file before anything changes
    before = copy.deepcopy(conversation.state or {})
    step = STEPS.get(before.get("step", "idle"), STEPS["idle"])
    catalog = catalog_cache.get(session)
    text = (text or "").replace("\x00", "").strip()  # PostgreSQL text cannot hold a NUL
    # After "which one did you mean?" the offered SKUs let "the blue one" pick among them.
    offered = (
        before.get("options", []) if before.get("step") in ("choose_product", "modify") else []
    )
    parsed = parse(text, catalog, ParseContext(expecting=step.expecting, choices=offered))
    turn = Turn(
        session,
        conversation,
        text,
        parsed,
        catalog,
        settings,
        verified,
        message_id,
        state=copy.deepcopy(before),
    )
    if not text:
        replies = info.help_(turn)
    elif is_abort(text):
        turn.state = {"step": "idle"}
        replies = turn.reply("chat.stopped")
    elif _asks_a_number(turn) and (paused := probing.minutes_paused(session, turn.customer.id)):
        replies = turn.reply("chat.lookups_paused", minutes=paused)
    else:
        try:
            replies = _route(turn)
            if replies is None:
                replies = _not_understood(turn)
                for reply in replies:
                    reply.understood = False
            elif "misses" in turn.state:
                turn.state.pop("misses")
        except DomainError as exc:
            turn.state = {**before, "misses": 0}
            replies = [Reply(_explain(exc, step))]
            if exc.code in probing.NOT_FOUND_CODES:
                replies += _count_failed_lookup(turn)
    conversation.state = turn.state
    for reply in replies:
        reply.intent = turn.intent
    return replies


def _asks_a_number(turn: Turn) -> bool:
    return any(turn.entities(kind) for kind in probing.NUMBER_ENTITIES)


def _count_failed_lookup(turn: Turn) -> list[Reply]:
    """Record a number that was not the customer's; say so when that starts the pause."""
    probing.record_failure(turn.session, turn.customer.id)
    paused = probing.minutes_paused(turn.session, turn.customer.id)
    return turn.reply("chat.lookups_paused", minutes=paused) if paused else []


def _explain(exc: DomainError, step: Step) -> str:
    """Every refusal of the order core, in plain words, in one place."""
    texts = load()["errors"]
    template = texts.get(exc.code, texts["default"])
    return template.format(message=exc.message, hint=say(step.hint)).strip()
