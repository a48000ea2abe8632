"""The console speaks to people: names or how to reach them, statuses in words, money with
its sign, times in the shop's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

from app import create_app
from backoffice import words
from conversations import handoffs as queue
from infra.settings import load_settings
from orders.status import OrderStatus
from tests import factories
from tests.handoff_support import agent, login, post, sms_chat


@pytest.fixture
def app(db_url: str) -> Flask:
    settings = load_settings(
        database_url=db_url, secret_key="words", store_timezone="Europe/Paris", locale="en_GB"
    )
    flask_app = create_app(settings)
    flask_app.config["TESTING"] = True
    return flask_app


def test_a_nameless_customer_is_shown_by_their_phone_and_statuses_and_money_are_words(
    app: Flask,
) -> None:
    with app.extensions["db"].sessions() as session:
        factories.make_shop(session)
        nameless = factories.customer(session, phone="+15555550177", name="")
        conversation = sms_chat(session, nameless, "+15555550177", "hello?")
        queue.escalate(session, conversation, "human_agent", "Wants a person.")
        session.commit()
        factories.order_in(session, OrderStatus.READY_FOR_PICKUP, nameless)
        agent(session, "casey@example.com")
        customer_id = nameless.id
    client = app.test_client()
    login(client, "casey@example.com")
    queue_page = client.get("/csr/queue").get_data(as_text=True)
    assert "+1 555-555-0177" in queue_page and f"Customer {customer_id}" not in queue_page
    customer_page = client.get(f"/csr/customers/{customer_id}").get_data(as_text=True)
    assert "ready for pickup" in customer_page and "ready_for_pickup" not in customer_page
    assert "US$" in customer_page or "$" in customer_page
    assert "hello?" in customer_page  # the transcript of their messages


def test_times_are_in_the_shops_zone_and_locale(app: Flask) -> None:
    settings = app.extensions["settings"]
    moment = datetime(2026, 12, 1, 15, 2, tzinfo=UTC)
    assert words.when(moment, settings) == "1 Dec 2026 16:02"
    assert words.duration(125) == "2 h 5 min" and words.duration(None) == "–"


def test_the_audit_log_reads_as_words_with_store_actions(app: Flask) -> None:
    with app.extensions["db"].sessions() as session:
        factories.make_shop(session)
        agent(session, "ada@example.com", role="admin")
        agent(session, "sam@example.com", role="store", locations=["DT"])
    staff = app.test_client()
    login(staff, "sam@example.com")
    page = "/csr/store/DT/stock"
    post(staff, "/csr/store/DT/stock/receive", {"sku": "BEAN", "quantity": "4"}, page)
    admin = app.test_client()
    login(admin, "ada@example.com")
    log = admin.get("/csr/admin/audit").get_data(as_text=True)
    assert "received stock of" in log and "location: DT" in log
    assert "{" not in log.split("<table>", 1)[1]
