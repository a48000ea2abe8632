"""A message becomes a few commands, each applied to the conversation in turn.

After Rasa CALM's dialogue understanding (start flow, set slot, correct slots, cancel
flow, clarify, chitchat, human handoff, repeat, cannot handle), without an LLM: the
message is split into clauses where a second request begins ("cancel the kettle and
what time do you close today"), each clause is parsed, and the parse is read against
what the bot is waiting for (`Waiting`) to decide what kind of command it is.

The generator decides; it changes nothing. The engine applies the commands in order.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue import scope, trouble, variants
from bot.nlu import CONFIDENCE_THRESHOLD, CatalogIndex, ParseContext, ParseResult, is_abort, parse
from bot.nlu.clauses import MANNERS
from bot.nlu.hybrid import STATE_CHANGING
from bot.nlu.rules import HOURS_QUESTION, PRICE_QUESTION
from bot.nlu.text import emoji_answer

START, SET_SLOT, CORRECT, CANCEL, CLARIFY, ASIDE = (
    "start",
    "set_slot",
    "correct",
    "cancel",
    "clarify",
    "aside",
)
SMALL_TALK, HANDOFF, REPEAT, CANNOT_HANDLE = "small_talk", "handoff", "repeat", "cannot_handle"

SMALL_TALK_INTENTS = frozenset({"greet", "goodbye", "thanks"})
# Questions answered without leaving the task the customer is in (a digression).
QUESTIONS = frozenset(
    {"browse_catalog", "track_order", "order_history", "refund_status", "store_info", "help"}
)
TASKS = STATE_CHANGING | {"complaint"}
# What a correction at a preview can be read as: a change to what is being previewed.
CHANGE_INTENTS = frozenset(
    {"place_order", "modify_order", "change_address", "change_fulfillment", "affirm", "deny"}
)
CONFIRM = frozenset({"affirm", "deny"})
# Pseudo-tasks the generator recognises from context, not from the intent classifier.
CART_STATUS = "cart_status"
NOT_SOLD = "not_sold"  # the price of something that is not the shop's

_REPEAT = re.compile(
    r"^(?:sorry |pardon |what |huh |come again |)*(?:repeat(?: that| it| please| the last"
    r"(?: message)?)*|say (?:that|it) again|can you repeat(?: that)?|could you repeat(?: that)?|"
    r"what did you (?:just )?say|come again|pardon|say again)(?: please)?$"
)
# "sorry can you say that again?", "could you repeat the last bit": short and about a repeat.
_ASK_REPEAT = re.compile(
    r"\b(?:say (?:that|it|this) again|repeat (?:that|it|this|the last|yourself)|come again)\b"
)
_SHORT_REPEAT = 8
_CORRECTION = re.compile(
    r"\b(?:actually|instead|rather|i meant|i mean|no wait|wait|sorry i meant|no sorry|"
    r"make (?:it|that)|change (?:it|that) to|(?:the )?other (?:one|store|shop|location|branch)|"
    r"the other|(?:another|a different) (?:store|shop|one)|not (?:the|that)|switch (?:it|to))\b"
)
_CART_QUESTION = re.compile(
    r"\b(?:(?:what is|what s|whats) (?:the|my) (?:total|cart|basket)|how much (?:is|does|will) "
    r"(?:that|it|this|everything|all of (?:it|that)|my (?:cart|order|basket))(?: come to| cost"
    r"| be)?|(?:the|my) total|what (?:do i have|is in my (?:cart|basket))|(?:show|see) (?:my|the) "
    r"(?:cart|basket))\b"
)
# "what about the airport one?", "and at riverside?": the last question again, one slot new.
_STOCK_QUESTION = re.compile(
    r"^(?:\w+ )?(?:does|do|is|are|has|have|can)\b.*\b(?:have|has|got|stock|in stock|available|"
    r"carry)\b(?:.*\b(?:it|them|that|those|one|any)\b)?"
)
_FOLLOW_UP = re.compile(r"^(?:and |so |ok )?(?:what|how) about\b|^and (?:at|in|for|the)\b")
# About an order already talked of: "is it ready yet", "what was the collection code".
_STATUS_FOLLOW_UP = re.compile(
    r"\b(?:is it|is this|is that|are they|are these|is my order|is the order|is my stuff|did it) "
    r"(?:\w+ )?(?:ready|here|there|shipped|out|on (?:its|the) way|coming|arrive|arrived|go out|"
    r"gone out|due)|"
    r"\b(?:is (?:any|anything|something|everything)|are (?:any|all)|anything|whats|what s|"
    r"what is) (?:\w+ )?(?:ready|shipped|on (?:its|the) way|coming|arrived|due)\b|"
    r"\b(?:collection|pickup|pick up) code\b|\bthe code\b|\btracking (?:number|no|code|link)\b|"
    r"\bany (?:news|update|updates|word)\b|\bdid (?:my|the|our) (?:order|stuff|parcel|package|"
    r"things|items|delivery|shopping) (?:\w+ )?(?:go out|ship|shipped|arrive|come|leave|get sent)"
)
# Words that ask for a person outright, whatever else the message asks.
_A_PERSON = re.compile(
    r"\b(?:person|human|agent|staff|representative|operator|manager|real|talk to|speak to|"
    r"speak with|call me|ring me)\b"
)
# A short answer naming a product while a choice is pending is the choice ("the grinder one").
_SHORT_ANSWER = 5


@dataclass
class Waiting:
    """What the bot is waiting for in the task on top of the stack ("idle" when nothing)."""

    step: str = "idle"
    expecting: str | None = None
    hears: frozenset[str] = frozenset()
    free_text: bool = False
    has_cart: bool = False
    topic: str | None = None  # the last question answered ("browse_catalog"), for follow-ups
    last_product: bool = False  # a product was talked about ("I'll take 2" orders it)


@dataclass
class Command:
    """One thing the message asks. `task` names the task (an intent name) for start,
    aside and small talk; `slots` holds what the clause said (products, order, store...)."""

    kind: str
    text: str
    parsed: ParseResult
    task: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"command": self.kind}
        if self.task:
            out["task"] = self.task
        if self.slots:
            out["slots"] = self.slots
        out["text"] = self.text
        return out


def slots_of(parsed: ParseResult) -> dict[str, Any]:
    """The clause's entities as slots: one value each, products as a list with quantities."""
    slots: dict[str, Any] = {}
    quantities = {e.refers_to: e.value for e in parsed.entities if e.type == "quantity"}
    products = []
    for entity in parsed.entities:
        if entity.type == "product":
            product: dict[str, Any] = {"sku": entity.value}
            if entity.value in quantities:
                product["quantity"] = quantities[entity.value]
            if op := scope.operation(parsed.text, parsed.entities, entity):
                product["operation"] = op
            if entity.candidates and not entity.exact:
                product["candidates"] = list(entity.candidates)
            products.append(product)
        elif entity.type == "quantity":
            if not entity.refers_to:
                slots.setdefault("quantity", entity.value)
        else:
            slots.setdefault(entity.type, entity.value)
    if products:
        slots["products"] = products
    return slots


