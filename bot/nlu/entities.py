"""Entity extraction: order and return numbers, contacts, addresses, places, products, quantities.

Patterns with a clear shape (emails, order numbers, phones, addresses) are taken first
and their text is masked, so that the digits inside them are not read as quantities and
their words are not read as products.
"""

from __future__ import annotations

import re

import phonenumbers

from .catalog import CatalogIndex
from .mentions import find_mentions, measured_quantities
from .models import Entity, ParseContext
from .operations import cues, operation_for
from .quantities import (
    Marks,
    Quantity,
    find_quantities,
    measure_words,
    pack_qualifiers,
    pair,
    part_wholes,
    size_words,
)
from .text import Token, tokenize, wordset

DEFAULT_REGION = "US"

_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}\b")
_RETURN_RE = re.compile(r"\b[Rr]-?(\d{3,})\b")
_ORDER_CUE_RE = re.compile(
    r"\b(?:order|ordr|oder|orderr|purchase|purchace)s?\s*"
    r"(?:no\.?|number|num|nr|id)?\s*[:#]?\s*#?\s*(\d{4,})\b",
    re.IGNORECASE,
)
_HASH_RE = re.compile(r"(?<![\w#])#\s?(\d{3,})\b")
_NOT_ORDER_BEFORE_HASH = re.compile(r"\b(?:bill|invoice|receipt)s?\s*(?:no\.?)?\s*$", re.I)
_BARE_DIGITS_RE = re.compile(r"(?<![\w$.,:])(\d{5,})(?![\w.,:]\d)")
_MONEY_RE = re.compile(r"[$€£]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:dollars|bucks|usd|eur|euros)\b", re.I)
_STREET_WORDS = (
    "street|st|avenue|ave|av|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|"
    "terrace|crescent|close|square|sq|parkway|pkwy|highway|hwy|row|walk|alley|circle|cir"
)
_ADDRESS_RE = re.compile(
    r"\b\d{1,5}[a-zA-Z]?\s+(?P<middle>(?:[A-Za-z0-9'.-]+\s+){0,4}?)(?:" + _STREET_WORDS + r")\b\.?"
    r"(?:,?\s*(?:apt|apartment|unit|suite|ste|flat|#)\.?\s*[\w-]+)?"
    r"(?P<city>(?:,?\s+[A-Za-z][A-Za-z'-]+){0,3})"
    r"(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?)?",
    re.IGNORECASE,
)
_SENT_TO_RE = re.compile(
    r"\b(?:deliver(?:ed|ing)?|ship(?:ped|ping)?|send|sent|post(?:ed)?|mail(?:ed)?)"
    r"(?:\s+[\w']+){0,3}?\s+to\s+(?P<place>[^.!?;\n]+)",
    re.IGNORECASE,
)
_PLACE_END_RE = re.compile(
    r"[\s,]+(?:please|pls|plz|instead|thanks|thank|thx|asap|and|but|by|before|rather|"
    r"tomorrow|today|tonight|on\s+(?:mon|tue|wed|thu|fri|sat|sun)\w*)\b",
    re.IGNORECASE,
)
_STREET_WORD_RE = re.compile(r"\b(?:" + _STREET_WORDS + r"|parade|green|hill|park|gardens)\b", re.I)
_UNIT_WORDS = wordset("flat apt apartment unit suite house no")
# Words between a counted pack and what it holds: "2 boxes of the eggs".
_PACK_LINKS = wordset("of the")
# Words that cannot sit between a house number and a street word, or end a city name.
_ADDRESS_STOP = wordset(
    """a an the and or of for to in on at by with from my me it its is are was be more
    please pls thanks instead asap and but so then now today tomorrow plz thx
    pickup delivery"""
)


