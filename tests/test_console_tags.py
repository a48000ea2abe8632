"""Tags on conversations: a CSR adds and removes them on the conversation's page; the
queue shows and filters by them, search finds by them, the audit log says so in words,
and /api/v1/handoffs shows them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations import tags
from conversations.staff_models import AuditEntry, ConversationTag, Handoff
from infra.db import Database
from orders.errors import ValidationFailed
from tests import factories
from tests.handoff_support import agent, escalated, login, post

AUTH = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
def shop(app: Flask, db: Database) -> Session:
    with db.sessions() as s:
        factories.make_shop(s)
        yield s


@pytest.fixture
def csr(shop: Session, client: FlaskClient) -> FlaskClient:
    agent(shop, "casey@example.com")
    assert login(client, "casey@example.com").status_code == 302
    return client


def _tag(client: FlaskClient, handoff: Handoff, tag: str):  # type: ignore[no-untyped-def]
    page = f"/csr/handoffs/{handoff.id}"
    return post(client, f"{page}/tags", {"tag": tag}, page)


def _untag(client: FlaskClient, handoff: Handoff, tag: str):  # type: ignore[no-untyped-def]
    page = f"/csr/handoffs/{handoff.id}"
    return post(client, f"{page}/tags/remove", {"tag": tag}, page)


def _stored(db: Database) -> list[tuple[int, str, str]]:
    with db.transaction() as s:
        rows = s.scalars(select(ConversationTag).order_by(ConversationTag.tag))
        return [(row.conversation_id, row.tag, row.added_by) for row in rows]


def test_normalise_keeps_tags_lowercase_single_spaced_and_short() -> None:
    assert tags.normalise("  VIP \t  Customer\n") == "vip customer"
    assert tags.checked("Refund") == "refund"
    with pytest.raises(ValidationFailed):
        tags.checked("   ")
    with pytest.raises(ValidationFailed):
        tags.checked("x" * (tags.MAX_TAG_LENGTH + 1))


def test_a_csr_tags_a_conversation_once_and_untags_it(
    csr: FlaskClient, shop: Session, db: Database
) -> None:
    handoff = escalated(shop, name="Robin Tag")
    assert _tag(csr, handoff, "  Refund  Request ").status_code == 302
    _tag(csr, handoff, "refund request")  # the same tag again: nothing new
    _tag(csr, handoff, "VIP")
    assert _stored(db) == [
        (handoff.conversation_id, "refund request", "casey@example.com"),
        (handoff.conversation_id, "vip", "casey@example.com"),
    ]
    page = csr.get(f"/csr/handoffs/{handoff.id}").get_data(as_text=True)
    assert 'aria-label="Remove tag refund request"' in page

    _untag(csr, handoff, "VIP")
    assert [tag for _, tag, _ in _stored(db)] == ["refund request"]
    with db.transaction() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action.like("tag_%"))).all()
        assert [(e.action, e.target_type, e.details) for e in entries] == [
            ("tag_add", "conversation", {"tag": "refund request"}),
            ("tag_add", "conversation", {"tag": "vip"}),
            ("tag_remove", "conversation", {"tag": "vip"}),
        ]


def test_tag_forms_need_the_csrf_token_and_refuse_a_long_tag(
    csr: FlaskClient, shop: Session, db: Database
) -> None:
    handoff = escalated(shop)
    assert csr.post(f"/csr/handoffs/{handoff.id}/tags", data={"tag": "vip"}).status_code == 400
    response = csr.post(f"/csr/handoffs/{handoff.id}/tags/remove", data={"tag": "vip"})
    assert response.status_code == 400
    _tag(csr, handoff, "y" * 31)
    page = csr.get(f"/csr/handoffs/{handoff.id}").get_data(as_text=True)
    assert "at most 30 characters" in page
    assert _stored(db) == []


def test_tags_and_the_customers_words_are_escaped(
    csr: FlaskClient, shop: Session, db: Database
) -> None:
    handoff = escalated(shop, name="<b>Bold</b>")
    _tag(csr, handoff, "<script>x</script>")
    for path in (f"/csr/handoffs/{handoff.id}", "/csr/queue", "/csr/search?q=script"):
        page = csr.get(path).get_data(as_text=True)
        assert "<script>x</script>" not in page and "<b>Bold</b>" not in page, path
        assert "&lt;script&gt;x&lt;/script&gt;" in page, path


def test_the_queue_shows_tags_filters_by_one_and_suggests_those_in_use(
    csr: FlaskClient, shop: Session
) -> None:
    refund = escalated(shop, phone="+15555550161", name="Ada Refund")
    other = escalated(shop, phone="+15555550162", name="Bo Other")
    _tag(csr, refund, "refund")
    _tag(csr, other, "wholesale")
    everyone = csr.get("/csr/queue").get_data(as_text=True)
    assert "Ada Refund" in everyone and "Bo Other" in everyone
    assert '<option value="refund">' in everyone and '<option value="wholesale">' in everyone
    picked = csr.get("/csr/queue?tag=REFUND").get_data(as_text=True)
    assert "Ada Refund" in picked and "Bo Other" not in picked
    assert 'name="tag" value="refund"' in picked
    polled = csr.get("/csr/queue?partial=1&tag=refund").get_data(as_text=True)
    assert "Ada Refund" in polled and "Bo Other" not in polled
    page = csr.get(f"/csr/handoffs/{other.id}").get_data(as_text=True)
    assert '<option value="refund">' in page  # suggested where tagging


def test_search_finds_conversations_by_tag(csr: FlaskClient, shop: Session) -> None:
    handoff = escalated(shop, name="Cy Search")
    escalated(shop, phone="+15555550163", name="Di Untagged")
    _tag(csr, handoff, "broken mug")
    page = csr.get("/csr/search?q=Broken").get_data(as_text=True)
    tagged = page.split("Tagged conversations", 1)[1].split("<h2>", 1)[0]
    assert "Cy Search" in tagged and "broken mug" in tagged and "Di Untagged" not in tagged


def test_the_audit_log_says_tag_changes_in_words(
    app: Flask, csr: FlaskClient, shop: Session
) -> None:
    handoff = escalated(shop)
    _tag(csr, handoff, "vip")
    _untag(csr, handoff, "vip")
    agent(shop, "ada@example.com", role="admin")
    admin = app.test_client()
    login(admin, "ada@example.com")
    log = admin.get("/csr/admin/audit").get_data(as_text=True)
    conversation = f"conversation {handoff.conversation_id}"
    assert "tagged" in log and "took a tag off" in log and conversation in log
    assert "tag: vip" in log and "tag_add" not in log


def test_the_handoff_api_shows_tags_and_filters_by_one(
    csr: FlaskClient, shop: Session, client: FlaskClient
) -> None:
    tagged = escalated(shop, phone="+15555550164")
    plain = escalated(shop, phone="+15555550165")
    _tag(csr, tagged, "refund")
    listed = {h["id"]: h for h in client.get("/api/v1/handoffs", headers=AUTH).json["handoffs"]}
    assert listed[tagged.id]["tags"] == ["refund"] and listed[plain.id]["tags"] == []
    filtered = client.get("/api/v1/handoffs?tag=Refund", headers=AUTH).json["handoffs"]
    assert [h["id"] for h in filtered] == [tagged.id]
    assert client.get(f"/api/v1/handoffs/{tagged.id}", headers=AUTH).json["tags"] == ["refund"]
