"""Another variant of a line already there: "make it mustard", "the large instead",
"change the mug on my order to the black one".

A line swaps to the sibling of its product's family (the catalog's variant columns,
or what the names say: see ``bot.nlu.variants``) that has what the customer said and
keeps the rest: a grey M sweater said "large" becomes the grey L. It is the same line
in another variant, never a second line, and works the same on the cart and on a
placed order.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from bot.nlu import CatalogIndex, ParseResult
from bot.nlu.text import tokenize
from bot.nlu.variants import VariantIndex, said_features

# Words that say the line changes rather than a new one joins it.
SWAP_CUE = re.compile(
    r"\b(?:instead|make (?:it|that|them|those|the)|change|changed|switch|swap|exchange|"
    r"rather|actually|oh wait|no wait|sorry)\b",
    re.I,
)
# Words that add a line: "actually add a black mug too" keeps the white one.
_ADDS = re.compile(r"\b(?:add|another|also|too|as well|plus|extra|more)\b", re.I)
# Entities whose words are no variant words ("deliver to 4 Large Street").
_OPAQUE = frozenset({"location", "address", "email", "phone", "order_number", "return_number"})


def swaps(
    catalog: CatalogIndex, parsed: ParseResult, lines: Collection[str], last_sku: str | None
) -> dict[str, str]:
    """Line SKU -> the sibling SKU the message asks for instead; {} when it asks none.

    Only lines whose family holds a product the message names are considered, or, when
    it names none ("the large instead"), every line; when several lines could change
    and no product is named, the one talked about last is meant, else none.
    """
    adds = any(e.type == "product" and e.operation == "add" for e in parsed.entities)
    if not SWAP_CUE.search(parsed.text) or adds or _ADDS.search(parsed.text):
        return {}
    said = _said(parsed)
    index = catalog.variants
    named = {
        sku for e in parsed.entities if e.type == "product" for sku in (str(e.value), *e.candidates)
    }
    found: dict[str, str] = {}
    for sku in lines:
        family = index.family(sku)
        if len(family) < 2 or (named and not named & set(family)):
            continue
        if (sibling := _sibling(index, sku, said)) is not None:
            found[sku] = sibling
    if len(found) > 1 and not named:
        return {last_sku: found[last_sku]} if last_sku in found else {}
    return found


def named_sibling(catalog: CatalogIndex, parsed: ParseResult, sku: str) -> str | None:
    """The variant of ``sku`` that a message naming no product asks for: "and in
    navy?" after the grey M sweater is the navy M, "that one in large" the L."""
    if any(e.type == "product" for e in parsed.entities):
        return None
    return _sibling(catalog.variants, sku, _said(parsed))


def _said(parsed: ParseResult) -> dict[int, frozenset[str]]:
    """Variant features of the message's words, but for those of a store, an address..."""
    tokens = tokenize(parsed.text)
    opaque = [(e.start, e.end) for e in parsed.entities if e.type in _OPAQUE]
    free = [i for i, t in enumerate(tokens) if not any(s <= t.start < e for s, e in opaque)]
    return said_features(parsed.text, tokens, free)


def _sibling(index: VariantIndex, sku: str, said: dict[int, frozenset[str]]) -> str | None:
    """The variant of ``sku``'s family that has the words said, keeping the most of what
    ``sku`` has; None when the words name no other variant. Words the line already
    matches are passed over ("black instead of white" on a white tee)."""
    have = index.features(sku)
    new = {i: features for i, features in said.items() if not features & have}
    left, used = index.narrow(index.family(sku), new)
    if not used or sku in left:
        return None
    return max(left, key=lambda other: len(index.features(other) & have))
