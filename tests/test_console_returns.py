"""Returns in the console: expected where they will arrive, approved or rejected from the
return's own page (by a CSR; store staff see that it waits), in Chromium too."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from orders import demo
from orders.models import Return
from tests.handoff_support import agent, browser_log_in, login, post
from tests.test_browser_handoff import SCREENSHOTS, browser_page  # noqa: F401  (a fixture)
from tests.test_browser_phone_width import demo_server  # noqa: F401  (a fixture)


def demo_app(app: Flask) -> str:
    """The demo shop; the number of its return by mail (order #10007, sent from WH)."""
    with app.extensions["db"].sessions() as session:
        demo.seed(session)
        session.commit()
        agent(session, "ada@example.com", role="admin")
        agent(session, "sam@example.com", role="store", locations=["WH"])
        ret = session.scalar(select(Return).where(Return.method == "mail"))
        return ret.display_number


def test_a_return_by_mail_is_expected_where_its_order_was_sent_from(app: Flask) -> None:
    number = demo_app(app)
    client = app.test_client()
    login(client, "ada@example.com")
    warehouse = client.get("/csr/store/WH/returns").get_data(as_text=True)
    expected = warehouse.split("Expected here", 1)[1].split("</section>", 1)[0]
    assert number in expected
    assert number not in client.get("/csr/store/DT/returns").get_data(as_text=True)


def test_a_csr_approves_or_rejects_from_the_returns_page_store_staff_see_it_waits(
    app: Flask,
) -> None:
    number = demo_app(app)
    page = f"/csr/store/WH/returns/{number}"
    staff = app.test_client()
    login(staff, "sam@example.com")
    shown = staff.get(page).get_data(as_text=True)
    assert "waits for a CSR" in shown and "Approve return" not in shown
    csr = app.test_client()
    login(csr, "ada@example.com")
    assert "Approve return" in csr.get(page).get_data(as_text=True)
    answer = post(csr, f"/csr/returns/{number}/approve", {"back": page}, page=page)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(page)
    with app.extensions["db"].sessions() as session:
        assert session.scalar(select(Return.status).where(Return.method == "mail")) == "approved"


def test_a_return_approved_from_its_page_in_the_browser(
    demo_server,  # noqa: F811
    browser_page,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    app, server = demo_server
    with app.extensions["db"].sessions() as session:
        number = session.scalar(select(Return).where(Return.method == "mail")).display_number
    page = browser_page
    browser_log_in(page, server, "phone-admin@example.com")
    page.goto(f"{server}/csr/store/WH/returns")
    page.locator("a", has_text=number).first.click()
    page.click("button:has-text('Approve return')")
    expect(page.locator("#return-status")).to_have_text("approved")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "return-approved.png"), full_page=True)
