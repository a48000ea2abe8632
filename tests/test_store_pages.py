"""The store staff pages through Flask's test client: every page, every action through
the orders services, the location rules, CSRF, escaping, the audit log and the notices."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations.models import OutboxMessage
from conversations.staff_models import AuditEntry
from infra.db import Database, utcnow
from orders import queries, returns
from orders.models import Order, OrderEvent, Payment, Return, Stock, StockMovement
from orders.status import OrderStatus, ReturnStatus
from tests import factories
from tests.handoff_support import agent, chatting_customer, csrf_token, login

XSS = "<script>alert('pwned')</script>"
STORES = "/csr/store/"


@pytest.fixture
def shop(app: Flask, db: Database) -> Session:
    with db.sessions() as s:
        factories.make_shop(s)
        yield s


def staff(shop: Session, client: FlaskClient, email: str, role: str = "store", **kw: object):  # type: ignore[no-untyped-def]
    if role == "store":
        kw.setdefault("locations", ["DT"])
    agent(shop, email, role, **kw)
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def dt(shop: Session, client: FlaskClient) -> FlaskClient:
    """A store user who works at Downtown only."""
    return staff(shop, client, "dt@example.com")


def act(  # type: ignore[no-untyped-def]
    client: FlaskClient, path: str, data: dict[str, str] | None = None, page: str = STORES
):
    """POST a store form with the session's CSRF token; follow the redirect to the page."""
    return client.post(
        path, data={**(data or {}), "csrf_token": csrf_token(client, page)}, follow_redirects=True
    )


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def said(response) -> str:  # type: ignore[no-untyped-def]
    """The flash and error messages on a page, as the user reads them."""
    found = re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', text(response), re.S)
    return "\n".join(html.unescape(message) for message in found)


def order_status(db: Database, number: int) -> str:
    with db.transaction() as s:
        return queries.get_order(s, number).status


def audit_actions(db: Database, actor: str) -> list[str]:
    with db.transaction() as s:
        return list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.actor == actor, AuditEntry.action != "login")
                .order_by(AuditEntry.id)
            )
        )


def outbox_texts(db: Database) -> list[str]:
    with db.transaction() as s:
        return list(s.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)))


def stock_at(db: Database, sku: str, code: str) -> Stock:
    with db.transaction() as s:
        row = factories.stock(s, sku, code)
        s.expunge(row)
        return row


def ledger_at(db: Database, sku: str, code: str) -> int:
    with db.transaction() as s:
        return factories.ledger_total(s, sku, code)


def pickup_order(shop: Session, status: OrderStatus = OrderStatus.PLACED, **kw: str) -> Order:
    customer, _ = chatting_customer(shop, **kw)
    return factories.order_in(shop, status, customer, pickup=True)


def delivery_order(shop: Session, status: OrderStatus = OrderStatus.PLACED) -> Order:
    """A delivery order; the factory shop ships deliveries from the warehouse (WH)."""
    customer, _ = chatting_customer(shop, phone="+15555550160", name="Del Ivery")
    return factories.order_in(shop, status, customer)


# --- pages, roles, locations ------------------------------------------------------------


def test_every_store_page_renders_for_the_store_user(dt: FlaskClient, shop: Session) -> None:
    pickup_order(shop)
    ret = delivered_return(shop)
    for path in (
        "/csr/store/",
        "/csr/store/DT/pickups",
        "/csr/store/DT/shipping",
        "/csr/store/DT/returns",
        f"/csr/store/DT/returns/{ret}",
        "/csr/store/DT/walk-in",
        "/csr/store/DT/stock",
        "/csr/store/DT/ledger",
        "/csr/store/dt/stock",  # codes are case-insensitive
    ):
        response = dt.get(path)
        assert response.status_code == 200, path
        assert "Downtown" in text(response)
    home = text(dt.get("/csr/"))
    assert "/csr/store/DT/pickups" in home and "Riverside" not in home


