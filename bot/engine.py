"""The dialogue: one customer message in, the bot's replies out.

A message is read as a few commands (bot.dialogue.commands: start a task, set or correct
a slot, cancel, clarify, a question aside, small talk, hand off, repeat), one per
request in it, and each is applied in turn. Tasks are the flows (bot/flows); the one
on top of the dialogue stack lives in `conversation.state` as its step and slots, the
ones a question aside or another task interrupted wait in `state["stack"]` and resume
when the top one is done (bot.dialogue.stack). Repair is shared by every task
(bot.repair). The state is JSON, so a conversation survives restarts and moves
freely between worker processes.

A step's handler returns replies, or None when the message is not an answer to its
question; then the message is applied by its intent alone. Nothing here commits: the
caller's transaction saves the order change, the new state and the outbox rows together.
See docs/dialogue.md.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot import care, catalog_cache, probing, repair, verification
from bot.dialogue import commands, stack
from bot.flows import choosing, exchange, info, orders, returns, shopping
from bot.nlu import ParseContext, ParseResult, parse
from bot.replies import Reply
from bot.turn import Turn
from conversations.models import Conversation
from conversations.texts import load, say
from infra.settings import Settings
from orders.errors import DomainError

Handler = Callable[[Turn], list[Reply] | None]
# Two misreads offer a person; a third in a row hands over (a real dead end).
MISSES_BEFORE_OFFER = 2
MISSES_BEFORE_HANDOFF = 3
ORDER_INTENTS = frozenset({"place_order", "modify_order", "change_fulfillment", "change_address"})

RUNNERS: dict[str, verification.Runner] = {
    "modify": orders.run_modify,
    "cancel": orders.run_cancel,
    "return": returns.run_return,
    "exchange": exchange.run_exchange,
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


def _confirm_or(correct: Handler) -> Handler:
    """The yes/no to a return's or an exchange's preview; "by mail" or a store said there
    instead is how it comes back, previewed again (nothing changes until the yes)."""

    def handler(turn: Turn) -> list[Reply] | None:
        replies = _confirm_action(turn)
        if replies is None and turn.intent not in CONFIRM:
            return correct(turn)
        return replies

    return handler


def _exchange_or(answer: Handler) -> Handler:
    """A return's question answered with another size wanted ("can I swap it for an XL
    instead?"): that return becomes an exchange; otherwise the step's own answer."""
    return lambda turn: exchange.during_return(turn) or answer(turn)


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
    again.state = {**{k: v for k, v in turn.state.items() if k != "guess"}, "step": "idle"}
    replies = _apply(again, commands.interpret(again.text, parsed, commands.Waiting()))
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
    # A correction of what the step previews ("the other store then"); else the handler.
    correct: Handler | None = None


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
        correct=shopping.correct_choice,
    ),
    "checkout_store": Step(
        shopping.answer_store,
        "location",
        ORDER_INTENTS | CONFIRM,
        hint="chat.hint_store",
        correct=shopping.correct_order,
    ),
    "checkout_address": Step(
        shopping.answer_address, "address", ORDER_INTENTS | CONFIRM, hint="chat.hint_address"
    ),
    "checkout_name": Step(
        shopping.answer_name,
        "name",
        ORDER_INTENTS | CONFIRM | {"out_of_scope"},
        hint="chat.hint_name",
        correct=shopping.correct_order,
    ),
    "confirm_order": Step(
        shopping.confirm_order,
        "confirm",
        ORDER_INTENTS | CONFIRM,
        hint="chat.hint_confirm",
        correct=shopping.correct_order,
    ),
    "choose_order": Step(
        choosing.choose_order,
        "order_number",
        frozenset({"track_order", "affirm"}),
        hint="chat.hint_choice",
    ),
    "modify": Step(orders.answer_changes, "product", ORDER_INTENTS, hint="chat.hint_modify"),
    "confirm_modify": Step(
        _confirm_action, "confirm", CONFIRM, hint="chat.hint_confirm", correct=orders.correct
    ),
    "confirm_cancel": Step(_confirm_action, "confirm", CONFIRM, hint="chat.hint_confirm"),
    "return_items": Step(
        returns.answer_items,
        "product",
        frozenset({"place_order", "return_order", "modify_order", "affirm"}),
        hint="chat.hint_return_items",
    ),
    "return_reason": Step(
        _exchange_or(returns.answer_reason),
        "reason",
        free_text=True,
        hint="chat.hint_return_reason",
    ),
    "return_method": Step(
        _exchange_or(returns.answer_method),
        "location",
        frozenset(
            {"change_fulfillment", "return_order", "store_info", "place_order", "modify_order"}
        ),
        hint="chat.hint_return_method",
    ),
    "confirm_return": Step(
        _confirm_or(returns.correct),
        "confirm",
        CONFIRM,
        hint="chat.hint_confirm",
        correct=returns.correct,
    ),
    "confirm_exchange": Step(
        _confirm_or(exchange.correct),
        "confirm",
        CONFIRM,
        hint="chat.hint_confirm",
        correct=exchange.correct,
    ),
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
    """ "make it 3", "add a mug", "pickup instead": the cart if one is open, else an order.

    A line taken off or kept, or sent elsewhere, that is not in the cart is on an order:
    "drop the filters" with beans in the cart changes the order that has the filters.
    Products that no order of the customer holds, said without pointing at an order
    ("drill bit set for pickup at market"), are a new order.
    """
    if turn.state.get("cart") and repair.points_past_the_cart(turn):
        return orders.modify(turn)
    if not turn.state.get("cart") and (swapped := exchange.start(turn)) is not None:
        return swapped  # another size of something already received
    shopping_now = turn.state.get("cart") or (
        turn.state.get("last_sku")
        and not turn.entities("order_number")
        and not turn.state.get("order")
    )
    if turn.intent == "place_order" or shopping_now or orders.new_to_every_order(turn):
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
    "return_order": care.return_request,
    "refund_status": returns.refund_status,
    "store_info": info.store_info,
    "complaint": care.complaint,
    commands.CART_STATUS: shopping.cart_status,
    commands.NOT_SOLD: shopping.not_sold,
}


