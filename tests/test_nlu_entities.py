"""Entities on catalogs that are not the demo's: variants, packs, addresses, partial counts.

The shops are ``tests/catalogs/apparel`` (variants given as columns, or spelled in the
names) and ``tests/catalogs/hardware`` (packs and measures). The phrase cases are in
``tests/nlu_entities_cases.csv``: the ``tune`` split must pass here; the ``heldout``
split is only measured, by ``python bench/nlu_entities.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bot.catalog_cache import build_index
from bot.nlu import (
    CatalogIndex,
    LocationEntry,
    ParseContext,
    ProductEntry,
    load_demo_catalog,
    parse,
)
from bot.nlu.variants import VariantIndex
from orders import csv_import

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ROOT / "tests" / "catalogs"


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_nlu_entities", ROOT / "bench" / "nlu_entities.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _bench()


@pytest.fixture(scope="module")
def apparel() -> CatalogIndex:
    return load_demo_catalog(CATALOGS / "apparel")


@pytest.fixture(scope="module")
def hardware() -> CatalogIndex:
    return load_demo_catalog(CATALOGS / "hardware")


def of(result, kind):
    return [e for e in result.entities if e.type == kind]


def counts(result) -> list[tuple[int, str | None]]:
    return [(q.value, q.refers_to) for q in of(result, "quantity")]


def options(result) -> set[str]:
    (product,) = of(result, "product")
    return {product.value, *product.candidates}


@pytest.mark.parametrize(
    "case", BENCH.load_cases("tune"), ids=lambda c: f"{c['catalog']}: {c['text']}"
)
def test_tune_cases(case):
    assert BENCH.mismatches(BENCH.run_case(case), case["expect"]) == []


def test_heldout_cases_are_well_formed():
    cases = BENCH.load_cases("heldout")
    assert len(cases) >= 30
    for case in cases:  # every expectation names a known key, on a known catalog
        BENCH.mismatches(BENCH.run_case(case), case["expect"])


# Variants read from the catalog ---------------------------------------------------------


def test_variants_are_inferred_from_names():
    index = VariantIndex(
        [
            ProductEntry("A1", "Merino Sweater - Grey / L"),
            ProductEntry("A2", "Merino Sweater - Navy / M"),
            ProductEntry("B1", "Rain Jacket (Large)"),
            ProductEntry("C1", "Ceramic Mug White"),
            ProductEntry("C2", "Ceramic Mug Black"),
            ProductEntry("D1", "Earl Grey"),
            ProductEntry("E1", "Tote - Oatmeal / S"),
            ProductEntry("E2", "Tote - Charcoal / S"),
            ProductEntry("F1", "Tasting Gift Box"),
        ]
    )
    assert index.family("A1") == ["A1", "A2"]
    assert {"size:L", "colour:grey", "family:grey"} <= index.features("A1")
    assert index.features("B1") == {"size:L"}  # a part in brackets is certain on its own
    assert index.family("C1") == ["C1", "C2"] and "colour:white" in index.features("C1")
    # A trailing word is a colour only when another product shares the rest of the name.
    assert index.family("D1") == ["D1"] and index.features("D1") == frozenset()
    # A part that is no known colour is one when its siblings differ in it.
    assert "colour:oatmeal" in index.features("E1")
    assert index.features("F1") == frozenset()  # "Box" with no count is a name


def test_catalog_columns_win_over_the_name():
    index = VariantIndex(
        [
            ProductEntry("P1", "Paint", variant_of="Exterior Paint", unit="1 L tin"),
            ProductEntry("P2", "Paint", variant_of="Exterior Paint", unit="2.5 L tin"),
        ]
    )
    assert index.family("P1") == ["P1", "P2"]
    assert {"unit:2.5l", "unit:tin"} <= index.features("P2")


@pytest.mark.parametrize(
    ("text", "sku"),
    [
        ("grey sweater, size large", "SW-GRY-L"),
        ("GREY SWEATER SIZE L", "SW-GRY-L"),
        ("navy sweater sz XL", "SW-NVY-XL"),
        ("navy jumper extra large", "SW-NVY-XL"),
        ("gray sweater small", "SW-GRY-S"),
        ("blue sweater in medium", "SW-NVY-M"),  # navy is the only blue
        ("black tee medium", "TEE-BLK-M"),
        ("jeans size 34", "JN-34"),
    ],
)
def test_size_and_colour_words_pick_one_sku(apparel, text, sku):
    r = parse(text, apparel)
    (product,) = of(r, "product")
    assert (product.value, product.candidates) == (sku, [])
    assert of(r, "quantity") == []  # "size 34" is no count


def test_a_product_word_after_size_is_the_product_not_a_size(apparel):
    """ "wrong size jeans sent": "size" is what went wrong, "jeans" the product."""
    r = parse("wrong size jeans sent, I want to return them", apparel)
    assert options(r) == {"JN-30", "JN-32", "JN-34"}


def test_a_size_without_a_colour_narrows_to_the_colours_in_that_size(apparel):
    assert options(parse("a medium sweater", apparel)) == {"SW-GRY-M", "SW-NVY-M"}
    assert options(parse("a sweater", apparel)) == {
        "SW-GRY-S",
        "SW-GRY-M",
        "SW-GRY-L",
        "SW-NVY-M",
        "SW-NVY-L",
        "SW-NVY-XL",
    }


def test_an_ambiguous_colour_family_keeps_both():
    catalog = CatalogIndex(
        [
            ProductEntry("H-N", "Hoodie - Navy / M"),
            ProductEntry("H-R", "Hoodie - Royal Blue / M"),
            ProductEntry("H-G", "Hoodie - Grey / M"),
        ],
        [],
    )
    assert options(parse("blue hoodie", catalog)) == {"H-N", "H-R"}
    assert options(parse("navy hoodie", catalog)) == {"H-N"}


@pytest.mark.parametrize(
    ("choices", "text", "expected"),
    [
        (["SW-GRY-L", "SW-NVY-L"], "navy", {"SW-NVY-L"}),
        (["SW-GRY-L", "SW-NVY-L"], "the grey one pls", {"SW-GRY-L"}),
        (["SW-GRY-M", "SW-GRY-L", "SW-NVY-M", "SW-NVY-L"], "the large", {"SW-GRY-L", "SW-NVY-L"}),
        (["GLV-S", "GLV-L"], "small", {"GLV-S"}),
    ],
)
def test_an_answer_to_which_one_picks_among_the_choices(apparel, choices, text, expected):
    r = parse(text, apparel, ParseContext(expecting="choice", choices=choices))
    assert options(r) == expected


def test_a_named_answer_stays_among_the_choices(apparel):
    context = ParseContext(expecting="choice", choices=["SW-GRY-M", "SW-GRY-L"])
    (product,) = of(parse("the large sweater", apparel, context), "product")
    assert (product.value, product.candidates) == ("SW-GRY-L", [])


def test_a_measure_answer_picks_among_the_choices(hardware):
    context = ParseContext(expecting="choice", choices=["PNT-WHT-1", "PNT-WHT-25"])
    assert options(parse("the 2.5 L one", hardware, context)) == {"PNT-WHT-25"}
    assert of(parse("the 2.5 L one", hardware, context), "quantity") == []


# Packs and units ------------------------------------------------------------------------


def test_a_pack_word_qualifies_the_quantity_unless_it_is_the_name(apparel):
    r = parse("3 packs of the crew socks", apparel)
    (qty,) = of(r, "quantity")
    assert (qty.value, qty.unit, qty.refers_to) == (3, "pack", "SOCK-3")
    assert "GFT-PACK" not in options(r)
    r = parse("a gift pack", apparel)
    assert [p.value for p in of(r, "product")] == ["GFT-PACK"]
    assert counts(r) == [(1, "GFT-PACK")]


def test_pack_words_on_the_demo_shop():
    demo = load_demo_catalog()
    r = parse("3 bags of the kenyan", demo)
    assert [(q.value, q.refers_to, q.unit) for q in of(r, "quantity")] == [(3, "KEN-250", "bag")]
    r = parse("a gift box", demo)
    assert [p.value for p in of(r, "product")] == ["GFT-BOX"]


@pytest.mark.parametrize(
    ("text", "sku", "qty"),
    [
        ("a dozen eggs", "EGG-12", 1),
        ("2 dozen eggs", "EGG-12", 2),
        ("half a dozen eggs", "EGG-6", 1),
        ("two 40 L bags of compost", "CMP-40", 2),
        ("a box of 200 4x40 screws", "SCR-440-200", 1),
        ("the 8 pack of aa batteries", "BAT-8", None),
    ],
)
def test_a_pack_size_picks_the_pack(hardware, text, sku, qty):
    r = parse(text, hardware)
    assert options(r) == {sku}
    assert [q.value for q in of(r, "quantity")] == ([qty] if qty else [])


def test_dozens_without_a_dozen_pack_are_counted():
    demo = load_demo_catalog()
    assert [q.value for q in of(parse("2 dozen paper filters", demo), "quantity")] == [24]


@pytest.mark.parametrize(
    ("text", "value"),
    [("twenty four tote bags", 24), ("thirty caps", 30), ("2 tote bags", 2), ("a tote", 1)],
)
def test_numbers_as_words_and_digits(apparel, text, value):
    (qty,) = of(parse(text, apparel), "quantity")
    assert qty.value == value and qty.refers_to is not None


# Addresses and stores -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("ship it to 4 Station Road", "4 Station Road"),
        ("can you send it to 4 Station Parade please", "4 Station Parade"),
        ("deliver to Flat 2, 14 Market Street", "Flat 2, 14 Market Street"),
        ("deliver to Station Road 4 instead", "Station Road 4"),
        ("send them to 12 Oak Ave, Springfield IL 62704", "12 Oak Ave, Springfield IL 62704"),
    ],
)
def test_an_address_after_deliver_to_is_an_address(apparel, text, address):
    r = parse(text, apparel)
    assert [e.value for e in of(r, "address")] == [address]
    assert of(r, "location") == [] and of(r, "order_number") == [] and of(r, "quantity") == []


@pytest.mark.parametrize(
    "text", ["pick up at Station", "send it to the station store", "collect from market street"]
)
def test_a_store_without_a_street_number_is_a_store(apparel, text):
    r = parse(text, apparel)
    assert of(r, "address") == [] and len(of(r, "location")) == 1


# Partial returns and cancels ------------------------------------------------------------


def test_one_of_the_three_is_one(apparel):
    (qty,) = of(parse("send back one of the three", apparel), "quantity")
    assert (qty.value, qty.part_of, qty.refers_to) == (1, 3, None)
    assert qty.to_json()["part_of"] == 3
    (qty,) = of(parse("i want to return 2 of my 3 caps", apparel), "quantity")
    assert (qty.value, qty.part_of, qty.refers_to) == (2, 3, "CAP-NVY")


def test_one_of_the_three_counts_after_that(apparel):
    """ "that one" points at a product, but "that one of the three caps" counts one."""
    (qty,) = of(parse("I noticed that one of the three caps is torn", apparel), "quantity")
    assert (qty.value, qty.part_of, qty.refers_to) == (1, 3, "CAP-NVY")


@pytest.mark.parametrize(
    ("text", "value", "sku"),
    [
        ("return 2 of the tote bags", 2, "TOTE"),
        ("cancel one of the scarves", 1, "SCF-RED"),
        ("send back 1 out of 2 gift packs", 1, "GFT-PACK"),
    ],
)
def test_partial_quantities_bind_to_the_product(apparel, text, value, sku):
    (qty,) = of(parse(text, apparel), "quantity")
    assert (qty.value, qty.refers_to) == (value, sku)


# The catalog as the bot loads it from the database --------------------------------------


def test_variant_columns_reach_the_bot_from_the_database(session: Session):
    csv_import.import_catalog(session, (CATALOGS / "apparel" / "catalog.csv").read_bytes())
    csv_import.import_locations(session, (CATALOGS / "apparel" / "locations.csv").read_bytes())
    session.commit()
    index = build_index(session)
    (product,) = of(parse("grey sweater, size large", index), "product")
    assert (product.value, product.candidates) == ("SW-GRY-L", [])
    assert options(parse("a navy sweater", index)) == {"SW-NVY-M", "SW-NVY-L", "SW-NVY-XL"}


# Measures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shop", "text", "sku", "qty"),
    [
        ("hardware", "10 metres of twin and earth cable 2.5mm", "CAB-25", 10),
        ("hardware", "15m of 1.5mm twin and earth", "CAB-15", 15),
        ("hardware", "50 kg of play sand", "SAND-25", 2),
        ("hardware", "3 25kg bags of play sand", "SAND-25", 3),
        ("apparel", "a pair of wool socks", "WSK-1", 1),
        ("apparel", "3 packs of wool socks", "WSK-3", 3),
        ("apparel", "two pairs of wool socks", "WSK-1", 2),
    ],
)
def test_a_count_is_of_the_unit_the_product_is_sold_in(request, shop, text, sku, qty):
    """A measure counts the units sold ("50 kg" of 25 kg bags); pairs and packs pick the
    variant sold that way."""
    r = parse(text, request.getfixturevalue(shop))
    assert options(r) == {sku}
    assert counts(r) == [(qty, sku)]


def test_measures_on_the_demo_shop():
    demo = load_demo_catalog()
    r = parse("2kg of the ethiopian beans", demo)
    assert options(r) == {"ETH-1KG"}
    assert counts(r) == [(2, "ETH-1KG")]
    r = parse("ethiopian beans 1kg", demo)
    assert options(r) == {"ETH-1KG"} and of(r, "quantity") == []


def test_a_pair_is_one_of_what_comes_in_pairs(apparel):
    r = parse("a pair of leather gloves, large", apparel)
    assert options(r) == {"GLV-L"}
    assert [(q.value, q.unit) for q in of(r, "quantity")] == [(1, "pair")]


# The same product again, in another variant ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a grey sweater in M and another one in L", [("SW-GRY-M", 1), ("SW-GRY-L", None)]),
        ("2 white tees in M and 3 in L", [("TEE-WHT-M", 2), ("TEE-WHT-L", 3)]),
        ("a navy sweater in L and the same in XL", [("SW-NVY-L", 1), ("SW-NVY-XL", None)]),
        ("a black tee in M and a white one", [("TEE-BLK-M", 1), ("TEE-WHT-M", 1)]),
    ],
)
def test_another_one_in_another_variant_is_a_second_mention(apparel, text, expected):
    r = parse(text, apparel)
    counts = {q.refers_to: q.value for q in of(r, "quantity")}
    assert [(p.value, counts.get(p.value)) for p in of(r, "product")] == expected
    assert all(p.candidates == [] for p in of(r, "product"))


def test_another_one_after_an_open_choice_stays_open(apparel):
    first, second = of(parse("a sweater and another one in navy", apparel), "product")
    assert len(first.candidates) == 5
    assert {second.value, *second.candidates} == {"SW-NVY-M", "SW-NVY-L", "SW-NVY-XL"}


# SMS shorthand --------------------------------------------------------------------------


def test_sms_colours_sizes_and_four_for_for(apparel):
    r = parse("2 blk tees sz L 4 pickup at station thx", apparel)
    assert options(r) == {"TEE-BLK-L"}
    assert counts(r) == [(2, "TEE-BLK-L")]
    assert [loc.value for loc in of(r, "location")] == ["ST"]


def test_a_number_in_or_after_the_name_is_its_size():
    catalog = CatalogIndex(
        [
            ProductEntry("C30", "Chinos Stone 30", variant_of="Chinos", size="30", colour="Stone"),
            ProductEntry("C32", "Chinos Stone 32", variant_of="Chinos", size="32", colour="Stone"),
        ],
        [],
    )
    for text in ("stone chinos, 32 waist", "chinos 32"):
        r = parse(text, catalog)
        assert options(r) == {"C32"} and of(r, "quantity") == [], text
    assert [q.value for q in of(parse("2 stone chinos", catalog), "quantity")] == [2]


# Names with dimensions, stores inside product names --------------------------------------


@pytest.fixture(scope="module")
def yard() -> CatalogIndex:
    products = [
        ProductEntry("S440", "Wood Screws 4x40mm Box of 100", variant_of="Wood Screws 4x40mm"),
        ProductEntry("S560", "Wood Screws 5x60mm Box of 100", variant_of="Wood Screws 5x60mm"),
        ProductEntry("T15", "Twin and Earth Cable 1.5mm", (), None, "Cable", "1.5mm", "", "metre"),
        ProductEntry("T25", "Twin and Earth Cable 2.5mm", (), None, "Cable", "2.5mm", "", "metre"),
        ProductEntry("H15", "Garden Hose 15 m", variant_of="Garden Hose", size="15 m"),
        ProductEntry("H30", "Garden Hose 30 m", variant_of="Garden Hose", size="30 m"),
        ProductEntry("GL", "Garden Gloves L", variant_of="Garden Gloves", size="L", unit="pair"),
        ProductEntry("GM", "Garden Gloves M", variant_of="Garden Gloves", size="M", unit="pair"),
    ]
    return CatalogIndex(products, [LocationEntry("GC", "Garden Centre", "Orchard Road")])


def test_a_dimension_is_said_without_its_unit(yard):
    r = parse("a box of 4x40 screws", yard)
    assert options(r) == {"S440"}
    assert counts(r) == [(1, "S440")]


def test_a_bare_decimal_names_the_measure_and_is_no_count(yard):
    r = parse("20m of 1.5 twin & earth", yard)
    assert options(r) == {"T15"}
    assert counts(r) == [(20, "T15")]


def test_a_store_word_that_starts_a_product_name_is_the_product(yard):
    r = parse("garden gloves in large, 2 pairs, pickup at the garden centre", yard)
    assert options(r) == {"GL"}
    assert counts(r) == [(2, "GL")]
    assert [loc.value for loc in of(r, "location")] == ["GC"]


def test_swap_one_variant_for_another(yard):
    r = parse("swap the 15m hose for the 30m one please", yard)
    assert [(p.value, p.candidates) for p in of(r, "product")] == [("H15", []), ("H30", [])]
    assert of(r, "quantity") == []


def test_a_kilo_and_both(apparel):
    demo = load_demo_catalog()
    r = parse("a kilo of the house espresso", demo)
    assert options(r) == {"ESP-1KG"}
    assert counts(r) == [(1, "ESP-1KG")]
    r = parse("i want to return both tote bags", apparel)
    assert counts(r) == [(2, "TOTE")]


def test_the_other_two_are_the_count_not_the_one_kept(hardware):
    text = "I only used one tin, can I return the other two unopened ones?"
    assert [q.value for q in of(parse(text, hardware), "quantity")] == [2]
    assert [
        q.value for q in of(parse("keep one and send back the other 2", hardware), "quantity")
    ] == [2]
    assert [q.value for q in of(parse("i used one tin", hardware), "quantity")] == [1]


def test_the_category_names_the_kind_of_product(hardware):
    r = parse("two 2.5L tins of brilliant white matt paint", hardware)
    assert options(r) == {"EMU-25"}
    assert counts(r) == [(2, "EMU-25")]


def test_an_alias_beats_the_family_name_it_ties_with():
    demo = load_demo_catalog()
    (press,) = of(parse("is the french press available", demo), "product")
    assert press.value == "FP-1L" and press.candidates == ["FP-350"]


def test_a_store_name_is_not_joined_to_the_next_word(apparel):
    r = parse("a station mug", apparel)
    assert [p.value for p in of(r, "product")] == ["MUG-ST"] and of(r, "location") == []
    (store,) = of(parse("the station one", apparel), "location")
    assert store.text == "station"


def test_a_measure_keeps_every_variant_sold_in_it(hardware):
    r = parse("10 metres of twin and earth cable", hardware)
    assert options(r) == {"CAB-25", "CAB-15"}
    assert [q.value for q in of(r, "quantity")] == [10]
    # A name that only just matches still matches when its family name ties with it.
    assert [p.value for p in of(parse("the cable", hardware), "product")] in (
        ["CAB-25"],
        ["CAB-15"],
    )


def test_a_size_letter_is_a_size_and_a_number_before_m_is_metres():
    shirts = [
        ProductEntry(f"OX-{s}", f"Oxford Shirt White {s}", variant_of="Oxford Shirt", size=s)
        for s in ("M", "L")
    ]
    lead = ProductEntry("EXT-5", "Extension Lead 4 Way 5 m")
    index = VariantIndex([*shirts, lead])
    assert index.features("OX-M") == {"size:M"} and index.features("OX-L") == {"size:L"}
    assert not any(f.startswith("size:") for f in index.features("EXT-5"))


def test_a_product_said_again_size_by_size_is_those_sizes(apparel):
    r = parse("2 white tees please, one M and one L", apparel)
    assert [p.value for p in of(r, "product")] == ["TEE-WHT-M", "TEE-WHT-L"]
    assert counts(r) == [(1, "TEE-WHT-M"), (1, "TEE-WHT-L")]


def test_the_200_ones_are_the_box_of_200(hardware):
    r = parse("3 boxes of the 4x40 screws, the 200 ones", hardware)
    said = of(r, "product")[-1]
    assert (said.value, said.candidates, said.text) == ("SCR-440-200", [], "200 ones")
    assert [q.value for q in of(r, "quantity")] == [3]  # 200 is the pack, no count


def test_a_name_two_products_share_offers_both():
    """The Steel tumbler's alias "tumbler" scores more than its name, yet its name
    matches "travel tumbler" as well as the Green one's does."""
    demo = load_demo_catalog()
    (tumbler,) = of(parse("a travel tumbler please", demo), "product")
    assert {tumbler.value, *tumbler.candidates} == {"TUM-STL", "TUM-GRN"}


