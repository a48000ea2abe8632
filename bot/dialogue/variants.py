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
from bot.nlu.variants import RANK_FEATURES, VariantIndex, amount, said_features

# Words that say the line changes rather than a new one joins it.
SWAP_CUE = re.compile(
    r"\b(?:instead|make (?:it|that|them|those|the)|change|changed|switch|swap|exchange|"
    r"rather|actually|oh wait|no wait|sorry)\b",
    re.I,
)
# Words that ask for another variant of something already had, by what is wrong with it
# ("too small", "the wrong size") or by asking ("swap", "instead"); read on normalised text.
ANOTHER = re.compile(
    r"\b(?:instead|swap|exchange|change (?:it|them|this|that|those|the \w+)|wrong (?:size|"
    r"colou?r)|too (?:small|big|tight|large|loose|long|short|narrow|wide)|"
    r"(?:doesn t|does not|didn t|did not|don t|do not) fit)\b"
)
# Words that add a line: "actually add a black mug too" keeps the white one.
_ADDS = re.compile(r"\b(?:add|another|also|too|as well|plus|extra|more)\b", re.I)
# "size up", "a size bigger", "one size down": the next size of the same line.
_SIZE_UP = re.compile(
    r"\b(?:size (?:it |them )?up|(?:one|a) size (?:up|bigger|larger)|(?:a |one )?(?:bigger|"
    r"larger) size|next size up|(?:go|going|move|come) up (?:a|one) size)\b",
    re.I,
)
_SIZE_DOWN = re.compile(
    r"\b(?:size (?:it |them )?down|(?:one|a) size (?:down|smaller)|(?:a |one )?smaller size|"
    r"next size down|(?:go|going|move|come) down (?:a|one) size)\b",
    re.I,
)
_SIZE_ORDER = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL")
# Entities whose words are no variant words ("deliver to 4 Large Street").
_OPAQUE = frozenset({"location", "address", "email", "phone", "order_number", "return_number"})


def swaps(
    catalog: CatalogIndex,
    parsed: ParseResult,
    lines: Collection[str],
    last_sku: str | None,
    *,
    asked: bool = False,
) -> dict[str, str]:
    """Line SKU -> the sibling SKU the message asks for instead; {} when it asks none.

    Only lines whose family holds a product the message names are considered, or, when
    it names none ("the large instead"), every line; when several lines could change
    and no product is named, the one talked about last is meant, else none. `asked`:
    the caller knows another variant is wanted (an exchange), so no swap word is needed
    and nothing is being added ("too small, can I have the large").
    """
    adds = any(e.type == "product" and e.operation == "add" for e in parsed.entities)
    step = size_step(parsed.text)
    cued = asked or SWAP_CUE.search(parsed.text) or step
    if not cued or (not asked and (adds or _ADDS.search(parsed.text))):
        return {}
    said = _said(parsed)
    index = catalog.variants
    named = {
        sku for e in parsed.entities if e.type == "product" for sku in (str(e.value), *e.candidates)
    }
    found: dict[str, str] = {}
    if named and not any(named & set(index.family(sku)) for sku in lines):
        # "the shirt" read as another shirt-like product: the line whose name has the word
        said_words = {w for e in parsed.entities if e.type == "product" for w in e.text.split()}
        if any(said_words & set(index.base.get(sku, "").lower().split()) for sku in lines):
            named = set()
    for sku in lines:
        family = index.family(sku)
        if len(family) < 2 or (named and not named & set(family)):
            continue
        sibling = _next_size(index, sku, step) if step else _sibling(index, sku, said)
        if sibling is not None:
            found[sku] = sibling
    if len(found) > 1 and not named:
        return {last_sku: found[last_sku]} if last_sku in found else {}
    return found


def said_fits(catalog: CatalogIndex, parsed: ParseResult, skus: list[str]) -> str | None:
    """The one variant of a family that the variant words said anywhere in the message
    fit: "2 black tees and 1 white tee, all in L" makes the black tee the L as well."""
    index = catalog.variants
    if len({tuple(index.family(sku)) for sku in skus}) != 1:
        return None
    left, used = index.narrow(skus, _said(parsed))
    return left[0] if used and len(left) == 1 else None