# Where quoted or forwarded material starts in a pasted message or an email reply.
_QUOTED = re.compile(
    r"^\s*(?:>|-{2,}\s*(?:forwarded|original) message|on .{3,80} wrote:|from:\s|sent:\s|"
    r"begin forwarded message)",
    re.I | re.M,
)
_ORDER_IN_QUOTE = re.compile(r"\border\s*(?:no\.?|number|#)?\s*#?\s*(\d{4,})\b", re.I)


# A letter's sign-off on a line of its own: the name, title and phone under it are no
# request ("Kind regards,\nHelen Ward\nT: 01234 567890" names no order 01234).
_SIGN_OFF = re.compile(
    r"^\s*(?:(?:many |warm |kind |best |warmest )?(?:thanks|thank you|regards|wishes)|cheers|"
    r"best|all the best|yours(?: \w+)?|sincerely|love|ta|sent from (?:my )?\w+.*|--)"
    r"[\s,.!]*$",
    re.I | re.M,
)


# At most this many lines under a sign-off are its signature (name, title, company, phone).
_SIGNATURE_LINES = 5
# A letter's greeting line ("Hi there,", "Dear team,"): no letter before a sign-off.
_GREETING = re.compile(
    r"\A\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b[^\n]*", re.I
)


def _unsigned(text: str) -> str:
    """`text` without its letter's sign-off and the signature under it, a pasted thread
    kept. Only the last sign-off before the thread counts, and only with no more than a
    signature under it: "Hi,\nThank you!\nPlease cancel 10002" opens with its thanks."""
    quoted = _QUOTED.search(text)
    end = quoted.start() if quoted is not None and text[: quoted.start()].strip() else len(text)
    signed = next(reversed(list(_SIGN_OFF.finditer(text, 0, end))), None)
    if signed is None or "\n" not in text.strip():
        return text
    if not _GREETING.sub("", text[: signed.start()]).strip():
        return text  # a thanks opening the letter, under its greeting
    if len(text[signed.end() : end].split("\n")) > _SIGNATURE_LINES + 1:
        return text  # more than a signature under it
    return text[: signed.start()].rstrip() + ("\n" + text[end:] if end < len(text) else "")


