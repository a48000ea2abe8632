"""The web chat in real headless Chromium: the /chat page and the widget embedded on a shop's
own site, at desktop and phone widths, under a strict Content-Security-Policy; and every
page of the app loading without a missing file.

Screenshots go to test-artifacts/screenshots/chat-*.png. Needs Debian's chromium at
/usr/bin/chromium (skipped without it, a failure when CI=true); see test_browser_handoff.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from conversations.models import Conversation, Message
from conversations.staff_models import Handoff
from infra.db import Database
from infra.settings import load_settings
from orders import demo, fulfilment
from orders.models import Order
from tests import factories
from tests.channels_support import count, serving
from tests.conftest import require_service
from tests.handoff_support import agent, browser_log_in, escalated
from tests.standins.ports import free_port
from tests.test_browser_handoff import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

expect = pytest.importorskip("playwright.sync_api").expect

ADMIN_TOKEN = "chat-browser-admin"
CSR = "casey@example.com"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WIDTHS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "390px"])
PLACED = re.compile(r"Order #\d+ placed")
ASKS_NAME = "Whose name should the order be under?"
LIVE_MS = 10_000
# Browsers ask every site for /favicon.ico unasked; no page references it (the app has none).
BROWSERS_OWN_GUESS = "/favicon.ico"  # a CSR reply or notice shows up well within this


class ShopSite:
    """A shop's own site on another origin: one page with the widget's script tag, sent
    with a strict CSP (scripts, styles and requests only from the chat's origin)."""

    def __init__(self, chat_url: str) -> None:
        page = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>A shop</title><script src='{chat_url}/chat/widget.js' defer></script>"
            "</head><body><h1>A shop</h1><p>Coffee, tea and the things to make them.</p>"
            "</body></html>"
        ).encode()
        policy = (
            f"default-src 'none'; script-src {chat_url}; style-src {chat_url}; "
            f"connect-src {chat_url}; img-src 'self'"
        )

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", policy)
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def __enter__(self) -> ShopSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Chat:
    url: str
    app: Flask
    shop: ShopSite
    elsewhere: ShopSite

    @property
    def database(self) -> Database:
        return self.app.extensions["db"]


@pytest.fixture
def chat(db_url: str) -> Iterator[Chat]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with ShopSite(url) as shop, ShopSite(url) as elsewhere:
        settings = load_settings(
            database_url=db_url,
            secret_key="chat-browser-secret",
            admin_api_token=ADMIN_TOKEN,
            chat_allowed_origins=(shop.url,),
            chat_long_poll_seconds=5,
        )
        app = create_app(settings)

        @app.after_request
        def strict_csp(response):  # type: ignore[no-untyped-def]
            # What a strict deployment sends: anything inline would be refused.
            response.headers.setdefault("Content-Security-Policy", "default-src 'self'")
            return response

        database = app.extensions["db"]
        with database.transaction() as session:
            demo.seed(session)
        with database.sessions() as session:
            agent(session, CSR, role="admin")
        with serving(app, port):
            yield Chat(url, app, shop, elsewhere)
        database.dispose()


@dataclass
class Watched:
    """A page, and what the browser said about it: errors (CSP refusals among them) and
    every response that was not a success."""

    page: object
    errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@pytest.fixture
def browser() -> Iterator[object]:
    require_service(os.path.exists(CHROMIUM), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser, viewport: dict[str, int], url: str) -> Watched:  # type: ignore[no-untyped-def]
    """A new page at `url`, watched from before it loads."""
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(15_000)
    watched = Watched(page)
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.location.get("url", "").endswith(BROWSERS_OWN_GUESS)
            and watched.errors.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and watched.failures.append(f"{response.status} {response.url}")
        ),
    )
    page.on(
        "requestfailed",
        lambda request: (
            "ERR_ABORTED" not in (request.failure or "")
            and watched.failures.append(f"failed {request.url}: {request.failure}")
        ),
    )
    page.goto(url)
    return watched


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"chat-{name}.png"))


def assert_no_horizontal_scroll(page) -> None:  # type: ignore[no-untyped-def]
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth,"
        " ...Array.from(document.querySelectorAll('*'))"
        "   .filter(e => e.shadowRoot)"
        "   .flatMap(e => Array.from(e.shadowRoot.querySelectorAll('.log, .panel'))"
        "   .map(p => p.scrollWidth - p.clientWidth))]"
    )
    page_width, viewport_width, *overflows = widths
    assert page_width <= viewport_width and all(extra <= 0 for extra in overflows), widths


