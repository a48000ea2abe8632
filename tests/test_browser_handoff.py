"""The console in real headless Chromium: log in, claim, reply (delivered through the SMS
stand-in), see the customer's answer arrive live, change their order, hand back.

Screenshots go to test-artifacts/screenshots/. Needs Debian's chromium at
/usr/bin/chromium (skipped without it, a failure when CI=true).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

import channels
from app import create_app
from bot import answering
from conversations import delivery
from conversations.inbound import InboundMessage
from conversations.models import Conversation
from conversations.staff_models import Handoff
from infra import clock
from infra.db import Database
from infra.settings import Settings, load_settings
from orders.models import Order
from orders.status import OrderStatus
from tests import factories
from tests.channels_support import serving
from tests.conftest import require_service
from tests.handoff_support import agent, browser_log_in, chatting_customer
from tests.standins.ports import free_port
from tests.standins.twilio_server import TwilioStandin

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
PHONE = "+15555550188"


@pytest.fixture
def twilio() -> Iterator[TwilioStandin]:
    standin = TwilioStandin().start()
    yield standin
    standin.stop()


@pytest.fixture
def settings(db_url: str, twilio: TwilioStandin) -> Settings:
    return load_settings(
        database_url=db_url,
        secret_key="browser-test-secret",
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        twilio_from_number=twilio.from_number,
        twilio_api_base_url=twilio.url,
        handoff_wait_alert_minutes=10,
    )


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    app = create_app(settings)
    with serving(app, free_port()) as url:
        yield url
    app.extensions["db"].dispose()


@contextmanager
def chromium() -> Iterator[object]:
    """Headless Chromium, launched as the machine allows (skipped without it, not in CI)."""
    require_service(os.path.exists(CHROMIUM), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page() -> Iterator[object]:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(15_000)
        yield page


def test_csr_takes_over_replies_changes_the_order_and_hands_back(
    db: Database, settings: Settings, server: str, twilio: TwilioStandin, browser_page
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with db.sessions() as s:
        factories.make_shop(s)
        agent(s, "casey@example.com")
        customer, conversation = chatting_customer(
            s, phone=PHONE, name="Robin Browser", text="My order is wrong, can a person help?"
        )
        order = factories.order_in(s, OrderStatus.PLACED, customer)
        from conversations import handoffs as queue

        queue.escalate(s, conversation, "complaint", "Says the order is wrong.")
        s.commit()
        conversation_id, order_number = conversation.id, order.number

    browser_log_in(page, server, "casey@example.com")
    row = page.locator("tr", has_text="Robin Browser")
    expect(row).to_contain_text("Complaint")
    expect(row).to_contain_text(f"#{order_number}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=True)

    row.locator("a", has_text="Open").click()
    expect(page.locator("#transcript")).to_contain_text("My order is wrong")
    page.click("button:has-text('Claim')")
    expect(page.locator("#handoff-status")).to_have_text("assigned")

    page.fill("#reply-text", "Hi Robin, Casey here. What should the order be?")
    page.click("#reply button:has-text('Send')")
    expect(page.locator("#transcript")).to_contain_text("Casey here")

    # The delivery worker sends it; the customer's phone (the Twilio stand-in) gets it.
    delivery.run_once(db, settings, channels.senders(clock.clock(db)))
    sms = twilio.wait_for_messages(1)[0]
    assert (sms.to, sms.body) == (PHONE, "Hi Robin, Casey here. What should the order be?")

    # The customer answers by SMS: the bot stays silent and the console shows it live.
    answering.receive(
        db,
        settings,
        InboundMessage(
            channel="sms",
            address=PHONE,
            text="Three bags of beans, please",
            provider_id="SMbrowser1",
        ),
    )
    expect(page.locator("#transcript")).to_contain_text("Three bags of beans")
    with db.transaction() as s:
        assert s.get(Conversation, conversation_id).mode == "handoff"
    delivery.run_once(db, settings, channels.senders(clock.clock(db)))
    assert len(twilio.messages) == 1  # nothing from the bot

    order_card = page.locator(f"#order-{order_number}")
    order_card.locator("input[name=qty_BEAN]").fill("3")
    order_card.locator("button:has-text('Save changes')").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Order {order_number} changed")
    page.screenshot(path=str(SCREENSHOTS / "conversation.png"), full_page=True)
    with db.transaction() as s:
        changed = s.scalar(select(Order).where(Order.number == order_number))
        assert {line.sku: line.active_quantity for line in changed.lines}["BEAN"] == 3

    page.click("button:has-text('Hand back to bot')")
    expect(page.locator(".flash.ok")).to_contain_text("Handed back")
    with db.transaction() as s:
        handoff = s.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id))
        assert (handoff.status, handoff.resolution) == ("closed", "handed_back")
        assert s.get(Conversation, conversation_id).mode == "bot"
