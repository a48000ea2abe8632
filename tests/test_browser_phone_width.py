"""Every main console and store screen at 390 px (a phone) in headless Chromium: no
sideways scrolling, every asset answering 200. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from conversations import demo as handoff_demo
from conversations.staff_models import Handoff
from infra.settings import load_settings
from orders import demo
from orders.models import Customer, Return
from tests.channels_support import serving
from tests.handoff_support import agent, browser_log_in
from tests.standins.ports import free_port
from tests.test_browser_handoff import SCREENSHOTS, browser_page  # noqa: F401  (a fixture)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    """The demo shop (its customers, orders, returns and waiting chats), served once."""
    db_file = tmp_path_factory.mktemp("phone") / "demo.db"
    app = create_app(load_settings(database_url=f"sqlite:///{db_file}", secret_key="phone"))
    with app.extensions["db"].sessions() as session:
        demo.seed(session)
        handoff_demo.seed(session)
        session.commit()
        agent(session, "phone-admin@example.com", role="admin")
    with serving(app, free_port()) as url:
        yield app, url
    app.extensions["db"].dispose()


def screens(app: Flask) -> dict[str, str]:
    with app.extensions["db"].sessions() as session:
        handoff = session.scalar(select(Handoff).order_by(Handoff.id))
        jo = session.scalar(select(Customer).where(Customer.name == "Jo Rivera"))
        ret = session.scalar(select(Return).order_by(Return.id))
        return {
            "queue": "/csr/queue",
            "handoff": f"/csr/handoffs/{handoff.id}",
            "customer": f"/csr/customers/{jo.id}",
            "search": "/csr/search?q=jo",
            "reports": "/csr/reports",
            "dead-letters": "/csr/dead-letters",
            "phone-order": f"/csr/customers/{jo.id}/phone-order",
            "stores": "/csr/store/",
            "pickups": "/csr/store/DT/pickups",
            "shipping": "/csr/store/WH/shipping",
            "returns": "/csr/store/DT/returns",
            "return": f"/csr/store/DT/returns/{ret.display_number}",
            "stock": "/csr/store/DT/stock",
            "walk-in": "/csr/store/DT/walk-in",
        }


SCREENS = [
    "queue",
    "handoff",
    "customer",
    "search",
    "reports",
    "dead-letters",
    "phone-order",
    "stores",
    "pickups",
    "shipping",
    "returns",
    "return",
    "stock",
    "walk-in",
]


@pytest.mark.parametrize("screen", SCREENS)
def test_each_main_screen_fits_a_phone(
    demo_server: tuple[Flask, str],
    browser_page,  # noqa: F811
    screen: str,
) -> None:
    app, server = demo_server
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    browser_log_in(page, server, "phone-admin@example.com")
    path = screens(app)[screen]
    response = page.goto(server + path)
    assert response is not None and response.status == 200, path
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone-{screen}.png"), full_page=True)
    assert overflow <= 0, f"{path}: {overflow}px of sideways scrolling at 390px"
    assert failed == [], failed
