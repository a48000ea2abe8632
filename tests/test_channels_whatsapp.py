"""WhatsApp through Twilio, end to end: the signed webhook in, the REST API (stand-in) out.

Twilio posts WhatsApp messages to the messaging webhook with ``whatsapp:``-prefixed
``From``/``To`` and a few WhatsApp fields; replies must go back on WhatsApp, and
outside the customer's 24-hour window only as an approved template, or be held.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conversations.models import Conversation, OutboxMessage
from conversations.outbox import enqueue
from infra.clock import ManualClock
from orders.models import CustomerIdentity
from tests.channels_support import answer_waiting, deliver_all, outbox
from tests.standins.signing import twilio_headers, twilio_inbound_sms

CUSTOMER = "+15551230001"
SHOP_WHATSAPP = "+14155238886"
TEMPLATE = "HX" + "a" * 32
URL = "http://localhost/webhooks/twilio/sms"


@pytest.fixture
def clock() -> ManualClock:
    """The apps' clock: the customer's window closes when a test moves it 24 hours on."""
    return ManualClock()


@pytest.fixture
def app(app_factory, twilio_server):  # type: ignore[no-untyped-def]
    return app_factory(twilio_server.settings(), twilio_whatsapp_from=SHOP_WHATSAPP)


def post(app, twilio_server, body: str, *, whatsapp: bool = True):  # type: ignore[no-untyped-def]
    prefix = "whatsapp:" if whatsapp else ""
    form = twilio_inbound_sms(
        account_sid=twilio_server.account_sid,
        from_=prefix + CUSTOMER,
        to=prefix + (SHOP_WHATSAPP if whatsapp else twilio_server.from_number),
        body=body,
    )
    if whatsapp:  # what Twilio's WhatsApp webhook adds
        form.update(ProfileName="Jo", WaId=CUSTOMER[1:], MessageType="text")
    headers = twilio_headers(twilio_server.auth_token, URL, form)
    response = app.test_client().post("/webhooks/twilio/sms", data=form, headers=headers)
    answer_waiting(app)
    return response


def notice(app, text: str) -> None:  # type: ignore[no-untyped-def]
    """An order notice queued for the WhatsApp conversation, as order events queue them."""
    with app.extensions["db"].transaction() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.channel == "whatsapp")
        )
        enqueue(session, conversation, text, author="system")


def test_a_whatsapp_message_is_answered_on_whatsapp(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    assert post(app, twilio_server, "where is my order").status_code == 200
    deliver_all(app)
    [sent] = twilio_server.messages
    assert (sent.to, sent.from_) == ("whatsapp:" + CUSTOMER, "whatsapp:" + SHOP_WHATSAPP)
    assert sent.body == "echo: where is my order"
    assert echo_bot == ["where is my order"]


def test_one_customer_owns_the_phone_on_sms_and_whatsapp(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post(app, twilio_server, "hi on sms", whatsapp=False)
    post(app, twilio_server, "hi on whatsapp")
    deliver_all(app)
    with app.extensions["db"].transaction() as session:
        [identity] = session.scalars(select(CustomerIdentity)).all()
        assert (identity.kind, identity.value) == ("phone", CUSTOMER)
        conversations = session.scalars(select(Conversation).order_by(Conversation.id)).all()
        assert [c.channel for c in conversations] == ["sms", "whatsapp"]
        assert {c.customer_id for c in conversations} == {identity.customer_id}
    sent = {m.body: m.to for m in twilio_server.messages}
    assert sent == {"echo: hi on sms": CUSTOMER, "echo: hi on whatsapp": "whatsapp:" + CUSTOMER}


def test_outside_the_window_a_notice_uses_the_approved_template(
    app_factory, twilio_server, echo_bot, clock
) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(
        twilio_server.settings(),
        twilio_whatsapp_from=SHOP_WHATSAPP,
        twilio_whatsapp_template_sid=TEMPLATE,
    )
    post(app, twilio_server, "hello")
    deliver_all(app)
    clock.advance(hours=25)
    notice(app, "Your order #10042 has shipped.")
    deliver_all(app)
    template_send = twilio_server.messages[-1]
    assert template_send.to == "whatsapp:" + CUSTOMER
    assert template_send.content_sid == TEMPLATE
    assert template_send.content_variables == '{"1": "Your order #10042 has shipped."}'
    assert template_send.body == ""


def test_outside_the_window_without_a_template_a_notice_is_held_never_sent_as_sms(
    app, twilio_server, echo_bot, clock
) -> None:  # type: ignore[no-untyped-def]
    post(app, twilio_server, "hello")
    deliver_all(app)
    clock.advance(hours=25)
    notice(app, "Your order #10042 has shipped.")
    deliver_all(app)
    assert len(twilio_server.messages) == 1  # only the answer to "hello"
    assert [row.status for row in outbox(app.extensions["db"])] == ["sent", "held"]
    post(app, twilio_server, "any news?")  # the customer writes: the window opens again
    deliver_all(app)
    bodies = [m.body for m in twilio_server.messages]
    assert bodies == ["echo: hello", "Your order #10042 has shipped.", "echo: any news?"]
    assert all(m.to == "whatsapp:" + CUSTOMER for m in twilio_server.messages)
    with app.extensions["db"].transaction() as session:
        statuses = session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))
        assert list(statuses) == ["sent", "sent", "sent"]


def test_within_the_window_a_notice_goes_as_text(app, twilio_server, echo_bot, clock) -> None:  # type: ignore[no-untyped-def]
    post(app, twilio_server, "hello")
    clock.advance(hours=23)
    notice(app, "Your order #10042 is ready for pickup.")
    deliver_all(app)
    assert twilio_server.messages[-1].body == "Your order #10042 is ready for pickup."
    assert twilio_server.messages[-1].content_sid is None
