"""The CSR console under attack: session fixation, CSRF, XSS and IDOR on every id in a URL.

The routes are enumerated from app.url_map, so a new console page is attacked too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from conversations import handoffs as queue
from conversations.models import Message
from conversations.outbox import enqueue
from conversations.staff_models import AuditEntry
from orders import customers, fulfilment, ordering, returns
from orders.models import Order, Return
from tests.channels_support import count
from tests.factories import ACTOR, STAFF, make_shop
from tests.handoff_support import agent, csrf_token, login, post, sms_chat

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
COOKIE = "session"


@dataclass(frozen=True)
class Console:
    app: Flask
    mine: int  # order number, pickup at DT
    theirs: int  # order number, pickup at RV, collected, returned at RV
    their_return: str
    their_customer: int
    xss_customer: int
    handoff: int
    xss_handoff: int


def _order(session, who, code: str) -> Order:  # type: ignore[no-untyped-def]
    return ordering.place_order(
        session, who, {"BEAN": 1, "MUG": 1}, method="pickup", pickup_location_code=code, actor=ACTOR
    )


@pytest.fixture
def console(app: Flask) -> Console:
    with app.extensions["db"].sessions() as session:
        make_shop(session)
        agent(session, "admin@example.com", "admin")
        csr = agent(session, "csr@example.com", "csr")
        agent(session, "dt@example.com", "store", locations=["DT"])
        dee = customers.create_customer(session, "Dee Town", "1 Dee St", {"phone": "+15555550101"})
        riva = customers.create_customer(
            session, "Riva Side", "2 Riv St", {"phone": "+15555550102"}
        )
        evil = customers.create_customer(session, XSS, XSS, {"email": "x@example.com"})
        mine = _order(session, dee, "DT")
        theirs = _order(session, riva, "RV")
        fulfilment.mark_ready_for_pickup(session, theirs, actor=STAFF)
        fulfilment.mark_picked_up(session, theirs, theirs.pickup_code, actor=STAFF)
        ret = returns.request_return(
            session, theirs, {"MUG": 1}, method="store", location_code="RV", actor=ACTOR
        )
        evil_order = ordering.place_order(
            session, evil, {"BEAN": 1}, method="delivery", address=XSS, actor=ACTOR
        )
        fulfilment.ship(session, evil_order, carrier="UPS", tracking_number="1Z", actor=STAFF)
        fulfilment.mark_delivered(session, evil_order, actor=STAFF)
        returns.request_return(
            session, evil_order, None, method="store", location_code="DT", reason=XSS, actor=ACTOR
        )
        riva_chat = sms_chat(session, riva, f"+1555{riva.id:07d}", f"Where is #{theirs.number}?")
        handoff = queue.escalate(session, riva_chat, "human_agent", "Riva asks")
        evil_chat = sms_chat(session, evil, f"+1555{evil.id:07d}", XSS)
        xss_handoff = queue.escalate(session, evil_chat, "complaint", XSS)
        queue.add_note(session, xss_handoff, csr, XSS)
        enqueue(session, evil_chat, XSS)
        session.commit()
        return Console(
            app,
            mine.number,
            theirs.number,
            ret.display_number,
            riva.id,
            evil.id,
            handoff.id,
            xss_handoff.id,
        )


def logged_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def console_rules(app: Flask) -> list[Rule]:
    return [
        r
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/csr/") and r.endpoint != "csr.static"
    ]


def fill(rule: Rule, c: Console, *, code: str = "RV") -> str:
    """The rule's URL naming another store's things (RV, Riva's order, return and id)."""
    values = {
        "code": code,
        "number": c.their_return if "returns" in rule.rule else str(c.theirs),
        "customer_id": c.their_customer,
        "handoff_id": c.handoff,
        "action": "approve",
        "reply_id": 1,
        "user_id": 1,
        "outbox_id": 1,
        "message_id": 1,
    }
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})  # type: ignore[operator]


def footprint(app: Flask) -> tuple:  # type: ignore[type-arg]
    database = app.extensions["db"]
    with database.transaction() as session:
        orders = tuple((o.status, o.address) for o in session.query(Order).order_by(Order.id))
        rets = tuple(r.status for r in session.query(Return).order_by(Return.id))
        states = tuple(h.status for h in queue.list_handoffs(session))
    return orders, rets, states, count(database, Message)


# -- session fixation -------------------------------------------------------------------


def test_login_issues_a_new_session_and_ignores_a_planted_one(console: Console) -> None:
    client = console.app.test_client()
    client.get("/csr/login")
    before = client.get_cookie(COOKIE).value
    assert login(client, "csr@example.com").status_code == 302
    after = client.get_cookie(COOKIE).value
    assert after != before
    # The pre-login cookie (an attacker could have planted it) is not logged in.
    planted = console.app.test_client()
    planted.set_cookie(COOKIE, before)
    assert planted.get("/csr/queue").status_code == 302
    # Values an attacker chooses are never accepted.
    for value in ("attacker", after.split(".")[0] + ".AAAA.BBBB", after[:-2] + "xx"):
        forged = console.app.test_client()
        forged.set_cookie(COOKIE, value)
        response = forged.get("/csr/queue")
        assert response.status_code == 302 and "/csr/login" in response.location