def own_words(text: str) -> str:
    """The customer's own words of a message with a pasted thread under them (and
    without a letter's sign-off and signature); an order number that only the quoted
    part names is kept ("is this still coming?" + "Order 10001: ..." asks about 10001)."""
    text = _unsigned(text)
    found = _QUOTED.search(text)
    if found is None or not text[: found.start()].strip():
        return text
    own, quoted = text[: found.start()].strip(), text[found.start() :]
    numbers = {m.group(1) for m in _ORDER_IN_QUOTE.finditer(quoted)}
    if len(numbers) == 1 and not re.search(r"\d{4,}", own):
        own = f"{own} (order {numbers.pop()})"
    return own


def clauses(
    text: str, catalog: CatalogIndex, context: ParseContext | None = None
) -> list[tuple[str, ParseResult]]:
    """The message as one or more requests, each parsed (see ``bot.nlu.parse``); a
    message that corrects itself is the request, then the correction."""
    whole = parse(text, catalog, context)
    if len(text.split()) >= _LETTER_WORDS and _asks_about_something_had(text, whole, catalog):
        # a letter about something had (a return, a complaint) asks one thing: read whole
        told = _told_story_left_out(text, catalog)
        return [
            (
                told,
                _as_asked(told, whole if told == text else parse(told, catalog, context), catalog),
            )
        ]
    if fixed := _self_corrected(text, whole, catalog, context):
        return fixed
    requests = [(part.text, part) for part in whole.clauses]
    # A hello or a thanks beside a request is manners: the request is what gets answered.
    meant = [(t, p) for t, p in requests if p.intent not in MANNERS]
    return meant or [(text, whole)]


