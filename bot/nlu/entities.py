"""Entity extraction: order and return numbers, contacts, addresses, places, products, quantities.

Patterns with a clear shape (emails, order numbers, phones, addresses) are taken first
and their text is masked, so that the digits inside them are not read as quantities and
their words are not read as products.
"""

from __future__ import annotations

import itertools
import re

import phonenumbers

from .catalog import CatalogIndex
from .models import Entity, ParseContext
from .numbers import is_measure
from .operations import cues, operation_for
from .products import ProductMatch
from .quantities import Marks, find_quantities, pack_qualifiers, pair, part_wholes
from .text import Token, tokenize, wordset
from .variants import SIZE_CUES, said_features, times_measure

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
# Words that cannot sit between a house number and a street word, or end a city name.
_ADDRESS_STOP = wordset(
    """a an the and or of for to in on at by with from my me it its is are was be more
    please pls thanks instead asap and but so then now today tomorrow plz thx
    pickup delivery"""
)
# Words that end the clause a product's variant words belong to.
_CLAUSE_WORDS = wordset("and plus also then")


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
        add("location", loc.code, tokens[loc.start].start, tokens[loc.end - 1].end)
        blocked.update(range(loc.start, loc.end))

    marks = Marks(
        packs=pack_qualifiers(tokens, blocked),
        wholes=part_wholes(tokens, blocked),
        measures={i for i, t in enumerate(tokens) if is_measure(t.text)},
    )
    size_cues = {i for i, t in enumerate(tokens[:-1]) if t.text in SIZE_CUES}
    size_words = size_cues | {i + 1 for i in size_cues}  # "size 10" is no product, no count
    matches = catalog.products.find(tokens, blocked | set(marks.packs) | size_words)
    matches = _join_split_names(catalog, tokens, matches)
    measured: list[tuple[int, int, str]] = []
    matches = _pick_variants(catalog, text, tokens, blocked, matches, marks.picked, measured)
    if context and context.choices:
        matches = _among_choices(catalog, text, tokens, blocked, matches, context.choices)
    operations = cues(tokens)
    product_entities = []
    for match in matches:
        start, end = tokens[match.start].start, tokens[match.end - 1].end
        entity = Entity("product", match.sku, start, end, text[start:end], match.candidates)
        entity.exact = match.exact
        entity.operation = operation_for(tokens, operations, match.start, match.end)
        product_entities.append((match.start, match.end, entity))
        entities.append(entity)
        blocked.update(range(match.start, match.end))

    starts = {start for start, _, _ in product_entities}
    quantities = find_quantities(text, tokens, blocked | size_words, starts, marks)
    pair(quantities, product_entities)
    counts = [q.entity for q in quantities]
    counts += _measured_quantities(text, tokens, measured, counts)
    entities.extend(counts)
    entities.sort(key=lambda e: (e.start, e.end))
    return entities


def _regions(text: str, tokens: list[Token], matches: list[ProductMatch]) -> list[range]:
    """The tokens each product mention owns for its variant words: up to the last
    "and", comma or full stop before the next mention ("a large grey sweater, and
    a navy scarf in small")."""
    bounds = [0]
    ordered = sorted(matches, key=lambda m: m.start)
    for here, there in itertools.pairwise(ordered):
        cut = there.start
        for j in range(here.end, there.start + 1):
            gap = text[tokens[j - 1].end : tokens[j].start]
            if tokens[j].text in _CLAUSE_WORDS or any(c in gap for c in ",;.!?"):
                cut = j
        bounds.append(cut)
    bounds.append(len(tokens))
    region_of = {id(m): range(bounds[k], bounds[k + 1]) for k, m in enumerate(ordered)}
    return [region_of[id(m)] for m in matches]


def _join_split_names(
    catalog: CatalogIndex, tokens: list[Token], matches: list[ProductMatch]
) -> list[ProductMatch]:
    """One mention for a name with a small word inside ("twin and earth cable"), which
    the matcher finds as two mentions of one product; "white mugs and black mugs" stay
    two, as no mug's name has an "and"."""
    out: list[ProductMatch] = []
    for match in sorted(matches, key=lambda m: m.start):
        prev = out[-1] if out else None
        between = [t.text for t in tokens[prev.end : match.start]] if prev else []
        if (
            prev is not None
            and len(between) == 1
            and catalog.products.has_word(prev.sku, between[0])
            and catalog.products.has_word(match.sku, between[0])
            and set(catalog.variants.family(prev.sku)) & set(catalog.variants.family(match.sku))
        ):
            best = match if match.score >= prev.score else prev
            others = [s for s in (prev.sku, match.sku) if s != best.sku]
            candidates = list(dict.fromkeys([*best.candidates, *others]))
            out[-1] = ProductMatch(best.sku, best.score, prev.start, match.end, candidates)
            continue
        out.append(match)
    return out


