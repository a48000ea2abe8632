"""A location-scoped API token (`create-api-token NAME --location DT`) on every /api/v1 route.

It sees and acts only on its own store: orders fulfilled from DT, returns of those
orders or received at DT, customers who ordered at DT, and DT's stock. Naming anything
else by number or id is refused with 403 `location_access_denied` (lists leave it
out), the shop-wide parts (the handoff queue, the catalog) with 403 `forbidden`, and
a refused request changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conversations import handoffs as queue
from orders import customers, fulfilment, ordering, returns
from orders.models import Customer, CustomerIdentity, Order, Return, Stock, StockMovement
from tests.channels_support import count
from tests.factories import ACTOR, STAFF, customer, make_shop
from tests.handoff_support import chatting_customer

ADMIN = {"Authorization": "Bearer test-admin-token"}
DENIED = (403, "location_access_denied")
SHOP_ONLY = (403, "forbidden")


@dataclass(frozen=True)
class Shop:
    mine: str  # a pickup order at DT
    theirs: str  # a pickup order at RV, collected, with a return requested
    warehouse: str  # a delivery order from WH
    their_return: str
    my_customer: int
    their_customer: int
    handoff: int
    token: dict[str, str]


@pytest.fixture
def shop(app: Flask) -> Shop:
    with app.extensions["db"].sessions() as session:
        make_shop(session)
        dee = customer(session, "+15555550101", "Dee Town")
        riva = customer(session, "+15555550102", "Riva Side")
        wes = customer(session, "+15555550103", "Wes House")
        mine = ordering.place_order(
            session, dee, {"BEAN": 1}, method="pickup", pickup_location_code="DT", actor=ACTOR
        )
        theirs = ordering.place_order(
            session, riva, {"MUG": 2}, method="pickup", pickup_location_code="RV", actor=ACTOR
        )
        fulfilment.mark_ready_for_pickup(session, theirs, actor=STAFF)
        fulfilment.mark_picked_up(session, theirs, theirs.pickup_code, actor=STAFF)
        ret = returns.request_return(session, theirs, {"MUG": 1}, method="mail", actor=ACTOR)
        warehouse = ordering.place_order(
            session, wes, {"GRIND": 1}, method="delivery", address="1 Road", actor=ACTOR
        )
        _, conversation = chatting_customer(session, "+15555550104", "Hana")
        handoff = queue.escalate(session, conversation, "human_agent", "Wants a person.")
        session.commit()
        numbers = (mine.display_number, theirs.display_number, warehouse.display_number)
        ids = (ret.display_number, dee.id, riva.id, handoff.id)
    result = app.test_cli_runner().invoke(args=["create-api-token", "dt-pos", "--location", "DT"])
    assert result.exit_code == 0, result.output
    token = {"Authorization": f"Bearer {result.output.strip()}"}
    return Shop(*numbers, *ids, token=token)


def call(client: FlaskClient, headers: dict[str, str], method: str, path: str, **kw: Any):  # type: ignore[no-untyped-def]
    return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)


def refused_requests(s: Shop) -> list[tuple[str, str, str, dict[str, Any] | None, tuple]]:
    """(method, rule, path, json, (status, code)) the DT token must be refused."""
    theirs, wh, ret = s.theirs.lstrip("#"), s.warehouse.lstrip("#"), s.their_return
    lines = [{"sku": "MUG", "quantity": 1}]
    return [
        ("GET", "/customers/<int:customer_id>", f"/customers/{s.their_customer}", None, DENIED),
        ("GET", "/reports/summary", "/reports/summary", None, SHOP_ONLY),
        ("GET", "/reports/summary.csv", "/reports/summary.csv", None, SHOP_ONLY),
        ("GET", "/handoffs", "/handoffs", None, SHOP_ONLY),
        ("GET", "/handoffs/<int:handoff_id>", f"/handoffs/{s.handoff}", None, SHOP_ONLY),
        (
            "POST",
            "/handoffs/<int:handoff_id>/<action>",
            f"/handoffs/{s.handoff}/resolve",
            {},
            SHOP_ONLY,
        ),
        (
            "POST",
            "/handoffs/<int:handoff_id>/messages",
            f"/handoffs/{s.handoff}/messages",
            {"text": "hi"},
            SHOP_ONLY,
        ),
        ("GET", "/inventory", "/inventory?location=WH", None, DENIED),
        (
            "POST",
            "/inventory/adjust",
            "/inventory/adjust",
            {"sku": "MUG", "location": "RV", "reason": "damaged", "delta": -1},
            DENIED,
        ),
        ("GET", "/inventory/low-stock", "/inventory/low-stock?location=WH", None, DENIED),
        ("GET", "/inventory/movements", "/inventory/movements?location=RV", None, DENIED),
        (
            "POST",
            "/inventory/receive",
            "/inventory/receive",
            {"sku": "MUG", "location": "WH", "quantity": 5},
            DENIED,
        ),
        (
            "POST",
            "/inventory/transfer",
            "/inventory/transfer",
            {"sku": "MUG", "from": "WH", "to": "DT", "quantity": 5},
            DENIED,
        ),
        ("GET", "/locations/<code>/pickups", "/locations/RV/pickups", None, DENIED),
        ("GET", "/locations/<code>/shipments", "/locations/WH/shipments", None, DENIED),
        (
            "POST",
            "/orders",
            "/orders",
            {"customer_id": s.my_customer, "lines": lines, "fulfillment": {"method": "delivery"}},
            DENIED,
        ),
        (
            "POST",
            "/orders",
            "/orders",
            {
                "customer_id": s.their_customer,
                "lines": lines,
                "fulfillment": {"method": "pickup", "location": "DT"},
            },
            DENIED,
        ),
        ("GET", "/orders/<number>", f"/orders/{theirs}", None, DENIED),
        ("PATCH", "/orders/<number>", f"/orders/{wh}", {"address": "9 Elsewhere"}, DENIED),
        (
            "PATCH",
            "/orders/<number>",
            f"/orders/{s.mine.lstrip('#')}",
            {"fulfillment": {"method": "pickup", "location": "RV"}},
            DENIED,
        ),
        ("POST", "/orders/<number>/cancel", f"/orders/{wh}/cancel", {}, DENIED),
        (
            "POST",
            "/orders/<number>/fulfillments",
            f"/orders/{wh}/fulfillments",
            {"type": "shipment", "carrier": "UPS", "tracking_number": "1Z9"},
            DENIED,
        ),
        (
            "POST",
            "/orders/<number>/returns",
            f"/orders/{theirs}/returns",
            {"lines": [{"sku": "MUG", "quantity": 1}]},
            DENIED,
        ),
        ("PATCH", "/products/<sku>", "/products/MUG", {"low_stock_threshold": 9}, SHOP_ONLY),
        *[
            ("POST", "/returns/<number>/<action>", f"/returns/{ret}/{action}", {}, DENIED)
            for action in ("approve", "reject", "receive", "refund")
        ],
        (
            "POST",
            "/returns/walk-in",
            "/returns/walk-in",
            {"order": theirs, "location": "RV", "lines": [{"sku": "MUG", "quantity": 1}]},
            DENIED,
        ),
    ]


# Routes whose answer to the DT token is filtered rather than refused (checked below).
FILTERED = {
    ("GET", "/customers"),
    ("GET", "/inventory"),
    ("GET", "/inventory/low-stock"),
    ("GET", "/inventory/movements"),
    ("GET", "/orders"),
    ("GET", "/returns"),
    ("GET", "/locations/<code>/pickups"),
    ("GET", "/locations/<code>/shipments"),
    ("POST", "/orders"),
    ("PATCH", "/orders/<number>"),
    ("GET", "/orders/<number>"),
    ("POST", "/returns/walk-in"),
}
# Shop-wide reference data every token may read.
PUBLIC = {("GET", "/products"), ("GET", "/locations"), ("GET", "/openapi.json")}


def api_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule.removeprefix("/api/v1"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}  # type: ignore[operator]
    }


def test_every_api_route_is_covered(app: Flask, shop: Shop) -> None:
    refused = {(method, rule) for method, rule, *_ in refused_requests(shop)}
    assert api_routes(app) - refused - FILTERED - PUBLIC == set()


def footprint(app: Flask) -> tuple[int, ...]:
    database = app.extensions["db"]
    with database.transaction() as session:
        stock = tuple(
            (row.on_hand, row.reserved) for row in session.query(Stock).order_by(Stock.id)
        )
        orders = tuple(
            (o.status, o.location_id, o.address) for o in session.query(Order).order_by(Order.id)
        )
        rets = tuple(r.status for r in session.query(Return).order_by(Return.id))
    return (count(database, StockMovement), hash((stock, orders, rets)))


def test_other_stores_are_refused_and_unchanged(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    before = footprint(app)
    for method, _rule, path, body, (status, code) in refused_requests(shop):
        response = call(client, shop.token, method, path, json=body)
        assert response.status_code == status, (method, path, response.get_json())
        assert response.get_json()["error"]["code"] == code, (method, path)
        answer = response.get_data(as_text=True)
        assert "Riva" not in answer and "Wes" not in answer, (method, path)
    assert footprint(app) == before
    # The same requests with the shop-wide token are not refused for location.
    response = call(client, ADMIN, "GET", f"/orders/{shop.theirs.lstrip('#')}")
    assert response.status_code == 200


def test_lists_show_only_its_own_store(client: FlaskClient, shop: Shop) -> None:
    def get(path: str) -> Any:
        response = call(client, shop.token, "GET", path)
        assert response.status_code == 200, (path, response.get_json())
        return response.get_json()

    assert [o["number"] for o in get("/orders")["orders"]] == [shop.mine]
    assert get(f"/orders?q={shop.theirs.lstrip('#')}")["orders"] == []
    assert get(f"/orders?customer={shop.their_customer}")["orders"] == []
    # A page cursor at another store's order is no cursor: nothing learnt from where it is.
    cursor = call(client, shop.token, "GET", f"/orders?after={shop.theirs.lstrip('#')}")
    assert (cursor.status_code, cursor.get_json()["error"]["code"]) == (400, "bad_after")
    assert [c["name"] for c in get("/customers")["customers"]] == ["Dee Town"]
    assert get("/customers?q=Riva")["customers"] == []
    assert get("/customers?q=0102")["customers"] == []  # Riva's phone number
    mine = get(f"/customers/{shop.my_customer}")
    assert [o["number"] for o in mine["purchase_history"]] == [shop.mine]
    assert get("/returns")["returns"] == []
    assert {row["location"] for row in get("/inventory")["inventory"]} == {"DT"}
    assert {row["location"] for row in get("/inventory/low-stock")["low_stock"]} <= {"DT"}
    assert {m["location"] for m in get("/inventory/movements")["movements"]} == {"DT"}
    assert get(f"/orders/{shop.mine.lstrip('#')}")["number"] == shop.mine
    assert get("/locations/DT/pickups")["location"]["code"] == "DT"
    assert get("/locations/DT/shipments") is not None
    # The shop-wide token still sees everything.
    every = call(client, ADMIN, "GET", "/orders").get_json()["orders"]
    assert {o["number"] for o in every} == {shop.mine, shop.theirs, shop.warehouse}


def test_it_works_its_own_store(app: Flask, client: FlaskClient, shop: Shop) -> None:
    mine = shop.mine.lstrip("#")
    placed = call(
        client,
        shop.token,
        "POST",
        "/orders",
        json={
            "customer": {"name": "Newt", "phone": "+15555550109"},
            "lines": [{"sku": "BEAN", "quantity": 1}],
            "fulfillment": {"method": "pickup", "location": "DT"},
        },
    )
    assert placed.status_code == 201, placed.get_json()
    changed = call(
        client,
        shop.token,
        "PATCH",
        f"/orders/{mine}",
        json={"lines": [{"sku": "BEAN", "quantity": 2}]},
    )
    assert changed.status_code == 200, changed.get_json()
    ready = call(
        client,
        shop.token,
        "POST",
        f"/orders/{mine}/fulfillments",
        json={"type": "ready_for_pickup"},
    )
    assert ready.status_code == 201, ready.get_json()
    # A walk-in return at its own counter may name an order from another store; the
    # return is then its own (received at DT) and shows in its list.
    walk_in = call(
        client,
        shop.token,
        "POST",
        "/returns/walk-in",
        json={"order": shop.theirs, "location": "DT", "lines": [{"sku": "MUG", "quantity": 1}]},
    )
    assert walk_in.status_code == 201, walk_in.get_json()
    listed = call(client, shop.token, "GET", "/returns").get_json()["returns"]
    assert [r["number"] for r in listed] == [walk_in.get_json()["number"]]


def test_naming_another_stores_customer_by_phone_or_email_adopts_nobody(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    """Riva ordered at RV, Hana only chatted: the DT token may not take either over by
    ordering for their phone or email (and then read their profile)."""
    database = app.extensions["db"]
    with database.transaction() as session:
        riva = session.get(Customer, shop.their_customer)
        customers.add_identity(session, riva, "email", "riva@example.com")

    def state() -> tuple[object, ...]:
        return (
            footprint(app),
            count(database, Order),
            count(database, Customer),
            count(database, CustomerIdentity),
        )

    before = state()
    for named in (
        {"phone": "+1 555 555 0102"},
        {"email": "riva@example.com"},
        {"phone": "+15555550104"},
    ):
        response = call(
            client,
            shop.token,
            "POST",
            "/orders",
            json={
                "customer": {"name": "Mallory", **named},
                "lines": [{"sku": "BEAN", "quantity": 1}],
                "fulfillment": {"method": "pickup", "location": "DT"},
            },
        )
        assert (response.status_code, response.get_json()["error"]["code"]) == DENIED, named
        assert "Riva" not in response.get_data(as_text=True)
    assert state() == before
    profile = call(client, shop.token, "GET", f"/customers/{shop.their_customer}")
    assert (profile.status_code, profile.get_json()["error"]["code"]) == DENIED
    with database.transaction() as session:
        assert session.get(Customer, shop.their_customer).name == "Riva Side"
