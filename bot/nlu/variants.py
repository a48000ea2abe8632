"""Product variants: which SKUs are sizes, colours or packs of one base product, and
which of them the customer's words pick.

A shop may name variants in the catalog's optional columns (``variant_of``, ``size``,
``colour``, ``unit``); otherwise they are read from the names themselves ("Merino
Sweater - Grey / L", "Sweater (Large)", "Logo T-Shirt Small", "Filters 100 pack").
Nothing here is a per-shop word list: a word narrows the choice only when the variants
a product actually has differ in it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from .models import ProductEntry
from .numbers import is_measure, multipack_count, number_value, pack_word
from .text import Token, measure_unit, tokenize, wordset

# Size words, spaces and hyphens removed, to the code a catalog would use.
_SIZE_CODES: dict[str, str] = {
    **dict.fromkeys(("xs", "xsmall", "extrasmall"), "XS"),
    **dict.fromkeys(("s", "sm", "small"), "S"),
    **dict.fromkeys(("m", "med", "medium"), "M"),
    **dict.fromkeys(("l", "lg", "large"), "L"),
    **dict.fromkeys(("xl", "xlarge", "extralarge"), "XL"),
    **dict.fromkeys(("xxl", "2xl", "xxlarge", "extraextralarge"), "XXL"),
    **dict.fromkeys(("xxxl", "3xl"), "XXXL"),
}
# Size words a customer says without "size" before them ("a large sweater").
_SPOKEN_SIZES = wordset("xs small medium large xl xxl 2xl xxxl 3xl")
SIZE_CUES = wordset("size sz sizes")
_SIZE_WORDS = ("small", "medium", "large")
# Words for "the bigger / smaller one" of variants that differ only in how much they hold
# ("the big tub" of a yoghurt sold in 500 g and 1 kg).
_RANKS = {
    **dict.fromkeys(("big", "bigger", "biggest", "large", "larger", "largest"), "rank:max"),
    **dict.fromkeys(("small", "smaller", "smallest", "little"), "rank:min"),
}
RANK_FEATURES = frozenset(_RANKS.values())
# Words standing for a product after its pack count: "the 200 ones".
_PRO_FORMS = wordset("one ones")
# A colour word to its spelling in catalogs, and to the family it belongs to, so that
# "blue" finds the navy one when the product has no other blue.
_SPELLING = {
    "gray": "grey",
    "colour": "color",
    **{"blk": "black", "wht": "white", "gry": "grey", "nvy": "navy", "blu": "blue"},
    **{"brn": "brown", "grn": "green", "pnk": "pink", "ylw": "yellow", "prpl": "purple"},
}
_FAMILIES: dict[str, tuple[str, ...]] = {
    "grey": ("grey", "charcoal", "slate", "graphite", "silver", "ash", "heather"),
    "blue": ("blue", "navy", "cobalt", "indigo", "denim", "azure", "sky", "teal"),
    "red": ("red", "burgundy", "maroon", "crimson", "scarlet", "wine", "cherry"),
    "green": ("green", "olive", "khaki", "sage", "mint", "emerald", "forest", "lime"),
    "white": ("white", "ivory", "cream", "ecru", "snow", "offwhite"),
    "black": ("black", "jet", "ebony", "onyx"),
    "brown": ("brown", "tan", "camel", "chocolate", "beige", "sand", "taupe", "mocha"),
    "pink": ("pink", "rose", "blush", "fuchsia", "magenta"),
    "purple": ("purple", "violet", "lilac", "lavender", "plum", "mauve"),
    "orange": ("orange", "rust", "coral", "peach", "amber"),
    "yellow": ("yellow", "mustard", "lemon", "gold"),
}
_FAMILY_OF = {word: family for family, members in _FAMILIES.items() for word in members}
# "Name - Grey / L", "Name (Large)", "Name, Grey, L": the parts after the base name.
_PART_SPLIT_RE = re.compile(r"\s+[-\u2013\u2014|]\s+|\s*[(),/]\s*")
# Name parts and units read while indexing a catalogue: a shop's size, colour and pack
# words repeat, but a big catalogue's other name parts do not, and a cache of 65,536
# of them held ~35 MB in every bot worker after it was built.
_PART_CACHE = 4096


def size_code(value: str) -> str:
    """ "Large", "l", "L" -> "L"; "Extra Large", "X-Large" -> "XL"; "size 10" -> "10"."""
    key = re.sub(r"[\s-]+", "", value.lower())
    key = re.sub(r"^(?:size|sz)", "", key)
    return _SIZE_CODES.get(key, key.upper())


@lru_cache(maxsize=_PART_CACHE)
def _spoken_size(word: str) -> str | None:
    """The size word ``word`` is, allowing one slip past its first letter ("larg",
    "medum", "smal"); None for any other word."""
    if word in _SPOKEN_SIZES:
        return word
    if len(word) < 4 or not word.isalpha():
        return None
    hit = process.extractOne(word, _SIZE_WORDS, scorer=fuzz.ratio, score_cutoff=85)
    return hit[0] if hit and hit[0][0] == word[0] else None


def _is_size(value: str) -> bool:
    key = re.sub(r"[\s-]+", "", value.lower())
    return key in _SIZE_CODES or bool(re.fullmatch(r"(?:size|sz)\w+", key))


@lru_cache(maxsize=_PART_CACHE)
def _colour_words(value: str) -> tuple[str, ...]:
    return tuple(_SPELLING.get(t.text, t.text) for t in tokenize(value))


def _is_colour(value: str) -> bool:
    if value.isascii() and any(ch.isdigit() for ch in value):
        return False  # every digit is in some word, and no colour word has one
    words = _colour_words(value)
    return bool(words) and all(w in _FAMILY_OF or w in ("light", "dark", "pale") for w in words)


def _unit_tokens(value: str) -> list[Token]:
    """A catalogue unit's words; "5 m" after a number is five metres here (the tokenizer
    keeps a message's "2 m" apart, as it may be a size M)."""
    return tokenize(re.sub(r"(\d)\s+m\b", r"\1m", value.replace("-", " "), flags=re.I))


