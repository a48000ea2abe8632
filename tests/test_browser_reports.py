"""/csr/reports in real headless Chromium: the charts draw from the app's own Chart.js,
every asset answers 200, and the page fits a 390 px phone without sideways scrolling.

Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from infra.settings import load_settings
from tests.channels_support import serving
from tests.handoff_support import agent, browser_log_in
from tests.standins.ports import free_port
from tests.test_browser_handoff import SCREENSHOTS, browser_page  # noqa: F401  (a fixture)
from tests.test_reports import ZONE, scripted_day


@pytest.fixture
def report_app(db_url: str) -> Flask:
    settings = load_settings(database_url=db_url, secret_key="browser", store_timezone=ZONE)
    return create_app(settings)


@pytest.fixture
def server(report_app: Flask) -> Iterator[str]:
    with serving(report_app, free_port()) as url:
        yield url
    report_app.extensions["db"].dispose()


@pytest.mark.parametrize("width", [1280, 390])
def test_reports_draw_their_charts_at_desktop_and_phone_width(
    report_app: Flask,
    server: str,
    browser_page,  # noqa: F811
    width: int,
) -> None:
    from playwright.sync_api import expect

    scripted_day(report_app)
    with report_app.extensions["db"].transaction() as session:
        agent(session, "ada@example.com", role="admin")
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    browser_log_in(page, server, "ada@example.com")
    page.goto(f"{server}/csr/reports?from=2026-11-30&to=2026-11-30")
    expect(page.locator("[data-figure=containment]")).to_have_text("70 %")
    drawn = page.locator("figure.chart.drawn canvas")
    expect(drawn).to_have_count(4)
    assert page.evaluate("() => typeof Chart === 'function'")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow}px of sideways scrolling at {width}px"
    assert failed == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"reports-{width}.png"), full_page=True)