def _pick_variants(
    catalog: CatalogIndex,
    text: str,
    tokens: list[Token],
    blocked: set[int],
    matches: list[ProductMatch],
    picked: set[int],
    measured: list[tuple[int, int, str]],
) -> list[ProductMatch]:
    """Each mention as the variant its words name ("grey sweater, size large" is the
    one grey L), or with its whole family as candidates when they name none.

    Words that picked a variant join ``picked``: they are no quantity ("a dozen
    eggs" is one 12-pack where the shop sells one). A measure that is a multiple of a
    variant's ("2kg" of a 1 kg bag) picks it, and (token index, times, SKU) goes to
    ``measured``.
    """
    variants = catalog.variants
    out = []
    for match, region in zip(matches, _regions(text, tokens, matches), strict=True):
        family = variants.family(match.sku)
        pool = list(
            dict.fromkeys([*family, *(s for c in match.candidates for s in variants.family(c))])
        )
        free_words = (i for i in region if i not in blocked)
        said = said_features(text, tokens, free_words, size_slots={match.end})
        left, used = variants.narrow(pool, said)
        if used:
            picked |= used
            sku = match.sku if match.sku in left else left[0]
            rest = [s for s in left if s != sku]
        else:
            sku = match.sku
            rest = [s for s in dict.fromkeys([*family, *match.candidates]) if s != sku]
        measures = [i for i in region if i not in used | blocked and is_measure(tokens[i].text)]
        for i in measures:
            if hit := times_measure(variants, [sku, *rest], tokens[i].text):
                sku, rest = hit[0], []
                measured.append((i, hit[1], sku))
                break
        out.append(ProductMatch(sku, match.score, match.start, match.end, rest, match.exact))
    return out


def _measured_quantities(
    text: str, tokens: list[Token], measured: list[tuple[int, int, str]], counts: list[Entity]
) -> list[Entity]:
    """ "2kg of the Sumatra" (sold in 1 kg bags) is 2 bags; "3 2kg bags" is 6."""
    added = []
    for i, times, sku in measured:
        counted = next((q for q in counts if q.refers_to == sku), None)
        if counted is not None:
            counted.value = int(counted.value) * times
            continue
        tok = tokens[i]
        entity = Entity("quantity", times, tok.start, tok.end, text[tok.start : tok.end])
        entity.refers_to = sku
        added.append(entity)
    return added


def _among_choices(
    catalog: CatalogIndex,
    text: str,
    tokens: list[Token],
    blocked: set[int],
    found: list[ProductMatch],
    choices: list[str],
) -> list[ProductMatch]:
    """Read the products of a reply to "which one?" as one of the offered SKUs.

    A mention of a product that was offered stays; one whose close alternatives include
    an offered product becomes that product; with no mention at all, the words that
    tell the offered products apart ("the large", "navy", "the 2.5 L one") pick one,
    or narrow the offer ("the large" of two colours in each size leaves two).
    """
    offered = set(choices)
    out = []
    for match in found:
        kept = [c for c in match.candidates if c in offered]
        if match.sku in offered:
            match = ProductMatch(match.sku, match.score, match.start, match.end, kept, match.exact)
        elif kept:
            match = ProductMatch(kept[0], match.score, match.start, match.end, kept[1:])
        else:
            continue
        out.append(match)
    if out:
        return out
    free_tokens = [i for i in range(len(tokens)) if i not in blocked]
    said = said_features(text, tokens, free_tokens, size_slots=free_tokens)  # "the 32"
    left, used = catalog.variants.narrow(choices, said)
    if used and len(left) < len(choices):
        return [ProductMatch(left[0], 1.0, min(used), max(used) + 1, left[1:])]
    picked = catalog.products.among(tokens, blocked, choices)
    return [picked] if picked is not None else found


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
