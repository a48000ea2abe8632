"""The catalogue index's compact parts: postings, names by substring, and what a big
catalogue leaves for the garbage collector (issue 17: a bot worker held 100,000 products
as ~870,000 Python objects, and every full collection walked them)."""

from __future__ import annotations

import gc

from bot.nlu import CatalogIndex, LocationEntry, ProductEntry, parse
from bot.nlu.names import NameText
from bot.nlu.postings import Postings


def test_postings_find_each_documents_tokens_and_each_tokens_documents() -> None:
    postings = Postings()
    docs = [["bold", "mug"], ["wild", "mug"], ["bold", "kettle"]]
    for doc in docs:
        postings.add([postings.token_id(t) for t in doc])
    postings.freeze()
    assert list(postings.docs("mug")) == [0, 1]
    assert list(postings.docs("bold")) == [0, 2]
    assert postings.count("kettle") == 1
    assert list(postings.docs("teapot")) == [] and postings.count("teapot") == 0
    assert "wild" in postings and "teapot" not in postings
    assert [postings.doc(d) for d in range(len(postings))] == [frozenset(d) for d in docs]


def test_names_containing_a_piece_in_any_case_never_across_two_names() -> None:
    names = NameText(["Bold Mug 12", "Grinder", "mugwort tea", "ab", "cd"])
    assert names.containing("MUG") == [0, 2]
    assert names.containing("grind") == [1]
    assert names.containing("bc") == []  # "ab" then "cd": no name has "bc"
    assert names.containing("b\nc") == []
    assert names.containing("") == [0, 1, 2, 3, 4]


def products(n: int) -> list[ProductEntry]:
    adjectives = ["bold", "bright", "classic", "dark", "deep", "fine", "fresh", "light"]
    nouns = ["mug", "kettle", "grinder", "filter", "scale", "tumbler", "press", "teapot"]
    return [
        ProductEntry(f"P{i:06d}", f"{adjectives[i % 8].title()} {nouns[i // 8 % 8]} {i}")
        for i in range(n)
    ]


def tracked_objects_of(n: int) -> tuple[int, CatalogIndex]:
    """How many objects the collector tracks more with an index of `n` products."""
    gc.collect()
    before = len(gc.get_objects())
    index = CatalogIndex(products(n), [LocationEntry("DT", "Downtown")])
    gc.collect()
    return len(gc.get_objects()) - before, index


def test_a_bigger_catalogue_adds_no_objects_for_the_collector() -> None:
    """Twice the products, (almost) no more objects: a set or an entry per product
    would be 20,000 more. (What there is: bounded caches of name parts, families.)"""
    smaller, _ = tracked_objects_of(20_000)
    bigger, index = tracked_objects_of(40_000)
    assert bigger - smaller < 1_000, (smaller, bigger)
    found = parse("2 bold kettle 8 for pickup downtown", index).entities
    assert [e.value for e in found if e.type == "product"] == ["P000008"]
