"""The read model of order lists gives what the ORM's orders give, filter for filter."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from orders import demo, order_lists, queries
from orders.models import Order, Payment
from orders.queries import OrderFilters


@pytest.fixture
def shop(session: Session) -> Session:
    demo.seed(session)  # orders in every state: shipments, a refund, a cancelled line
    session.commit()
    return session


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": "delivered"},
        {"q": "rivera"},
        {"sku": "ETH-250"},
        {"location_codes": ["DT"]},
        {"q": "no such customer"},
    ],
)
def test_rows_are_the_orders_the_search_finds(shop: Session, filters: OrderFilters) -> None:
    expected = [order_lists.order_row(o) for o in queries.search_orders(shop, **filters)]
    assert order_lists.order_rows(shop, **filters) == expected


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_a_name_searchs_page_is_its_newest_orders(shop: Session, limit: int) -> None:
    # the page's ids are picked first (order_lists.newest_ids), then their rows are read
    expected = [order_lists.order_row(o) for o in queries.search_orders(shop, q="r", limit=limit)]
    assert order_lists.order_rows(shop, q="r", limit=limit) == expected
    assert len(expected) == limit


@pytest.mark.parametrize("filters", [{}, {"status": "cancelled"}, {"q": "rivera"}])
def test_summaries_are_the_rows_in_short(shop: Session, filters: OrderFilters) -> None:
    keys = ("id", "number", "customer_id", "status", "placed_at", "total")
    rows = [{k: row[k] for k in keys} for row in order_lists.order_rows(shop, **filters)]  # type: ignore[literal-required]
    assert order_lists.order_summaries(shop, **filters) == rows
    assert rows


def test_the_demo_has_what_the_rows_must_carry(shop: Session) -> None:
    rows = order_lists.order_rows(shop)
    assert any(row["shipments"] for row in rows)
    assert any(line["quantity_cancelled"] for row in rows for line in row["lines"])
    assert any(p.amount < 0 for p in shop.scalars(select(Payment)))  # a refund
    assert len({row["amount_paid"] for row in rows}) > 2


def test_a_page_starts_after_the_order_given(shop: Session) -> None:
    newest = order_lists.order_rows(shop, limit=2)
    last = shop.get(Order, newest[-1]["id"])
    assert last is not None
    after = (last.placed_at, last.id)
    rest = order_lists.order_rows(shop, after=after)
    assert [r["id"] for r in newest + rest] == [r["id"] for r in order_lists.order_rows(shop)]


def test_a_name_too_common_to_list_its_customers_finds_the_same_orders(
    shop: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = [o.id for o in queries.search_orders(shop, q="r")]
    monkeypatch.setattr(queries, "NAMED_CUSTOMERS_LISTED", 1)  # "r" names more than one
    assert [o.id for o in queries.search_orders(shop, q="r")] == listed
    assert len({o.customer_id for o in queries.search_orders(shop, q="r")}) > 1
    assert [row["id"] for row in order_lists.order_rows(shop, q="r", limit=2)] == listed[:2]