def _is_unit(value: str) -> bool:
    """ "250g", "100 pack", "box of 100", "1 L tin", "5 m", "dozen"; a bare "Box" is a name."""
    toks = [t.text for t in _unit_tokens(value)]
    counted = any(is_measure(t) or t.isdigit() or t == "dozen" for t in toks)
    return counted and all(
        is_measure(t) or pack_word(t) or t.isdigit() or t in ("of", "dozen") for t in toks
    )


@dataclass(frozen=True, slots=True)
class Variant:
    """A product's base name and variant attributes, given or inferred."""

    base: str
    size: str = ""
    colour: str = ""
    unit: str = ""


@lru_cache(maxsize=_PART_CACHE)
def _kind(part: str) -> str | None:
    if _is_size(part):
        return "size"
    if _is_colour(part):
        return "colour"
    return "unit" if _is_unit(part) else None


def _classify(parts: Sequence[str]) -> dict[str, str] | None:
    """Size, colour and unit from name parts; None when a part is none of them."""
    found: dict[str, str] = {}
    for part in parts:
        kind = _kind(part)
        if kind is None or kind in found:
            return None
        found[kind] = part
    return found


def _from_name(name: str) -> tuple[Variant, bool]:
    """The variant a name spells out, and whether it is certain from the name's shape.

    Parts after a separator ("- Grey / L", "(Large)") are certain when each is a size,
    a colour or a unit; one other part ("- Oatmeal / L") is read as the colour, and
    trailing words ("Mug White") are only a guess: both are kept only when another
    product shares the base name.
    """
    parts = [p.strip() for p in _PART_SPLIT_RE.split(name) if p.strip()]
    if len(parts) > 1:
        if (found := _classify(parts[1:])) is not None:
            return Variant(parts[0], **found), True
        known = [p for p in parts[1:] if _kind(p)]
        found = _classify(known) if len(parts) - 1 - len(known) == 1 else None
        if found is not None and "colour" not in found:
            other = next(p for p in parts[1:] if p not in known)
            return Variant(parts[0], colour=other, **found), False
    words = name.split()
    found = {}
    cut = len(words)
    while cut > 1:
        # A trailing measure or pack ("250g", "100 pack", "12-pack"), size or colour word.
        for width in (3, 2, 1):
            tail = " ".join(words[cut - width : cut]) if cut - width >= 1 else ""
            got = _classify([tail]) if tail else None
            if got and not (got.keys() & found.keys()):
                found.update(got)
                cut -= width
                break
        else:
            break
    if not found:
        return Variant(name), False
    return Variant(" ".join(words[:cut]), **found), False