def test_pages_need_a_login(client: FlaskClient) -> None:
    for path in ("/csr/store/", "/csr/store/DT/pickups", "/csr/store/DT/stock"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/csr/login")


def test_store_user_cannot_see_another_store(dt: FlaskClient) -> None:
    for path in (
        "/csr/store/RV/pickups",
        "/csr/store/RV/shipping",
        "/csr/store/RV/returns",
        "/csr/store/RV/stock",
        "/csr/store/RV/ledger",
        "/csr/store/RV/walk-in",
    ):
        response = dt.get(path)
        assert response.status_code == 403, path
        assert "You can only act on DT, not RV." in text(response)
    assert "Riverside" not in text(dt.get("/csr/store/"))


def test_store_user_acting_on_another_stores_order_is_refused(
    dt: FlaskClient, shop: Session, db: Database
) -> None:
    order = pickup_order(shop)
    with db.transaction() as s:  # move the pickup to Riverside through the service
        from orders import ordering
        from orders.events import Actor

        ordering.modify_order(
            s,
            queries.get_order(s, order.number),
            ordering.OrderChanges(pickup_location_code="RV"),
            actor=Actor.csr("csr@example.com"),
        )
    page = "/csr/store/DT/pickups"
    # Through the other store's URL: refused by the location check.
    refused = act(dt, f"/csr/store/RV/orders/{order.number}/ready", page=page)
    assert "You can only act on DT, not RV." in text(refused)
    # Through its own URL with the other store's order number: refused too.
    refused = act(dt, f"/csr/store/DT/orders/{order.number}/ready", page=page)
    assert f"Order #{order.number} is handled by Riverside, not Downtown." in text(refused)
    refused = act(
        dt, f"/csr/store/DT/orders/{order.number}/hand-over", {"pickup_code": "x"}, page=page
    )
    assert "handled by Riverside" in text(refused)
    assert order_status(db, order.number) == OrderStatus.PLACED
    assert audit_actions(db, "dt@example.com") == []


def test_admin_sees_and_acts_everywhere_csr_only_looks(
    shop: Session, client: FlaskClient, app: Flask, db: Database
) -> None:
    order = pickup_order(shop)
    admin = staff(shop, client, "admin@example.com", "admin")
    listing = text(admin.get("/csr/store/"))
    assert all(name in listing for name in ("Warehouse", "Downtown", "Riverside"))
    assert admin.get("/csr/store/RV/stock").status_code == 200

    csr = staff(shop, app.test_client(), "csr@example.com", "csr")
    page = text(csr.get("/csr/store/DT/pickups"))
    assert f"#{order.number}" in page and "view only" in page
    assert "Ready for pickup</button>" not in page
    refused = csr.post(
        f"/csr/store/DT/orders/{order.number}/ready",
        data={"csrf_token": csrf_token(csr, "/csr/store/DT/pickups")},
    )
    assert refused.status_code == 403
    assert order_status(db, order.number) == OrderStatus.PLACED

    act(admin, f"/csr/store/DT/orders/{order.number}/ready")
    assert order_status(db, order.number) == OrderStatus.READY_FOR_PICKUP
    assert audit_actions(db, "admin@example.com") == ["pickup_ready"]


def test_posts_need_the_csrf_token(dt: FlaskClient, shop: Session, db: Database) -> None:
    order = pickup_order(shop)
    response = dt.post(f"/csr/store/DT/orders/{order.number}/ready")
    assert response.status_code == 400
    response = dt.post("/csr/store/DT/stock/receive", data={"sku": "BEAN", "quantity": "5"})
    assert response.status_code == 400
    assert order_status(db, order.number) == OrderStatus.PLACED
    assert stock_at(db, "BEAN", "DT").on_hand == 10


def test_customer_text_is_escaped(dt: FlaskClient, shop: Session) -> None:
    pickup_order(shop, name=XSS)
    page = text(dt.get("/csr/store/DT/pickups"))
    assert XSS not in page and "&lt;script&gt;" in page


# --- pickups ----------------------------------------------------------------------------


def test_prepare_ready_and_hand_over_with_the_code(
    dt: FlaskClient, shop: Session, db: Database
) -> None:
    order = pickup_order(shop, name="Pat Pickup")
    number, code = order.number, order.pickup_code
    page = text(dt.get("/csr/store/DT/pickups"))
    assert f"#{number}" in page and "Pat Pickup" in page and "2 × Ethiopia Beans 250g" in page

    act(dt, f"/csr/store/DT/orders/{number}/prepare")
    assert order_status(db, number) == OrderStatus.PROCESSING
    done = act(dt, f"/csr/store/DT/orders/{number}/ready")
    assert f"Order #{number} is ready for pickup" in text(done)
    assert order_status(db, number) == OrderStatus.READY_FOR_PICKUP
    # The customer is told on their own channel: store, address, hours and the code.
    notice = outbox_texts(db)[-1]
    assert f"#{number}" in notice and "Downtown" in notice and "9-5" in notice
    assert code in notice
    with db.transaction() as s:
        event = s.scalar(select(OrderEvent).where(OrderEvent.type == "ready_for_pickup"))
        assert (event.actor_kind, event.actor_id) == ("csr", "dt@example.com")

    on_hand = stock_at(db, "BEAN", "DT").on_hand
    wrong = act(dt, f"/csr/store/DT/orders/{number}/hand-over", {"pickup_code": "000000"})
    assert f"That is not the pickup code for order #{number}." in text(wrong)
    assert order_status(db, number) == OrderStatus.READY_FOR_PICKUP
    assert stock_at(db, "BEAN", "DT").on_hand == on_hand

    handed = act(dt, f"/csr/store/DT/orders/{number}/hand-over", {"pickup_code": f" {code} "})
    assert f"Order #{number} handed over." in text(handed)
    assert order_status(db, number) == OrderStatus.PICKED_UP
    bean = stock_at(db, "BEAN", "DT")
    assert (bean.on_hand, bean.reserved) == (on_hand - 2, 0)
    assert audit_actions(db, "dt@example.com") == [
        "pickup_prepare",
        "pickup_ready",
        "pickup_hand_over",
    ]


def test_uncollected_pickups_are_highlighted(
    dt: FlaskClient, shop: Session, db: Database, app: Flask
) -> None:
    late = pickup_order(shop, OrderStatus.READY_FOR_PICKUP)
    fresh = pickup_order(shop, OrderStatus.READY_FOR_PICKUP, phone="+15555550151")
    days = app.extensions["settings"].pickup_reminder_days
    with db.transaction() as s:
        s.get(Order, late.id).ready_at = utcnow() - timedelta(days=days, hours=1)
    page = text(dt.get("/csr/store/DT/pickups"))
    late_row = page.split(f'id="pickup-{late.number}"')[1].split("</tr>")[0]
    fresh_row = page.split(f'id="pickup-{fresh.number}"')[1].split("</tr>")[0]
    assert late_row.startswith(' class="overdue"') and "not collected" in late_row
    assert "overdue" not in fresh_row.split(">")[0] and "not collected" not in fresh_row
    # Listed first: the ones to chase come before the ones that just arrived.
    assert page.index(f"pickup-{late.number}") < page.index(f"pickup-{fresh.number}")


# --- shipping ---------------------------------------------------------------------------


@pytest.fixture
def wh(shop: Session, client: FlaskClient) -> FlaskClient:
    return staff(shop, client, "wh@example.com", locations=["WH"])


def test_pick_list_partial_and_full_shipment_then_delivery(
    wh: FlaskClient, shop: Session, db: Database
) -> None:
    order = delivery_order(shop)
    number = order.number
    page = text(wh.get("/csr/store/WH/shipping"))
    assert "Ethiopia Beans 250g" in page and f"#{number}" in page
    pick = page.split('id="pick-list"')[1].split("</table>")[0]
    assert "<td>BEAN</td><td>Ethiopia Beans 250g</td><td>2</td>" in pick

    page_path = "/csr/store/WH/shipping"
    missing = act(
        wh,
        f"/csr/store/WH/orders/{number}/ship",
        {"qty_BEAN": "1", "qty_MUG": "0", "carrier": "UPS", "tracking_number": ""},
        page=page_path,
    )
    assert "A shipment needs a carrier and a tracking number." in text(missing)
    assert order_status(db, number) == OrderStatus.PLACED

    too_many = act(
        wh,
        f"/csr/store/WH/orders/{number}/ship",
        {"qty_BEAN": "5", "qty_MUG": "0", "carrier": "UPS", "tracking_number": "1Z9"},
        page=page_path,
    )
    assert "Only 2 of Ethiopia Beans 250g left to ship." in text(too_many)

    act(
        wh,
        f"/csr/store/WH/orders/{number}/ship",
        {"qty_BEAN": "1", "qty_MUG": "0", "carrier": "UPS", "tracking_number": "1ZPART"},
        page=page_path,
    )
    assert order_status(db, number) == OrderStatus.PARTIALLY_SHIPPED
    assert "1ZPART" in outbox_texts(db)[-1]
    act(
        wh,
        f"/csr/store/WH/orders/{number}/ship",
        {"qty_BEAN": "1", "qty_MUG": "1", "carrier": "DHL", "tracking_number": "JD0042"},
        page=page_path,
    )
    assert order_status(db, number) == OrderStatus.SHIPPED
    assert "DHL" in outbox_texts(db)[-1] and "JD0042" in outbox_texts(db)[-1]

    page = text(wh.get(page_path))
    assert "JD0042" in page.split('id="in-transit"')[1]
    with db.transaction() as s:
        shipment_ids = [sh.id for sh in queries.get_order(s, number).shipments]
    for shipment_id in shipment_ids:
        act(
            wh,
            f"/csr/store/WH/orders/{number}/delivered",
            {"shipment_id": str(shipment_id)},
            page=page_path,
        )
    assert order_status(db, number) == OrderStatus.DELIVERED
    assert audit_actions(db, "wh@example.com") == ["ship", "ship", "deliver", "deliver"]


def test_a_store_cannot_ship_the_warehouses_orders(
    dt: FlaskClient, shop: Session, db: Database
) -> None:
    order = delivery_order(shop)
    refused = act(
        dt,
        f"/csr/store/WH/orders/{order.number}/ship",
        {"qty_BEAN": "2", "qty_MUG": "1", "carrier": "UPS", "tracking_number": "1Z"},
        page="/csr/store/DT/shipping",
    )
    assert "You can only act on DT, not WH." in text(refused)
    assert order_status(db, order.number) == OrderStatus.PLACED


# --- returns ----------------------------------------------------------------------------


def delivered_return(shop: Session, method: str = "store", location: str | None = "DT") -> str:
    """An approved return of the whole of a delivered order, bound for `location`."""
    order = factories.order_in(shop, OrderStatus.DELIVERED)
    ret = returns.request_return(
        shop,
        order,
        None,
        method=method,
        location_code=location,
        actor=factories.ACTOR,
        reason=XSS,
    )
    returns.approve_return(shop, ret, actor=factories.STAFF)
    shop.commit()
    return ret.display_number


def test_receive_a_return_by_its_number_restock_resellable_then_refund(
    dt: FlaskClient, shop: Session, db: Database
) -> None:
    number = delivered_return(shop)
    found = text(dt.get(f"/csr/store/DT/returns?q={number}"))
    assert number in found.split('id="found"')[1]
    assert number in text(dt.get("/csr/store/DT/returns")).split('id="expected"')[1]
    page = text(dt.get(f"/csr/store/DT/returns/{number}"))
    assert XSS not in page and "&lt;script&gt;" in page  # the customer's reason, escaped
    with db.transaction() as s:
        lines = {rl.order_line.sku: rl.id for rl in returns.get_return(s, number).lines}
    before = {sku: stock_at(db, sku, "DT").on_hand for sku in ("BEAN", "MUG")}

    path = f"/csr/store/DT/returns/{number}"
    too_many = act(dt, f"{path}/receive", {f"resellable_{lines['BEAN']}": "3"}, page=path)
    assert "3 can't be received against it" in said(too_many)
    with db.transaction() as s:
        assert returns.get_return(s, number).status == ReturnStatus.APPROVED

    act(
        dt,
        f"{path}/receive",
        {
            f"resellable_{lines['BEAN']}": "1",
            f"damaged_{lines['BEAN']}": "1",
            f"resellable_{lines['MUG']}": "0",
            f"damaged_{lines['MUG']}": "1",
        },
        page=path,
    )
    with db.transaction() as s:
        ret = returns.get_return(s, number)
        assert ret.status == ReturnStatus.RECEIVED and ret.location.code == "DT"
        got = sorted((rl.order_line.sku, rl.quantity, rl.condition) for rl in ret.lines)
        assert got == [("BEAN", 1, "damaged"), ("BEAN", 1, "resellable"), ("MUG", 1, "damaged")]
    assert stock_at(db, "BEAN", "DT").on_hand == before["BEAN"] + 1
    assert stock_at(db, "MUG", "DT").on_hand == before["MUG"]
    assert ledger_at(db, "BEAN", "DT") == before["BEAN"] + 1
    assert number in text(dt.get("/csr/store/DT/returns")).split('id="to-refund"')[1]

    again = act(dt, f"{path}/receive", {}, page="/csr/store/DT/returns")
    assert "Can't receive it: the return is received." in said(again)

    over = act(dt, f"{path}/refund", {"amount": "999"}, page=path)
    assert f"The most that can be refunded for {number} is 41.00." in text(over)
    act(dt, f"{path}/refund", {"amount": ""}, page=path)
    with db.transaction() as s:
        ret = returns.get_return(s, number)
        assert (ret.status, str(ret.refund_amount)) == ("refunded", "41.00")
        refund = s.scalar(select(Payment).where(Payment.return_id == ret.id))
        assert str(refund.amount) == "-41.00"
    assert audit_actions(db, "dt@example.com") == ["return_receive", "return_refund"]


def test_find_a_return_by_customer_and_refuse_unknown_numbers(
    dt: FlaskClient, shop: Session
) -> None:
    number = delivered_return(shop, method="mail", location=None)
    with_name = text(dt.get("/csr/store/DT/returns?q=Jo"))
    assert number in with_name.split('id="found"')[1]
    assert "There is no return R9999." in text(dt.get("/csr/store/DT/returns?q=R9999"))
    missing = dt.get("/csr/store/DT/returns/R9999")
    assert missing.status_code == 404 and "There is no return R9999." in text(missing)
    # A mail return (no store) can be received at any location the user works at.
    assert dt.get(f"/csr/store/DT/returns/{number}").status_code == 200


def test_a_return_bound_for_another_store_is_refused(
    dt: FlaskClient, shop: Session, db: Database
) -> None:
    number = delivered_return(shop, location="RV")
    assert dt.get(f"/csr/store/DT/returns/{number}").status_code == 403
    refused = act(dt, f"/csr/store/DT/returns/{number}/receive", {}, page="/csr/store/DT/returns")
    assert f"Return {number} is handled by Riverside, not Downtown." in text(refused)
    with db.transaction() as s:
        assert returns.get_return(s, number).status == ReturnStatus.APPROVED


def test_walk_in_return_is_created_and_received_in_one_step(
    dt: FlaskClient, shop: Session, db: Database
) -> None:
    order = factories.order_in(shop, OrderStatus.DELIVERED)
    page = text(dt.get(f"/csr/store/DT/walk-in?order={order.number}"))
    assert "Ethiopia Beans 250g" in page and 'name="qty_BEAN"' in page
    before = stock_at(db, "MUG", "DT").on_hand

    done = act(
        dt,
        "/csr/store/DT/walk-in",
        {
            "order": str(order.number),
            "qty_MUG": "1",
            "condition_MUG": "resellable",
            "qty_BEAN": "0",
        },
        page="/csr/store/DT/walk-in",
    )
    with db.transaction() as s:
        ret = s.scalar(select(Return))
        assert ret.status == ReturnStatus.RECEIVED and ret.location.code == "DT"
        assert [(rl.order_line.sku, rl.quantity) for rl in ret.lines] == [("MUG", 1)]
        number = ret.display_number
    assert f"Walk-in return on order {order.number} received." in text(done)
    assert f"Return {number}" in text(done)
    assert stock_at(db, "MUG", "DT").on_hand == before + 1
    assert audit_actions(db, "dt@example.com") == ["return_walk_in"]

    # The same eligibility rules: no more than is left, nothing from an unshipped order.
    more = act(
        dt,
        "/csr/store/DT/walk-in",
        {"order": str(order.number), "qty_MUG": "1"},
        page="/csr/store/DT/walk-in",
    )
    assert "Only 0 of Mug White can be returned." in text(more)
    placed = factories.order_in(shop, OrderStatus.PLACED)
    refused = act(
        dt,
        "/csr/store/DT/walk-in",
        {"order": str(placed.number), "qty_MUG": "1"},
        page="/csr/store/DT/walk-in",
    )
    assert "only items that were shipped or picked up can be returned" in text(refused)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Return)) == 1