# A letter: long enough that its story is told before (or around) what it asks.
_LETTER_WORDS = 40
# A letter that orders keeps its parts: each may name what it wants.
_ORDERING = frozenset({"place_order", "modify_order", "browse_catalog"})
# How a sentence puts a request: a question, or a polite ask or an order said outright.
_ASKS = re.compile(
    r"\?\s*$|^\W*(?:(?:hi|hello|so|and|also|ok|now)\W+)?(?:please|pls|could|can|would|will|"
    r"i['’]?d like|i would like|i want|i need|i['’]?ll (?:have|take)|send me|add|order)\b",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _asks(text: str) -> bool:
    return any(_ASKS.search(sentence) for sentence in _SENTENCE.split(text))


# What a sentence of a letter says is wrong ("doesn't fit", "arrived with a chip").
_WHAT_IS_WRONG = re.compile(
    r"\b(?:fit|fits|too \w+|wrong|tight|loose|unused|unopened|changed my mind|mistake)\b"
)


def _asks_about_something_had(letter: str, whole: ParseResult, catalog: CatalogIndex) -> bool:
    """Whether a letter is about something had, not an order: its words read so, or its
    asking sentences surely ask so ("one of the three blue mugs has a chip ... Can I
    send back the chipped one?" reads as an order of one mug, but asks for a return)."""
    if whole.intent not in _ORDERING:
        return True
    ask = _asked(letter, catalog)
    return ask is not None and ask.intent not in _ORDERING


def _told_story_left_out(text: str, catalog: CatalogIndex) -> str:
    """A letter without the sentences that only tell its story about products ("The
    beanie is lovely", "I charged both batteries overnight"): those name products the
    request is not about. Sentences that ask, say what is wrong, or name no product stay."""
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    kept = [s for s in sentences if not _only_story(s, catalog)]
    return "\n".join(kept) if kept and len(kept) < len(sentences) else text


def _as_asked(letter: str, parsed: ParseResult, catalog: CatalogIndex) -> ParseResult:
    """A letter's request is what its asking sentences ask ("I would like to return the
    jacket please"): their intent, when sure, over the whole letter's; always over a
    reading as an order, as this letter is about something had."""
    ask = _asked(letter, catalog)
    if ask is None or (ask.confidence < parsed.confidence and parsed.intent not in _ORDERING):
        return parsed
    return dataclasses.replace(parsed, intent=ask.intent, confidence=ask.confidence)


def _asked(letter: str, catalog: CatalogIndex) -> ParseResult | None:
    """What a letter's asking sentences surely ask for, if they ask for anything."""
    asked = " ".join(s for s in _SENTENCE.split(letter) if _asks(s))
    if not asked:
        return None
    ask = parse(asked, catalog)
    if ask.confidence < CONFIDENCE_THRESHOLD or ask.intent in ("out_of_scope", "human_agent"):
        return None
    return ask


def _only_story(sentence: str, catalog: CatalogIndex) -> bool:
    if _asks(sentence):
        return False
    parsed = parse(sentence, catalog)
    named = any(e.type == "product" for e in parsed.entities)
    wrong = trouble.DAMAGED.search(parsed.norm) or _WHAT_IS_WRONG.search(parsed.norm)
    return named and not wrong


# "2 black tees size S, no sorry M": the customer corrects themself within the message.
_SELF_CORRECTION = re.compile(
    r"[,.;]?\s+(?=(?:no|nope|oops|err|erm)?[,\s]*(?:sorry|wait|i mean|i meant)\b[,\s]+\S|"
    r"(?:no|nope)[,\s]+[^,.;]{1,15}\bsorry\b)",
    re.I,
)


def _self_corrected(
    text: str, whole: ParseResult, catalog: CatalogIndex, context: ParseContext | None
) -> list[tuple[str, ParseResult]] | None:
    """The request up to a correction, then the correction as an answer to it: read in
    that order, the later words replace the earlier ones as a correction at a preview
    would. None when the message holds no such correction of a product it names."""
    if not any(e.type == "product" for e in whole.entities):
        return None
    found = _SELF_CORRECTION.search(text)
    if found is None or len(text[: found.start()].split()) < 2:
        return None
    first, then = text[: found.start()].strip(" ,"), text[found.end() :].strip(" ,")
    if not then:
        return None
    if (resaid := _size_said_again(first, then)) is not None:
        return [(resaid, parse(resaid, catalog, context))]
    return [(first, parse(first, catalog, context)), (then, parse(then, catalog))]


# A size letter or word leading the corrected words ("XL", "M, and a red scarf").
_SIZE_WORD = re.compile(
    r"\b(?:XXS|XS|S|M|L|XL|XXL|XXXL|(?i:xxs|xs|xl|xxl|xxxl|small|medium|large|extra large)|"
    r"(?:(?<=\bin )|(?<=\bsize ))(?i:s|m|l))\b(?=[\s,.!]|$)"
)
# A lower-case size letter is a size where the correction starts ("no sorry l").
_SIZE_LETTER = re.compile(r"(?i:s|m|l)\b(?=[\s,.!]|$)")


def _size_said_again(first: str, then: str) -> str | None:
    """ "2 black and 1 white tee in L, no sorry XL": the size said again replaces the
    size said before, for every product the request named, read as one request."""
    while (said := _CORRECTION_START.match(then)) is not None and said.end():
        then = then[said.end() :].lstrip(" ,")  # "no sorry", "sorry I mean"
    new = _SIZE_WORD.match(then) or _SIZE_LETTER.match(then)
    old = list(_SIZE_WORD.finditer(first))
    if new is None or not old:
        return None
    last = old[-1]
    return f"{first[: last.start()]}{new.group()}{first[last.end() :]}{then[new.end() :]}"


_CORRECTION_START = re.compile(
    r"^(?:(?:no|nope|oops|err|erm)?[,\s]*(?:sorry|wait|i mean|i meant)\b|"
    r"(?:no|nope)[,\s]+[^,.;]{1,15}\bsorry\b)",
    re.I,
)


def corrects_itself(parts: list[tuple[str, ParseResult]]) -> bool:
    """Whether the message's second request corrects its first ("S, no sorry M")."""
    return len(parts) == 2 and bool(_CORRECTION_START.match(parts[1][0]))


def decide(text: str, parsed: ParseResult, waiting: Waiting) -> Command:
    """What one clause asks, given what the bot waits for."""
    norm = parsed.norm
    confident = parsed.confidence >= CONFIDENCE_THRESHOLD
    intent = parsed.intent
    slots = slots_of(parsed)

    def command(kind: str, task: str | None = None) -> Command:
        return Command(kind, text, parsed, task, slots)

    if is_abort(text):
        return command(CANCEL)
    if waiting.expecting == "confirm" and (answer := emoji_answer(text)):
        return command(SET_SLOT, answer)  # 👍 at "Reply YES to place it"
    if _REPEAT.match(norm) or (_ASK_REPEAT.search(norm) and len(norm.split()) <= _SHORT_REPEAT):
        return command(REPEAT)
    if waiting.free_text and not _interrupts_free_text(parsed, waiting):
        return command(SET_SLOT)
    if confident and intent == "human_agent":
        if _STATUS_FOLLOW_UP.search(norm) and not _A_PERSON.search(norm):
            # "send me the tracking number ... make sure someone is in": no person asked
            return command(ASIDE if waiting.step != "idle" else START, "track_order")
        return command(HANDOFF)
    if waiting.has_cart and _CART_QUESTION.search(norm) and not slots.get("products"):
        return command(ASIDE, CART_STATUS)
    if waiting.has_cart and _STOCK_QUESTION.search(norm) and "location" in slots:
        return command(ASIDE, "browse_catalog")  # "does the garden centre have it?"
    if _asks_about_a_product(text, norm, slots, waiting):
        return command(ASIDE, "browse_catalog")  # "is the grinder in stock downtown?"
    if HOURS_QUESTION.search(norm) and (not confident or intent == "out_of_scope"):
        return command(ASIDE if waiting.step != "idle" else START, "store_info")
    correcting = bool(_CORRECTION.search(norm))
    at_preview = waiting.expecting == "confirm" and waiting.step != "idle"
    if at_preview and intent in CHANGE_INTENTS and correcting:
        return command(CORRECT)  # "actually make it 3" at "Reply YES to confirm"
    short = len(norm.split()) <= _SHORT_ANSWER and slots.get("products")
    choosing = waiting.expecting in ("order_number", "choice", "product")
    if waiting.step != "idle" and (
        not confident or intent in waiting.hears or (choosing and short)
    ):
        changes = any(k in slots for k in ("products", "location", "address", "quantity"))
        if at_preview and confident and intent in CONFIRM and not correcting:
            changes = any(k in slots for k in ("products", "location", "address"))  # "ten four"
        return command(CORRECT if correcting or (at_preview and changes) else SET_SLOT)
    if variants.size_step(text) and slots.get("products") and intent not in _SIZE_TASKS:
        return command(START, "modify_order")  # "size up the sweater, keep the colour"
    if not confident and slots.get("products") and variants.ANOTHER.search(norm):
        return command(START, "modify_order")  # "too small, could you send me a large instead"
    if _takes_units_off(slots, waiting) and (not confident or intent == "place_order"):
        return command(START, "modify_order")  # "one tin less of the sage green please"
    asks = not confident or text.rstrip().endswith("?")
    if waiting.topic and _FOLLOW_UP.search(norm) and asks and intent != "human_agent":
        return command(START, waiting.topic)
    if _where_is_the(parsed, norm) and intent not in _TRACK_OK:
        return command(ASIDE if waiting.step != "idle" else START, "track_order")
    if waiting.last_product and (
        (_TAKE_IT.search(norm) and intent == "place_order") or _takes_what_was_asked(norm, waiting)
    ):
        return command(START, "place_order")  # "great, I'll take 2", "ok one please" after a price
    if (mine := _about_my_order(parsed, norm)) and intent not in mine[1]:
        return command(
            ASIDE if mine[0] == "track_order" and waiting.step != "idle" else START, mine[0]
        )
    if not confident and _trouble_with_an_order(parsed, norm):
        return command(START, "complaint")  # "my kettle still hasnt arrived, been a week"
    if _STATUS_FOLLOW_UP.search(norm) and (not confident or intent == "out_of_scope"):
        return command(ASIDE if waiting.step != "idle" else START, "track_order")
    return interpret(text, parsed, waiting)


# Tasks a size up or down belongs to as the classifier read it; anything else is a change.
_SIZE_TASKS = frozenset({"modify_order", "cancel_order", "return_order", "complaint"})
_MY_PRODUCT = re.compile(r"\bmy (?:\w+ )?$", re.I)
_WHERE = re.compile(
    r"\b(?:where is|where are|did (?:\w+ ){0,3}(?:arrive|come|ship|go out)|has (?:\w+ ){0,3}"
    r"(?:arrived|shipped|come)|when will|is (?:\w+ ){0,3}(?:ready|here|on its way))\b"
)
_WHERE_IS = re.compile(r"^(?:\w+ )?(?:where is|where are|where s)\b")
_TAKE_IT = re.compile(
    r"\b(?:i ll take|ill take|i will take|i ll have|i will have|take|get|have) "
    r"(?:\d+|one|two|three|four|five|it|them|that|those)\b"
)
_COUNT = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a couple)"
# After a question about a product, a request for some of it: "ok I'll take one then",
# "get me 2", "one for me please" (the classifier alone may hear a goodbye in "... then").
_TAKE_SOME = re.compile(
    rf"^(?:(?:ok|yes|yeah|yep|sure|great|cool|perfect|lovely|right|alright|and|so|then) )*"
    rf"(?:(?:i will|i ll|ill|i d|let me|can i|could i|i want to|i would like to) )?"
    rf"(?:(?:take|have|get|get me|grab|buy|order) )?(?:just )?{_COUNT}"
    rf"(?: (?:please|then|thanks|thank you|for me|of them|of those|of these|of it))*$"
)