def _apply(turn: Turn, command: commands.Command) -> list[Reply] | None:
    """Carry out one command on the conversation; None when nothing could be made of it."""
    kind = command.kind
    if kind == commands.CANCEL:
        return repair.cancel(turn) + _resume(turn)
    if kind == commands.REPEAT:
        return repair.repeat(turn)
    if kind == commands.HANDOFF:
        return care.handoff(turn, "human_agent")
    if kind in (commands.SET_SLOT, commands.CORRECT):
        if command.task in CONFIRM and command.task != turn.intent:  # 👍: a yes by its sign
            turn.parsed = dataclasses.replace(turn.parsed, intent=command.task, confidence=1.0)
        if turn.state.get("cart") and repair.points_past_the_cart(turn):
            return _start(turn, "modify_order")  # lines of a placed order, not the cart's
        step = _step(turn.state)
        handlers = [step.correct] if kind == commands.CORRECT and step.correct else []
        for handler in [*handlers, step.handler]:
            replies = handler(turn) if handler is not None else None
            if replies is not None:
                return replies + _resume(turn)
        fallback = commands.interpret(turn.text, turn.parsed, _waiting(turn.state))
        if fallback.kind in (commands.SET_SLOT, commands.CORRECT):  # a yes or no nobody asked
            return INTENTS[turn.intent](turn) if turn.intent in INTENTS else None
        return _apply(turn, fallback)
    if kind == commands.SMALL_TALK:
        if turn.state.get("step", "idle") == "idle" or command.task == "goodbye":
            return INTENTS[command.task](turn)
        return _aside(turn, command.task)
    if kind == commands.ASIDE:
        return _aside(turn, command.task)
    if kind in (commands.START, commands.CLARIFY):
        if command.task != turn.intent:  # read from context: the task decides, not the guess
            turn.parsed = dataclasses.replace(turn.parsed, intent=command.task, confidence=1.0)
        return _start(turn, command.task)
    return None


def _start(turn: Turn, task: str) -> list[Reply]:
    """A new task; the one it interrupts waits on the stack and resumes when it is done."""
    if task == "cancel_order" and repair.means_the_cart(turn):
        return repair.drop_cart(turn) + _resume(turn)
    return _run_on_top(turn, task, for_question=False)


def _aside(turn: Turn, task: str) -> list[Reply]:
    """A question in the middle of a task: answer it, then carry on where we were."""
    return _run_on_top(turn, task, for_question=True)


def _run_on_top(turn: Turn, task: str, *, for_question: bool) -> list[Reply]:
    """Run `task` above the one waiting (pushed on the stack), then resume that one."""
    if task in commands.QUESTIONS:
        turn.state["topic"] = task
    stack.push(turn.state, for_question=for_question)
    if turn.state.get("step", "idle") != "idle":
        turn.goto(None, order=turn.state.get("order"))  # the order talked about stays in view
    return INTENTS[task](turn) + _resume(turn)


def _resume(turn: Turn) -> list[Reply]:
    """The interrupted task comes back once the one on top is done, with its question."""
    resumed = stack.resume(turn.state)
    if resumed is None:
        return []
    replies = turn.reply("chat.resume", hint=turn.say(_step(turn.state).hint))
    replies[0].resumes = True
    return replies


def _step(state: dict) -> Step:
    return STEPS.get(state.get("step", "idle"), STEPS["idle"])


def _waiting(state: dict) -> commands.Waiting:
    step = _step(state)
    return commands.Waiting(
        step=state.get("step", "idle") if step.handler else "idle",
        expecting=step.expecting,
        hears=step.hears,
        free_text=step.free_text,
        has_cart=bool(state.get("cart")),
        topic=state.get("topic"),
        last_product=bool(state.get("last_sku")),
    )


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
        return care.handoff(turn, "bot_failed", say("handoff.misunderstood"))
    turn.state["misses"] = misses
    if misses >= MISSES_BEFORE_OFFER:
        return turn.reply("care.misunderstood_offer")
    return turn.reply("chat.not_understood", hint=turn.say(_step(turn.state).hint))