def test_walk_in_names_the_buyer_only_of_this_stores_own_orders(
    dt: FlaskClient, shop: Session
) -> None:
    ours = pickup_order(shop, OrderStatus.PICKED_UP, name="Pia Kup")
    shipped = delivery_order(shop, OrderStatus.DELIVERED)  # sold by the warehouse
    assert "Pia Kup" in text(dt.get(f"/csr/store/DT/walk-in?order={ours.number}"))
    page = text(dt.get(f"/csr/store/DT/walk-in?order={shipped.number}"))
    assert 'name="qty_' in page and "Del Ivery" not in page


def test_walk_in_outside_the_return_window_is_refused(
    dt: FlaskClient, shop: Session, db: Database, app: Flask
) -> None:
    order = factories.order_in(shop, OrderStatus.DELIVERED)
    days = app.extensions["settings"].return_window_days
    with db.transaction() as s:
        s.get(Order, order.id).delivered_at = utcnow() - timedelta(days=days + 1)
    refused = act(
        dt,
        "/csr/store/DT/walk-in",
        {"order": str(order.number), "qty_MUG": "1"},
        page="/csr/store/DT/walk-in",
    )
    assert f"The {days}-day return window for order #{order.number} closed" in text(refused)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Return)) == 0


# --- stock ------------------------------------------------------------------------------