def _takes_what_was_asked(norm: str, waiting: Waiting) -> bool:
    """ "ok one please" after "how much is the frother?": that product, that many."""
    return waiting.topic == "browse_catalog" and bool(_TAKE_SOME.match(norm))


_INSTEAD = re.compile(r"\b(?:instead|should go|needs to go|need it to go|has to go)\b")
_SEND_ELSEWHERE = re.compile(r"\b(?:instead|rather|should go|go to|send it|ship it)\b")
# What "my <product>" asks about an order that exists, and the intents that already say so.
_REDIRECT_OK = frozenset({"change_fulfillment", "change_address", "modify_order", "cancel_order"})
_TRACK_OK = frozenset({"track_order", "complaint", "return_order", "cancel_order", "modify_order"})


def _about_my_order(parsed: ParseResult, norm: str) -> tuple[str, frozenset[str]] | None:
    """ "where's my kettle?", "can I collect my shirt at the harbour store instead?": a
    product the customer calls theirs is on an order, not a new thing to buy or browse."""
    elsewhere = any(e.type in ("location", "address") for e in parsed.entities)
    products = any(e.type == "product" for e in parsed.entities)
    if products and elsewhere and _INSTEAD.search(norm):  # "the barrow should go to ... instead"
        return "change_fulfillment", _REDIRECT_OK
    mine = any(
        e.type == "product" and _MY_PRODUCT.search(parsed.text[: e.start]) for e in parsed.entities
    )
    if not mine:
        return None
    if elsewhere and _SEND_ELSEWHERE.search(norm):
        return "change_fulfillment", _REDIRECT_OK
    if _WHERE.search(norm):
        return "track_order", _TRACK_OK
    return None


