"""Hypothesis against the JSON API and the console forms: never a 5xx.

Generated bodies mix the right shape with odd values (NUL and other control
characters, huge and non-ASCII numbers, wrong JSON types). A 4xx must change no
order; a NUL anywhere gets the app-wide 400 (nul_guard.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import example, given
from hypothesis import strategies as st

from orders.models import Order
from tests.channels_support import count
from tests.factories import make_shop, order_in
from tests.handoff_support import agent, escalated, login, post
from tests.test_abuse_fuzz import FUZZ, json_values, texts

ADMIN = {"Authorization": "Bearer test-admin-token"}
CONTROLS = "".join(chr(c) for c in range(32)) + "\x7f\x85\u2028"
controls = st.text(st.sampled_from(CONTROLS), min_size=1, max_size=5)
words = st.one_of(texts, controls, st.sampled_from(["DT", "RV", "WH", "delivery", "pickup"]))
numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from(["²", "٣", "1e3", " 2 ", "", "0x10", "9" * 30]),
    words,
)
skus = st.one_of(st.sampled_from(["BEAN", "MUG", "GRIND", "bean", "NOPE"]), words)
lines = st.one_of(
    st.lists(st.fixed_dictionaries({"sku": skus, "quantity": numbers}), max_size=3),
    st.dictionaries(skus, numbers, max_size=3),
    json_values,
)
people = st.one_of(
    st.fixed_dictionaries(
        {"name": words}, optional={"phone": words, "email": st.one_of(st.emails(), words)}
    ),
    json_values,
)
fulfillments = st.one_of(
    st.fixed_dictionaries({}, optional={"method": words, "address": words, "location": words}),
    json_values,
)
order_bodies = st.one_of(
    st.fixed_dictionaries(
        {"lines": lines},
        optional={
            "customer": people,
            "customer_id": numbers,
            "fulfillment": fulfillments,
            "address": words,
        },
    ),
    json_values,
)


@pytest.fixture
def shop(app: Flask) -> Flask:
    with app.extensions["db"].sessions() as session:
        make_shop(session)
        order_in(session, "placed")
    return app


def no_server_error(response: Any, what: object) -> None:
    assert response.status_code < 500, (response.status_code, what)


@FUZZ
@given(data=order_bodies)
@example(data={"customer": {"name": "Jo\x00", "phone": "+15555550100"}, "lines": {"BEAN": 1}})
@example(data={"customer_id": 2**70, "lines": {"BEAN": 1}})
@example(data={"customer": {"name": "Jo", "phone": "\x01\x02"}, "lines": {"BEAN\x1f": 1}})
def test_api_create_order(shop: Flask, data: object) -> None:
    before = count(shop.extensions["db"], Order)
    response = shop.test_client().post("/api/v1/orders", json=data, headers=ADMIN)
    no_server_error(response, data)
    placed = count(shop.extensions["db"], Order) - before
    assert placed == (1 if response.status_code == 201 else 0), (response.status_code, data)


@FUZZ
@given(data=order_bodies, number=st.one_of(st.just("10001"), words))
@example(data={"address": "1 Road\x00"}, number="10001")
@example(data={"lines": {"BEAN": 2**70}}, number="10001")
def test_api_change_order(shop: Flask, data: object, number: str) -> None:
    response = shop.test_client().patch(f"/api/v1/orders/{number}", json=data, headers=ADMIN)
    no_server_error(response, (number, data))


@FUZZ
@given(q=words, customer=numbers, status=words)
@example(q="\x00", customer="1", status="placed")
@example(q="x", customer="9" * 30, status="")
def test_api_queries(shop: Flask, q: str, customer: object, status: str) -> None:
    client = shop.test_client()
    for path in (
        "/api/v1/orders",
        "/api/v1/customers",
        "/api/v1/returns",
        "/api/v1/inventory",
        "/api/v1/inventory/movements",
    ):
        query = {"q": q, "customer": str(customer), "status": status, "sku": q, "location": q}
        no_server_error(client.get(path, query_string=query, headers=ADMIN), (path, query))
    for path in (f"/api/v1/customers/{customer}", f"/api/v1/orders/{q}", f"/api/v1/returns/{q}/x"):
        no_server_error(client.open(path, method="GET", headers=ADMIN), path)


@pytest.fixture
def console(shop: Flask) -> tuple[FlaskClient, int]:
    with shop.extensions["db"].sessions() as session:
        agent(session, "csr@example.com")
        handoff_id = escalated(session, phone="+15555550190").id
    client = shop.test_client()
    assert login(client, "csr@example.com").status_code == 302
    return client, handoff_id


form_values = st.dictionaries(
    st.sampled_from(
        [
            "text",
            "reason",
            "address",
            "method",
            "location",
            "new_sku",
            "new_qty",
            "qty_BEAN",
            "sku",
            "qty",
            "step",
            "amount",
            "q",
            "back",
        ]
    ),
    numbers.map(str),
    max_size=6,
)


@FUZZ
@given(form=form_values)
@example(form={"text": "hello\x00"})
@example(form={"new_sku": "MUG", "new_qty": "²"})
@example(form={"sku": "BEAN", "qty": "9" * 30, "step": "place"})
@example(form={"qty_BEAN": "٣", "method": "pickup", "location": "\x01"})
def test_console_forms(console: tuple[FlaskClient, int], form: dict[str, str]) -> None:
    client, handoff_id = console
    for path in (
        f"/csr/handoffs/{handoff_id}/reply",
        f"/csr/handoffs/{handoff_id}/notes",
        "/csr/orders/10001/change",
        "/csr/customers/1/phone-order",
        "/csr/returns/R1/reject",
    ):
        no_server_error(post(client, path, form), (path, form))
    no_server_error(client.get("/csr/search", query_string=form), form)