def test_stock_levels_receive_adjust_transfer_and_the_ledger(
    dt: FlaskClient, shop: Session, db: Database
) -> None:
    pickup_order(shop)  # reserves 2 BEAN and 1 MUG at DT
    page = text(dt.get("/csr/store/DT/stock"))
    bean_row = page.split('id="stock-BEAN"')[1].split("</tr>")[0]
    assert "<td>10</td><td>2</td><td>8</td>" in bean_row

    stock = "/csr/store/DT/stock"
    act(dt, f"{stock}/receive", {"sku": "BEAN", "quantity": "5", "note": "PO-77"}, page=stock)
    act(dt, f"{stock}/adjust", {"sku": "BEAN", "reason": "damage", "quantity": "1"}, page=stock)
    act(dt, f"{stock}/adjust", {"sku": "BEAN", "reason": "found", "quantity": "2"}, page=stock)
    act(dt, f"{stock}/adjust", {"sku": "MUG", "reason": "count", "quantity": "7"}, page=stock)
    act(dt, f"{stock}/transfer", {"sku": "BEAN", "to": "RV", "quantity": "4"}, page=stock)
    bean, mug = stock_at(db, "BEAN", "DT"), stock_at(db, "MUG", "DT")
    assert (bean.on_hand, bean.reserved, mug.on_hand) == (12, 2, 7)
    assert stock_at(db, "BEAN", "RV").on_hand == 14
    for sku, code in (("BEAN", "DT"), ("MUG", "DT"), ("BEAN", "RV")):
        assert ledger_at(db, sku, code) == stock_at(db, sku, code).on_hand

    ledger = text(dt.get("/csr/store/DT/ledger?sku=BEAN")).split('id="ledger"')[1]
    for shown in ("+5", "receipt", "PO-77", "-1", "damage", "+2", "found", "-4", "transfer_out"):
        assert shown in ledger, shown
    assert "csr:dt@example.com" in ledger and "MUG" not in ledger
    assert audit_actions(db, "dt@example.com") == [
        "stock_receive",
        "stock_adjust",
        "stock_adjust",
        "stock_adjust",
        "stock_transfer",
    ]


