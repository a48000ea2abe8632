"""The API, the console (with the store screens) and the bot give the same answer to the
same request, because each calls the same application service (services/).

The demo shop: Sam's order #10003 has shipped; Priya (#10005) ordered only at Riverside.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from conversations.staff_models import Handoff
from infra.db import Database
from orders.models import Customer, Order
from tests.dialogue import Chat, open_chat
from tests.handoff_support import agent, csrf_token, escalated, login

ADMIN = {"Authorization": "Bearer test-admin-token"}


@dataclass
class Doors:
    db: Database
    api: FlaskClient
    dt_token: dict[str, str]
    csr: FlaskClient  # a CSR at the console
    dt: FlaskClient  # a store user at Downtown's screens

    def order(self, number: int) -> Order:
        with self.db.reading() as s:
            order = s.scalar(select(Order).where(Order.number == number))
            s.expunge(order)
            return order

    def customer_id(self, name: str) -> int:
        with self.db.reading() as s:
            return s.scalar(select(Customer.id).where(Customer.name == name))

    def waiting_handoff(self) -> int:
        with self.db.sessions() as s:  # escalated() commits
            return escalated(s, phone="+15555550177").id

    def handoff(self, handoff_id: int) -> tuple[str, int | None, str | None]:
        with self.db.reading() as s:
            found = s.get(Handoff, handoff_id)
            return found.status, found.assigned_to_id, found.resolution

    def count_orders(self) -> int:
        with self.db.reading() as s:
            return s.scalar(select(func.count()).select_from(Order))


def said(response) -> str:  # type: ignore[no-untyped-def]
    """The console page's flashed message (or error page), as text."""
    return html.unescape(response.get_data(as_text=True))


def console_post(client: FlaskClient, path: str, data: dict[str, object], page: str):  # type: ignore[no-untyped-def]
    data = {**data, "csrf_token": csrf_token(client, page)}
    return client.post(path, data=data, follow_redirects=True)


def chat_as(db: Database, name: str) -> Chat:
    return open_chat(db, name)


@pytest.fixture
def doors(app: Flask, db: Database) -> Doors:
    open_chat(db)  # seeds the demo shop
    with db.sessions() as s:  # agent() commits
        agent(s, "csr@example.com")
        agent(s, "dt@example.com", "store", locations=["DT"])
    csr, dt = app.test_client(), app.test_client()
    assert login(csr, "csr@example.com").status_code == 302
    assert login(dt, "dt@example.com").status_code == 302
    made = app.test_cli_runner().invoke(args=["create-api-token", "dt-pos", "--location", "DT"])
    assert made.exit_code == 0, made.output
    token = {"Authorization": f"Bearer {made.output.strip()}"}
    return Doors(db, app.test_client(), token, csr, dt)


def test_a_product_twice_is_refused_with_the_same_words(doors: Doors) -> None:
    """The API's two lines and the phone-order form's two rows name ETH-250 twice."""
    jo = doors.customer_id("Jo Rivera")
    before = doors.count_orders()
    api = doors.api.post(
        "/api/v1/orders",
        headers=ADMIN,
        json={
            "customer_id": jo,
            "lines": [{"sku": "ETH-250", "quantity": 1}, {"sku": "eth-250", "quantity": 2}],
            "fulfillment": {"method": "delivery", "address": "1 Road"},
        },
    )
    # The API's schema (api/inputs.py) asks the domain's rule, and names the field first.
    words = "twice; give each item once."
    assert (api.status_code, api.get_json()["error"]["code"]) == (400, "bad_lines")
    assert api.get_json()["error"]["message"] == f"lines ETH-250 appears {words}"
    page = f"/csr/customers/{jo}/phone-order"
    form = {"sku": ["ETH-250", "eth-250"], "qty": ["1", "2"], "method": "delivery"}
    for step in ("preview", "place"):
        console = console_post(doors.csr, page, {**form, "address": "1 Road", "step": step}, page)
        assert f"ETH-250 appears {words}" in said(console), step
    assert doors.count_orders() == before


def test_another_stores_order_and_customer_are_refused_alike(doors: Doors) -> None:
    """Downtown's API token and Downtown's store screen on Riverside's order #10005; the
    token ordering for Riverside's customer; and Jo, in chat, naming Priya's order."""
    words = "Order #10005 is handled by Riverside Store, not Downtown Store."
    api = doors.api.post(
        "/api/v1/orders/10005/fulfillments",
        headers=doors.dt_token,
        json={"type": "picked_up", "pickup_code": "000000"},
    )
    assert (api.status_code, api.get_json()["error"]["message"]) == (403, words)
    page = "/csr/store/DT/pickups"
    screen = console_post(
        doors.dt, "/csr/store/DT/orders/10005/hand-over", {"pickup_code": "000000"}, page
    )
    assert words in said(screen)
    adopt = doors.api.post(
        "/api/v1/orders",
        headers=doors.dt_token,
        json={
            "customer_id": doors.customer_id("Priya Patel"),
            "lines": [{"sku": "ETH-250", "quantity": 1}],
            "fulfillment": {"method": "pickup", "location": "DT"},
        },
    )
    assert (adopt.status_code, adopt.get_json()["error"]["code"]) == (
        403,
        "location_access_denied",
    )
    # A customer's scope is their own orders: someone else's number is simply not there.
    chat_as(doors.db, "Jo Rivera").says("cancel order 10005").reply_has("no order 10005")
    assert doors.order(10005).status == "ready_for_pickup"


