"""Intent classification: keyphrase rules, entity cues and the dialogue context.

Scores are per intent in 0..1. The rules give the base scores; entities add cues
(a product with a quantity is an order, "make it 3" a change); what the bot just asked
(``ParseContext.expecting``) decides how to read short answers. Confidence is the top
score discounted when a second intent is close.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

from .hybrid import NO_READING, combine
from .learned import IntentModel, known_words
from .models import Entity, ParseContext
from .products import STOPWORDS
from .rules import HOURS_QUESTION, KEYWORDS, PACK, PRICE_QUESTION, RULES
from .text import words, wordset
from .variants import SIZE_CUES

_KEYWORD_LIST = sorted(KEYWORDS)
# Real words that sit close to a keyword and must not be "corrected" into it.
_PROTECTED = STOPWORDS | wordset(
    """here there were where wear border older hold folder over ever even open opened
    store stores still call called cell sell sold told tell well will mail male sale
    same some come came home hope help held hell shop stop step ship chip check cheque
    back pack black track trace place price prize nice rice mice ice twice advice
    bill till tell fill full pull sure pure care card cart hard word work world worse
    worst best test rest last lost list fast past post most must just trust thanks
    think thing things bring brought bought thought through though tough enough
    about above after again against because before being below between both during
    each from into only other such than that their them then there these they this
    those under until upon very what when where which while whom whose with would
    your yours ours mine hers people person today tomorrow yesterday sunday monday
    tuesday wednesday thursday friday saturday morning evening night week month year
    great good fine nice cool awesome perfect okay right left wrong long short time
    times hour hours minute minutes please really actually maybe also instead
    anymore anyway something anything nothing everything someone anyone everyone
    want wanted need needed like liked would could should might shall must know knew
    make made take took give gave send sent find found keep kept mean meant calling
    call called talk talking speak speaking lodge lodging lodged logging fees fee
    charges charge charged account accounts article articles inform informed information
    letters letter round signed white black blue green existing message messages shared
    checked awaited writing wondering heaps stick sorry press frother none hello batch root"""
)
# What a bare slot answer means, by what the bot asked (see ParseContext).
_SLOT_INTENT = {
    "order_number": ("order_number", "track_order"),
    "return_number": ("return_number", "refund_status"),
    "address": ("address", "change_address"),
    "location": ("location", "change_fulfillment"),
    "fulfillment": ("location", "change_fulfillment"),
    "quantity": ("quantity", "modify_order"),
    "product": ("product", "place_order"),
    "email": ("email", "affirm"),
    "choice": ("product", "affirm"),
}
_AFFIRM_WORDS = re.compile(
    r"^(?:y|yes|yeah|yea|yep|yup|ya|sure|ok|okay|k|kk|fine|alright|correct|right|confirm|"
    r"go ahead|do it|sounds good|please do|perfect|great|absolutely|definitely|of course|"
    r"that is right|that is correct|exactly|good|cool|yes please|please|all (?:good|clear|set)|"
    r"that is (?:all )?(?:great|fine|good|perfect|lovely|correct|right))\b"
)
_DENY_WORDS = re.compile(r"^(?:n|no|nope|nah|not really|negative|wrong|incorrect|do not|never)\b")
# A request in a question's words: "can i get ...", "could we have ...".
_ASKS_FOR = re.compile(r"^(?:can|could|may) (?:i|we) (?:get|have|order|buy|grab)\b")
_COURTESY = re.compile(r"\b(?:thank you|thanks|please|cheers|mate)\b")
_QUESTION = re.compile(
    r"^(?:do|does|is|are|can|could|have|has|any|what|which|how)\b|"
    r"^(?:would|will|should) (?:the|it|this|that|these|those|they|a|an)\b"
)
# Asking about products rather than ordering them: "show me your mugs", "got any decaf".
_BROWSING = re.compile(
    r"^(?:show|list|see|view|browse)\b|\b(?:info|information|details|specs|tell me (?:more )?about|"
    r"looking for|searching for|recommend|suggest|"
    r"any good|show me|let me see|have you got|you got|got any|"
    r"(?:do|if|whether) you (?:have|sell|stock|carry|do)|is there|are there|in stock|available)\b"
)
# A product of the shop said to be on its way, or asked when it comes: what was ordered
# ("when will the beans arrive", "has the kettle left the warehouse"), not a question about
# delivery in general ("when do you deliver") or about the product ("is the kettle good").
_ON_ITS_WAY = re.compile(
    r"\bwhen (?:will|does|do|is|are|should|would) (?:my|the|our) (?:\w+ ){1,3}(?:arrive|arriving|"
    r"come|coming|get here|be here|be delivered|turn up|show up|ship|be shipped|be dispatched|"
    r"be sent)\b|\b(?:has|have|did|is|are) (?:my|the|our) (?:\w+ ){1,3}(?:been )?(?:shipped|"
    r"dispatched|sent out|left|gone out|on (?:the|its|their) way|out for delivery)\b"
)
# Words that send an order somewhere: "my order should go to riverside".
_REDIRECT_WORDS = re.compile(
    r"\b(?:go|goes|going|send|sending|move|moving|switch|change|redirect|collect|pick|pickup|"
    r"instead|rather|prefer|have (?:it|them)|get (?:it|them))\b"
)
# Where a store named by its own name is ("where's market hall"): the rules know stores
# only by the words store and shop.
_WHERE_IS = re.compile(r"\bwhere(?: is| s|s)?\b(?! (?:my|our|me|it|they)\b)")
_STATUS_WORDS = re.compile(
    r"\b(?:status|update|updates|eta|news|progress|where|when|arrive|arrived|way|shipped|"
    r"dispatched|delivered|ready|coming|here|yet)\b"
)
# Entities whose words do not make a message long ("my email is jane.doe@example.com").
_OPAQUE = frozenset({"email", "phone", "address", "order_number", "return_number"})
# Products named against an order that already exists: "add 2 more", "to what i ordered",
# "i forgot the filters", "3 not 2". These lean to modify_order rather than a new order.
_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
_EXISTING_ORDER = re.compile(
    rf"(?<!order )(?<!buy )(?<!purchase )\b(?:more(?! than| info| information| details| about)|"
    rf"forgot|forgotten|forget|missed|left out|(?:my|existing|same|current|previous|last|that) "
    rf"(?:\w+ )?order|order (?:i|we) (?:have )?(?:placed|made)|what (?:i|we) "
    rf"(?:have |just )?(?:ordered|bought|got)|already ordered|(?:to|on|onto|into) (?:it|that)|"
    rf"(?:to|on|onto|into|from|off) the order|"
    rf"(?:not|instead of|rather than) {_NUMBER})\b"
)
# More of something already begun, the cart or an order: "plus a bag of decaf", "and add
# some filters too" ("plus i need ..." is a request of its own).
_ADDED_TO = re.compile(
    r"^(?:and |oh )?plus (?!(?:i|we|can|could|do|does|what|when|how)\b)|"
    r"\b(?:too|as well)$"
)
_GROUNDING_ENTITIES = frozenset(
    {"product", "order_number", "return_number", "address", "location", "email", "phone"}
)
# Words of the shop's business: an order, a delivery, money back ...
_SHOP_WORDS = re.compile(
    r"\b(?:order|orders|ordered|purchase|purchases|purchased|buy|buying|package|parcel|delivery|"
    r"shipment|"
    r"basket|cart|refund|refunds|money|compensation|reimbursement|rebate|(?<!mail )address|"
    r"pick ?up|collect|collection)\b"
)
# ... and words that point at something without saying what: "it", "the items", "the store"
# (which store: mine, or the one in the mall?), "2 boxes".
_POINTING_WORDS = re.compile(
    r"\b(?:item|items|stuff|product|products|goods|store|shop|it|them|these|those|everything|"
    rf"something|smth|sth|(?:this|that|one)$|{PACK}|kg)\b"
)
_FULFILMENT_WORDS = re.compile(
    r"\b(?:pick ?up|collect|collection|delivery|deliver|ship|shipping)\b"
)


@lru_cache(maxsize=20_000)
def correct(word: str) -> str:
    """Map a misspelt word to the rule keyword it is closest to ("cancle" -> "cancel")."""
    if (
        len(word) < 4
        or word in KEYWORDS
        or word in _PROTECTED
        or word in known_words()
        or not word.isalpha()
    ):
        return word
    cutoff = 88 if len(word) == 4 else 80
    hit = process.extractOne(word, _KEYWORD_LIST, scorer=fuzz.ratio, score_cutoff=cutoff)
    return hit[0] if hit and _plausible_typo(word, hit[0]) else word


# Words typed onto the next one without a space: "iwant", "uneed", "mynewsletter".
_GLUED = ("i", "u", "uu", "a", "my", "is", "to", "the", "your", "need")


def _plausible_typo(word: str, keyword: str) -> bool:
    """Whether ``word`` can be ``keyword`` mistyped. People rarely get a word's first letter
    wrong, so a word that starts differently is a real word of its own ("leather" is not
    "weather", "weight" not "eight", "turning" not "returning") unless its first two
    letters are swapped ("rtack", "esrvice") or a short word is glued onto it ("iwant")."""
    if word[0] == keyword[0]:
        return True
    swapped = word[1] + word[0] + word[2:]
    if swapped[:2] == keyword[:2] and fuzz.ratio(swapped, keyword) >= 80:
        return True
    return any(word == glue + keyword for glue in _GLUED)


def normalise(text: str, known: frozenset[str] = frozenset()) -> str:
    """The message's words, shorthand expanded and typos corrected; ``known`` words (the
    shop's catalog vocabulary: "sweater" is no misspelt "weather") are left as written."""
    return " ".join(w if w in known else correct(w) for w in words(text))