def variant_of(entry: ProductEntry) -> tuple[Variant, bool]:
    """The catalog's variant columns when given (the base name inferred when only
    ``variant_of`` is missing), else what the name says."""
    inferred, certain = _from_name(entry.name)
    if entry.variant_of or entry.size or entry.colour or entry.unit:
        base = entry.variant_of or inferred.base
        return Variant(base, entry.size, entry.colour, entry.unit), True
    return inferred, certain


@lru_cache(maxsize=_PART_CACHE)
def _unit_features(unit: str) -> frozenset[str]:
    out = set()
    for tok in _unit_tokens(unit):
        if tok.text == "dozen":
            out.add("unit:12")
        elif is_measure(tok.text) or tok.text.isdigit():
            out.add(f"unit:{tok.text}")
            if (number := re.match(r"\d+\.\d+", tok.text)) is not None:
                out.add(f"unit:{number.group()}")  # "1.5" said for "1.5mm"
        elif word := pack_word(tok.text):
            out.add(f"unit:{word}")
        elif unit_word := measure_unit(tok.text):
            out.add(f"unit:1{unit_word}")  # sold "by the metre"
    return frozenset(out)


# A measure in the smallest unit of its kind, so that 2kg and 500g compare.
_SCALE = {"kg": ("g", 1000), "g": ("g", 1), "l": ("ml", 1000), "ml": ("ml", 1)}
_SCALE |= {"m": ("mm", 1000), "cm": ("mm", 10), "mm": ("mm", 1), "lb": ("oz", 16), "oz": ("oz", 1)}


