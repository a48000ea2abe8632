"""The catalogue the parser matches against: products and pickup locations."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from .learned import known_words
from .models import LocationEntry, ProductEntry
from .products import ProductIndex
from .text import Token, tokenize, words, wordset
from .variants import VariantIndex

DEMO_DIR = Path(__file__).resolve().parents[2] / "orders" / "demo"

# Words in location names that do not tell one location from another.
_LOCATION_FILLER = wordset("store shop branch location outlet the central cafe")
# Small words never joined to the next one ("at station" is not "atstation").
_NOT_JOINED = wordset("a an at by in of on the to from my our your one")


@dataclass
class LocationMatch:
    code: str
    start: int  # token index
    end: int


class LocationIndex:
    def __init__(self, locations: Iterable[LocationEntry]):
        self.locations = list(locations)
        self.codes = {loc.code.upper(): loc for loc in self.locations}
        self._by_word: dict[str, str] = {}
        for loc in self.locations:
            toks = [t.text for t in tokenize(loc.name) if t.text not in _LOCATION_FILLER]
            for tok in toks:
                if len(tok) >= 3:
                    self._by_word.setdefault(tok, loc.code)
            if len(toks) > 1:
                self._by_word.setdefault("".join(toks), loc.code)
        self._vocab = list(self._by_word)

    def _word(self, text: str) -> str | None:
        if text in self._by_word:
            return self._by_word[text]
        if len(text) < 5:
            return None
        hit = process.extractOne(text, self._vocab, scorer=fuzz.ratio, score_cutoff=82)
        return self._by_word[hit[0]] if hit else None

    def find(
        self, original: str, tokens: Sequence[Token], blocked: set[int], code_ok: bool
    ) -> list[LocationMatch]:
        """Locations by name (fuzzy, "down town" too) or by code.

        A code counts when written in capitals ("DT"), or in any case when
        ``code_ok`` (the bot just asked for a location and the reply is short).
        """
        found: list[LocationMatch] = []
        i = 0
        while i < len(tokens):
            if i in blocked:
                i += 1
                continue
            tok = tokens[i]
            raw = original[tok.start : tok.end]
            if raw.upper() in self.codes and (raw.isupper() or code_ok):
                found.append(LocationMatch(self.codes[raw.upper()].code, i, i + 1))
                i += 1
                continue
            nxt = tokens[i + 1].text if i + 1 < len(tokens) and i + 1 not in blocked else None
            # "down town" is joined; "riverside one", "station mug" are not.
            alone = tok.text in self._by_word
            if nxt and not alone and tok.text not in _NOT_JOINED and nxt not in _NOT_JOINED:
                joined = tok.text + tokens[i + 1].text
                # Two real words join only into a name as written: "make it" is no "market".
                real = tok.text in known_words() and nxt in known_words()
                code = self._by_word.get(joined) if real else self._word(joined)
                if len(joined) >= 6 and code:
                    found.append(LocationMatch(code, i, i + 2))
                    i += 2
                    continue
            code = self._word(tok.text)
            if code:
                end = i + 1  # "garden centre": every word of the one name
                while (
                    end < len(tokens)
                    and end not in blocked
                    and self._by_word.get(tokens[end].text) == code
                ):
                    end += 1
                found.append(LocationMatch(code, i, end))
                i = end
                continue
            i += 1
        return found


class CatalogIndex:
    """Products and locations, indexed once, shared by every parse."""

    def __init__(self, products: Iterable[ProductEntry], locations: Iterable[LocationEntry]):
        entries = list(products)
        self.variants = VariantIndex(entries)
        self.products = ProductIndex(entries, self.variants.base)
        self.locations = LocationIndex(locations)
        self.vocabulary = vocabulary(entries, self.locations.locations)
        self.example = example_product(entries)


def example_product(products: list[ProductEntry]) -> str:
    """A product of this shop for the examples in replies and hints ("2 mugs" would name
    the demo shop's mugs in every shop): the shortest name, the base name of a variant
    the catalog declares ("Chinos"), so that the example stays short by SMS; "item" for
    an empty catalogue."""
    return min((p.variant_of or p.name for p in products), key=len, default="item").lower()


def vocabulary(
    products: Iterable[ProductEntry], locations: Iterable[LocationEntry]
) -> frozenset[str]:
    """The shop's own words (product names, aliases, categories, variant and unit words,
    store names), which typo correction must keep: "socks" is no misspelt "stock"."""
    phrases = {  # each once: categories, sizes and colours recur
        phrase
        for p in products
        for phrase in (p.name, *p.aliases, p.category or "", p.variant_of, p.size, p.colour, p.unit)
    }
    phrases.update(loc.name for loc in locations)
    return frozenset(w for phrase in phrases for w in words(phrase))


def load_demo_catalog(directory: Path = DEMO_DIR) -> CatalogIndex:
    """The demo store's catalogue, read from ``orders/demo/*.csv``."""
    return CatalogIndex(*demo_entries(directory))


def demo_entries(directory: Path = DEMO_DIR) -> tuple[list[ProductEntry], list[LocationEntry]]:
    """The demo store's products and locations, as ``orders/demo/*.csv`` has them."""
    with open(directory / "catalog.csv", newline="", encoding="utf-8") as fh:
        products = [
            ProductEntry(
                sku=row["sku"],
                name=row["name"],
                aliases=tuple(
                    a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()
                ),
                category=row.get("category") or None,
                variant_of=row.get("variant_of") or "",
                size=row.get("size") or "",
                colour=row.get("colour") or row.get("color") or "",
                unit=row.get("unit") or "",
            )
            for row in csv.DictReader(fh)
        ]
    with open(directory / "locations.csv", newline="", encoding="utf-8") as fh:
        locations = [
            LocationEntry(code=row["code"], name=row["name"], address=row.get("address") or "")
            for row in csv.DictReader(fh)
        ]
    return products, locations
