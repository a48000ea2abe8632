"""A phone order placed from the console's form in headless Chromium: search, add, a
running total, the bot's preview, one click to place."""

from __future__ import annotations

from sqlalchemy import func, select

from orders.models import Customer, Order
from tests.handoff_support import browser_log_in
from tests.test_browser_handoff import SCREENSHOTS, browser_page  # noqa: F401  (a fixture)
from tests.test_browser_phone_width import demo_server  # noqa: F401  (a fixture)


def test_a_phone_order_is_placed_from_the_form(
    demo_server,  # noqa: F811
    browser_page,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    app, server = demo_server
    with app.extensions["db"].sessions() as session:
        jo = session.scalar(select(Customer).where(Customer.name == "Jo Rivera"))
        orders_before = session.scalar(select(func.count()).where(Order.customer_id == jo.id))
    page = browser_page
    browser_log_in(page, server, "phone-admin@example.com")
    page.goto(f"{server}/csr/customers/{jo.id}/phone-order")
    page.check("input[name=method][value=pickup]")
    page.select_option("#order-location", "DT")
    page.fill("#product-query", "ethiopia")
    page.locator("#product-results li", has_text="250g").locator("button").click()
    expect(page.locator("#order-total")).to_have_text("$14.50")
    page.locator("#order-lines input[name=qty]").fill("2")
    expect(page.locator("#order-total")).to_have_text("$29.00")
    page.click("button:has-text('Preview')")
    expect(page.locator("#preview")).to_contain_text("2 x Ethiopia Yirgacheffe Beans 250g")
    expect(page.locator("#preview")).to_contain_text("Pickup at Downtown")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phone-order-preview.png"), full_page=True)
    page.click("button:has-text('Place order')")
    expect(page.locator(".flash.ok")).to_contain_text("Order placed")
    with app.extensions["db"].sessions() as session:
        placed = session.scalars(
            select(Order).where(Order.customer_id == jo.id).order_by(Order.id.desc())
        ).first()
        count = session.scalar(select(func.count()).where(Order.customer_id == jo.id))
        assert count == orders_before + 1
        assert (placed.channel, placed.fulfillment_method) == ("phone", "pickup")
        assert {line.sku: line.quantity for line in placed.lines} == {"ETH-250": 2}
