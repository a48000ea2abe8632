"""The CSR console through Flask's test client: login, CSRF, roles, escaping, actions."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations import demo as handoff_demo
from conversations import handoffs as queue
from conversations import staff as users
from conversations.models import Conversation, Message, OutboxMessage
from conversations.staff_models import AuditEntry, CannedReply, CsrSession, Handoff, HandoffNote
from infra.db import Database
from orders import demo
from orders.models import Order, OrderEvent, Return
from orders.status import OrderStatus, ReturnStatus
from tests import factories
from tests.handoff_support import (
    PASSWORD,
    agent,
    backdate,
    chatting_customer,
    csrf_token,
    escalated,
    login,
    post,
    sms_chat,
)

XSS = "<script>alert('pwned')</script>"


@pytest.fixture
def shop(app: Flask, db: Database) -> Session:
    with db.sessions() as s:
        factories.make_shop(s)
        yield s


@pytest.fixture
def csr(shop: Session, client: FlaskClient) -> FlaskClient:
    agent(shop, "csr@example.com")
    assert login(client, "csr@example.com").status_code == 302
    return client


def audit_actions(db: Database, actor: str) -> list[str]:
    with db.transaction() as s:
        return list(s.scalars(select(AuditEntry.action).where(AuditEntry.actor == actor)))


def test_pages_need_a_login(client: FlaskClient) -> None:
    for path in ("/csr/", "/csr/queue", "/csr/handoffs/1", "/csr/search", "/csr/admin/canned"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/csr/login")


def test_login_sets_a_fresh_httponly_session_and_logout_ends_it(
    shop: Session, client: FlaskClient, db: Database
) -> None:
    agent(shop, "csr@example.com")
    client.get("/csr/login")
    before = client.get_cookie("session")
    response = login(client, "csr@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/csr/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get_cookie("session").value != (before.value if before else None)
    stolen = client.get_cookie("session").value
    assert client.get("/csr/queue").status_code == 200

    assert post(client, "/csr/logout").status_code == 302
    with db.transaction() as s:
        assert s.scalar(select(CsrSession)) is None
    client.set_cookie("session", stolen)  # a copied cookie is dead after logout
    assert client.get("/csr/queue").status_code == 302
    assert audit_actions(db, "csr@example.com") == ["login", "logout"]


def test_login_redirects_only_within_the_console(shop: Session, client: FlaskClient) -> None:
    agent(shop, "csr@example.com")
    token = csrf_token(client)
    for target, expected in (("https://evil.example/", "/csr/"), ("/csr/search", "/csr/search")):
        response = client.post(
            "/csr/login",
            data={
                "email": "csr@example.com",
                "password": PASSWORD,
                "csrf_token": token,
                "next": target,
            },
        )
        assert response.headers["Location"] == expected
        token = csrf_token(client)


def test_every_post_needs_the_csrf_token(csr: FlaskClient, shop: Session, db: Database) -> None:
    handoff = escalated(shop)
    assert csr.post(f"/csr/handoffs/{handoff.id}/claim").status_code == 400
    assert csr.post("/csr/logout").status_code == 400
    fresh = csr.application.test_client()
    response = fresh.post("/csr/login", data={"email": "csr@example.com", "password": PASSWORD})
    assert response.status_code == 400
    with db.transaction() as s:
        assert s.get(Handoff, handoff.id).status == "waiting"


def test_failed_logins_are_rate_limited(shop: Session, client: FlaskClient) -> None:
    agent(shop, "csr@example.com")
    for _ in range(users.FREE_TRIES_PER_ACCOUNT_AND_ADDRESS):
        assert login(client, "csr@example.com", "wrong password!").status_code == 401
    refused = login(client, "csr@example.com")  # even the right password, for a while
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.get_data(as_text=True)
    assert login(client, "other@example.com", "whatever123").status_code == 401


def test_roles(shop: Session, client: FlaskClient) -> None:
    factories.customer(shop, phone="+15555550199")
    agent(shop, "csr@example.com")
    login(client, "csr@example.com")
    assert client.get("/csr/admin/canned").status_code == 403
    assert client.get("/csr/admin/users").status_code == 403
    response = post(client, "/csr/admin/canned", {"title": "Hi", "text": "Hello"})
    assert response.status_code == 403

    agent(shop, "store@example.com", "store", locations=["DT"])
    other = client.application.test_client()
    login(other, "store@example.com")
    assert other.get("/csr/queue").status_code == 403
    home = other.get("/csr/")
    assert home.status_code == 200 and "Downtown" in home.get_data(as_text=True)


def test_admin_manages_canned_replies_and_csr_uses_them(
    shop: Session, client: FlaskClient, db: Database
) -> None:
    agent(shop, "admin@example.com", "admin")
    login(client, "admin@example.com")
    post(client, "/csr/admin/canned", {"title": "Sorry", "text": "Sorry & <thanks>"})
    with db.transaction() as s:
        reply = s.scalar(select(CannedReply))
        assert (reply.title, reply.text) == ("Sorry", "Sorry & <thanks>")
    handoff = escalated(shop)
    page = client.get(f"/csr/handoffs/{handoff.id}").get_data(as_text=True)
    assert 'data-text="Sorry &amp; &lt;thanks&gt;"' in page
    post(client, f"/csr/admin/canned/{reply.id}/delete", page="/csr/admin/canned")
    with db.transaction() as s:
        assert s.scalar(select(CannedReply)) is None
    assert audit_actions(db, "admin@example.com")[-2:] == ["canned_save", "canned_delete"]


def test_customer_text_is_escaped_everywhere(csr: FlaskClient, shop: Session) -> None:
    handoff = escalated(shop, text=XSS, name=XSS)
    queue.add_note(shop, handoff, users.find_user(shop, "csr@example.com"), XSS)
    handoff.summary = XSS
    shop.commit()
    pages = [
        csr.get("/csr/queue").get_data(as_text=True),
        csr.get(f"/csr/handoffs/{handoff.id}").get_data(as_text=True),
        csr.get(f"/csr/handoffs/{handoff.id}/messages?after=0").get_data(as_text=True),
        csr.get("/csr/search?q=pwned").get_data(as_text=True),
    ]
    for page in pages:
        assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in pages[1]
    assert "&lt;script&gt;" in pages[2]


def test_claim_reply_note_and_hand_back(csr: FlaskClient, shop: Session, db: Database) -> None:
    handoff = escalated(shop)
    page = f"/csr/handoffs/{handoff.id}"
    post(csr, f"{page}/claim", page=page)
    post(csr, f"{page}/reply", {"text": "Hi Jo, I'm on it."}, page=page)
    post(csr, f"{page}/notes", {"text": "Regular customer."}, page=page)
    with db.transaction() as s:
        h = s.get(Handoff, handoff.id)
        assert h.status == "assigned" and h.assigned_to.email == "csr@example.com"
        out = s.scalar(
            select(OutboxMessage).where(OutboxMessage.conversation_id == h.conversation_id)
        )
        assert (out.body, out.message.author) == ("Hi Jo, I'm on it.", "csr")
        assert s.scalar(select(HandoffNote.text)) == "Regular customer."
    # the customer writes again: it shows in the next poll
    with db.transaction() as s:
        newest = s.scalar(select(Message.id).order_by(Message.id.desc()))
        s.add(
            Message(
                conversation_id=handoff.conversation_id,
                direction="in",
                author="customer",
                channel="sms",
                provider_id="SM-late",
                text="Thanks!",
            )
        )
    fragment = csr.get(f"{page}/messages?after={newest}")
    assert fragment.headers["X-Handoff-Status"] == "assigned"
    assert "Thanks!" in fragment.get_data(as_text=True)
    assert "on it" not in fragment.get_data(as_text=True)  # only what is new

    post(csr, f"{page}/hand-back", page=page)
    with db.transaction() as s:
        h = s.get(Handoff, handoff.id)
        assert (h.status, h.resolution, h.conversation.mode) == ("closed", "handed_back", "bot")
    assert audit_actions(db, "csr@example.com")[1:] == ["claim", "reply", "note", "hand_back"]


def test_someone_elses_conversation_is_refused(
    csr: FlaskClient, shop: Session, db: Database
) -> None:
    handoff = escalated(shop)
    queue.claim(queue.SqlHandoffs(shop), handoff, agent(shop, "first@example.com"))
    shop.commit()
    page = f"/csr/handoffs/{handoff.id}"
    response = post(csr, f"{page}/claim", page=page)
    follow = csr.get(response.headers["Location"]).get_data(as_text=True)
    assert "took this conversation already" in follow
    post(csr, f"{page}/resolve", page=page)
    with db.transaction() as s:
        assert s.get(Handoff, handoff.id).status == "assigned"


def test_queue_filters_and_overdue(csr: FlaskClient, shop: Session, db: Database) -> None:
    old = escalated(shop, "complaint", phone="+15555550141", name="Olga Old")
    escalated(shop, "human_agent", phone="+15555550142", name="Nina New")
    backdate(db, old.id, 30)
    page = csr.get("/csr/queue").get_data(as_text=True)
    assert page.index("Olga Old") < page.index("Nina New")
    assert f'class="overdue" data-handoff="{old.id}"' in page
    only = csr.get("/csr/queue?reason=human_agent&partial=1").get_data(as_text=True)
    assert "Nina New" in only and "Olga Old" not in only and "<html" not in only


def test_change_and_cancel_orders_from_the_panel(
    csr: FlaskClient, shop: Session, db: Database
) -> None:
    customer, conversation = chatting_customer(shop)
    order = factories.order_in(shop, OrderStatus.PLACED, customer)
    other = factories.order_in(shop, OrderStatus.PLACED, customer)
    handoff = queue.escalate(shop, conversation, "human_agent")
    shop.commit()
    page = f"/csr/handoffs/{handoff.id}"
    assert 'name="qty_BEAN" value="2"' in csr.get(page).get_data(as_text=True)
    response = post(
        csr,
        f"/csr/orders/{order.number}/change",
        {
            "qty_BEAN": "3",
            "qty_MUG": "1",
            "method": "delivery",
            "address": order.address,
            "back": page,
        },
        page=page,
    )
    assert response.headers["Location"] == page
    post(
        csr, f"/csr/orders/{other.number}/cancel", {"reason": "asked by phone", "back": page}, page
    )
    with db.transaction() as s:
        changed = s.scalar(select(Order).where(Order.number == order.number))
        assert {line.sku: line.active_quantity for line in changed.lines} == {"BEAN": 3, "MUG": 1}
        event = s.scalar(
            select(OrderEvent).where(
                OrderEvent.order_id == changed.id, OrderEvent.type == "modified"
            )
        )
        assert (event.actor_kind, event.actor_id) == ("csr", "csr@example.com")
        assert s.scalar(select(Order.status).where(Order.number == other.number)) == "cancelled"
    # a refusal from the orders service is shown, nothing changes
    refused = post(
        csr, f"/csr/orders/{order.number}/change", {"qty_BEAN": "999", "back": page}, page
    )
    assert 'class="flash error"' in csr.get(refused.headers["Location"]).get_data(as_text=True)
    with db.transaction() as s:
        again = s.scalar(select(Order).where(Order.number == order.number))
        assert {line.sku: line.active_quantity for line in again.lines} == {"BEAN": 3, "MUG": 1}


def test_phone_order_is_placed_on_the_phone_channel(
    csr: FlaskClient, shop: Session, db: Database
) -> None:
    customer = factories.customer(shop, phone="+15555550133")
    path = f"/csr/customers/{customer.id}/phone-order"
    form = {"sku": "GRIND", "qty": "1", "method": "pickup", "location": "RV"}
    preview = post(csr, path, {**form, "step": "preview"}, path).get_data(as_text=True)
    assert "What the customer gets" in preview and "Pickup at Riverside" in preview
    with db.transaction() as s:  # a preview places nothing
        assert s.scalar(select(Order).where(Order.customer_id == customer.id)) is None
    post(csr, path, {**form, "step": "place"}, path)
    with db.transaction() as s:
        order = s.scalar(select(Order).where(Order.customer_id == customer.id))
        assert (order.channel, order.fulfillment_method, order.location.code) == (
            "phone",
            "pickup",
            "RV",
        )
        event = s.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id))
        assert (event.actor_id, event.channel) == ("csr@example.com", "phone")


def test_phone_order_refuses_a_product_twice_and_searches_with_stock(
    csr: FlaskClient, shop: Session, db: Database
) -> None:
    customer = factories.customer(shop, phone="+15555550134")
    path = f"/csr/customers/{customer.id}/phone-order"
    twice = {"sku": ["BEAN", "BEAN"], "qty": ["1", "2"], "method": "delivery", "address": "1 Road"}
    page = post(csr, path, {**twice, "step": "place"}, path).get_data(as_text=True)
    assert "BEAN appears twice; give each item once." in page  # the API's words too
    with db.transaction() as s:
        assert s.scalar(select(Order).where(Order.customer_id == customer.id)) is None
    found = csr.get("/csr/products/search?q=bea&location=RV").get_json()["products"]
    assert [p["sku"] for p in found] == ["BEAN"] and found[0]["available"] >= 0
    assert found[0]["price_text"].startswith("$")


def test_return_approve_receive_refund(csr: FlaskClient, shop: Session, db: Database) -> None:
    from orders import returns

    order = factories.order_in(shop, OrderStatus.DELIVERED)
    ret = returns.request_return(shop, order, {"MUG": 1}, method="mail", actor=factories.ACTOR)
    shop.commit()
    page = f"/csr/customers/{order.customer_id}"
    post(csr, f"/csr/returns/{ret.number}/approve", {"back": page}, page)
    post(csr, f"/csr/returns/{ret.number}/receive", {"location": "WH", "back": page}, page)
    post(csr, f"/csr/returns/{ret.number}/refund", {"amount": "", "back": page}, page)
    with db.transaction() as s:
        done = s.get(Return, ret.id)
        assert (done.status, str(done.refund_amount)) == (ReturnStatus.REFUNDED, "12.00")
    assert audit_actions(db, "csr@example.com")[-3:] == [
        "return_approve",
        "return_receive",
        "return_refund",
    ]


def test_search_finds_orders_and_customers(csr: FlaskClient, shop: Session) -> None:
    customer = factories.customer(shop, phone="+15555550177", name="Quentin Query")
    order = factories.order_in(shop, OrderStatus.PLACED, customer)
    by_name = csr.get("/csr/search?q=quentin").get_data(as_text=True)
    assert "Quentin Query" in by_name and f"#{order.number}" in by_name
    assert f"#{order.number}" in csr.get(f"/csr/search?q=%23{order.number}").get_data(as_text=True)
    assert "Quentin Query" in csr.get("/csr/search?q=555-0177").get_data(as_text=True)


def test_dead_letters_are_listed_and_retried(csr: FlaskClient, shop: Session, db: Database) -> None:
    handoff = escalated(shop)
    message = queue.reply(
        queue.SqlHandoffs(shop), handoff, None, "Lost <message>", author_id="api:test"
    )
    row = shop.scalar(select(OutboxMessage).where(OutboxMessage.message_id == message.id))
    row.status, row.last_error = "dead", "Twilio 400 error 21211"
    shop.commit()
    page = csr.get("/csr/dead-letters").get_data(as_text=True)
    assert "Lost &lt;message&gt;" in page and "21211" in page
    post(csr, f"/csr/dead-letters/{row.id}/retry", page="/csr/dead-letters")
    with db.transaction() as s:
        assert s.get(OutboxMessage, row.id).status == "pending"
    assert audit_actions(db, "csr@example.com")[-1] == "retry_dead"


def test_create_user_command(app: Flask, db: Database) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "New@Example.com", "--role", "admin", "--password-stdin"],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin user new@example.com" in result.output
    short = runner.invoke(
        args=["create-user", "x@example.com", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0 and "at least" in short.output
    store = runner.invoke(
        args=["create-user", "s@example.com", "--role", "store", "--password-stdin"],
        input="a long password\n",
    )
    assert store.exit_code != 0 and "--location" in store.output
    with db.transaction() as s:
        factories.make_shop(s)
    ok = runner.invoke(
        args=[
            "create-user",
            "s@example.com",
            "--role",
            "store",
            "--location",
            "dt",
            "--password-stdin",
        ],
        input="a long password\n",
    )
    assert ok.exit_code == 0, ok.output
    with db.transaction() as s:
        assert users.find_user(s, "s@example.com").locations == ["DT"]
        assert (
            users.authenticate(s, "new@example.com", "a long password", "127.0.0.1").role == "admin"
        )


def test_conversation_view_shows_every_channel(csr: FlaskClient, shop: Session) -> None:
    handoff = escalated(shop, text="by sms")
    email = Conversation(customer_id=handoff.customer_id, channel="email", address="jo@example.com")
    shop.add(email)
    shop.flush()
    shop.add(
        Message(
            conversation_id=email.id,
            direction="in",
            author="customer",
            channel="email",
            provider_id="<m1@example.com>",
            text="by email",
        )
    )
    shop.commit()
    page = csr.get(f"/csr/handoffs/{handoff.id}").get_data(as_text=True)
    assert page.index("by sms") < page.index("by email")


def test_demo_seed_leaves_escalated_chats_and_working_logins(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    with db.transaction() as s:
        demo.seed(s)
        logins = handoff_demo.seed(s)
    with db.transaction() as s:
        assert handoff_demo.seed(s) == []  # once only
        assert len(queue.list_handoffs(s, status="waiting")) == len(handoff_demo.CONVERSATIONS)
    assert "password:" in handoff_demo.describe(logins, "http://127.0.0.1:5000")
    csr_login = next(login for login in logins if login.role == "csr")
    assert login(client, csr_login.email, csr_login.password).status_code == 302
    page = client.get("/csr/queue").get_data(as_text=True)
    assert "Jo Rivera" in page and "waiting too long" in page


def test_search_finds_conversations_by_their_words(
    csr: FlaskClient, shop: Session, db: Database
) -> None:
    customer = factories.customer(shop, phone="+15555550135", name="Wanda Words")
    sms_chat(shop, customer, "+15555550135", "my kettle whistles 100% too loud_ly")
    shop.commit()
    page = csr.get("/csr/search?q=100%25 too loud_").get_data(as_text=True)
    assert "whistles" in page and f"/csr/customers/{customer.id}#m" in page
    assert "whistles" not in csr.get("/csr/search?q=100%25 too quiet").get_data(as_text=True)


def test_a_chat_is_transferred_to_a_colleague_only_by_its_owner_or_an_admin(
    csr: FlaskClient, shop: Session, db: Database
) -> None:
    handoff = escalated(shop, phone="+15555550136")
    robin = agent(shop, "robin@example.com")
    page = f"/csr/handoffs/{handoff.id}"
    assert "Transfer" in csr.get(page).get_data(as_text=True)
    post(csr, f"/csr/handoffs/{handoff.id}/transfer", {"to": str(robin.id)}, page)
    with db.transaction() as s:
        moved = s.get(Handoff, handoff.id)
        assert (moved.status, moved.assigned_to_id) == ("assigned", robin.id)
    answer = post(csr, f"/csr/handoffs/{handoff.id}/transfer", {"to": "1"}, page)
    assert "has this conversation" in csr.get(answer.headers["Location"]).get_data(as_text=True)
    with db.transaction() as s:
        assert s.get(Handoff, handoff.id).assigned_to_id == robin.id
