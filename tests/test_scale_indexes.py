"""The hot queries of a big shop use their indexes (issue 17): EXPLAIN on PostgreSQL.

The statements are the ones the real functions send (captured as they run), explained
against a shop with tens of thousands of orders and with sequential scans priced out
(`enable_seqscan = off`), so each plan names the index that serves it. Not timed: the
figures are bench/scale.py's (docs/capacity.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from bot.answering import receive
from conversations import search
from conversations.inbound import InboundMessage
from infra.db import Database
from infra.settings import load_settings
from orders import customers, order_lists, queries
from orders.status import OrderStatus
from orders.stockops import pickup_queue, sweep_uncollected_pickups
from tests.factories import make_shop, order_in

FILLER_CUSTOMERS = 20_000
FILLER_ORDERS = 40_000
JO_PHONE = "+15555550101"
MESSAGES_PER_CONVERSATION = 10

FILL = [
    f"""INSERT INTO customers (name, default_address, created_at)
    SELECT 'Filler ' || g, '', now() FROM generate_series(1, {FILLER_CUSTOMERS}) g""",
    """INSERT INTO customer_identities
        (customer_id, kind, value, verified, opted_out, unreachable, created_at)
    SELECT id, 'phone', '+1212' || lpad(id::text, 7, '0'), true, false, false, now()
    FROM customers WHERE name LIKE 'Filler %'""",
    f"""INSERT INTO orders (number, customer_id, status, fulfillment_method, address,
        location_id, pickup_code, channel, placed_at, updated_at, ready_at)
    SELECT 90000 + g, (SELECT min(id) FROM customers WHERE name LIKE 'Filler %')
            + g % {FILLER_CUSTOMERS},
        (ARRAY['delivered', 'picked_up', 'cancelled', 'ready_for_pickup'])[1 + g % 4],
        'pickup', '', (SELECT min(id) FROM locations), '', 'sms',
        now() - g * interval '1 minute', now(), now() - (g % 1440) * interval '1 minute'
    FROM generate_series(1, {FILLER_ORDERS}) g""",
    """INSERT INTO order_lines (order_id, product_id, sku, name, unit_price, quantity,
        quantity_cancelled, quantity_fulfilled, quantity_returned)
    SELECT id, (SELECT min(id) FROM products), 'FILL-' || (id % 5000), 'Filler', 100, 1, 0, 1, 0
    FROM orders WHERE number > 90000""",
    """INSERT INTO conversations (customer_id, channel, address, mode, state, created_at,
        last_message_at)
    SELECT id, 'sms', '+1212' || lpad(id::text, 7, '0'), 'bot', '{}', now(), now()
    FROM customers WHERE name LIKE 'Filler %' AND id % 10 = 0""",
    f"""INSERT INTO messages (conversation_id, direction, author, author_id, channel, text,
        payload, created_at, handled_at, attempts, last_error)
    SELECT c.id, 'in', 'customer', '', 'sms', 'where is my order #' || (c.id * 10 + g), '{{}}',
        now(), now(), 0, ''
    FROM conversations c, generate_series(1, {MESSAGES_PER_CONVERSATION}) g""",
    "ANALYZE",
]


@pytest.fixture
def big(db: Database, session: Session) -> Database:
    if db.is_sqlite:
        pytest.skip("EXPLAIN plans and the trigram indexes are PostgreSQL's; SQLite has neither")
    make_shop(session)
    jo = customers.create_customer(session, "Jo Rivera", "1 Road", {"phone": JO_PHONE})
    order_in(session, OrderStatus.DELIVERED, jo)
    order_in(session, OrderStatus.PLACED, jo)
    order_in(session, OrderStatus.READY_FOR_PICKUP, jo)
    session.commit()
    with db.engine.begin() as connection:
        for statement in FILL:
            connection.execute(text(statement))
    return db


@contextmanager
def sent(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and their parameters) sent to the database meanwhile."""
    captured: list[tuple[str, Any]] = []

    def hook(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", hook)
    try:
        yield captured
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)


def plans(db: Database, run: Callable[[Session], object], reads: str) -> list[str]:
    """The plans of the statements `run` sends that read `reads` (a FROM clause's table)."""
    with sent(db) as captured, db.sessions() as session:
        run(session)
        session.rollback()
    statements = [
        (sql, params)
        for sql, params in captured
        if sql.lstrip().startswith("SELECT") and reads in sql
    ]
    assert statements, f"nothing read {reads}"
    with db.engine.begin() as connection:
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        return [
            "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}", params))
            for sql, params in statements
        ]


