"""Orders placed per second through the service layer, on SQLite and PostgreSQL,
with 1 and 8 threads.

    python bench/orders.py [--seconds 5] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Each order has 1-3 lines from a catalog of 40 products with ample stock, half for
delivery and half for pickup at one of two stores. SQLite uses a temporary file;
PostgreSQL a scratch database that is dropped afterwards. Prints a small table.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

# Replace this script's folder on the path by the project root: this file is called
# orders.py and would otherwise hide the orders package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.scratch import on_both_databases  # noqa: E402
from entrypoints.bootstrap import bootstrap  # noqa: E402
from infra import migrate  # noqa: E402
from infra.db import Database  # noqa: E402
from infra.settings import load_settings  # noqa: E402
from orders import customers, inventory, ordering  # noqa: E402
from orders.events import Actor  # noqa: E402
from orders.models import Location, Product  # noqa: E402

PRODUCTS = 40
CUSTOMERS = 50
STOCK = 1_000_000
ACTOR = Actor("bot", "", "bench")
STORES = ("DT", "RV")


def setup(database: Database) -> list[int]:
    migrate.upgrade(database)
    with database.transaction() as session:
        for code, pickup, priority in (("WH", False, 1), ("DT", True, 2), ("RV", True, 3)):
            session.add(
                Location(
                    code=code,
                    name=code,
                    address="",
                    kind="store",
                    pickup=pickup,
                    hours="",
                    priority=priority,
                    active=True,
                )
            )
        for i in range(PRODUCTS):
            session.add(
                Product(
                    sku=f"P{i:03d}",
                    name=f"Product {i}",
                    price=Decimal("9.50"),
                    aliases="",
                    description="",
                    active=True,
                    low_stock_threshold=3,
                )
            )
        session.flush()
        for product_id in range(1, PRODUCTS + 1):
            for location_id in (1, 2, 3):
                inventory.set_on_hand(session, product_id, location_id, STOCK, "bench")
        return [
            customers.create_customer(session, f"Buyer {i}", f"{i} Bench Road").id
            for i in range(CUSTOMERS)
        ]


def place_one(database: Database, rng: random.Random, customer_ids: list[int]) -> None:
    items = {f"P{i:03d}": rng.randint(1, 3) for i in rng.sample(range(PRODUCTS), rng.randint(1, 3))}
    pickup = rng.random() < 0.5
    with database.transaction() as session:
        ordering.place_order(
            session,
            customers.get_customer(session, rng.choice(customer_ids)),
            items,
            method="pickup" if pickup else "delivery",
            pickup_location_code=rng.choice(STORES) if pickup else None,
            actor=ACTOR,
        )


def run(database: Database, customer_ids: list[int], threads: int, seconds: float) -> float:
    deadline = time.perf_counter() + seconds
    placed = [0] * threads

    def worker(index: int) -> None:
        rng = random.Random(index)
        while time.perf_counter() < deadline:
            place_one(database, rng, customer_ids)
            placed[index] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(placed) / (time.perf_counter() - started)


def bench(label: str, url: str, seconds: float) -> list[tuple[str, int, float]]:
    database = bootstrap(load_settings(database_url=url)).database
    try:
        customer_ids = setup(database)
        return [(label, n, run(database, customer_ids, n, seconds)) for n in (1, 8)]
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    rows = on_both_databases(
        lambda label, url: bench(label, url, args.seconds), args.pg, "bench_orders"
    )
    print(f"\n{'database':<12}{'threads':>8}{'orders/s':>12}")
    for label, threads, rate in rows:
        print(f"{label:<12}{threads:>8}{rate:>12.1f}")


if __name__ == "__main__":
    main()
