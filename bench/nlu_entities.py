"""Entity extraction on catalogs of other kinds, and parse latency at 10,000 products.

    python bench/nlu_entities.py            # accuracy per split, then latency
    python bench/nlu_entities.py -v         # also every miss of the tune split

The cases are ``tests/nlu_entities_cases.csv`` on the test catalogs in
``tests/catalogs/`` (apparel, hardware) and the demo shop. The ``tune`` split was
used while writing the extraction; the ``heldout`` split was written at the same
time and never tuned on.
"""

from __future__ import annotations

import csv
import itertools
import os
import statistics
import sys
import time
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/orders.py would shadow the orders package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
sys.path.insert(0, str(ROOT))

from bot.nlu import (  # noqa: E402
    CatalogIndex,
    LocationEntry,
    ParseContext,
    ParseResult,
    ProductEntry,
    load_demo_catalog,
    parse,
)

CASES = ROOT / "tests" / "nlu_entities_cases.csv"
CATALOGS = ROOT / "tests" / "catalogs"


@cache
def catalog(name: str) -> CatalogIndex:
    return load_demo_catalog() if name == "demo" else load_demo_catalog(CATALOGS / name)


def load_cases(split: str | None = None) -> list[dict[str, str]]:
    with open(CASES, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if split is None or r["split"] == split]


def run_case(case: dict[str, str]) -> ParseResult:
    choices = [c for c in case["choices"].split("|") if c]
    context = ParseContext(expecting="choice", choices=choices) if choices else None
    return parse(case["text"], catalog(case["catalog"]), context)


def _split(value: str) -> list[str]:
    return [v for v in value.split("|") if v]


def mismatches(result: ParseResult, expect: str) -> list[str]:
    """What in ``result`` differs from the expectation, one line each; [] when it agrees.

    ``expect`` is ``key=value`` items separated by ``;``: ``product`` (the first
    product), ``products`` (all, in order, ``|``-separated), ``options`` (the first
    product and its candidates, as a set), ``qty`` (``N@SKU`` or a bare ``N``, as a
    set; empty for none), ``unit`` and ``part_of`` (of the first quantity),
    ``address`` and ``location`` (the first; empty for none).
    """
    by_type: dict[str, list] = {}
    for e in result.entities:
        by_type.setdefault(e.type, []).append(e)
    products = by_type.get("product", [])
    quantities = by_type.get("quantity", [])
    first_qty = quantities[0] if quantities else None
    got: dict[str, str] = {
        "product": str(products[0].value) if products else "",
        "products": "|".join(str(p.value) for p in products),
        "options": "|".join(
            sorted({str(products[0].value), *products[0].candidates}) if products else []
        ),
        "qty": "|".join(
            sorted(f"{q.value}@{q.refers_to}" if q.refers_to else str(q.value) for q in quantities)
        ),
        "unit": (first_qty.unit or "") if first_qty else "",
        "part_of": str(first_qty.part_of or "") if first_qty else "",
        "address": str(by_type["address"][0].value) if "address" in by_type else "",
        "location": str(by_type["location"][0].value) if "location" in by_type else "",
    }
    wrong = []
    for item in expect.split(";"):
        key, _, want = item.partition("=")
        if key in ("options", "qty"):
            want = "|".join(sorted(_split(want)))
        if got[key] != want:
            wrong.append(f"{key}: want {want!r}, got {got[key]!r}")
    return wrong


def accuracy(split: str, verbose: bool = False) -> tuple[int, int]:
    cases = load_cases(split)
    right = 0
    for case in cases:
        wrong = mismatches(run_case(case), case["expect"])
        right += not wrong
        if wrong and verbose:
            print(f"  MISS [{case['catalog']}] {case['text']!r}: {'; '.join(wrong)}")
    return right, len(cases)


def variant_catalog(n: int) -> CatalogIndex:
    """``n`` products in families of sizes and colours (given as columns), packs and
    measures (in the names), plus the apparel test shop's locations."""
    styles = ["classic", "slim", "relaxed", "heavy", "light", "fitted", "cropped", "long"]
    materials = ["merino", "cotton", "linen", "wool", "denim", "fleece", "canvas", "bamboo"]
    garments = [
        "sweater",
        "tee",
        "shirt",
        "jacket",
        "hoodie",
        "scarf",
        "cap",
        "sock",
        "glove",
        "vest",
    ]
    colours = ["Grey", "Navy", "Black", "Forest Green"]
    sizes = ["S", "M", "L", "XL"]
    goods = ["compost", "paint", "screws", "rope", "seed", "mulch", "sand", "gravel", "glue", "oil"]
    makers = ["acme", "brico", "garda", "hortus", "ferro", "lumen", "terra", "ventura"]
    units = ["10 L bag", "40 L bag", "1 L tin", "2.5 L tin", "box of 100", "box of 200"]
    products: list[ProductEntry] = []
    for style, material, garment in itertools.product(styles, materials, garments):
        base = f"{style.title()} {material.title()} {garment.title()}"
        for colour, size in itertools.product(colours, sizes):
            sku = f"A-{len(products):06d}"
            products.append(ProductEntry(sku, base, (), None, base, size, colour))
    for maker, good, unit in itertools.product(makers, goods, units):
        products.append(ProductEntry(f"H-{len(products):06d}", f"{maker.title()} {good} {unit}"))
    filler = itertools.count()
    while len(products) < n:
        i = next(filler)
        products.append(ProductEntry(f"F-{i:06d}", f"Item {i} {makers[i % 8]} {goods[i % 10]}"))
    locations = catalog("apparel").locations.locations
    return CatalogIndex(products[:n], [LocationEntry(x.code, x.name, x.address) for x in locations])


LATENCY_MESSAGES = [
    "grey slim merino sweater, size large",
    "2 navy relaxed cotton tees in XL and a forest green linen scarf",
    "3 packs of the acme screws box of 200",
    "a 40 L bag of terra compost",
    "ship it to 4 Station Road",
    "send back one of the three heavy wool hoodies",
    "the large",
    "2 dozen eggs",
    "can i pick it up at station",
    "wheres my order #10042",
]


def latency(index: CatalogIndex, rounds: int) -> dict[str, tuple[float, float]]:
    """p50 and p99 of wall time and of this thread's CPU time, in ms. On a shared
    machine the wall figure includes waiting for a core; the CPU figure is the parse."""
    for msg in LATENCY_MESSAGES:  # warm caches once, as a long-running process would
        parse(msg, index)
    wall, cpu = [], []
    for _ in range(rounds):
        for msg in LATENCY_MESSAGES:
            t0, c0 = time.perf_counter(), time.thread_time()
            parse(msg, index)
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - t0) * 1000)
    return {
        name: (statistics.median(times), sorted(times)[int(len(times) * 0.99) - 1])
        for name, times in (("wall", wall), ("cpu", cpu))
    }


def main() -> None:
    verbose = "-v" in sys.argv
    for split, note in (("tune", "worked on"), ("heldout", "never tuned on")):
        right, total = accuracy(split, verbose and split == "tune")
        print(f"entity cases, {split} split ({note}): {right}/{total} ({right / total:.2f})")
    print("\n== parse latency with variants (ms)")
    for n, rounds in ((10_000, 100),):
        t0 = time.perf_counter()
        index = variant_catalog(n)
        built = time.perf_counter() - t0
        print(f"{n:,} products, index built in {built:.1f}s")
        for name, (p50, p99) in latency(index, rounds).items():
            print(f"  {name:<5} p50 {p50:6.2f}   p99 {p99:6.2f}")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