def test_a_session_copied_before_logout_dies_with_it(console: Console) -> None:
    client = logged_in(console.app, "csr@example.com")
    stolen = client.get_cookie(COOKIE).value
    assert post(client, "/csr/logout").status_code == 302
    thief = console.app.test_client()
    thief.set_cookie(COOKIE, stolen)
    assert thief.get("/csr/queue").status_code == 302


# -- CSRF -------------------------------------------------------------------------------


def test_every_post_refuses_a_missing_or_foreign_csrf_token(console: Console) -> None:
    victim = logged_in(console.app, "admin@example.com")
    attacker = logged_in(console.app, "csr@example.com")
    foreign = csrf_token(attacker, "/csr/queue")
    before = footprint(console.app), count(console.app.extensions["db"], AuditEntry)
    posts = [r for r in console_rules(console.app) if "POST" in methods(r)]
    assert len(posts) > 20
    for rule in posts:
        path = fill(rule, console, code="DT")
        for form in ({}, {"csrf_token": foreign}, {"csrf_token": "x" * 40}):
            response = victim.post(path, data={"text": "hi", "reason": "x", **form})
            assert response.status_code == 400, (path, form, response.status_code)
    assert (footprint(console.app), count(console.app.extensions["db"], AuditEntry)) == before


# -- XSS --------------------------------------------------------------------------------


def test_customer_text_is_escaped_on_every_page_that_shows_it(console: Console) -> None:
    assert login(console.app.test_client(), XSS, "wrong").status_code == 401  # audited
    admin = logged_in(console.app, "admin@example.com")
    store = logged_in(console.app, "dt@example.com")
    [evil_return] = [r for r in _returns(console.app) if r[1] == console.xss_customer]
    pages = [
        (admin, "/csr/queue"),
        (admin, "/csr/queue?partial=1"),
        (admin, f"/csr/handoffs/{console.xss_handoff}"),
        (admin, f"/csr/handoffs/{console.xss_handoff}/messages"),
        (admin, f"/csr/customers/{console.xss_customer}"),
        (admin, f"/csr/customers/{console.xss_customer}/phone-order"),
        (admin, "/csr/search?q=script"),
        (admin, "/csr/admin/audit"),
        (store, f"/csr/store/DT/returns/{evil_return[0]}"),
        (store, "/csr/store/DT/returns?q=script"),
        (store, "/csr/store/DT/returns"),
    ]
    for client, path in pages:
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert ESCAPED in page or "\\u003cscript\\u003e" in page, path


def _returns(app: Flask) -> list[tuple[str, int]]:
    with app.extensions["db"].transaction() as session:
        return [(r.display_number, r.order.customer_id) for r in session.query(Return)]


# -- IDOR -------------------------------------------------------------------------------


def test_logged_out_every_page_redirects_to_login(console: Console) -> None:
    client = console.app.test_client()
    token = csrf_token(client)
    for rule in console_rules(console.app):
        if rule.endpoint in ("csr.login", "csr.login_submit"):
            continue
        for method in methods(rule):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(fill(rule, console), method=method, data=data)
            assert response.status_code == 302, (method, rule.rule, response.status_code)
            assert response.location.startswith("/csr/login"), rule.rule


def test_a_store_user_never_reaches_another_stores_data(console: Console) -> None:
    client = logged_in(console.app, "dt@example.com")
    before = footprint(console.app)
    with_ids = [r for r in console_rules(console.app) if r.arguments]
    for rule in with_ids:
        for code in ("RV", "DT"):  # another store's URL, and its own URL naming RV's things
            path = fill(rule, console, code=code)
            for method in methods(rule):
                if method == "POST":
                    response = post(client, path, {"text": "x", "reason": "x"}, page="/csr/")
                else:
                    response = client.get(path)
                page = response.get_data(as_text=True)
                if response.status_code == 200:
                    assert "Riva" not in page and "2 Riv St" not in page, (method, path)
    assert footprint(console.app) == before


def test_a_walk_in_return_of_another_stores_order_shows_the_goods_not_the_buyer(
    console: Console,
) -> None:
    client = logged_in(console.app, "dt@example.com")
    page = client.get("/csr/store/DT/walk-in", query_string={"order": console.theirs})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "MUG" in text
    assert "Riva" not in text and "2 Riv St" not in text


def test_a_csr_cannot_use_admin_pages(console: Console) -> None:
    client = logged_in(console.app, "csr@example.com")
    before = count(console.app.extensions["db"], AuditEntry)
    admin_rules = [r for r in console_rules(console.app) if r.rule.startswith("/csr/admin/")]
    assert len(admin_rules) >= 5
    for rule in admin_rules:
        for method in methods(rule):
            data = {"email": "new@example.com", "password": "x" * 12, "role": "admin"}
            if method == "POST":
                response = post(client, fill(rule, console), data)
            else:
                response = client.get(fill(rule, console))
            assert response.status_code == 403, (method, rule.rule)
    assert count(console.app.extensions["db"], AuditEntry) == before


def test_store_searches_show_no_other_stores_returns(console: Console) -> None:
    client = logged_in(console.app, "dt@example.com")
    for q in ("Riva", console.their_return, str(console.theirs), "0102"):
        page = client.get("/csr/store/DT/returns", query_string={"q": q}).get_data(as_text=True)
        assert f"/returns/{console.their_return}" not in page and "Riva Side" not in page, q
