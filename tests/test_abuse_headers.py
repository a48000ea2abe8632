"""Security headers on every response, under the test client and under gunicorn.

There were none: no Content-Security-Policy, pages could be framed by any site,
console pages with customers' data could be cached, and no nosniff.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from conversations import handoffs as queue
from orders import ordering
from tests.channels_support import app_processes, serving
from tests.conftest import require_service
from tests.factories import ACTOR, customer, make_shop
from tests.handoff_support import agent, browser_log_in, chatting_customer, login
from tests.standins.ports import free_port
from tests.test_browser_handoff import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = [ROOT / "handoff" / "templates", ROOT / "channels" / "templates"]
# What a CSP without 'unsafe-inline' refuses to run or apply (a JSON data block is
# never run, so it may stay inline).
INLINE = re.compile(
    r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>"
    r"|<style\b|\son[a-z]+\s*=|\sstyle\s*=|javascript:",
    re.I,
)


def check_headers(response, *, cached: bool = False) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    policy = dict(
        part.strip().partition(" ")[::2] for part in headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'", policy
    assert policy["style-src"] == "'self'", policy
    assert policy["frame-ancestors"] == "'none'", policy
    assert policy["object-src"] == "'none'", policy
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    if not cached:
        assert headers["Cache-Control"] == "no-store"


def check_server_banner(server: str) -> None:
    """No software name an attacker could look up vulnerabilities for, and no version."""
    assert "werkzeug" not in server.lower() and "python" not in server.lower(), server
    assert not re.search(r"\d", server), f"the Server header gives a version: {server}"


@pytest.fixture
def shop(session: Session) -> dict[str, object]:
    make_shop(session)
    agent(session, "admin@example.com", "admin")
    dee = customer(session, "+15555550101", "Dee Town")
    order = ordering.place_order(
        session, dee, {"BEAN": 1}, method="pickup", pickup_location_code="DT", actor=ACTOR
    )
    _, conversation = chatting_customer(session, "+15555550104", "Hana")
    handoff = queue.escalate(session, conversation, "human_agent", "Wants a person.")
    session.commit()
    return {
        "customer_id": dee.id,
        "handoff_id": handoff.id,
        "code": "DT",
        "number": order.number,
        "filename": "csr.js",
    }


def console_pages(app: Flask, values: dict[str, object]) -> list[str]:
    pages = []
    for rule in app.url_map.iter_rules():
        if (
            rule.rule.startswith("/csr/")
            and "GET" in rule.methods
            and rule.endpoint != "csr.static"
        ):
            pages.append(
                re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)
            )
    return pages


def test_every_console_page_has_the_headers_and_no_inline_script(
    app: Flask, shop: dict[str, object]
) -> None:
    client = app.test_client()
    check_headers(client.get("/csr/login"))
    assert login(client, "admin@example.com").status_code == 302
    pages = console_pages(app, shop)
    assert len(pages) >= 15
    for page in pages:
        response = client.get(page)
        assert response.status_code < 500, page
        check_headers(response)
        inline = INLINE.search(response.get_data(as_text=True))
        assert inline is None, (page, inline and inline.group())


def test_api_errors_and_health_have_them_too(app: Flask, shop: dict[str, object]) -> None:
    client: FlaskClient = app.test_client()
    admin = {"Authorization": "Bearer test-admin-token"}
    for response in (
        client.get(f"/api/v1/customers/{shop['customer_id']}", headers=admin),
        client.get("/api/v1/orders", headers={"Authorization": "Bearer wrong"}),
        client.get("/healthz"),
        client.get("/no/such/page"),
        client.post("/csr/login", data={}),  # a CSRF refusal
    ):
        check_headers(response)


def test_the_chat_has_a_policy_its_own_route_may_widen(app: Flask) -> None:
    """The web chat may be framed by shops' pages one day: security_headers.policy_for
    is where /chat changes its frame-ancestors; the rest holds whatever it says."""
    response = app.test_client().get("/chat")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_are_cacheable_but_never_sniffed(app: Flask) -> None:
    response = app.test_client().get("/csr/static/csr.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    check_headers(response, cached=True)
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_no_template_has_inline_script_or_style() -> None:
    """What CSP would silently break in the browser: script, handlers and style in HTML."""
    found = []
    for folder in TEMPLATES:
        for template in folder.rglob("*.html"):
            found += [(template.name, m.group()) for m in INLINE.finditer(template.read_text())]
    assert found == []


@pytest.fixture
def gunicorn(db_url: str) -> Iterator[str]:
    """The app under gunicorn, as in production, on a free port."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "test-secret"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        answer(process, f"{base}/healthz")
        yield base
    finally:
        process.terminate()
        process.wait(20)


def answer(process: subprocess.Popen, url: str) -> requests.Response:
    """The first answer from a server process starting up (60 s at most)."""
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"the server for {url} exited"
        try:
            return requests.get(url, timeout=2)
        except requests.RequestException:
            assert time.monotonic() < deadline, f"nothing answered {url} in 60 s"
            time.sleep(0.2)


def test_under_gunicorn_no_werkzeug_banner_and_the_headers(gunicorn: str) -> None:
    for path in ("/csr/login", "/healthz", "/no/such/page"):
        response = requests.get(gunicorn + path, timeout=10)
        check_server_banner(response.headers.get("Server", ""))
        check_headers(response)


def test_chromium_reports_no_policy_violation_on_the_console(
    app: Flask, shop: dict[str, object]
) -> None:
    """The policy is enforced by a real browser: scripts, styles and the live polling
    of every console page must still load, with nothing refused."""
    require_service(os.path.exists(CHROMIUM), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    violations: list[str] = []
    with serving(app, free_port()) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        browser_log_in(page, base, "admin@example.com")
        for path in console_pages(app, shop):
            if not path.endswith(".csv"):  # a download, not a page
                page.goto(base + path)
        page.goto(f"{base}/csr/handoffs/{shop['handoff_id']}")
        page.wait_for_timeout(3500)  # one round of live polling
        styled = page.evaluate("getComputedStyle(document.body).fontFamily")
        browser.close()
    assert violations == []
    assert "Times" not in styled  # csr.css applied, not the browser's default font


def test_the_demo_server_gives_no_versions_either(db_url: str) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "test-secret", "PORT": str(port)}
    with app_processes(env) as start:
        process = start()
        response = answer(process, f"http://127.0.0.1:{port}/healthz")
    check_server_banner(response.headers.get("Server", ""))