def _takes_units_off(slots: dict[str, Any], waiting: Waiting) -> bool:
    """Products taken off ("one box of screws less") with no cart open: off an order."""
    removes = any(p.get("operation") == scope.REMOVE for p in slots.get("products", []))
    return removes and waiting.step == "idle" and not waiting.has_cart


def _trouble_with_an_order(parsed: ParseResult, norm: str) -> bool:
    """Something of the customer's is late or arrived damaged: a complaint to remedy."""
    if not (trouble.LATE.search(norm) or trouble.DAMAGED.search(norm)):
        return False
    named = any(e.type in ("product", "order_number") for e in parsed.entities)
    return named or bool(trouble.ABOUT_AN_ORDER.search(norm))


def _where_is_the(parsed: ParseResult, norm: str) -> bool:
    """ "where is the jacket?": a product somewhere on its way, not one to buy."""
    return any(e.type == "product" for e in parsed.entities) and bool(_WHERE_IS.search(norm))


_QUESTION_START = re.compile(r"^(?:\w+ )?(?:is|are|do|does|have|has|how much|what about)\b")


def _asks_about_a_product(text: str, norm: str, slots: dict[str, Any], waiting: Waiting) -> bool:
    """A question about a product while the bot waits for something else is an aside,
    not the answer ("is the grinder in stock downtown?" when asked mail or store)."""
    if waiting.step == "idle" or not slots.get("products"):
        return False
    if waiting.expecting in ("product", "choice", "order_number", "quantity"):
        return False
    question = text.rstrip().endswith("?") or bool(_QUESTION_START.search(norm))
    return question and bool(_STOCK_QUESTION.search(norm) or "how much" in norm or "price" in norm)


