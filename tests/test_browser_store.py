"""The store pages in real headless Chromium: prepare and hand over a pickup order with its
code, ship with tracking, receive an in-store return and refund it.

Screenshots go to test-artifacts/screenshots/store-*.png. Needs Debian's chromium at
/usr/bin/chromium (skipped without it, a failure when CI=true); see test_browser_handoff.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app import create_app
from conversations.models import OutboxMessage
from infra.db import Database
from infra.settings import Settings, load_settings
from orders import queries, returns
from orders.status import OrderStatus, ReturnStatus
from tests import factories, test_browser_handoff
from tests.channels_support import serving
from tests.handoff_support import agent, browser_log_in, chatting_customer
from tests.standins.ports import free_port
from tests.test_browser_handoff import SCREENSHOTS

# Chromium launched exactly as the console's own browser test does.
browser_page = test_browser_handoff.browser_page


@pytest.fixture
def settings(db_url: str) -> Settings:
    return load_settings(database_url=db_url, secret_key="store-browser-secret")


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    app = create_app(settings)
    with serving(app, free_port()) as url:
        yield url
    app.extensions["db"].dispose()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"store-{name}.png"), full_page=True)


def order_status(db: Database, number: int) -> str:
    with db.transaction() as s:
        return queries.get_order(s, number).status


def test_prepare_and_hand_over_a_pickup_order_with_its_code(
    db: Database, server: str, browser_page
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with db.sessions() as s:
        factories.make_shop(s)
        agent(s, "dana@example.com", "store", locations=["DT"])
        customer, _ = chatting_customer(s, phone="+15555550177", name="Robin Pickup")
        order = factories.order_in(s, OrderStatus.PLACED, customer, pickup=True)
        number, code = order.number, order.pickup_code

    browser_log_in(page, server, "dana@example.com")
    page.click("#stores a:has-text('Pickups')")
    row = page.locator(f"#pickup-{number}")
    expect(row).to_contain_text("Robin Pickup")
    shot(page, "pickups")
    row.locator("button:has-text('Ready for pickup')").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Order #{number} is ready for pickup")
    with db.transaction() as s:
        notice = s.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
    assert code in notice and "Downtown" in notice

    row = page.locator(f"#ready #pickup-{number}")
    row.locator("input[name=pickup_code]").fill("000000")
    row.locator("button:has-text('Hand over')").click()
    expect(page.locator(".flash.error")).to_contain_text("That is not the pickup code")
    assert order_status(db, number) == OrderStatus.READY_FOR_PICKUP
    shot(page, "wrong-code")

    row = page.locator(f"#ready #pickup-{number}")
    row.locator("input[name=pickup_code]").fill(code)
    row.locator("button:has-text('Hand over')").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Order #{number} handed over.")
    expect(page.locator(f"#pickup-{number}")).to_have_count(0)
    assert order_status(db, number) == OrderStatus.PICKED_UP
    shot(page, "handed-over")


def test_ship_with_tracking(db: Database, server: str, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with db.sessions() as s:
        factories.make_shop(s)
        agent(s, "wes@example.com", "store", locations=["WH"])
        customer, _ = chatting_customer(s, phone="+15555550178", name="Sam Shipping")
        number = factories.order_in(s, OrderStatus.PLACED, customer).number

    browser_log_in(page, server, "wes@example.com")
    page.click("#stores a:has-text('Shipping')")
    expect(page.locator("#pick-list")).to_contain_text("Ethiopia Beans 250g")
    card = page.locator(f"#ship-{number}")
    card.locator("input[name=carrier]").fill("UPS")
    card.locator("input[name=tracking_number]").fill("1Z999AA10123456784")
    shot(page, "shipping")
    card.locator("button:has-text('Ship')").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Order #{number} shipped")
    expect(page.locator("#in-transit")).to_contain_text("1Z999AA10123456784")
    assert order_status(db, number) == OrderStatus.SHIPPED
    with db.transaction() as s:
        notice = s.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
    assert "UPS" in notice and "1Z999AA10123456784" in notice
    shot(page, "shipped")

    page.locator("#in-transit button:has-text('Mark delivered')").click()
    expect(page.locator(".flash.ok")).to_contain_text("delivery recorded")
    assert order_status(db, number) == OrderStatus.DELIVERED


def test_receive_an_in_store_return_and_refund_it(db: Database, server: str, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with db.sessions() as s:
        factories.make_shop(s)
        agent(s, "dana@example.com", "store", locations=["DT"])
        order = factories.order_in(s, OrderStatus.DELIVERED)
        ret = returns.request_return(
            s, order, None, method="store", location_code="DT", actor=factories.ACTOR
        )
        returns.approve_return(s, ret, actor=factories.STAFF)
        s.commit()
        number = ret.display_number
        before = {sku: factories.stock(s, sku, "DT").on_hand for sku in ("BEAN", "MUG")}
        s.commit()

    browser_log_in(page, server, "dana@example.com")
    page.click("#stores a:has-text('Returns')")
    page.fill("input[name=q]", number)
    page.click("button:has-text('Find')")
    page.locator("#found a", has_text=number).click()
    expect(page.locator("#return-status")).to_have_text("approved")
    page.fill("input[aria-label='BEAN resellable']", "1")
    page.fill("input[aria-label='BEAN damaged']", "1")
    shot(page, "return")
    page.click("button:has-text('Receive at Downtown')")
    expect(page.locator(".flash.ok")).to_contain_text(f"Return {number} received.")
    expect(page.locator("#return-status")).to_have_text("received")

    page.click("button:has-text('Refund')")
    expect(page.locator(".flash.ok")).to_contain_text(f"Return {number} refunded.")
    expect(page.locator("#return-status")).to_have_text("refunded")
    shot(page, "refunded")
    with db.sessions() as s:
        received = returns.get_return(s, number)
        assert (received.status, str(received.refund_amount)) == (ReturnStatus.REFUNDED, "41.00")
        # One bean came back resellable, one damaged; the mug resellable: both restocked here.
        assert factories.stock(s, "BEAN", "DT").on_hand == before["BEAN"] + 1
        assert factories.stock(s, "MUG", "DT").on_hand == before["MUG"] + 1