def _offered(state: dict) -> list[str]:
    """The SKUs the bot has just listed for the customer to pick from."""
    if state.get("step") in ("choose_product", "modify"):
        return state.get("options", [])
    return state.get("lines", []) if state.get("step") == "return_items" else []


def respond(
    session: Session,
    conversation: Conversation,
    text: str,
    *,
    message_id: int | None,
    verified: bool,
    settings: Settings,
    questions_only: bool = False,
) -> list[Reply]:
    """The bot's answer to one customer message; `conversation.state` is updated in place.

    `questions_only`: a person is awaited and nobody has claimed the conversation yet.
    Questions the bot can answer (an order's status, hours, stock) are still answered;
    anything else is left to the person (no reply) and nothing changes.
    """
    load()  # fail on a broken texts file before anything changes
    before = conversation.state or {}
    state = copy.deepcopy(before)
    step = _step(state)
    catalog = catalog_cache.catalog(session)
    text = (text or "").replace("\x00", "").strip()  # PostgreSQL text cannot hold a NUL
    text = commands.own_words(text)
    # After "which one did you mean?" the offered SKUs let "the blue one" pick among them,
    # and after "which items?" the order's lines.
    offered = _offered(state)
    context = None if questions_only else ParseContext(step.expecting, offered)
    parts = commands.clauses(text, catalog, context) if text else [(text, parse(text, catalog))]
    if questions_only and not _only_questions(parts):
        return []
    turn = Turn(
        session, conversation, text, parts[0][1], catalog, settings, verified, message_id, state
    )
    numbers = any(e.type in probing.NUMBER_ENTITIES for _, p in parts for e in p.entities)
    if not text:
        replies = info.help_(turn)
    elif numbers and (paused := probing.minutes_paused(session, turn.customer_id)):
        replies = turn.reply("chat.lookups_paused", minutes=paused)
    else:
        answers = [_answer_clause(turn, clause_text, parsed) for clause_text, parsed in parts]
        if commands.corrects_itself(parts) and all(r.understood for r in answers[-1]):
            answers = answers[-1:]  # "S, no sorry M": only the corrected request is shown
        replies = [reply for answer in answers for reply in answer]
        # "Back to where we were" once, at the end: the requests after an aside carry on.
        replies = [r for i, r in enumerate(replies) if not r.resumes or i == len(replies) - 1]
    if replies and not all(r.text in turn.state.get("last_replies", []) for r in replies):
        turn.state["last_replies"] = [r.text for r in replies]
    if questions_only:  # nothing of the task waiting for the person changes
        turn.state = {**before, **{k: turn.state[k] for k in ("topic",) if k in turn.state}}
    conversation.state = turn.state
    for reply in replies:
        reply.intent = reply.intent or turn.intent
    return replies


def _only_questions(parts: list[tuple[str, ParseResult]]) -> bool:
    """Whether every request in the message is a question the bot answers by itself."""
    asked = [commands.interpret(t, p, commands.Waiting()) for t, p in parts if t]
    return bool(asked) and all(c.task in commands.QUESTIONS - {"help"} for c in asked)


def _answer_clause(turn: Turn, text: str, parsed: ParseResult) -> list[Reply]:
    """One request of the message, read as a command against the state as it is now."""
    before = copy.deepcopy(turn.state)
    clause = dataclasses.replace(turn, text=text, parsed=parsed)
    try:
        replies = _apply(clause, commands.decide(text, parsed, _waiting(clause.state)))
        if replies is None:
            replies = _not_understood(clause)
            for reply in replies:
                reply.understood = False
        elif "misses" in clause.state:
            clause.state.pop("misses")
    except DomainError as exc:
        clause.state = {**before, "misses": 0}
        replies = [Reply(_explain(exc, _step(before), clause))]
        if exc.code in probing.NOT_FOUND_CODES:
            replies += _count_failed_lookup(clause)
    turn.state = clause.state
    for reply in replies:
        reply.intent = reply.intent or clause.intent  # how each request was read (reports)
    return replies


def _count_failed_lookup(turn: Turn) -> list[Reply]:
    """Record a number that was not the customer's; say so when that starts the pause."""
    probing.record_failure(turn.session, turn.customer_id)
    paused = probing.minutes_paused(turn.session, turn.customer_id)
    return turn.reply("chat.lookups_paused", minutes=paused) if paused else []


def _explain(exc: DomainError, step: Step, turn: Turn) -> str:
    """Every refusal of the order core, in plain words, in one place."""
    texts = load()["errors"]
    template = texts.get(exc.code, texts["default"])
    return template.format(message=exc.message, hint=turn.say(step.hint)).strip()
