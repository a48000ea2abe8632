"""Handoff with care: while nobody has claimed the conversation the bot still answers
questions it can answer, changes nothing, and goes silent once a CSR has it (issue 14)."""

from __future__ import annotations

from sqlalchemy import select

from bot import answering
from conversations import handoffs as queue
from conversations.inbound import InboundMessage
from conversations.models import Conversation
from conversations.staff_models import Handoff
from orders.demo import seed
from tests.channels_support import outbox
from tests.handoff_support import agent

JO = "+15555550101"


def _sms(text: str) -> InboundMessage:
    return InboundMessage(
        channel="sms", address=JO, text=text, provider_id=f"SM-{text}", identity=("phone", JO)
    )


def _replies_to(app, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    before = len(outbox(database))
    answering.receive(database, app.extensions["settings"], _sms(text))
    return [row.body for row in outbox(database)[before:]]


def test_the_bot_answers_questions_until_a_person_claims_the_conversation(app):  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    with database.transaction() as session:
        seed(session)
    assert "in line" in " ".join(_replies_to(app, "talk to a person"))
    status = " ".join(_replies_to(app, "where is my order?"))
    assert "#10002" in status and "placed" in status
    assert _replies_to(app, "cancel my order") == []  # a change waits for the person
    with database.transaction() as session:
        conversation = session.scalar(select(Conversation))
        assert conversation.mode == "handoff"
        assert session.scalar(select(Handoff.status)) == "waiting"
    with database.sessions() as session:
        csr = agent(session, "kim@shop.example")
        queue.claim(queue.SqlHandoffs(session), session.scalar(select(Handoff)), csr)
        session.commit()
    assert _replies_to(app, "what are your opening hours") == []  # the CSR has it now
    with database.transaction() as session:
        from orders.models import Order

        assert session.scalar(select(Order.status).where(Order.number == 10002)) == "placed"
