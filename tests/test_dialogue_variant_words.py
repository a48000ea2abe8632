"""Which variant words pick: an offered size by its measure ("the big tin"), the next
size ("go up a size"), another size asked for ("too small, can I have the large")."""

from __future__ import annotations

from bot.dialogue import variants
from bot.nlu import CatalogIndex, LocationEntry, ParseContext, ProductEntry, parse

PAINT = ["W1", "W25"]
CATALOG = CatalogIndex(
    [
        ProductEntry("W1", "Emulsion White 1 L", variant_of="Emulsion White", unit="1 L tin"),
        ProductEntry("W25", "Emulsion White 2.5 L", variant_of="Emulsion White", unit="2.5 L tin"),
        ProductEntry("TM", "Tee Navy M", variant_of="Tee", size="M", colour="Navy"),
        ProductEntry("TL", "Tee Navy L", variant_of="Tee", size="L", colour="Navy"),
        ProductEntry("TS", "Tee Navy S", variant_of="Tee", size="S", colour="Navy"),
        ProductEntry("GL", "Tee Grey L", variant_of="Tee", size="L", colour="Grey"),
    ],
    [LocationEntry("DT", "Downtown")],
)


def _picked(text: str) -> str | None:
    parsed = parse(text, CATALOG, ParseContext("choice", PAINT))
    return variants.picked_among(CATALOG, parsed, PAINT)


def test_an_offered_size_is_picked_by_its_measure_or_how_big_it_is():
    assert _picked("the big tin") == "W25"
    assert _picked("small one please") == "W1"
    assert _picked("one litre") == "W1"
    assert _picked("the 2.5 litre") == "W25"
    assert _picked("whichever") is None


def test_going_up_or_down_a_size():
    assert variants.size_step("go up a size on the tee please") == 1
    assert variants.size_step("can you size down the jacket") == -1
    assert variants.size_step("the large one") == 0


def test_too_small_says_what_is_wrong_not_the_size_wanted():
    parsed = parse("the tee is too small, could I have a large instead", CATALOG)
    assert variants.ANOTHER.search(parsed.norm)
    assert variants.swaps(CATALOG, parsed, ["TM"], None, asked=True) == {"TM": "TL"}
