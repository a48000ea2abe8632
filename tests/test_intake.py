"""The common path: stored once, handled once (even after a crash), routed, linked, notified."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

import bot.engine
from bot import answering
from conversations import intake
from conversations.inbound import InboundMessage
from conversations.models import Conversation, Message, OutboxMessage
from conversations.staff_models import Handoff
from orders import fulfilment
from orders.customers import create_customer
from orders.models import Customer, CustomerIdentity, Order
from tests import factories
from tests.channels_support import answer_waiting, count, deliver_all, inbound_messages, outbox

PHONE = "+15551230001"

# The stand-ins and the channel fixtures (until tests/conftest.py loads them for all).


@pytest.fixture
def app(app_factory, twilio_server, smtp_server):  # type: ignore[no-untyped-def]
    return app_factory(twilio_server.settings(), smtp_server.settings())


def sms(text: str, provider_id: str | None = None, phone: str = PHONE) -> InboundMessage:
    return InboundMessage(
        channel="sms",
        address=phone,
        text=text,
        provider_id=provider_id or f"SM{abs(hash((text, phone)))}",
        identity=("phone", phone),
    )


def test_storing_a_returning_sender_a_retry_and_after_a_merge(app) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    first_id, conversation_id, duplicate = intake.store(database, sms("hi", "SM-1"))
    assert not duplicate
    assert intake.store(database, sms("hi", "SM-1")) == (first_id, conversation_id, True)
    _, again, duplicate = intake.store(database, sms("again", "SM-2"))
    assert (again, duplicate) == (conversation_id, False)
    with database.transaction() as session:  # the phone was merged into another customer
        other = create_customer(session, "Jo")
        session.execute(
            update(CustomerIdentity)
            .where(CustomerIdentity.value == PHONE)
            .values(customer_id=other.id)
        )
    _, after_merge, _ = intake.store(database, sms("after the merge", "SM-3"))
    assert after_merge == conversation_id
    with database.transaction() as session:
        assert session.get(Conversation, conversation_id).customer_id == other.id
    assert [m.text for m in inbound_messages(database)] == ["hi", "again", "after the merge"]


def test_control_characters_are_dropped_and_line_breaks_kept(app) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    intake.store(database, sms("hi\x1b[2J\x07 there\r\n\tok\x00\x9b", "SM-c"))
    assert [m.text for m in inbound_messages(database)] == ["hi[2J there\r\n\tok"]


def test_message_stored_but_not_handled_is_handled_after_restart(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    intake.store(database, sms("track 10001"))  # the process dies here
    assert answer_waiting(app) == 1  # any worker, later
    assert echo_bot == ["track 10001"]
    assert answer_waiting(app) == 0
    [row] = outbox(database)
    assert row.body == "echo: track 10001" and row.status == "pending"


def test_a_bot_failure_hands_the_customer_to_a_person(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(session, conversation, text, **kwargs):  # type: ignore[no-untyped-def]
        conversation.state = {"half": "written"}
        raise RuntimeError("bug")

    monkeypatch.setattr(bot.engine, "respond", broken)
    database = app.extensions["db"]
    answering.receive(database, app.extensions["settings"], sms("hello"))
    with database.transaction() as session:
        conversation = session.scalar(select(Conversation))
        assert conversation.mode == "handoff" and conversation.state == {}
        assert session.scalar(select(Handoff.reason)) == "bot_failed"
    assert len(outbox(database)) == 1  # the "a person will reply" notice
    assert all(m.handled_at for m in inbound_messages(database))


def test_linking_an_email_makes_one_customer(app, smtp_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    database, settings = app.extensions["db"], app.extensions["settings"]
    with database.transaction() as session:  # the email address already bought something
        factories.make_shop(session)
    with database.sessions() as session:
        owner = factories.customer(session, phone="+15559990000")
        from orders.customers import add_identity

        add_identity(session, owner, "email", "jo@example.com")
        factories.order_in(session, factories.OrderStatus.PLACED, owner)
    result = answering.receive(database, settings, sms("link my email jo@example.com", "SM-l1"))
    assert "sent a 6-digit code to jo@example.com" in result_text(database, result)
    deliver_all(app)
    [mail] = smtp_server.messages
    code = next(word for word in mail.message.get_content().split() if word.rstrip(".").isdigit())
    code = code.rstrip(".")
    wrong = answering.receive(
        database, settings, sms("000000" if code != "000000" else "111111", "SM-l2")
    )
    assert "not right" in result_text(database, wrong)
    done = answering.receive(database, settings, sms(code, "SM-l3"))
    assert "is linked" in result_text(database, done)
    with database.transaction() as session:
        sms_customer = session.scalar(
            select(CustomerIdentity.customer_id).where(CustomerIdentity.value == PHONE)
        )
        email_customer = session.scalar(
            select(CustomerIdentity.customer_id).where(CustomerIdentity.value == "jo@example.com")
        )
        assert sms_customer == email_customer
        assert {c.customer_id for c in session.scalars(select(Conversation))} == {sms_customer}
    assert echo_bot == []  # the bot never saw the link request or the codes


def result_text(database, result) -> str:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        return " ".join(
            session.scalars(
                select(Message.text).where(
                    Message.conversation_id == result.conversation_id,
                    Message.direction == "out",
                    Message.id > result.message_id,
                )
            )
        )


def test_unverified_email_cannot_link(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    inbound = InboundMessage(
        channel="email",
        address="jo@example.com",
        text=f"link my phone {PHONE}",
        provider_id="<x@example.com>",
        identity=("email", "jo@example.com"),
        verified=False,
    )
    result = answering.receive(database, app.extensions["settings"], inbound)
    assert "can't link" in result_text(database, result)


def test_order_events_notify_the_customer_on_their_channel(app, twilio_server) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    with database.sessions() as session:
        factories.make_shop(session)
        order = factories.order_in(session, factories.OrderStatus.PLACED)
        phone = order.customer.identities[0].value
    with database.transaction() as session:  # the customer texted us before
        from conversations.opening import open_conversation

        open_conversation(session, "sms", phone, session.get(Customer, order.customer_id))
    with database.transaction() as session:
        fulfilment.ship(
            session,
            session.get(Order, order.id),
            carrier="UPS",
            tracking_number="1Z999",
            actor=factories.STAFF,
        )
    deliver_all(app)
    [sent] = twilio_server.messages
    assert sent.to == phone and "1Z999" in sent.body
    with database.transaction() as session:  # opted out: nothing proactive any more
        session.execute(update(CustomerIdentity).values(opted_out=True))
        fulfilment.mark_delivered(session, session.get(Order, order.id), actor=factories.STAFF)
    assert count(database, OutboxMessage) == 1


def test_terminal_chat_command(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app.cli, ["chat", "--as", PHONE], input="where is 10001\nquit\n")
    assert result.exit_code == 0, result.output
    assert "bot> echo: where is 10001" in result.output
    assert "no products yet" in result.output  # a newcomer who has not seeded the demo
    with app.extensions["db"].transaction() as session:
        assert session.scalar(select(CustomerIdentity.value)) == PHONE


def test_terminal_chat_says_nothing_of_seeding_a_shop_with_products(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    with app.extensions["db"].transaction() as session:
        factories.make_shop(session)
    result = CliRunner().invoke(app.cli, ["chat"], input="hi\nquit\n")
    assert result.exit_code == 0, result.output
    assert "bot> echo: hi" in result.output
    assert "no products yet" not in result.output


def test_real_bot_answers_an_sms_end_to_end(app, twilio_server) -> None:  # type: ignore[no-untyped-def]
    """No test double: the dialogue engine answers through intake and the REST API."""
    from tests.standins.signing import twilio_headers, twilio_inbound_sms

    database = app.extensions["db"]
    with database.sessions() as session:
        factories.make_shop(session)
    url = "http://localhost/webhooks/twilio/sms"
    form = twilio_inbound_sms(
        account_sid=twilio_server.account_sid, from_=PHONE, to="+15005550006", body="hello"
    )
    response = app.test_client().post(
        "/webhooks/twilio/sms",
        data=form,
        headers=twilio_headers(twilio_server.auth_token, url, form),
    )
    assert response.status_code == 200
    deliver_all(app)
    assert twilio_server.messages and twilio_server.messages[0].to == PHONE
    [row, *_] = outbox(database)
    assert row.status == "sent" and row.body == twilio_server.messages[0].body