def amount(measure: str) -> tuple[str, float] | None:
    """ "2.5l" -> ("ml", 2500.0): a measure in the smallest unit of its kind."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]+)", measure)
    if not m or m.group(2) not in _SCALE:
        return None
    kind, factor = _SCALE[m.group(2)]
    return kind, float(m.group(1)) * factor


def features(variant: Variant) -> frozenset[str]:
    """What words can tell this variant from its siblings: "size:L", "colour:navy",
    "family:blue", "unit:2.5l", "unit:box", "unit:100"."""
    out: set[str] = set()
    if variant.size:
        out.add(f"size:{size_code(variant.size)}")
        if any(ch.isdigit() for ch in variant.size):  # a size that is a measure: "15 m"
            out |= _unit_features(variant.size)  # (a lone "M" or "L" is no metre or litre)
    words = _colour_words(variant.colour)
    if words:
        out.add(f"colourname:{' '.join(words)}")
    for word in words:
        out.add(f"colour:{word}")
        if word in _FAMILY_OF:
            out.add(f"family:{_FAMILY_OF[word]}")
    out |= _unit_features(variant.unit)
    return frozenset(out)


def _base_key(base: str) -> str:
    return " ".join(t.text for t in tokenize(base))


class VariantIndex:
    """Families of SKUs sharing a base product, with the features that tell them apart."""

    def __init__(self, products: Iterable[ProductEntry]):
        guesses: list[tuple[str, Variant, bool, str]] = []
        keys: dict[str, str] = {}  # base name -> its key, each worked out once
        for entry in products:
            variant, certain = variant_of(entry)
            if (key := keys.get(variant.base)) is None:
                key = keys[variant.base] = _base_key(variant.base)
            guesses.append((entry.sku, variant, certain, key))
        shared: dict[str, int] = {}
        for *_, key in guesses:
            shared[key] = shared.get(key, 0) + 1
        self.base: dict[str, str] = {}  # sku -> base name, when it differs from the name
        self._features: dict[str, tuple[str, ...]] = {}  # a tuple is a third of a set
        self._family: dict[str, list[str]] = {}
        # One copy of each base name and feature set: a family's SKUs share them.
        names: dict[str, str] = {}
        sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        for sku, variant, certain, key in guesses:
            if not certain and shared[key] < 2 and not variant.unit:
                continue  # "Earl Grey" alone is not an Earl in grey
            self.base[sku] = names.setdefault(variant.base, variant.base)
            found = tuple(sorted(features(variant)))
            self._features[sku] = sets.setdefault(found, found)
            self._family.setdefault(key, []).append(sku)
        self._family_of = {sku: fam for fam in self._family.values() for sku in fam}

    def family(self, sku: str) -> list[str]:
        return self._family_of.get(sku, [sku])

    def features(self, sku: str) -> frozenset[str]:
        return frozenset(self._features.get(sku, ()))

    def narrow(
        self, skus: Sequence[str], said: dict[int, frozenset[str]]
    ) -> tuple[list[str], set[int]]:
        """The SKUs whose variants match what was said, and the token indexes used.

        Each word narrows the SKUs of its kind (size, colour, unit) that have its value;
        a colour named exactly ("Navy") wins over one containing the word ("Forest
        Green" for "forest"), which wins over its family ("navy" for "blue"). When no SKU has
        all the kinds said, those matching any of them are left, for the bot to offer.
        """
        have = {f for sku in skus for f in self.features(sku)}
        used: set[int] = set()
        per_kind: list[set[str]] = []
        for prefixes in (("size:",), ("colourname:", "colour:", "family:"), ("unit:",)):
            for prefix in prefixes:
                kept, hit = set(skus), False
                for i, fs in sorted(said.items()):
                    wanted = {f for f in fs if f.startswith(prefix)} & have
                    keep = {sku for sku in kept if self.features(sku) & wanted}
                    if keep:  # a word none of the SKUs left has is no variant word
                        kept, hit = keep, True
                        used.add(i)
                if hit:
                    per_kind.append(kept)
                    break
        # No SKU has everything said (a grey XL that is only made in navy): offer both.
        chosen = (set.intersection(*per_kind) or set.union(*per_kind)) if per_kind else set(skus)
        left = [sku for sku in skus if sku in chosen]
        if not any(f.startswith("size:") for f in have):
            left = self._by_amount(left, said, used)
        return left, used

    def _by_amount(
        self, skus: list[str], said: dict[int, frozenset[str]], used: set[int]
    ) -> list[str]:
        """ "the big tub", "the small bag": of variants that differ only in how much
        they hold (one measure each, of one kind), the largest or the smallest."""
        ranks = [(i, f) for i, fs in sorted(said.items()) for f in fs if f.startswith("rank:")]
        if not ranks or len(skus) < 2:
            return skus
        amounts: dict[str, float] = {}
        kinds = set()
        for sku in skus:
            measures = [
                a for f in self.features(sku) if (a := amount(f.removeprefix("unit:"))) is not None
            ]
            if len({m[1] for m in measures}) != 1:
                return skus
            kinds.add(measures[0][0])
            amounts[sku] = measures[0][1]
        if len(kinds) != 1 or len(set(amounts.values())) < 2:
            return skus
        i, rank = ranks[-1]
        best = (max if rank == "rank:max" else min)(amounts.values())
        used.add(i)
        return [sku for sku in skus if amounts[sku] == best]


def _counts_a_pack(tokens: Sequence[Token], i: int) -> bool:
    """Whether the number at ``i`` is a pack's size ("the 6 pack", "a 12 pack", "2
    12-packs"), not how many packs ("3 packs")."""
    nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
    prev = tokens[i - 1].text if i else ""
    return pack_word(nxt) is not None and (
        pack_word(nxt) == nxt or prev in ("a", "an") or number_value(prev) is not None
    )


def times_measure(
    index: VariantIndex, skus: Sequence[str], measure: str
) -> tuple[list[str], int] | None:
    """The SKUs of ``skus`` whose measure goes into ``measure`` a whole number of times
    (two or more), with that number: "2kg" of a 1 kg bag is 2 bags, "10 metres" of a
    cable sold by the metre is 10. The largest such measure wins (fewest packs); SKUs
    sold in the same measure stay together (two cables by the metre)."""
    said = amount(measure)
    if said is None or any(f"unit:{measure}" in index.features(sku) for sku in skus):
        return None
    fits: dict[float, list[str]] = {}
    for sku in skus:
        for feature in index.features(sku):
            have = amount(feature.removeprefix("unit:"))
            if have is None or have[0] != said[0] or have[1] <= 0:
                continue
            times = said[1] / have[1]
            if times >= 2 and abs(times - round(times)) < 1e-9:
                fits.setdefault(have[1], []).append(sku)
    if not fits:
        return None
    largest = max(fits)
    return list(dict.fromkeys(fits[largest])), round(said[1] / largest)


def _a_measure(unit: str, *, halved: bool) -> str:
    """ "a kilo" is 1kg; "half a kilo" is 500g, "half a litre" 500ml."""
    if not halved or unit not in _SCALE:
        return f"unit:1{unit}"
    kind, factor = _SCALE[unit]
    return f"unit:{factor / 2:g}{kind}"


def said_features(
    original: str,
    tokens: Sequence[Token],
    indexes: Iterable[int],
    size_slots: Collection[int] = (),
) -> dict[int, frozenset[str]]:
    """Variant features of the words at ``indexes``: sizes ("large", "size 10", "sz L",
    an upper-case "L", a bare number at one of ``size_slots``: "chinos 32"), colours,
    measures ("2.5l", "15 m"), pack words and pack counts ("12 pack", "box of 100",
    "dozen")."""
    out: dict[int, frozenset[str]] = {}
    wanted = set(indexes)
    for i in sorted(wanted):
        word = tokens[i].text
        prev = tokens[i - 1].text if i else ""
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
        found: set[str] = set()
        raw = original[tokens[i].start : tokens[i].end]
        if word in ("extra", "x") and nxt in ("large", "small"):
            found.add(f"size:{size_code(word + nxt)}")
        elif prev in ("extra", "x") and word in ("large", "small"):
            pass  # read with the word before it
        elif prev in SIZE_CUES or (raw.isupper() and word in _SIZE_CODES):
            found.add(f"size:{size_code(word)}")
        elif spoken := _spoken_size(word):
            found.add(f"size:{size_code(spoken)}")
        elif i in size_slots and word.isdigit():
            found.add(f"size:{word}")
        # "grey" is the Grey one, else any grey; "blue" is any blue (Navy, Royal Blue);
        # "navy" is the Navy one, else any blue.
        colour = _SPELLING.get(word, word)
        found.add(f"colourname:{colour}")
        if colour not in _FAMILIES:
            found.add(f"colour:{colour}")
        if colour in _FAMILY_OF:
            found.add(f"family:{_FAMILY_OF[colour]}")
        if rank := _RANKS.get(word):
            found.add(rank)
        if is_measure(word):
            found.add(f"unit:{word}")
        elif (unit := measure_unit(word)) and prev in ("a", "an", "one"):  # "one litre"
            found.add(_a_measure(unit, halved=i > 1 and tokens[i - 2].text == "half"))
        elif pack := pack_word(word):
            found.add(f"unit:{pack}")
        elif word == "dozen":
            found.add("unit:6" if i > 1 and tokens[i - 2].text == "half" else "unit:12")
        elif prev == "the" and re.fullmatch(r"\d+s", word):
            found.add(f"unit:{word[:-1]}")  # "the 12s": the pack of 12
        elif word.isdigit() and (
            prev == "of"
            or nxt in _PRO_FORMS
            or _counts_a_pack(tokens, i)
            or multipack_count(tokens, i)
        ):
            found.add(f"unit:{word}")  # "box of 200", "the 200 ones", "a 12 pack", "6 x 330ml"
        elif re.fullmatch(r"\d+\.\d+", word):
            found.add(f"unit:{word}")  # "1.5 twin and earth": the 1.5mm one
        elif word.isdigit() and nxt == "m":
            found.add(f"unit:{word}m")  # "15 m", kept apart from "2 m" (size M) in tokens
        out[i] = frozenset(found)
    return out