def test_bad_stock_changes_are_refused_and_change_nothing(
    dt: FlaskClient, shop: Session, db: Database
) -> None:
    pickup_order(shop)  # 2 BEAN reserved of 10
    stock = "/csr/store/DT/stock"
    cases = [
        ("transfer", {"sku": "BEAN", "to": "RV", "quantity": "9"}, "only 8 can be taken"),
        ("adjust", {"sku": "BEAN", "reason": "theft", "quantity": "11"}, "only 10 there"),
        ("adjust", {"sku": "BEAN", "reason": "count", "quantity": "1"}, "reserved for open"),
        ("adjust", {"sku": "BEAN", "reason": "lost", "quantity": "1"}, "Reason must be one of"),
        ("receive", {"sku": "BEAN", "quantity": "-3"}, "must be a whole number"),
        ("receive", {"sku": "NOPE", "quantity": "3"}, "We don't sell 'NOPE'."),
        ("transfer", {"sku": "BEAN", "to": "DT", "quantity": "1"}, "two different locations"),
    ]
    for action, data, message in cases:
        assert message in said(act(dt, f"{stock}/{action}", data, page=stock)), message
    bean = stock_at(db, "BEAN", "DT")
    assert (bean.on_hand, bean.reserved) == (10, 2)
    assert stock_at(db, "BEAN", "RV").on_hand == 10
    assert audit_actions(db, "dt@example.com") == []

    refused = act(dt, "/csr/store/RV/stock/receive", {"sku": "BEAN", "quantity": "1"}, page=stock)
    assert "You can only act on DT, not RV." in text(refused)
    assert stock_at(db, "BEAN", "RV").on_hand == 10


