"""Many buyers, few units: exactly the right number of orders and never negative stock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infra.db import Database
from orders import customers, ordering
from orders.errors import OutOfStock
from orders.models import Order, Stock
from tests.factories import ACTOR, make_shop

BUYERS = 24


def _buy_concurrently(db: Database, **order_kwargs: object) -> list[str]:
    with db.transaction() as session:
        ids = [customers.create_customer(session, f"Buyer {i}", "1 Road").id for i in range(BUYERS)]
    barrier = threading.Barrier(BUYERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(customer_id: int) -> None:
        barrier.wait()
        try:
            with db.transaction() as session:
                who = customers.get_customer(session, customer_id)
                ordering.place_order(session, who, {"GRIND": 1}, actor=ACTOR, **order_kwargs)  # type: ignore[arg-type]
            result = "placed"
        except OutOfStock:
            result = "out_of_stock"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buy, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize(
    ("stock", "order_kwargs", "expected"),
    [
        ({("GRIND", "DT"): 7}, {"method": "pickup", "pickup_location_code": "DT"}, 7),
        ({("GRIND", "WH"): 4, ("GRIND", "DT"): 3, ("GRIND", "RV"): 2}, {"method": "delivery"}, 9),
    ],
    ids=["pickup-one-store", "delivery-across-locations"],
)
def test_concurrent_buyers_never_oversell(db: Database, stock, order_kwargs, expected) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as session:
        make_shop(session, stock)
    outcomes = _buy_concurrently(db, **order_kwargs)
    assert outcomes.count("placed") == expected
    assert outcomes.count("out_of_stock") == BUYERS - expected
    with db.sessions() as session:
        assert _count(session, Order) == expected
        rows = session.scalars(select(Stock)).all()
        assert all(r.reserved <= r.on_hand and r.reserved >= 0 for r in rows)
        assert sum(r.reserved for r in rows) == expected


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model))