def rule_scores(norm: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    beaten: set[str] = set()
    for rule in RULES:
        if rule.pattern.search(norm):
            if rule.weight > scores.get(rule.intent, 0.0):
                scores[rule.intent] = rule.weight
            beaten.update(rule.beats)
    for intent in beaten & scores.keys():
        scores[intent] *= 0.5
    return scores


def _is_question(text: str, norm: str) -> bool:
    """Whether the message asks something; "can i get the grey sweater?" asks for it."""
    return ("?" in text or bool(_QUESTION.search(norm))) and not _ASKS_FOR.search(norm)


def _own_words(text: str, entities: list[Entity], known: frozenset[str]) -> int:
    """Words the customer wrote around the opaque entities, which count as one word each."""
    opaque = [e for e in entities if e.type in _OPAQUE]
    for e in sorted(opaque, key=lambda e: -e.start):
        text = text[: e.start] + " _ " + text[e.end :]
    return len(normalise(text, known).split()) + len(opaque)


# Sentences of a message; the sign-off at its end is looked for sentence by sentence.
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")
_CLOSING = frozenset({"goodbye", "thanks"})
_SIGN_OFF_WORDS = 8


def without_sign_off(text: str) -> str:
    """The message without the thanks and goodbyes closing it, when it says more first.

    "What time do you close on Saturday? Thanks, bye!" asks about the hours; the
    goodbye is manners, and read with the question it outweighed it (the bot said "Bye
    for now!" to a 1,600-character SMS). A message that is only a closing stays whole.
    """
    sentences = list(_SENTENCE.finditer(text))
    while len(sentences) > 1 and _is_closing(sentences[-1].group()):
        sentences.pop()
    return text[: sentences[-1].end()].rstrip() if sentences else text


def _is_closing(sentence: str) -> bool:
    norm = normalise(sentence)
    scores = rule_scores(norm)
    return bool(scores) and scores.keys() <= _CLOSING and len(norm.split()) <= _SIGN_OFF_WORDS


def classify(
    text: str,
    entities: list[Entity],
    context: ParseContext | None,
    operation: str | None = None,
    model: IntentModel | None = None,
    known: frozenset[str] = frozenset(),
) -> tuple[str, float]:
    """The intent and its confidence: the rules' reading, weighed against ``model``'s
    (see ``hybrid.combine``); rules alone when ``model`` is None. ``known`` as in
    ``normalise``."""
    expecting = context.expecting if context else None
    text = without_sign_off(text)
    norm = normalise(text, known)
    kinds = {e.type for e in entities}
    n_words = _own_words(text, entities, known)
    scores = rule_scores(norm)
    names_only = _only_catalog_words(norm, known)
    _entity_cues(norm, n_words, kinds, _is_question(text, norm), operation, scores, names_only)
    if expecting:
        _context_cues(expecting, norm, n_words, kinds, scores)
    intent, confidence = decide(scores)
    if model is None:
        return intent, confidence
    foreign = not firmly_grounded(norm, entities) and foreign_words(norm, model.shop_words, known)
    intent, confidence = combine(
        intent,
        confidence,
        bool(scores),
        model.probabilities(text),
        expecting,
        grounded(norm, entities),
        names_a_product(entities),
        foreign,
    )
    if intent == "browse_catalog" and foreign and PRICE_QUESTION.search(norm):
        # The price of a thing foreign to a shop ("how much is a flight to lisbon", "the
        # price of petrol"): not a question about the catalog (the engine still answers it).
        return "out_of_scope", NO_READING
    return intent, confidence


def foreign_words(norm: str, shop_words: frozenset[str], known: frozenset[str]) -> bool:
    """Whether the message has a word that is not of the language customers use with a
    shop: neither one of ``shop_words`` (those of the training messages about a shop's
    business), nor of ``known`` (the catalog's), nor a rule's keyword, nor a small, shop or
    pointing word ("smth"). A message
    that names nothing of the shop and says "alarm", "volume" or "appointment" asks to
    change something that is not ours ("cancel my 3pm alarm", "turn the volume down to
    5"); "pls cancel" and "add 2 more" have no such word."""
    return any(
        len(w) >= 3
        and w.isalpha()
        and w not in shop_words
        and w not in known
        and w not in KEYWORDS
        and w not in STOPWORDS
        and not _SHOP_WORDS.fullmatch(w)
        and not _POINTING_WORDS.fullmatch(w)
        for w in norm.split()
    )


def names_a_product(entities: list[Entity]) -> bool:
    """Whether a product of the shop is named for sure: every word as written, with a
    count ("a padlock please"). The learned model has never seen the shop's catalog, so
    its "out of scope" says little about such a message; a bare name may still be
    something else's ("start the vacuum cleaner")."""
    counted = {e.refers_to for e in entities if e.type == "quantity" and e.refers_to}
    return any(e.type == "product" and e.spelt and e.value in counted for e in entities)


def grounded(norm: str, entities: list[Entity]) -> bool:
    """Whether the message names something of the shop: an order, a product, an address,
    a store, money back, or "it" (what the conversation is about). "cancel my alarm" does
    not; "cancel it" and "cancel the kettle" do. A product matched only loosely ("early"
    for Earl Grey) counts when a quantity goes with it."""
    return firmly_grounded(norm, entities) or bool(_POINTING_WORDS.search(norm))


def firmly_grounded(norm: str, entities: list[Entity]) -> bool:
    """Whether the message names something of the shop by more than a pointing word ("it",
    "the items", "the store"): "cancel it on my calendar" may be about anything."""
    kinds = {e.type for e in entities}
    loose = not any(e.spelt for e in entities if e.type == "product")
    if loose and "quantity" not in kinds:
        kinds.discard("product")
    return bool(kinds & _GROUNDING_ENTITIES) or bool(_SHOP_WORDS.search(norm))


def decide(scores: dict[str, float]) -> tuple[str, float]:
    """The top intent, its confidence discounted when a second intent is close."""
    if not scores:
        return "out_of_scope", 0.3
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    top_intent, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    margin = top - second
    confidence = top * (0.7 + 0.3 * min(margin / 0.25, 1.0))
    return top_intent, confidence


def _bump(scores: dict[str, float], intent: str, value: float) -> None:
    if value > scores.get(intent, 0.0):
        scores[intent] = value


# Words that may go with a product's name and its variant's when the product alone is said.
_NAMING_WORDS = SIZE_CUES | wordset("a an the in of and please")


def _only_catalog_words(norm: str, known: frozenset[str]) -> bool:
    """Whether every word is the shop's (a name, colour, size) or one that goes with
    them: "grey merino sweater size m" is a product said, however many words it takes."""
    return all(w in known or w in _NAMING_WORDS for w in norm.split())


def _entity_cues(
    norm: str,
    n_words: int,
    kinds: set[str],
    question: bool,
    operation: str | None,
    scores: dict[str, float],
    names_only: bool,
) -> None:
    """Cues from what the message names. ``names_only``: its words are all the shop's or
    small words ("grey merino sweater size m"), a product said however long its name."""
    strongest = max(scores.values(), default=0.0)
    if "product" in kinds and _ON_ITS_WAY.search(norm):
        _bump(scores, "track_order", 0.9)
        for other in ("store_info", "browse_catalog"):
            if other in scores:
                scores[other] *= 0.5
    elif "product" in kinds:
        # A product with an order's number is for that order: "another mug on order 10042".
        existing = (
            bool(_EXISTING_ORDER.search(norm) or _ADDED_TO.search(norm)) or "order_number" in kinds
        ) and not _BROWSING.search(norm)
        if operation in ("remove", "set") or existing:
            _bump(scores, "modify_order", 0.85 if strongest < 0.85 else 0.6)
        elif _BROWSING.search(norm) and "quantity" not in kinds:
            _bump(scores, "browse_catalog", 0.85)
        elif question and "quantity" not in kinds:
            _bump(scores, "browse_catalog", 0.8)
        elif "quantity" in kinds or n_words <= 4 or names_only or _says_where(norm, kinds):
            _bump(scores, "place_order", 0.8 if strongest < 0.85 else 0.6)
            for where in ("change_address", "change_fulfillment"):
                if strongest < 0.85 and where in scores:  # "ship it to ...": the new order's
                    scores[where] *= 0.5
        else:
            _bump(scores, "place_order", 0.6)
    elif "quantity" in kinds and n_words <= 3 and not question:
        _bump(scores, "modify_order", 0.7)
    if "return_number" in kinds:
        # The return exists already, so a "refund for R2002" asks where the money is.
        _bump(scores, "refund_status", max(0.75, scores.pop("return_order", 0.0)))
    if "order_number" in kinds:
        # A bare order number, or one with a status word, is most likely "where is it?".
        if n_words <= 2 or (_STATUS_WORDS.search(norm) and strongest < 0.85):
            _bump(scores, "track_order", 0.8)
        elif strongest < 0.5:
            _bump(scores, "track_order", 0.6)  # a guess: the bot asks before acting
    if "address" in kinds and "product" not in kinds:
        _bump(scores, "change_address", 0.7)
    if "location" in kinds and "product" not in kinds:
        if HOURS_QUESTION.search(norm):  # "what time does bridge road close?": that store
            _bump(scores, "store_info", 0.92)
        elif _WHERE_IS.search(norm) and not _FULFILMENT_WORDS.search(norm):
            _bump(scores, "store_info", 0.88)  # "where's market hall?"
        elif _FULFILMENT_WORDS.search(norm):
            _bump(scores, "change_fulfillment", 0.8)
        elif _REDIRECT_WORDS.search(norm) and strongest < 0.85:
            _bump(scores, "change_fulfillment", 0.75)


def _says_where(norm: str, kinds: set[str]) -> bool:
    """A product with a store, an address or "pickup"/"deliver": how to get a new order
    ("black leather gloves in small, pickup high street")."""
    return bool(kinds & {"location", "address"}) or bool(_FULFILMENT_WORDS.search(norm))


def _context_cues(
    expecting: str, norm: str, n_words: int, kinds: set[str], scores: dict[str, float]
) -> None:
    short = n_words <= 4
    # "yes that's all correct, thank you": the courtesy does not make a yes or a no long.
    yes_no_words = n_words - len(_COURTESY.findall(norm))
    if _DENY_WORDS.search(norm) and yes_no_words <= 6:
        _bump(scores, "deny", 0.97)
        return
    if expecting in ("confirm", "choice") and _AFFIRM_WORDS.search(norm) and yes_no_words <= 6:
        _bump(scores, "affirm", 0.97)
        return
    slot = _SLOT_INTENT.get(expecting)
    if slot and slot[0] == "location" and HOURS_QUESTION.search(norm):
        return  # a store's hours asked about, not the store chosen
    if slot and slot[0] in kinds and n_words <= 8:
        _bump(scores, slot[1], 0.95 if short else 0.85)
    elif expecting == "fulfillment" and _FULFILMENT_WORDS.search(norm) and short:
        _bump(scores, "change_fulfillment", 0.9)
    elif expecting == "choice" and short:
        _bump(scores, "affirm", 0.8)
    elif expecting == "reason" and max(scores.values(), default=0.0) < 0.85:
        _bump(scores, "return_order", 0.8)
