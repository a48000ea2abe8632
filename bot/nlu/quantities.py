"""Quantities: how many of a product, in which pack, and as a part of how many.

"3 packs of the Sumatra": the pack word qualifies the number and is no product.
"send back one of the three": the quantity is 1, a part of 3, not 3.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from .models import Entity
from .numbers import TENS, is_measure, multipack_count, number_value, pack_word
from .products import is_variant
from .text import Token, measure_unit, wordset
from .variants import SIZE_CUES

_TIME_UNITS = wordset(
    """day days week weeks hour hours hr hrs min mins minute minutes month months year
    years am pm percent times stars dollars bucks usd"""
)
_NOT_AFTER_ONE = wordset(
    """the this that which other another each every no any right wrong new same last
    first second third fourth fifth 1st 2nd 3rd 4th 5th next previous"""
)
# "I'll pick them up at 6", "around 5 tomorrow": a number after these, ending the message
# or before a day, is a time.
_AT_A_TIME = wordset("at around by before after till until about")
_DAYS = wordset(
    """today tonight tomorrow morning afternoon evening monday tuesday wednesday thursday
    friday saturday sunday"""
)
_REMAINDER = wordset("other remaining")
_KEPT = wordset("keep kept keeping used use opened")
# Words before a price limit, not a count: "a grinder under 50", "budget 30".
_PRICE_LIMIT = wordset("under below max maximum budget")
_AFTER_SMS_FOR = wordset("pickup pick collection delivery me you u us my")
# Words between "one of" and the whole: "one of the three", "two of my 4 mugs".
_PART_FILLER = wordset("the my those these them our")
# Words that end a request rather than lead to a product: "2 jars please".
_AFTER_A_PRODUCT = wordset("please pls thanks thx too as well and then x")
# Words that may sit between "a" and its product: "a box of", "a bag of the".
_LINKS = wordset("of the")


@dataclass
class Marks:
    """What the steps before the quantities learnt about the tokens (by index)."""

    packs: dict[int, str] = field(default_factory=dict)  # "3 packs of ..." -> "pack"
    wholes: dict[int, int] = field(default_factory=dict)  # "one of the three": one -> three
    picked: set[int] = field(default_factory=set)  # words that picked a variant
    measures: set[int] = field(default_factory=set)
    sizes: set[int] = field(default_factory=set)  # "size 10": no product, no count
    totals: set[int] = field(default_factory=set)  # "2 shirts, one M and one L": "shirts"

    @property
    def transparent(self) -> set[int]:
        """Words that may sit between a count and its product, and are no count."""
        return set(self.packs) | self.picked | self.measures


@dataclass
class Quantity:
    last: int  # index of the quantity's last token
    entity: Entity


def _is_count_word(tokens: Sequence[Token], i: int) -> bool:
    """Whether token ``i`` says how many: a number, "a"/"an", or a measure ("40l")."""
    word = tokens[i].text
    return word in ("a", "an") or number_value(word) is not None or is_measure(word)


def pack_qualifiers(tokens: Sequence[Token], blocked: set[int]) -> dict[int, str]:
    """Token index -> pack word, for pack words that count something rather than name it.

    A pack word right after a count and followed by more words ("3 packs of the
    Sumatra", "2 boxes screws") qualifies the quantity; "a gift pack" names a product,
    and so does a pack word with nothing after it ("2 jars please" in a shop selling jars).
    """
    found: dict[int, str] = {}
    for i in range(1, len(tokens) - 1):
        word = pack_word(tokens[i].text)
        if word is None or i in blocked or not _is_count_word(tokens, i - 1):
            continue
        nxt = tokens[i + 1].text
        if nxt == "of" or (i + 1 not in blocked and nxt not in _AFTER_A_PRODUCT):
            found[i] = word
    return found


def measure_words(tokens: Sequence[Token]) -> set[int]:
    """Measures: "250g", "2.5l", and "kilo" or "litre" after "a"."""
    return {
        i
        for i, t in enumerate(tokens)
        if is_measure(t.text) or (measure_unit(t.text) and i and tokens[i - 1].text in ("a", "an"))
    }


def size_words(tokens: Sequence[Token], shop_words: Collection[str]) -> set[int]:
    """ "size" or "sz" and the word after it, unless that word names the shop's products
    and is no size or number: the "shirt" of "wrong size shirt sent" is the product."""
    cues = {i for i, t in enumerate(tokens[:-1]) if t.text in SIZE_CUES}
    return cues | {i + 1 for i in cues if not _names_a_product(tokens[i + 1].text, shop_words)}


def _names_a_product(word: str, shop_words: Collection[str]) -> bool:
    return word in shop_words and not is_variant(word) and number_value(word) is None


def part_wholes(tokens: Sequence[Token], blocked: set[int]) -> dict[int, int]:
    """Index of a quantity -> index of the whole it is a part of: "one of the three",
    "2 of my 3 mugs", "1 out of 3"."""
    found: dict[int, int] = {}
    for i, tok in enumerate(tokens):
        if i in blocked or number_value(tok.text) is None:
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].text == "out":
            j += 1
        if j >= len(tokens) or tokens[j].text != "of":
            continue
        j += 1
        while j < len(tokens) and tokens[j].text in _PART_FILLER:
            j += 1
        if j < len(tokens) and j not in blocked and number_value(tokens[j].text) is not None:
            found[i] = j
    return found


def find_quantities(
    text: str,
    tokens: Sequence[Token],
    blocked: set[int],
    product_starts: set[int],
    marks: Marks,
) -> list[Quantity]:
    """Quantity entities, each with the pack it was counted in and the whole it is a
    part of. A pair counts as one, like any pack: "a pair of jeans" is one."""
    found: list[Quantity] = []
    transparent = marks.transparent
    skip = blocked | transparent | marks.sizes | set(marks.wholes.values())
    i = 0
    while i < len(tokens):
        if i in skip:
            i += 1
            continue
        word = tokens[i].text
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
        value: int | None = None
        last = i
        if word in ("a", "an"):
            if nxt in ("dozen", "couple") and i + 1 not in marks.picked:
                value, last = number_value(nxt), i + 1
            elif _leads_to_product(tokens, i + 1, product_starts, transparent):
                value = 1
        elif word == "x" and nxt.isdigit():
            value, last = number_value(nxt), i + 1
        elif (
            word == "half" and nxt == "a" and i + 2 < len(tokens) and tokens[i + 2].text == "dozen"
        ):
            value, last = 6, i + 2
        else:
            value = number_value(word)
            # a part of a whole always counts: "noticed that one of the three mugs"
            if value is not None and i not in marks.wholes and not _counts(text, tokens, i):
                value = None
            elif value is not None and word in TENS and 0 < (number_value(nxt) or 0) < 10:
                value, last = value + (number_value(nxt) or 0), i + 1  # "twenty four"
            elif value is not None and nxt == "dozen" and i + 1 not in marks.picked:
                value, last = value * 12, i + 1  # "2 dozen"
        if value is not None and all(j not in skip for j in range(i, last + 1)):
            start, end = tokens[i].start, tokens[last].end
            entity = Entity("quantity", value, start, end, text[start:end])
            entity.unit = marks.packs.get(last + 1)
            if i in marks.wholes:
                entity.part_of = number_value(tokens[marks.wholes[i]].text)
            found.append(Quantity(last, entity))
            i = last + 1
            continue
        i += 1
    return _without_kept(tokens, found)


def _without_kept(tokens: Sequence[Token], found: list[Quantity]) -> list[Quantity]:
    """ "I used one tin, can I return the other two": the count is two; the one kept
    is no quantity of the request."""

    def before(q: Quantity) -> str:
        first = next(i for i, t in enumerate(tokens) if t.start == q.entity.start)
        return tokens[first - 1].text if first else ""

    if not any(before(q) in _REMAINDER for q in found):
        return found
    return [q for q in found if before(q) not in _KEPT]


def _leads_to_product(
    tokens: Sequence[Token], i: int, product_starts: set[int], transparent: set[int]
) -> bool:
    for j in range(i, min(i + 6, len(tokens) + 1)):  # "a box of 200 of the screws"
        if j in product_starts:
            return True
        if j >= len(tokens) or not (j in transparent or tokens[j].text in _LINKS):
            return False
    return False


def _counts(text: str, tokens: Sequence[Token], i: int) -> bool:
    """Whether the number at token ``i`` is a count, not a time, a date or a unit."""
    tok = tokens[i]
    before = text[tok.start - 1] if tok.start else ""
    after = text[tok.end] if tok.end < len(text) else ""
    if (before and before in ":/.$\u00a3\u20ac") or (after and after in ":/%"):
        return False  # a time, a date, a share or a price ("\u00a350")
    if i and tokens[i - 1].text in _PRICE_LIMIT:
        return False
    nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
    if nxt in _TIME_UNITS or (tok.text == "4" and nxt in _AFTER_SMS_FOR):
        return False  # "2 blk tees 4 pickup": SMS "4" is "for"
    if i and tokens[i - 1].text in _AT_A_TIME and (not nxt or nxt in _DAYS):
        return False  # "pick them up there at 6"
    if multipack_count(tokens, i) and i and tokens[i - 1].text in ("the", "a", "an"):
        return False  # "the 6 x 330ml cans": what the pack holds, not how many packs
    if tok.text == "one":
        prev = tokens[i - 1].text if i else ""
        if prev in _NOT_AFTER_ONE or is_variant(prev):  # "the blue one", "that one"
            return False
        if i >= 2 and tokens[i - 2].text in ("the", "this", "that"):  # "the cheaper one"
            return False
    return True


def pair(
    quantities: list[Quantity],
    products: Sequence[tuple[int, int, Entity]],
    tokens: Sequence[Token],
    marks: Marks,
) -> None:
    """Bind each quantity to a product (first token, end token, entity): the nearest one
    starting within four words after it ("2 white mugs"; pack words, variant words and
    "of the" do not count: "a box of 200 of the screws"), else the one just before it
    ("beans x2"), or a little before a counted pack ("gloves in large, 2 pairs"). A
    product takes one quantity."""
    loose = marks.transparent | {i for i, t in enumerate(tokens) if t.text in _LINKS}

    def words_between(a: int, b: int) -> int:
        return sum(1 for i in range(a + 1, b) if i not in loose) + 1

    taken: set[int] = set()
    later: list[Quantity] = []
    for q in quantities:
        ahead = [
            (words_between(q.last, start), k)
            for k, (start, _, _) in enumerate(products)
            if k not in taken and start > q.last and words_between(q.last, start) <= 4
        ]
        if ahead:
            k = min(ahead)[1]
            taken.add(k)
            q.entity.refers_to = str(products[k][2].value)
        else:
            later.append(q)
    for q in later:
        reach = 4 if q.entity.unit else 1
        behind = [
            k
            for k, (_, end, _) in enumerate(products)
            if k not in taken and 0 <= q.last - end <= reach
        ]
        if behind:
            taken.add(behind[-1])
            q.entity.refers_to = str(products[behind[-1]][2].value)
