"""The JSON API /api/v1: auth, every resource, and one error shape for bad input."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from api.models import ApiToken, digest
from orders import customers, fulfilment, queries
from orders.status import OrderStatus
from tests.factories import STAFF, make_shop, order_in, stock

ADMIN = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> FlaskClient:
    with app.extensions["db"].sessions() as session:
        make_shop(session)
    return client


def call(client: FlaskClient, method: str, path: str, status: int, **kwargs: Any) -> Any:
    kwargs.setdefault("headers", ADMIN)
    response = client.open(f"/api/v1{path}", method=method, **kwargs)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def error_code(client: FlaskClient, method: str, path: str, status: int, **kwargs: Any) -> str:
    data = call(client, method, path, status, **kwargs)
    assert set(data) == {"error"} and set(data["error"]) == {"code", "message"}
    assert data["error"]["message"]
    return data["error"]["code"]


def place(api: FlaskClient, **fulfillment: str) -> dict[str, Any]:
    return call(
        api,
        "POST",
        "/orders",
        201,
        json={
            "customer": {"name": "Jo Rivera", "phone": "+1 555 555 0199"},
            "lines": [{"sku": "bean", "quantity": 2}, {"sku": "MUG", "quantity": 1}],
            "fulfillment": fulfillment or {"method": "delivery", "address": "1 Road"},
        },
    )


def test_no_token_or_a_wrong_one_is_401_json(api: FlaskClient) -> None:
    assert error_code(api, "GET", "/products", 401, headers={}) == "unauthorized"
    wrong = {"Authorization": "Bearer nope"}
    assert error_code(api, "GET", "/products", 401, headers=wrong) == "unauthorized"
    basic = {"Authorization": "Basic dGVzdC1hZG1pbi10b2tlbg=="}
    assert error_code(api, "GET", "/products", 401, headers=basic) == "unauthorized"


def test_cli_token_works_and_only_its_digest_is_stored(app: Flask, api: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["create-api-token", "pos-1"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    call(api, "GET", "/products", 200, headers={"Authorization": f"Bearer {token}"})
    with app.extensions["db"].sessions() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "pos-1"))
        assert row.token_hash == digest(token) and token not in row.token_hash
        assert row.last_used_at is not None


def test_products_and_inventory(api: FlaskClient) -> None:
    products = call(api, "GET", "/products", 200)["products"]
    assert [p["sku"] for p in products] == ["BEAN", "GRIND", "MUG"]
    assert products[0]["price"] == "14.50" and products[0]["low_stock_threshold"] == 2
    rows = call(api, "GET", "/inventory?sku=bean&location=dt", 200)["inventory"]
    assert rows == [
        {"sku": "BEAN", "location": "DT", "on_hand": 10, "reserved": 0, "available": 10}
    ]
    assert len(call(api, "GET", "/inventory?location=WH", 200)["inventory"]) == 3


def test_customers_search_and_purchase_history(api: FlaskClient) -> None:
    order = place(api)
    found = call(api, "GET", "/customers?q=rivera", 200)["customers"]
    assert [c["name"] for c in found] == ["Jo Rivera"]
    assert found[0]["identities"][0] == {
        "kind": "phone",
        "value": "+15555550199",
        "verified": False,
        "opted_out": False,
    }
    profile = call(api, "GET", f"/customers/{found[0]['id']}", 200)
    assert [o["number"] for o in profile["purchase_history"]] == [order["number"]]
    assert profile["purchase_history"][0]["total"] == "41.00"
    assert error_code(api, "GET", "/customers/999", 404) == "customer_not_found"


def test_orders_come_in_pages_newest_first_with_a_link_to_the_next(api: FlaskClient) -> None:
    numbers = [place(api)["number"] for _ in range(5)]
    with api.application.extensions["db"].transaction() as session:
        customers.create_customer(session, "Jo Riverside", "", {"phone": "+15555550177"})
    seen, path, pages = [], "/orders?q=%2B1%20(555)%20555-0199&limit=2", 0
    while path:
        page = call(api, "GET", path.removeprefix("/api/v1"), 200)
        seen += [o["number"] for o in page["orders"]]
        path, pages = page["next"], pages + 1
    assert seen == numbers[::-1] and pages == 3
    assert call(api, "GET", "/orders", 200)["next"] is None
    # a phone typed in another format finds its customer's orders, not a namesake's
    assert len(call(api, "GET", "/orders?q=555-555-0199", 200)["orders"]) == 5
    assert call(api, "GET", "/orders?q=%2B15555550177", 200)["orders"] == []


def test_order_create_get_list_and_search(api: FlaskClient) -> None:
    order = place(api)
    assert order["number"] == "#10001" and order["status"] == "placed"
    assert order["total"] == "41.00" and order["amount_paid"] == "41.00"
    assert order["fulfillment"] == {
        "method": "delivery",
        "address": "1 Road",
        "location": "WH",
        "pickup_code": None,
    }
    assert order["lines"][0]["unit_price"] == "14.50"
    assert call(api, "GET", "/orders/10001", 200)["number"] == "#10001"
    assert call(api, "GET", "/orders/%2310001", 200)["number"] == "#10001"
    customer_id = order["customer_id"]
    for query in (f"customer={customer_id}", "status=placed", "q=rivera", "q=%2310001", "sku=MUG"):
        assert [o["number"] for o in call(api, "GET", f"/orders?{query}", 200)["orders"]] == [
            "#10001"
        ]
    assert call(api, "GET", "/orders?status=cancelled", 200)["orders"] == []
    assert error_code(api, "GET", "/orders/99999", 404) == "order_not_found"
    again = call(
        api,
        "POST",
        "/orders",
        201,
        json={
            "customer_id": customer_id,
            "lines": {"GRIND": 1},
            "fulfillment": {"method": "pickup", "location": "rv"},
        },
    )
    assert (
        again["fulfillment"]["location"] == "RV" and len(again["fulfillment"]["pickup_code"]) == 6
    )


def test_patch_and_cancel(api: FlaskClient) -> None:
    place(api)
    changed = call(api, "PATCH", "/orders/10001", 200, json={"lines": {"BEAN": 3, "MUG": 0}})
    assert [(line["sku"], line["quantity"]) for line in changed["lines"]] == [("BEAN", 3)]
    moved = call(
        api,
        "PATCH",
        "/orders/10001",
        200,
        json={"fulfillment": {"method": "pickup", "location": "DT"}},
    )
    assert moved["fulfillment"]["location"] == "DT" and moved["fulfillment"]["address"] is None
    assert (
        error_code(api, "PATCH", "/orders/10001", 400, json={"address": "2 Road"})
        == "validation_failed"
    )
    partly = call(api, "POST", "/orders/10001/cancel", 200, json={"lines": {"BEAN": 1}})
    assert partly["lines"][0]["cancelled"] == 1 and partly["status"] == "placed"
    whole = call(api, "POST", "/orders/10001/cancel", 200, json={"reason": "changed mind"})
    assert whole["status"] == "cancelled" and whole["amount_paid"] == "0.00"
    assert error_code(api, "POST", "/orders/10001/cancel", 409) == "illegal_transition"
    assert error_code(api, "PATCH", "/orders/10001", 409, json={"lines": {"BEAN": 1}}) == (
        "order_not_modifiable"
    )


def test_fulfillments(api: FlaskClient) -> None:
    place(api)
    partial = call(
        api,
        "POST",
        "/orders/10001/fulfillments",
        201,
        json={
            "type": "shipment",
            "carrier": "UPS",
            "tracking_number": "1Z1",
            "lines": {"BEAN": 1},
        },
    )
    assert partial["status"] == "partially_shipped"
    assert partial["shipments"][0]["tracking_number"] == "1Z1"
    done = call(
        api,
        "POST",
        "/orders/10001/fulfillments",
        201,
        json={
            "type": "shipment",
            "carrier": "UPS",
            "tracking_number": "1Z2",
        },
    )
    assert done["status"] == "shipped"
    delivered = call(api, "POST", "/orders/10001/fulfillments", 201, json={"type": "delivered"})
    assert delivered["status"] == "delivered"
    pickup = place(api, method="pickup", location="DT")
    path = f"/orders/{pickup['number'][1:]}/fulfillments"
    assert call(api, "POST", path, 201, json={"type": "ready_for_pickup"})["status"] == (
        "ready_for_pickup"
    )
    wrong = "000000" if pickup["fulfillment"]["pickup_code"] != "000000" else "111111"
    assert error_code(api, "POST", path, 403, json={"type": "picked_up", "pickup_code": wrong}) == (
        "wrong_pickup_code"
    )
    code = pickup["fulfillment"]["pickup_code"]
    assert (
        call(api, "POST", path, 201, json={"type": "picked_up", "pickup_code": code})["status"]
        == "picked_up"
    )
    assert error_code(api, "POST", path, 400, json={"type": "teleport"}) == "bad_type"


def test_returns_flow(app: Flask, api: FlaskClient) -> None:
    with app.extensions["db"].sessions() as session:
        order_in(session, OrderStatus.DELIVERED)
        order_in(session, OrderStatus.DELIVERED)
    ret = call(
        api,
        "POST",
        "/orders/10001/returns",
        201,
        json={
            "lines": {"MUG": 1},
            "reason": "chipped",
            "method": "store",
            "location": "DT",
        },
    )
    assert (ret["number"], ret["status"], ret["value"]) == ("R2001", "requested", "12.00")
    call(api, "POST", "/orders/10002/returns", 201, json={})
    assert [r["number"] for r in call(api, "GET", "/returns?status=requested", 200)["returns"]] == [
        "R2002",
        "R2001",
    ]
    assert call(api, "POST", "/returns/R2002/reject", 200, json={"reason": "used"})["status"] == (
        "rejected"
    )
    assert call(api, "POST", "/returns/R2001/approve", 200)["status"] == "approved"
    received = call(
        api, "POST", "/returns/R2001/receive", 200, json={"conditions": {"MUG": "damaged"}}
    )
    assert received["status"] == "received" and received["lines"][0]["condition"] == "damaged"
    assert error_code(api, "POST", "/returns/R2001/receive", 409) == "illegal_transition"
    assert error_code(api, "POST", "/returns/R2001/refund", 400, json={"amount": "1.234"}) == (
        "bad_amount"
    )
    assert error_code(api, "POST", "/returns/R2001/refund", 409, json={"amount": "20.00"}) == (
        "refund_not_allowed"
    )
    refunded = call(api, "POST", "/returns/R2001/refund", 200, json={"amount": "10.00"})
    assert (refunded["status"], refunded["refund_amount"]) == ("refunded", "10.00")
    assert error_code(api, "POST", "/returns/R2001/refund", 409) == "illegal_transition"
    assert error_code(api, "POST", "/returns/R9999/approve", 404) == "return_not_found"
    assert error_code(api, "POST", "/returns/R2001/explode", 404) == "not_found"
    assert error_code(api, "GET", "/returns?status=lost", 400) == "bad_status"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        (
            "POST",
            "/orders",
            {"data": "{not json", "content_type": "application/json"},
            400,
            "bad_json",
        ),
        ("POST", "/orders", {"json": [1, 2]}, 400, "bad_json"),
        ("POST", "/orders", {"json": {"customer_id": "1"}}, 400, "bad_field"),
        ("POST", "/orders", {"json": {"customer_id": 1, "lines": "BEAN"}}, 400, "bad_lines"),
        (
            "POST",
            "/orders",
            {"json": {"customer_id": 1, "lines": {"BEAN": "2"}}},
            400,
            "bad_lines",
        ),
        (
            "POST",
            "/orders",
            {
                "json": {
                    "customer_id": 1,
                    "lines": [{"sku": "BEAN", "quantity": 1}, {"sku": "bean", "quantity": 1}],
                }
            },
            400,
            "bad_lines",
        ),
        (
            "POST",
            "/orders",
            {
                "json": {
                    "customer_id": 1,
                    "lines": {"BEAN": 10**6},
                    "fulfillment": {"method": "delivery", "address": "1 Road"},
                }
            },
            400,
            "invalid_quantity",
        ),
        (
            "POST",
            "/orders",
            {"json": {"customer": {"name": 5, "phone": "+15555550100"}, "lines": {"BEAN": 1}}},
            400,
            "bad_field",
        ),
        (
            "POST",
            "/orders",
            {
                "json": {
                    "customer": {"phone": "+15555550100"},
                    "lines": {"BEAN": 1},
                    "fulfillment": {"method": "delivery", "address": "x" * 600},
                }
            },
            400,
            "validation_failed",
        ),
        ("GET", "/orders?status=lost", {}, 400, "bad_status"),
        ("GET", "/orders?customer=abc", {}, 400, "bad_customer"),
        ("GET", "/orders?limit=0", {}, 400, "bad_limit"),
        ("GET", "/orders?limit=201", {}, 400, "bad_limit"),
        ("GET", "/orders?after=99999", {}, 400, "bad_after"),
        ("GET", "/nothing-here", {}, 404, "not_found"),
        ("DELETE", "/products", {}, 405, "method_not_allowed"),
    ],
)
def test_bad_requests_get_the_json_error_shape(api, method, path, kwargs, status, code) -> None:  # type: ignore[no-untyped-def]
    with api.application.extensions["db"].transaction() as session:
        customers.create_customer(session, "Someone", "")
    assert error_code(api, method, path, status, **kwargs) == code
    assert call(api, "GET", "/orders", 200)["orders"] == []


def test_store_token_is_limited_to_its_locations(app: Flask, api: FlaskClient) -> None:
    runner = app.test_cli_runner()
    token = runner.invoke(args=["create-api-token", "dt-pos", "--location", "dt"]).output.strip()
    assert runner.invoke(args=["create-api-token", "bad", "--location", "XX"]).exit_code != 0
    pos = {"Authorization": f"Bearer {token}"}
    call(
        api,
        "POST",
        "/inventory/receive",
        201,
        headers=pos,
        json={"sku": "MUG", "location": "DT", "quantity": 1},
    )
    assert (
        error_code(
            api,
            "POST",
            "/inventory/receive",
            403,
            headers=pos,
            json={"sku": "MUG", "location": "WH", "quantity": 1},
        )
        == "location_access_denied"
    )
    place(api)  # reserved at WH
    assert (
        error_code(
            api,
            "POST",
            "/orders/10001/fulfillments",
            403,
            headers=pos,
            json={"type": "shipment", "carrier": "UPS", "tracking_number": "1"},
        )
        == "location_access_denied"
    )
    assert error_code(api, "GET", "/locations/WH/shipments", 403, headers=pos) == (
        "location_access_denied"
    )
    low = call(api, "GET", "/inventory/low-stock", 200, headers=pos)["low_stock"]
    assert all(row["location"] == "DT" for row in low)


def test_stock_operations(app: Flask, api: FlaskClient) -> None:
    row = call(
        api,
        "POST",
        "/inventory/receive",
        201,
        json={
            "sku": "GRIND",
            "location": "DT",
            "quantity": 5,
            "note": "PO-1",
        },
    )
    assert (row["on_hand"], row["available"], row["low"]) == (15, 15, False)
    row = call(
        api,
        "POST",
        "/inventory/adjust",
        200,
        json={
            "sku": "GRIND",
            "location": "DT",
            "reason": "damage",
            "delta": -14,
        },
    )
    assert (row["on_hand"], row["low"]) == (1, True)
    row = call(
        api,
        "POST",
        "/inventory/adjust",
        200,
        json={
            "sku": "GRIND",
            "location": "DT",
            "reason": "count",
            "counted": 4,
        },
    )
    assert row["on_hand"] == 4
    moved = call(
        api,
        "POST",
        "/inventory/transfer",
        200,
        json={
            "sku": "GRIND",
            "from": "WH",
            "to": "DT",
            "quantity": 6,
        },
    )
    assert (moved["from"]["on_hand"], moved["to"]["on_hand"]) == (4, 10)
    assert (
        error_code(
            api,
            "POST",
            "/inventory/transfer",
            409,
            json={
                "sku": "GRIND",
                "from": "WH",
                "to": "DT",
                "quantity": 5,
            },
        )
        == "out_of_stock"
    )
    assert (
        error_code(
            api,
            "POST",
            "/inventory/receive",
            400,
            json={
                "sku": "GRIND",
                "location": "DT",
                "quantity": "5",
            },
        )
        == "bad_field"
    )
    assert error_code(api, "POST", "/inventory/receive", 400, json={"sku": "GRIND"}) == (
        "missing_field"
    )
    assert (
        error_code(
            api,
            "POST",
            "/inventory/adjust",
            400,
            json={
                "sku": "GRIND",
                "location": "DT",
                "reason": "gremlins",
                "delta": -1,
            },
        )
        == "validation_failed"
    )
    ledger = call(api, "GET", "/inventory/movements?sku=GRIND&location=DT", 200)["movements"]
    assert [(m["reason"], m["delta"]) for m in ledger][:4] == [
        ("transfer_in", 6),
        ("count", 3),
        ("damage", -14),
        ("receipt", 5),
    ]
    assert ledger[-1]["actor"] == "test"
    call(api, "PATCH", "/products/MUG", 200, json={"low_stock_threshold": 10})
    low = call(api, "GET", "/inventory/low-stock?location=RV", 200)["low_stock"]
    assert [(r["sku"], r["available"], r["low_stock_threshold"]) for r in low] == [("MUG", 10, 10)]
    with app.extensions["db"].sessions() as session:
        assert stock(session, "GRIND", "DT").on_hand == 10


def test_location_queues_and_walk_in(app: Flask, api: FlaskClient) -> None:
    delivery = place(api)
    pickup = place(api, method="pickup", location="DT")
    ready = place(api, method="pickup", location="DT")
    with app.extensions["db"].transaction() as session:
        fulfilment.mark_ready_for_pickup(
            session, queries.get_order(session, ready["number"]), actor=STAFF
        )
    queue = call(api, "GET", "/locations/dt/pickups", 200)
    assert [o["number"] for o in queue["to_prepare"]] == [pickup["number"]]
    assert [o["number"] for o in queue["ready"]] == [ready["number"]]
    assert queue["not_collected"] == [] and queue["location"]["hours"] == "9-5"
    ships = call(api, "GET", "/locations/WH/shipments", 200)
    assert [o["number"] for o in ships["orders"]] == [delivery["number"]]
    assert ships["pick_list"] == [
        {"sku": "BEAN", "name": "Ethiopia Beans 250g", "quantity": 2, "orders": ["#10001"]},
        {"sku": "MUG", "name": "Mug White", "quantity": 1, "orders": ["#10001"]},
    ]
    assert error_code(api, "GET", "/locations/XX/pickups", 404) == "location_not_found"
    assert (
        error_code(
            api,
            "POST",
            "/returns/walk-in",
            409,
            json={
                "order": "#10001",
                "location": "DT",
            },
        )
        == "return_not_allowed"
    )
    call(
        api,
        "POST",
        "/orders/10001/fulfillments",
        201,
        json={
            "type": "shipment",
            "carrier": "UPS",
            "tracking_number": "1Z",
        },
    )
    ret = call(
        api,
        "POST",
        "/returns/walk-in",
        201,
        json={
            "order": "10001",
            "location": "DT",
            "lines": {"BEAN": 2},
            "conditions": {"BEAN": {"resellable": 1, "damaged": 1}},
        },
    )
    assert ret["status"] == "received" and ret["location"] == "DT"
    assert sorted((line["quantity"], line["condition"]) for line in ret["lines"]) == [
        (1, "damaged"),
        (1, "resellable"),
    ]
    assert call(api, "GET", "/inventory?sku=BEAN&location=DT", 200)["inventory"][0]["on_hand"] == 11
    assert call(api, "GET", "/locations", 200)["locations"][0]["code"] == "DT"