def interpret(text: str, parsed: ParseResult, waiting: Waiting) -> Command:
    """The clause by its intent alone: a task, a question aside, small talk, or nothing."""
    slots = slots_of(parsed)
    intent = parsed.intent
    if parsed.confidence < CONFIDENCE_THRESHOLD:
        if intent == "out_of_scope" and PRICE_QUESTION.search(parsed.norm) and not slots:
            kind = ASIDE if waiting.step != "idle" else START  # "how much is petrol?"
            return Command(kind, text, parsed, NOT_SOLD, slots)
        return Command(CANNOT_HANDLE, text, parsed, intent, slots)
    if intent == "human_agent":
        return Command(HANDOFF, text, parsed, None, slots)
    if intent in SMALL_TALK_INTENTS:
        return Command(SMALL_TALK, text, parsed, intent, slots)
    if intent in QUESTIONS:
        kind = ASIDE if waiting.step != "idle" else START
        return Command(kind, text, parsed, intent, slots)
    if intent in TASKS:
        unsure = [p for p in slots.get("products", []) if p.get("candidates")]
        kind = CLARIFY if unsure and waiting.step == "idle" and intent == "place_order" else START
        return Command(kind, text, parsed, intent, slots)
    if intent in ("affirm", "deny"):
        return Command(SET_SLOT, text, parsed, intent, slots)
    return Command(CANNOT_HANDLE, text, parsed, intent, slots)


# While the bot waits for a reason ("why are you returning it?"), which often sounds like
# a complaint or names the product, only a sure question about orders, or a sure new
# return or cancellation that names a product or an order, interrupts. A code is a code.
_FREE_TEXT_ASIDES = frozenset({"track_order", "order_history", "refund_status"})
_FREE_TEXT_RESTARTS = frozenset({"return_order", "cancel_order"})


def _interrupts_free_text(parsed: ParseResult, waiting: Waiting) -> bool:
    if parsed.intent == "human_agent":
        return True
    if waiting.expecting != "reason" or parsed.confidence < CONFIDENCE_THRESHOLD:
        return False
    if parsed.intent in _FREE_TEXT_ASIDES:
        return True
    names = any(e.type in ("product", "order_number") for e in parsed.entities)
    return parsed.intent in _FREE_TEXT_RESTARTS and names


def read(text: str, catalog: CatalogIndex) -> tuple[ParseResult, list[Command]]:
    """`python app.py nlu`: the whole message's parse and its commands, read from idle."""
    parts = clauses(text, catalog)
    whole = parts[0][1] if len(parts) == 1 else parse(text, catalog)
    return whole, [decide(t, p, Waiting()) for t, p in parts]