def web_conversation(database: Database) -> Conversation:
    with database.transaction() as session:
        conversation = session.scalars(
            select(Conversation).where(Conversation.channel == "web")
        ).one()
        session.expunge(conversation)
        return conversation


def reply_as_csr(chat: Chat, text: str) -> None:
    """Claim the conversation's handoff and answer through the handoff API. The page
    shows the customer's "Talk to a person" at once; the handoff opens when the app's
    worker has answered it, so wait for that as a CSR would."""
    handoff_id = None
    deadline = time.monotonic() + LIVE_MS / 1000
    while handoff_id is None and time.monotonic() < deadline:
        with chat.database.reading() as session:
            handoff_id = session.scalars(select(Handoff.id)).one_or_none()
        time.sleep(0.05)
    assert handoff_id is not None, "no handoff opened"
    client = chat.app.test_client()
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    claimed = client.post(f"/api/v1/handoffs/{handoff_id}/claim", json={"csr": CSR}, headers=auth)
    assert claimed.status_code == 200, claimed.get_json()
    sent = client.post(f"/api/v1/handoffs/{handoff_id}/messages", json={"text": text}, headers=auth)
    assert sent.status_code == 201, sent.get_json()


def make_ready_for_pickup(database: Database) -> int:
    customer_id = web_conversation(database).customer_id
    with database.transaction() as session:
        order = session.scalars(select(Order).where(Order.customer_id == customer_id)).one()
        fulfilment.mark_processing(session, order, actor=factories.STAFF)
        fulfilment.mark_ready_for_pickup(session, order, actor=factories.STAFF)
        return order.number


@WIDTHS
def test_the_chat_page_orders_picks_a_choice_and_shows_notices_and_a_csr_live(
    chat: Chat, browser, viewport: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    watched = open_page(browser, viewport, f"{chat.url}/chat")
    page = watched.page
    log = page.locator(".log")
    expect(log).to_have_attribute("aria-live", "polite")

    page.fill("#chat-text", "2 ethiopian beans for pickup downtown")
    page.keyboard.press("Enter")
    expect(log).to_contain_text("Ethiopia Yirgacheffe")
    assert "2 ethiopian beans" not in page.url  # message text never reaches a URL
    expect(log).to_contain_text(ASKS_NAME)  # a new visitor: asked once, before placing
    page.fill("#chat-text", "it's sam lee")
    page.keyboard.press("Enter")
    expect(log).to_contain_text("Thanks, Sam Lee")
    page.get_by_role("button", name="Yes", exact=True).click()
    expect(log).to_contain_text(PLACED)
    expect(page.locator(".choices button")).to_have_count(0)

    page.reload()  # the conversation survives the page load
    expect(log).to_contain_text(PLACED)
    expect(log).to_contain_text("2 ethiopian beans for pickup downtown")

    number = make_ready_for_pickup(chat.database)
    expect(log).to_contain_text(f"{number} is ready at", timeout=LIVE_MS)  # no reload

    page.get_by_role("button", name="Talk to a person").click()
    expect(log).to_contain_text("Talk to a person")
    reply_as_csr(chat, "Hi, Casey here. Your beans are waiting for you.")
    expect(page.locator(".msg.csr")).to_contain_text("Casey here", timeout=LIVE_MS)

    assert_no_horizontal_scroll(page)
    shot(page, f"page-{viewport['width']}")
    assert watched.errors == [] and watched.failures == []


@WIDTHS
def test_the_widget_on_the_shops_own_site_works_by_keyboard_alone(
    chat: Chat, browser, viewport: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    watched = open_page(browser, viewport, chat.shop.url)
    page = watched.page
    bubble = page.locator(".bubble")
    expect(bubble).to_be_visible()
    page.keyboard.press("Tab")
    expect(bubble).to_be_focused()
    page.keyboard.press("Enter")
    expect(bubble).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#chat-text")).to_be_focused()

    page.keyboard.type("2 ethiopian beans for pickup downtown")
    page.keyboard.press("Enter")
    expect(page.locator(".log")).to_contain_text(ASKS_NAME)
    page.keyboard.type("Sam")
    page.keyboard.press("Enter")
    yes = page.get_by_role("button", name="Yes", exact=True)
    expect(yes).to_be_visible()
    for _ in range(6):  # back from the message box to the bot's choices
        if yes.evaluate("b => b.getRootNode().activeElement === b"):
            break
        page.keyboard.press("Shift+Tab")
    expect(yes).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".log")).to_contain_text(PLACED)
    assert_no_horizontal_scroll(page)
    shot(page, f"widget-{viewport['width']}")

    page.keyboard.press("Escape")
    expect(page.locator(".panel")).to_be_hidden()
    expect(bubble).to_be_focused()
    number = make_ready_for_pickup(chat.database)  # closed, but the visitor just wrote
    expect(page.locator(".unread")).to_have_text("1", timeout=LIVE_MS)

    page.reload()  # the conversation survives on the shop's site too
    expect(page.locator(".log")).to_contain_text(f"{number} is ready at")
    expect(page.locator(".unread")).to_be_hidden()  # what came before is not news
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".panel")).to_be_visible()
    expect(page.locator(".log")).to_contain_text(PLACED)
    assert watched.errors == [] and watched.failures == []


