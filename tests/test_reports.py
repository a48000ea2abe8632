"""Reports against a scripted day of conversations.

Ten customers write by SMS (the real bot answers them); three are handed to CSRs, whose
first replies come 1, 2 and 4 minutes after the handoff and who close them after 10,
20 and 30 minutes. The recorded times are then set to the script's clock, and the
report must say: containment 70 %, median first response 2 minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from api.auth import create_token
from app import create_app
from bot import answering
from conversations import handoffs as queue
from conversations import reports
from conversations.inbound import InboundMessage
from conversations.models import Conversation, Message
from conversations.staff_models import CsrUser, Handoff
from infra.db import Database
from infra.settings import load_settings
from orders import demo
from tests.handoff_support import agent, login

ZONE = "America/New_York"
DAY_START = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 09:00 in New York
PHONES = [f"+1555555{n:04d}" for n in range(10)]
HANDED = {0: ("human_agent", 1, 10), 1: ("complaint", 2, 20), 2: ("human_agent", 4, 30)}
NONSENSE = "blorp zzkx quux"


@pytest.fixture
def app(db_url: str) -> Flask:
    settings = load_settings(
        database_url=db_url,
        secret_key="reports-secret",
        admin_api_token="reports-admin-token",
        store_timezone=ZONE,
    )
    flask_app = create_app(settings)
    flask_app.config["TESTING"] = True
    return flask_app


def say(app: Flask, phone: str, text: str, sid: str) -> None:
    answering.receive(
        app.extensions["db"],
        app.extensions["settings"],
        InboundMessage(channel="sms", address=phone, text=text, provider_id=sid),
    )


def scripted_day(app: Flask) -> None:
    database: Database = app.extensions["db"]
    with database.transaction() as session:
        demo.seed(session)
    with database.transaction() as session:
        casey = agent(session, "casey@example.com")
        casey_id = casey.id
    for n, phone in enumerate(PHONES):
        say(app, phone, "wheres my order", f"SM-day-{n}")
    say(app, PHONES[9], NONSENSE, "SM-day-nonsense")
    with database.transaction() as session:
        conversations = {c.address: c for c in session.scalars(select(Conversation))}
        for n, (reason, _, _) in HANDED.items():
            conversation = conversations[PHONES[n]]
            handoff = queue.escalate(session, conversation, reason, "Scripted.")
            user = session.get(CsrUser, casey_id)
            queue.reply(queue.SqlHandoffs(session), handoff, user, f"Hello, Casey here ({n}).")
            queue.resolve(queue.SqlHandoffs(session), handoff, user)
    _set_the_clock(database, conversations)


def _set_the_clock(database: Database, conversations: dict[str, Conversation]) -> None:
    """Customer n wrote at 09:0n New York time; handoffs opened at 10:00, 11:00, 12:00."""
    with database.transaction() as session:
        for n, phone in enumerate(PHONES):
            wrote = DAY_START + timedelta(minutes=n)
            session.execute(
                update(Message)
                .where(Message.conversation_id == conversations[phone].id)
                .values(created_at=wrote)
            )
        for n, (_, first_reply, closed) in HANDED.items():
            conversation_id = conversations[PHONES[n]].id
            opened = DAY_START + timedelta(hours=n + 1)
            session.execute(
                update(Handoff)
                .where(Handoff.conversation_id == conversation_id)
                .values(created_at=opened, closed_at=opened + timedelta(minutes=closed))
            )
            session.execute(
                update(Message)
                .where(Message.conversation_id == conversation_id, Message.author == "csr")
                .values(created_at=opened + timedelta(minutes=first_reply))
            )


def day_report(app: Flask, **kwargs: object) -> reports.Report:
    settings = app.extensions["settings"]
    period = reports.parse_period("2026-11-30", "2026-11-30", settings.timezone, DAY_START)
    with app.extensions["db"].reading() as session:
        return reports.build(session, period, settings.timezone, **kwargs)  # type: ignore[arg-type]


def test_the_report_agrees_with_the_scripted_day(app: Flask) -> None:
    scripted_day(app)
    report = day_report(app)
    assert report.conversations == 10
    assert report.handed_over == 3
    assert report.containment == pytest.approx(0.7)
    assert report.first_response == reports.Durations(3, 2, 4)
    assert report.resolution == reports.Durations(3, 20, 30)
    assert report.handoffs_by_reason == {"human_agent": 2, "complaint": 1}
    assert report.messages_by_channel == {"sms": 11}
    assert report.messages_by_hour[9] == 11  # all between 09:00 and 09:09 in New York
    assert sum(report.messages_by_hour) == 11
    assert report.top_intents[0] == ("track_order", 10)
    [unread] = report.not_understood
    assert unread.text == NONSENSE


def test_a_csr_sees_their_own_work_and_the_period_bounds_hold(app: Flask) -> None:
    scripted_day(app)
    with app.extensions["db"].transaction() as session:
        other = agent(session, "robin@example.com")
    assert day_report(app, csr_id=other.id).handed_over == 0
    settings = app.extensions["settings"]
    next_day = reports.parse_period("2026-12-01", "2026-12-01", settings.timezone, DAY_START)
    with app.extensions["db"].reading() as session:
        empty = reports.build(session, next_day, settings.timezone)
    assert (empty.conversations, empty.handed_over, empty.containment) == (0, 0, None)


@pytest.mark.parametrize(
    ("start", "end"), [("2026-13-01", ""), ("2026-12-02", "2026-12-01"), ("2020-01-01", "")]
)
def test_a_bad_period_is_refused_with_words(app: Flask, start: str, end: str) -> None:
    response = app.test_client().get(
        f"/api/v1/reports/summary?from={start}&to={end}",
        headers={"Authorization": "Bearer reports-admin-token"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_period"


def test_the_api_and_csv_give_the_same_figures(app: Flask) -> None:
    scripted_day(app)
    client = app.test_client()
    admin = {"Authorization": "Bearer reports-admin-token"}
    query = "?from=2026-11-30&to=2026-11-30"
    figures = client.get("/api/v1/reports/summary" + query, headers=admin).get_json()
    assert figures["containment"] == pytest.approx(0.7)
    assert figures["first_response"] == {"count": 3, "median_minutes": 2, "p90_minutes": 4}
    assert figures["timezone"] == ZONE
    csv_text = client.get("/api/v1/reports/summary.csv" + query, headers=admin).get_data(True)
    assert "summary,containment,0.7" in csv_text
    assert "first_response,median_minutes,2" in csv_text
    assert client.get("/api/v1/reports/summary").status_code == 401
    with app.extensions["db"].transaction() as session:
        store_token = create_token(session, "pos", locations=("DT",))
    scoped = {"Authorization": f"Bearer {store_token}"}
    assert client.get("/api/v1/reports/summary", headers=scoped).status_code == 403


def test_the_console_page_shows_the_figures_and_links_what_was_not_understood(
    app: Flask,
) -> None:
    scripted_day(app)
    with app.extensions["db"].transaction() as session:
        agent(session, "ada@example.com", role="admin")
    client = app.test_client()
    login(client, "ada@example.com")
    page = client.get("/csr/reports?from=2026-11-30&to=2026-11-30").get_data(as_text=True)
    assert 'data-figure="containment">70 %' in page
    assert 'data-figure="first_response">2 min' in page
    assert NONSENSE in page and "#m" in page
    csv_response = client.get("/csr/reports.csv?from=2026-11-30&to=2026-11-30")
    assert csv_response.mimetype == "text/csv"
    assert "attachment" in csv_response.headers["Content-Disposition"]
    login(client := app.test_client(), "casey@example.com")
    mine = client.get("/csr/reports?from=2026-11-30&to=2026-11-30").get_data(as_text=True)
    assert "Your own work" in mine and 'data-figure="containment"' not in mine
    assert 'data-figure="handed_over">3' in mine