def extract(text: str, catalog: CatalogIndex, context: ParseContext | None) -> list[Entity]:
    expecting = context.expecting if context else None
    entities: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(kind: str, value: str | int, start: int, end: int) -> None:
        entities.append(Entity(kind, value, start, end, text[start:end]))
        taken.append((start, end))

    for m in _EMAIL_RE.finditer(text):
        add("email", m.group(), m.start(), m.end())
    for m in _RETURN_RE.finditer(text):
        if free(m.start(), m.end()):
            add("return_number", f"R{m.group(1)}", m.start(), m.end())
    for m in _ORDER_CUE_RE.finditer(text):
        if free(m.start(1), m.end(1)):
            add("order_number", m.group(1), m.start(1), m.end(1))
    for m in _HASH_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        if _NOT_ORDER_BEFORE_HASH.search(text[: m.start()]):
            taken.append((m.start(), m.end()))  # an invoice number, not an order
        else:
            add("order_number", m.group(1), m.start(), m.end())
    for m in _MONEY_RE.finditer(text):
        if free(m.start(), m.end()):
            taken.append((m.start(), m.end()))
    _add_phones(text, add, free)
    _add_sent_to_address(text, add, free)
    for m in _BARE_DIGITS_RE.finditer(text):
        if free(m.start(), m.end()) and len(m.group(1)) <= 15:
            add("order_number", m.group(1), m.start(), m.end())
    if expecting == "order_number":
        for m in re.finditer(r"\b\d{3,4}\b", text):
            if free(m.start(), m.end()):
                add("order_number", m.group(), m.start(), m.end())
    _add_address(text, expecting, add, free)

    tokens = tokenize(text)
    blocked = {i for i, t in enumerate(tokens) if not free(t.start, t.end)}
    code_ok = expecting in ("location", "fulfillment") and len(tokens) <= 3
    for loc in catalog.locations.find(text, tokens, blocked, code_ok):
        if _starts_a_product_name(catalog, tokens, blocked, loc.start, loc.end):
            continue
        add("location", loc.code, tokens[loc.start].start, tokens[loc.end - 1].end)
        blocked.update(range(loc.start, loc.end))

    marks = Marks(
        packs=pack_qualifiers(tokens, blocked),
        wholes=part_wholes(tokens, blocked),
        measures=measure_words(tokens),
        sizes=size_words(tokens, catalog.vocabulary),
    )
    choices = context.choices if context else []
    matches, measured = find_mentions(catalog, text, tokens, blocked, marks, choices)
    operations = cues(tokens)
    product_entities = []
    for match in matches:
        start, end = tokens[match.start].start, tokens[match.end - 1].end
        entity = Entity("product", match.sku, start, end, text[start:end], match.candidates)
        entity.exact, entity.spelt = match.exact, match.spelt
        entity.operation = operation_for(tokens, operations, match.start, match.end)
        product_entities.append((match.start, match.end, entity))
        entities.append(entity)
        blocked.update(range(match.start, match.end))

    starts = {start for start, _, _ in product_entities}
    blocked |= marks.totals
    quantities = find_quantities(text, tokens, blocked, starts, marks)
    # The count of a product said again variant by variant ("2 white shirts, one M and
    # one L") is theirs: no line or lone quantity of its own.
    quantities = [q for q in quantities if not _counts_a_total(q, marks, tokens)]
    pair(quantities, product_entities, tokens, marks)
    counts = [q.entity for q in quantities]
    counts += measured_quantities(text, tokens, measured, counts)
    entities.extend(counts)
    entities.sort(key=lambda e: (e.start, e.end))
    return entities


def _counts_a_total(quantity: Quantity, marks: Marks, tokens: list[Token]) -> bool:
    """Whether the next word after the count that is no variant or pack word is part
    of a product said again variant by variant ("2 boxes of eggs, one medium 6 pack
    and one large 12 pack")."""
    i = quantity.last + 1
    while i in marks.transparent:
        i += 1
    if i - 1 in marks.packs:  # "2 boxes of the eggs"
        while i < len(tokens) and tokens[i].text in _PACK_LINKS:
            i += 1
    return i in marks.totals


def _starts_a_product_name(
    catalog: CatalogIndex, tokens: list[Token], blocked: set[int], start: int, end: int
) -> bool:
    """Whether a store's name is the start of a product's ("garden gloves" where a
    Garden Centre exists, "a station mug"): then it is the product."""
    window = set(range(start, min(end + 2, len(tokens))))
    outside = blocked | (set(range(len(tokens))) - window)
    return any(m.start <= start and m.end > end for m in catalog.products.find(tokens, outside))


def _add_phones(text, add, free) -> None:
    for match in phonenumbers.PhoneNumberMatcher(text, DEFAULT_REGION):
        if free(match.start, match.end):
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            add("phone", e164, match.start, match.end)


def _add_sent_to_address(text: str, add, free) -> None:
    """An address after "deliver/ship/send ... to" is an address, whatever it says:
    "ship it to 4 Station Road" where a Station store exists, "send to Flat 2, 4 Station
    Parade", "deliver to Bahnhofstrasse 4". A place without a number is left alone
    ("send it to the Station store" is a store)."""
    for m in _SENT_TO_RE.finditer(text):
        place = m.group("place")
        place = place[: m2.start()] if (m2 := _PLACE_END_RE.search(place)) else place
        place = place.rstrip(" ,")
        first = place.split()[0].lower() if place.split() else ""
        numbered = bool(re.search(r"\d", first)) or first in _UNIT_WORDS
        on_a_street = bool(re.search(r"\d", place) and _STREET_WORD_RE.search(place))
        start = m.start("place")
        if (numbered or on_a_street) and len(place.split()) <= 12:
            if free(start, start + len(place)):
                add("address", place, start, start + len(place))
            return


def _add_address(text: str, expecting: str | None, add, free) -> None:
    pos = 0
    while m := _ADDRESS_RE.search(text, pos):
        pos = m.start() + 1
        middle = m.group("middle").lower().split()
        if any(w in _ADDRESS_STOP or w.isdigit() for w in middle) or not free(m.start(), m.end()):
            continue
        end = m.end()
        if m.group("city"):
            # Trim trailing words that are not part of a place name ("... Springfield instead").
            words = list(re.finditer(r"[A-Za-z][A-Za-z'-]+", m.group("city")))
            keep = next(
                (k for k, w in enumerate(words) if w.group().lower() in _ADDRESS_STOP), len(words)
            )
            end = m.start("city") + (words[keep - 1].end() if keep else 0)
        add("address", text[m.start() : end], m.start(), end)
        return
    stripped = text.strip()
    if expecting == "address" and re.search(r"\d", stripped) and len(stripped.split()) >= 2:
        start = text.index(stripped)
        if free(start, start + len(stripped)):
            add("address", stripped, start, start + len(stripped))