def test_low_stock_is_flagged_and_only_admins_set_the_threshold(
    dt: FlaskClient, shop: Session, db: Database, app: Flask
) -> None:
    factories.set_stock(shop, "GRIND", "DT", 2)  # threshold 2 in the factory shop
    shop.commit()
    page = text(dt.get("/csr/store/DT/stock"))
    assert "low</span>" in page.split('id="stock-GRIND"')[1].split("</tr>")[0]
    assert "low</span>" not in page.split('id="stock-BEAN"')[1].split("</tr>")[0]
    refused = dt.post(
        "/csr/store/DT/stock/threshold",
        data={
            "sku": "BEAN",
            "threshold": "20",
            "csrf_token": csrf_token(dt, "/csr/store/DT/stock"),
        },
    )
    assert refused.status_code == 403

    admin = staff(shop, app.test_client(), "admin@example.com", "admin")
    act(
        admin,
        "/csr/store/DT/stock/threshold",
        {"sku": "BEAN", "threshold": "20"},
        page="/csr/store/DT/stock",
    )
    page = text(dt.get("/csr/store/DT/stock"))
    assert "low</span>" in page.split('id="stock-BEAN"')[1].split("</tr>")[0]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(StockMovement)) > 0
    assert audit_actions(db, "admin@example.com") == ["low_stock_threshold"]