def named_sibling(catalog: CatalogIndex, parsed: ParseResult, sku: str) -> str | None:
    """The variant of ``sku`` that a message naming no product asks for: "and in
    navy?" after the grey M sweater is the navy M, "that one in large" the L."""
    if any(e.type == "product" for e in parsed.entities):
        return None
    return _sibling(catalog.variants, sku, _said(parsed))


def picked_among(catalog: CatalogIndex, parsed: ParseResult, options: list[str]) -> str | None:
    """The one offered variant the words pick when they name no product: "2.5 litres",
    "one litre", "large"; else "the big tin" / "the small one" by size or measure."""
    index = catalog.variants
    said = _said(parsed)
    left, used = index.narrow(options, said)
    if used and len(left) == 1:
        return left[0]
    step = _bigger_or_smaller(said)
    sizes = {sku: _magnitude(index, sku) for sku in left}
    known = [s for s in left if sizes[s] is not None]
    if not step or len(known) != len(left) or len(set(sizes.values())) != len(left):
        return None
    return max(known, key=lambda sku: (sizes[sku] or 0) * step)


def _bigger_or_smaller(said: dict[int, frozenset[str]]) -> int:
    """+1 for "the big tin" / "the bigger one", -1 for "the smaller one", 0 for neither:
    the last such word said that is not itself a size ("large" is the L)."""
    ranks = [
        rank
        for _, features in sorted(said.items())
        if not any(f.startswith("size:") for f in features)
        for rank in features & RANK_FEATURES
    ]
    return 0 if not ranks else 1 if ranks[-1] == "rank:max" else -1


def _magnitude(index: VariantIndex, sku: str) -> float | None:
    """How big a variant is: its size's rank, else its measure ("2.5 L" tin: 2500 ml)."""
    for feature in index.features(sku):
        if feature.startswith("size:") and (rank := _size_rank(feature[5:])) >= 0:
            return rank
    measures = [amount(f[5:]) for f in index.features(sku) if f.startswith("unit:")]
    found = [m[1] for m in measures if m is not None]
    return found[0] if len(found) == 1 else None


def _said(parsed: ParseResult) -> dict[int, frozenset[str]]:
    """Variant features of the message's words, but for those of a store, an address..."""
    tokens = tokenize(parsed.text)
    opaque = [(e.start, e.end) for e in parsed.entities if e.type in _OPAQUE]
    free = [
        i
        for i, t in enumerate(tokens)
        if not any(s <= t.start < e for s, e in opaque)
        and not (i and tokens[i - 1].text == "too")  # "too small" says what is wrong
    ]
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


def _besides_size(features: frozenset[str]) -> frozenset[str]:
    """What a variant is apart from its size (a size letter may also read as a measure:
    "M" as a metre, so measures are left out as well)."""
    return frozenset(f for f in features if not f.startswith(("size:", "unit:")))


def size_step(text: str) -> int:
    """+1 for "size up", "go up a size", -1 for "size down", 0 when it asks neither."""
    return 1 if _SIZE_UP.search(text) else -1 if _SIZE_DOWN.search(text) else 0


def _size_rank(size: str) -> float:
    if size in _SIZE_ORDER:
        return _SIZE_ORDER.index(size)
    return float(size) if size.replace(".", "", 1).isdigit() else -1


def _next_size(index: VariantIndex, sku: str, step: int) -> str | None:
    """The sibling one size up (or down) that keeps everything else of ``sku``: the blue
    M shirt sized up is the blue L; None when there is no such size."""
    have = index.features(sku)
    size = next((f for f in have if f.startswith("size:")), None)
    if size is None:
        return None
    sized = {
        other: next(f for f in index.features(other) if f.startswith("size:"))
        for other in index.family(sku)
        if other != sku
        and any(f.startswith("size:") for f in index.features(other))
        and _besides_size(index.features(other)) == _besides_size(have)
    }
    mine = _size_rank(size.removeprefix("size:"))
    ahead = [
        (_size_rank(f.removeprefix("size:")), other)
        for other, f in sized.items()
        if (_size_rank(f.removeprefix("size:")) - mine) * step > 0
    ]
    if mine < 0 or not ahead:
        return None
    return min(ahead, key=lambda pair: abs(pair[0] - mine))[1]
