"""Alerts: the queue's state as a long poll, and a new chat reaching another console tab.

The browser part runs in headless Chromium (skipped without it, a failure in CI).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from handoff import alerts
from infra.db import utcnow
from infra.settings import load_settings
from tests.channels_support import serving
from tests.handoff_support import agent, backdate, browser_log_in, escalated, login
from tests.standins.ports import free_port
from tests.test_browser_handoff import SCREENSHOTS, chromium


@pytest.fixture
def app(db_url: str) -> Flask:
    settings = load_settings(
        database_url=db_url, secret_key="alerts", handoff_wait_alert_minutes=10
    )
    flask_app = create_app(settings)
    flask_app.config["TESTING"] = True
    return flask_app


def test_the_alert_state_changes_with_the_queue_and_the_long_poll_waits_only_while_it_does_not(
    app: Flask,
) -> None:
    database, settings = app.extensions["db"], app.extensions["settings"]
    with database.sessions() as session:
        casey = agent(session, "casey@example.com")
    empty = alerts.state(database, settings, casey.id, utcnow())
    assert (empty.waiting, empty.overdue, empty.mine) == ([], [], [])
    with database.sessions() as session:
        handoff = escalated(session)
    waiting = alerts.state(database, settings, casey.id, utcnow())
    assert waiting.waiting == [handoff.id] and waiting.token != empty.token
    backdate(database, handoff.id, minutes=11)
    late = alerts.state(database, settings, casey.id, utcnow())
    assert late.overdue == [handoff.id] and late.token != waiting.token

    started = time.monotonic()
    assert alerts.wait_for_change(database, settings, casey.id, "stale", 5).token == late.token
    assert time.monotonic() - started < 1  # a change answers at once
    started = time.monotonic()
    alerts.wait_for_change(database, settings, casey.id, late.token, 1)
    assert time.monotonic() - started >= 1  # no change: it waits, but not for ever


def test_the_alerts_endpoint_needs_a_login_and_answers_json(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/csr/queue/alerts").status_code == 302
    with app.extensions["db"].sessions() as session:
        agent(session, "casey@example.com")
        handoff = escalated(session)
    login(client, "casey@example.com")
    body = client.get("/csr/queue/alerts?wait=0").get_json()
    assert body["waiting"] == [handoff.id] and body["mine"] == []


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with serving(app, free_port()) as url:
        yield url
    app.extensions["db"].dispose()


@pytest.fixture
def browser_context() -> Iterator[object]:
    """One browser profile, so that several tabs share the console login."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        yield context


def test_a_new_chat_shows_in_another_tabs_title_and_the_queue_without_a_reload(
    app: Flask, server: str, browser_context
) -> None:
    from playwright.sync_api import expect

    database = app.extensions["db"]
    with database.sessions() as session:
        agent(session, "casey@example.com")
    queue_tab = browser_context.new_page()
    browser_log_in(queue_tab, server, "casey@example.com")
    expect(queue_tab.locator("#queue")).to_contain_text("Nothing here")
    other_tab = browser_context.new_page()
    other_tab.goto(f"{server}/csr/search")
    expect(other_tab).not_to_have_title(re.compile(r"^\(1\) "))

    with database.sessions() as session:
        escalated(session, name="Robin Alert", phone="+15555550190", text="A person please")

    expect(other_tab).to_have_title(re.compile(r"^\(1\) Search"), timeout=10_000)
    expect(other_tab.locator("#alert-count")).to_have_text("1 waiting")
    expect(queue_tab.locator("#queue")).to_contain_text("Robin Alert", timeout=10_000)
    queue_tab.locator("tr", has_text="Robin Alert").locator("a", has_text="Open").click()
    queue_tab.click("button:has-text('Claim')")
    queue_tab.goto(f"{server}/csr/queue")
    expect(queue_tab.locator("tr.mine")).to_contain_text("Robin Alert")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    queue_tab.screenshot(path=str(SCREENSHOTS / "queue-mine.png"), full_page=True)


def test_a_server_that_cannot_hold_requests_answers_the_alerts_at_once(app: Flask) -> None:
    """Flask's test client says wsgi.multithread false, as gunicorn's sync workers do."""
    client = app.test_client()
    with app.extensions["db"].sessions() as session:
        agent(session, "casey@example.com")
    login(client, "casey@example.com")
    token = client.get("/csr/queue/alerts?wait=0").get_json()["token"]
    started = time.monotonic()
    same = client.get(f"/csr/queue/alerts?wait=20&seen={token}").get_json()
    assert same["token"] == token and time.monotonic() - started < 2
