"""Entity extraction: order and return numbers, contacts, addresses, places, products, quantities.

Patterns with a clear shape (emails, order numbers, phones, addresses) are taken first
and their text is masked, so that the digits inside them are not read as quantities and
their words are not read as products.
"""

from __future__ import annotations

import re

import phonenumbers

from .catalog import CatalogIndex
from .models import Entity, ParseContext
from .numbers import number_value
from .operations import cues, operation_for
from .products import ProductMatch, is_variant
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
# Words that cannot sit between a house number and a street word, or end a city name.
_ADDRESS_STOP = wordset(
    """a an the and or of for to in on at by with from my me it its is are was be more
    please pls thanks instead asap and but so then now today tomorrow plz thx
    pickup delivery"""
)
_TIME_UNITS = wordset(
    """day days week weeks hour hours hr hrs min mins minute minutes month months year
    years am pm percent times stars dollars bucks usd"""
)
_CONTAINERS = wordset("bag bags box boxes pack packs bottle bottles jar jars tin tins of")
_NOT_AFTER_ONE = wordset(
    "the this that which other another each every no any right wrong new same last"
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
        add("location", loc.code, tokens[loc.start].start, tokens[loc.end - 1].end)
        blocked.update(range(loc.start, loc.end))

    products = catalog.products.find(tokens, blocked)
    if context and context.choices:
        products = _among_choices(catalog, tokens, blocked, products, context.choices)
    operations = cues(tokens)
    product_entities = []
    for match in products:
        start, end = tokens[match.start].start, tokens[match.end - 1].end
        entity = Entity("product", match.sku, start, end, text[start:end], match.candidates)
        entity.exact = match.exact
        entity.operation = operation_for(tokens, operations, match.start, match.end)
        product_entities.append((match, entity))
        entities.append(entity)
        blocked.update(range(match.start, match.end))

    quantities = _quantities(text, tokens, blocked, {m.start for m, _ in product_entities})
    _pair_quantities(quantities, product_entities)
    entities.extend(q for _, q in quantities)
    entities.sort(key=lambda e: (e.start, e.end))
    return entities


def _among_choices(
    catalog: CatalogIndex,
    tokens: list[Token],
    blocked: set[int],
    found: list[ProductMatch],
    choices: list[str],
) -> list[ProductMatch]:
    """Read the products of a reply to "which one?" as one of the offered SKUs.

    A mention of a product that was offered stays; one whose close alternatives include
    an offered product becomes that product; with no mention at all, the words that
    tell the offered products apart ("the blue one", "the 1kg one") pick one.
    """
    offered = set(choices)
    out = []
    for match in found:
        if match.sku not in offered:
            alternative = next((c for c in match.candidates if c in offered), None)
            if alternative is None:
                continue
            match = ProductMatch(alternative, match.score, match.start, match.end, [])
        out.append(match)
    if not out:
        picked = catalog.products.among(tokens, blocked, choices)
        if picked is not None:
            out.append(picked)
    return out or found


def _add_phones(text, add, free) -> None:
    for match in phonenumbers.PhoneNumberMatcher(text, DEFAULT_REGION):
        if free(match.start, match.end):
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            add("phone", e164, match.start, match.end)


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


def _quantities(
    text: str, tokens: list[Token], blocked: set[int], product_starts: set[int]
) -> list[tuple[int, Entity]]:
    """Quantity entities with the index of their (last) token."""
    found: list[tuple[int, Entity]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i in blocked:
            i += 1
            continue
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
        value: int | None = None
        first, last = i, i
        if tok.text in ("a", "an"):
            if nxt in ("dozen", "couple", "pair"):
                value, last = number_value(nxt), i + 1
            elif _leads_to_product(tokens, i + 1, product_starts):
                value = 1
        elif tok.text == "x" and nxt.isdigit():
            value, last = number_value(nxt), i + 1
        elif (
            tok.text == "half"
            and nxt == "a"
            and i + 2 < len(tokens)
            and tokens[i + 2].text == "dozen"
        ):
            value, last = 6, i + 2
        else:
            value = number_value(tok.text)
            if value is not None and not _counts(text, tokens, i):
                value = None
        if value is not None and all(j not in blocked for j in range(first, last + 1)):
            start, end = tokens[first].start, tokens[last].end
            found.append((last, Entity("quantity", value, start, end, text[start:end])))
            i = last + 1
            continue
        i += 1
    return found


def _leads_to_product(tokens: list[Token], i: int, product_starts: set[int]) -> bool:
    for j in range(i, min(i + 3, len(tokens) + 1)):
        if j in product_starts:
            return True
        if j >= len(tokens) or tokens[j].text not in _CONTAINERS:
            return False
    return False


def _counts(text: str, tokens: list[Token], i: int) -> bool:
    """Whether the number at token ``i`` is a count, not a time, a date or a unit."""
    tok = tokens[i]
    before = text[tok.start - 1] if tok.start else ""
    after = text[tok.end] if tok.end < len(text) else ""
    if (before and before in ":/.") or (after and after in ":/%"):
        return False
    nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
    if nxt in _TIME_UNITS:
        return False
    if tok.text == "one":
        prev = tokens[i - 1].text if i else ""
        if prev in _NOT_AFTER_ONE or is_variant(prev):  # "the blue one", "that one"
            return False
    return True


def _pair_quantities(quantities, product_entities) -> None:
    """Give each product the nearest quantity before it (or just after: "beans x2")."""
    used: set[int] = set()
    for match, entity in product_entities:
        best: tuple[int, int] | None = None
        for qi, (last, _q) in enumerate(quantities):
            if qi in used:
                continue
            if last < match.start and match.start - last <= 4:
                dist = match.start - last
            elif last >= match.end and last - match.end <= 1:
                dist = last - match.end + 2
            else:
                continue
            if best is None or dist < best[0]:
                best = (dist, qi)
        if best is not None:
            used.add(best[1])
            quantities[best[1]][1].refers_to = entity.value
