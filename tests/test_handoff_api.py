"""/api/v1/handoffs: list, claim, release, resolve and send, with bearer tokens."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import create_token
from conversations import identities
from conversations.models import OutboxMessage
from conversations.staff_models import AuditEntry, Handoff
from infra.db import Database
from tests import factories
from tests.handoff_support import agent, escalated

AUTH = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
def shop(app: Flask, db: Database) -> Session:
    with db.sessions() as s:
        factories.make_shop(s)
        yield s


def test_needs_a_token(client: FlaskClient, shop: Session) -> None:
    escalated(shop)
    assert client.get("/api/v1/handoffs").status_code == 401
    response = client.post("/api/v1/handoffs/1/resolve", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_store_scoped_tokens_cannot_work_the_queue(client: FlaskClient, shop: Session) -> None:
    token = create_token(shop, "downtown-till", locations=["DT"])
    shop.commit()
    response = client.get("/api/v1/handoffs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_list_by_status(client: FlaskClient, shop: Session) -> None:
    waiting = escalated(shop, "complaint", phone="+15555550121", name="Wanda")
    later = escalated(shop, phone="+15555550122")
    body = client.get("/api/v1/handoffs?status=waiting", headers=AUTH).get_json()
    assert [h["id"] for h in body["handoffs"]] == [waiting.id, later.id]
    first = body["handoffs"][0]
    assert (first["status"], first["reason"], first["customer_name"], first["channel"]) == (
        "waiting",
        "complaint",
        "Wanda",
        "sms",
    )
    assert client.get("/api/v1/handoffs?status=closed", headers=AUTH).get_json() == {"handoffs": []}
    bad = client.get("/api/v1/handoffs?status=open", headers=AUTH)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_status"


def test_a_reply_to_a_customer_who_texted_stop_is_refused(
    client: FlaskClient, shop: Session, db: Database
) -> None:
    handoff = escalated(shop)
    conversation = handoff.conversation
    identities.mark(shop, conversation.channel, conversation.address, "opted_out")
    shop.commit()
    sent = client.post(
        f"/api/v1/handoffs/{handoff.id}/messages", headers=AUTH, json={"text": "Hi there"}
    )
    assert sent.status_code == 409
    assert sent.get_json()["error"]["code"] == "customer_unreachable"
    with db.transaction() as s:
        assert s.scalar(select(OutboxMessage)) is None


def test_claim_release_message_resolve(client: FlaskClient, shop: Session, db: Database) -> None:
    handoff = escalated(shop)
    agent(shop, "ana@example.com")
    base = f"/api/v1/handoffs/{handoff.id}"
    assert client.post(f"{base}/claim", headers=AUTH, json={}).status_code == 400
    claimed = client.post(f"{base}/claim", headers=AUTH, json={"csr": "ana@example.com"})
    assert claimed.status_code == 200 and claimed.get_json()["assigned_to"] == "ana@example.com"
    again = client.post(f"{base}/claim", headers=AUTH, json={"csr": "ana@example.com"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_claimed"
    released = client.post(f"{base}/release", headers=AUTH)
    assert released.get_json()["status"] == "waiting"

    sent = client.post(f"{base}/messages", headers=AUTH, json={"text": "Hello from the API"})
    assert sent.status_code == 201
    assert client.post(f"{base}/messages", headers=AUTH, json={"text": 5}).status_code == 400

    resolved = client.post(f"{base}/resolve", headers=AUTH).get_json()
    assert (resolved["status"], resolved["resolution"]) == ("closed", "resolved")
    late = client.post(f"{base}/messages", headers=AUTH, json={"text": "late"})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "handoff_closed"
    assert client.post(f"{base}/frobnicate", headers=AUTH).status_code == 404
    assert client.post("/api/v1/handoffs/999/resolve", headers=AUTH).status_code == 404

    with db.transaction() as s:
        row = s.scalar(select(OutboxMessage))
        assert (row.body, row.message.author, row.message.author_id) == (
            "Hello from the API",
            "csr",
            "api:admin-token",
        )
        assert s.get(Handoff, handoff.id).conversation.mode == "bot"
        assert list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))) == [
            "claim",
            "release",
            "reply",
            "resolve",
        ]


def test_a_reply_may_name_the_csr_it_is_written_for(
    client: FlaskClient, shop: Session, db: Database
) -> None:
    """Naming a CSR, the token writes as that CSR: a waiting conversation becomes theirs,
    and another CSR's conversation is refused as the console refuses it."""
    handoff = escalated(shop)
    agent(shop, "ana@example.com")
    agent(shop, "ben@example.com")
    url = f"/api/v1/handoffs/{handoff.id}/messages"
    sent = client.post(url, headers=AUTH, json={"text": "Ana here", "csr": "ana@example.com"})
    assert sent.status_code == 201
    taken = client.get(f"/api/v1/handoffs/{handoff.id}", headers=AUTH).get_json()
    assert (taken["status"], taken["assigned_to"]) == ("assigned", "ana@example.com")

    refused = client.post(url, headers=AUTH, json={"text": "Ben here", "csr": "ben@example.com"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "not_your_handoff"
    unknown = client.post(url, headers=AUTH, json={"text": "Who?", "csr": "nobody@example.com"})
    assert unknown.status_code == 404

    with db.transaction() as s:
        assert [row.body for row in s.scalars(select(OutboxMessage))] == ["Ana here"]
        assert [row.message.author_id for row in s.scalars(select(OutboxMessage))] == [
            "ana@example.com"
        ]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "reply")).one()
        assert audit.details["csr"] == "ana@example.com"