def test_a_shipped_orders_address_cannot_change_anywhere(doors: Doors) -> None:
    sam = doors.order(10003)
    assert sam.status == "shipped"
    words = "Order #10003 is already shipped and can't be changed any more."
    api = doors.api.patch("/api/v1/orders/10003", headers=ADMIN, json={"address": "9 Elsewhere"})
    assert (api.status_code, api.get_json()["error"]["message"]) == (409, words)
    page = f"/csr/customers/{sam.customer_id}"
    console = console_post(
        doors.csr,
        "/csr/orders/10003/change",
        {"method": "delivery", "address": "9 Elsewhere", "back": page},
        page,
    )
    assert words in said(console)
    chat = chat_as(doors.db, "Sam Chen").says("change the address of order 10003 to 9 Elsewhere")
    chat.reply_has("#10003 is already shipped", "can't be changed")
    assert doors.order(10003).address == sam.address


def test_the_queue_refuses_alike(app: Flask, doors: Doors) -> None:
    """Ana holds a conversation: the CSR at the console, and the API naming that CSR, try
    to claim it and to resolve it; Downtown's store user and Downtown's token try to
    claim it. Each refusal is one rule (services.handoffs), so the words are the same."""
    with doors.db.sessions() as s:
        agent(s, "ana@example.com")
    ana = app.test_client()
    assert login(ana, "ana@example.com").status_code == 302
    handoff = doors.waiting_handoff()
    claim, resolve = f"/csr/handoffs/{handoff}/claim", f"/csr/handoffs/{handoff}/resolve"
    console_post(ana, claim, {}, "/csr/queue")
    held = doors.handoff(handoff)
    assert held[0] == "assigned"
    api_base = f"/api/v1/handoffs/{handoff}"
    as_csr = {"csr": "csr@example.com"}
    for action, page, status, code, words in (
        ("claim", claim, 409, "already_claimed", "ana took this conversation already."),
        ("resolve", resolve, 403, "not_your_handoff", "ana has this conversation."),
    ):
        api = doors.api.post(f"{api_base}/{action}", headers=ADMIN, json=as_csr)
        error = api.get_json()["error"]
        assert (api.status_code, error["code"], error["message"]) == (status, code, words)
        assert words in said(console_post(doors.csr, page, {}, "/csr/queue")), action
    words = "A store cannot work the queue."
    api = doors.api.post(f"{api_base}/claim", headers=doors.dt_token, json=as_csr)
    error = api.get_json()["error"]
    assert (api.status_code, error["code"], error["message"]) == (403, "forbidden", words)
    assert words in said(console_post(doors.dt, claim, {}, "/csr/"))
    page = doors.dt.get(f"/csr/handoffs/{handoff}")
    assert page.status_code == 403 and words in said(page)
    assert doors.handoff(handoff) == held


def test_a_store_sees_its_own_customers_in_the_console_as_in_the_api(doors: Doors) -> None:
    """Jo ordered a delivery (#10001, from the warehouse) and a Downtown pickup (#10002);
    Priya only at Riverside (#10005). Downtown sees Jo with #10002 only, and not Priya."""
    jo, priya = doors.customer_id("Jo Rivera"), doors.customer_id("Priya Patel")
    words = "You can only see customers who ordered at DT."
    api = doors.api.get(f"/api/v1/customers/{priya}", headers=doors.dt_token)
    error = api.get_json()["error"]
    assert (api.status_code, error["code"], error["message"]) == (
        403,
        "location_access_denied",
        words,
    )
    page = doors.dt.get(f"/csr/customers/{priya}")
    assert page.status_code == 403 and words in said(page) and "Priya" not in said(page)

    profile = doors.api.get(f"/api/v1/customers/{jo}", headers=doors.dt_token).get_json()
    assert [o["number"] for o in profile["purchase_history"]] == ["#10002"]
    page = said(doors.dt.get(f"/csr/customers/{jo}"))
    assert "#10002" in page and "#10001" not in page
    assert "Messages" not in page and "Cancel order" not in page  # a CSR's tools

    for q, customers, orders in (("Jo", ["Jo Rivera"], ["#10002"]), ("Priya", [], [])):
        found = doors.api.get(f"/api/v1/customers?q={q}", headers=doors.dt_token).get_json()
        assert [c["name"] for c in found["customers"]] == customers, q
        placed = doors.api.get(f"/api/v1/orders?q={q}", headers=doors.dt_token).get_json()
        assert [o["number"] for o in placed["orders"]] == orders, q
        page = said(doors.dt.get(f"/csr/search?q={q}"))
        assert ("Jo Rivera" in page, "#10002" in page) == (bool(customers), bool(orders)), q
        assert "Priya Patel" not in page and "#10001" not in page and "#10005" not in page, q


def test_a_csr_still_sees_every_customer_and_their_conversations(doors: Doors) -> None:
    jo, priya = doors.customer_id("Jo Rivera"), doors.customer_id("Priya Patel")
    page = said(doors.csr.get(f"/csr/customers/{jo}"))
    assert "#10001" in page and "#10002" in page and "Messages" in page
    assert "#10005" in said(doors.csr.get(f"/csr/customers/{priya}"))
    search = said(doors.csr.get("/csr/search?q=Priya"))
    assert "Priya Patel" in search and "#10005" in search and "Conversations" in search