def test_the_widget_on_a_site_not_allowed_does_not_work(chat: Chat, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    with page.expect_console_message(lambda m: "does not allow this site" in m.text):
        page.goto(chat.elsewhere.url)
    assert page.locator(".bubble").count() == 0
    # Nor can that page's own script talk to the chat directly.
    refused = page.evaluate(
        """url => fetch(url + "/chat/messages", {method: "POST",
              headers: {"Content-Type": "application/json"}, body: '{"text": "hi"}'})
            .then(() => "answered", () => "refused")""",
        chat.url,
    )
    assert refused == "refused"
    assert count(chat.database, Message) == 0


def test_no_page_references_a_missing_file(chat: Chat, browser) -> None:  # type: ignore[no-untyped-def]
    """Every page as a browser loads it, with every file it asks for."""
    with chat.database.sessions() as session:
        handoff = escalated(session).id  # a conversation waiting in the queue
        customer = session.scalars(select(Order.customer_id)).first()
    watched = open_page(browser, DESKTOP, "about:blank")
    page = watched.page
    for url, built in ((f"{chat.url}/chat", ".log"), (chat.shop.url, ".bubble")):
        page.goto(url)
        page.wait_for_load_state("load")
        assert watched.failures == [], url  # the page's own script and stylesheet
        page.locator(built).wait_for(state="attached")  # the widget's stylesheet and config
    browser_log_in(page, chat.url, CSR)
    page.wait_for_load_state()
    paths = [
        "/csr/",
        "/csr/queue",
        f"/csr/handoffs/{handoff}",
        f"/csr/customers/{customer}",
        f"/csr/customers/{customer}/phone-order",
        "/csr/search?q=jo",
        "/csr/dead-letters",
        "/csr/admin/users",
        "/csr/admin/canned",
        "/csr/admin/audit",
        "/csr/store/",
        *(
            f"/csr/store/DT/{screen}"
            for screen in ("pickups", "shipping", "returns", "walk-in", "stock", "ledger")
        ),
    ]
    for path in paths:
        response = page.goto(chat.url + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
    assert watched.failures == []


def test_a_refused_message_keeps_the_words_and_says_why(chat: Chat, browser) -> None:  # type: ignore[no-untyped-def]
    """Over a rate limit the server answers 429 with its reason; a dropped connection
    has none. Either way the message stays in the box to send again."""
    watched = open_page(browser, DESKTOP, f"{chat.url}/chat")
    page = watched.page

    # Only the send (a POST) is refused; the page's own polling (a GET of the same URL)
    # goes through, or its "Reconnecting…" would race the send's words.
    def refuse_sends(answer):  # type: ignore[no-untyped-def]
        return lambda route: answer(route) if route.request.method == "POST" else route.continue_()

    page.route(
        "**/chat/messages?after=*",
        refuse_sends(
            lambda route: route.fulfill(
                status=429,
                content_type="application/json",
                body='{"error": {"code": "slow_down", "message": "Slow down a little."}}',
            )
        ),
    )
    page.fill("#chat-text", "where is my order")
    page.keyboard.press("Enter")
    expect(page.locator(".status")).to_have_text("Slow down a little.")
    expect(page.locator("#chat-text")).to_have_value("where is my order")

    page.unroute("**/chat/messages?after=*")
    page.route("**/chat/messages?after=*", refuse_sends(lambda route: route.abort()))
    page.keyboard.press("Enter")
    expect(page.locator(".status")).to_have_text("Your message was not sent. Please try again.")
    expect(page.locator("#chat-text")).to_have_value("where is my order")
    assert count(chat.database, Message) == 0