@pytest.fixture(scope="module")
def grocery() -> CatalogIndex:
    return load_demo_catalog(ROOT / "examples" / "grocery")


@pytest.mark.parametrize(
    ("text", "sku", "qty"),
    [
        ("half a kilo of basmati rice", "RICE-BAS-500", 1),
        ("a small bag of basmati", "RICE-BAS-500", 1),
        ("2 big bottles of cola", "CLA-2L", 2),
        ("2 packs of pork sausages, the 12s", "SSG-PRK-12", 2),
        ("one larg sourdogh loaf", "BRD-SRD-L", 1),
    ],
)
def test_measures_said_in_words_pick_the_pack(grocery, text, sku, qty):
    r = parse(text, grocery)
    assert options(r) == {sku}
    assert counts(r) == [(qty, sku)]


def test_big_is_the_larger_pack_only_where_no_size_is_sold(grocery):
    assert options(parse("the big tub of greek yoghurt", grocery)) == {"YOG-GRK-1K"}
    # Eggs come in sizes: "large" is the size, and both boxes of large eggs stay.
    assert options(parse("2 large free range eggs", grocery)) == {"EGG-L-6", "EGG-L-12"}


def test_take_a_counted_pack_off_removes(grocery):
    (product,) = of(parse("can u take one tin of tomatoes off my order", grocery), "product")
    assert product.operation == "remove"


def test_the_count_of_packs_said_again_one_by_one_is_theirs(grocery):
    r = parse("2 boxes of eggs, one medium 6 pack and one large 12 pack", grocery)
    assert sorted(counts(r), key=str) == [(1, "EGG-L-12"), (1, "EGG-M-6")]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what time does station deli close on saturday", "store_info"),
        ("where's market hall and when does it open sunday", "store_info"),
        ("can i collect at market hall instead", "change_fulfillment"),
        ("where is my order, market hall said it was ready", "track_order"),
    ],
)
def test_a_store_asked_about_by_its_own_name(grocery, text, intent):
    assert parse(text, grocery).intent == intent


def test_a_multipacks_make_up_is_no_count(grocery):
    r = parse("2 packs of the 6 x 330ml cola", grocery)
    assert options(r) == {"CLA-6X330"}
    assert counts(r) == [(2, "CLA-6X330")]