def assert_uses(index: str, found: list[str]) -> None:
    assert all(index in plan for plan in found), "\n\n".join(found)


@pytest.mark.parametrize("search_with", [queries.search_orders, order_lists.order_rows])
@pytest.mark.parametrize(
    ("search", "indexes"),
    [
        ({"q": "+1 (555) 555-0101"}, ["uq_customer_identities_kind_value"]),
        # the customers of that name first, then their orders by their ids
        ({"q": "rivera"}, ["ix_customers_name_trgm", "ix_orders_customer_placed"]),
        ({"q": "#10002"}, ["uq_orders_number"]),
        ({"sku": "FILL-17"}, ["ix_order_lines_sku"]),
        ({"status": "placed"}, ["ix_orders_status_"]),  # either index that starts with status
        ({"customer_id": 1}, ["ix_orders_customer_placed"]),
    ],
)
def test_order_searches_use_an_index(
    big: Database,
    search_with: Callable[..., object],
    search: dict,
    indexes: list[str],  # type: ignore[type-arg]
) -> None:
    found = plans(big, lambda s: search_with(s, **search), "FROM")
    for index, plan in zip(indexes, found, strict=False):  # the search; then the loads
        assert index in plan, plan
    assert not any("Seq Scan" in plan for plan in found), "\n\n".join(found)


def test_a_name_searchs_page_picks_its_order_ids_from_the_index_alone(big: Database) -> None:
    # the orders of a name's customers are spread over the table: only the page's rows are
    # read, after their ids came from (customer_id, placed_at, id)
    found = plans(big, lambda s: order_lists.order_rows(s, q="rivera"), "FROM orders")
    assert re.search(r"Index Only Scan (Backward )?using ix_orders_customer_placed", found[0])
    assert "pk_orders" in found[0], found[0]


def test_customer_search_by_phone_is_one_equality(big: Database) -> None:
    found = plans(big, lambda s: customers.search_customers(s, "(555) 555-0101"), "customers")
    assert_uses("uq_customer_identities_kind_value", found[:1])
    assert "Seq Scan" not in found[0]


def test_customer_search_by_name_reads_the_trigram_indexes(big: Database) -> None:
    found = plans(big, lambda s: customers.search_customers(s, "rivera"), "customers")
    assert_uses("ix_customers_name_trgm", found[:1])
    assert_uses("ix_customer_identities_value_trgm", found[:1])


def test_the_console_finds_rare_words_said_through_the_trigram_index(big: Database) -> None:
    found = plans(big, lambda s: search.messages_saying(s, "order #12345"), "FROM messages")
    assert_uses("ix_messages_text_trgm", found)


def test_pickup_sweep_reads_status_and_ready_time(big: Database) -> None:
    def sweep(session: Session) -> None:
        sweep_uncollected_pickups(session, reminder_days=3, expiry_days=7)

    assert_uses("ix_orders_status_ready", plans(big, sweep, "FROM orders")[:2])


def test_the_order_a_customer_means_is_found_by_index(big: Database) -> None:
    """A tracking question through the bot: every read of the customer's orders goes by
    the customer's newest-first index, however many orders the shop has."""
    settings = load_settings(database_url=big.url, sender_answers_per_minute=1000)

    def ask(session: Session) -> None:
        message = InboundMessage(
            "sms", JO_PHONE, "where is my order", "explain-1", ("phone", JO_PHONE)
        )
        receive(big, settings, message)

    found = plans(big, ask, "orders.customer_id = ")
    assert_uses("ix_orders_customer_placed", found)


def test_a_customers_history_reads_their_newest_first_index(big: Database) -> None:
    with big.reading() as session:
        jo = customers.find_by_identity(session, "phone", JO_PHONE)
        assert jo is not None
        jo_id = jo.customer_id
    found = plans(big, lambda s: customers.purchase_history(s, jo_id), "FROM orders")
    assert_uses("ix_orders_customer_placed", found[:1])


def test_a_stores_pickup_list_reads_location_and_status(big: Database) -> None:
    """A store's list (the filler orders are all at the first location, not this one)."""
    with big.reading() as session:
        code = session.scalar(text("SELECT code FROM locations ORDER BY id DESC LIMIT 1"))
    found = plans(big, lambda s: pickup_queue(s, code, reminder_days=3), "FROM orders")
    assert_uses("ix_orders_location_status", found[:1])
