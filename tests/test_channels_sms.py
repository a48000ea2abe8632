"""SMS through Twilio, end to end: signed webhook in, REST out, status callbacks."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from conversations import delivery, sms_segments
from conversations.handoffs import escalate
from conversations.models import Conversation, Message, OutboxMessage
from conversations.texts import say
from orders import demo
from orders.models import CustomerIdentity
from tests.channels_support import (
    answer_waiting,
    count,
    deliver_all,
    inbound_messages,
    outbound_messages,
    outbox,
    send_once,
    serving,
)
from tests.standins.ports import free_port
from tests.standins.signing import twilio_headers, twilio_inbound_sms

CUSTOMER = "+15551230001"
URL = "http://localhost/webhooks/twilio/sms"

# The stand-ins and the channel fixtures (until tests/conftest.py loads them for all).


@pytest.fixture
def app(app_factory, twilio_server):  # type: ignore[no-untyped-def]
    return app_factory(twilio_server.settings())


def post_sms(client, twilio_server, body="where is my order", url=URL, **kwargs):  # type: ignore[no-untyped-def]
    form = twilio_inbound_sms(
        account_sid=twilio_server.account_sid,
        from_=kwargs.pop("from_", CUSTOMER),
        to=twilio_server.from_number,
        body=body,
        **kwargs,
    )
    headers = twilio_headers(twilio_server.auth_token, url, form)
    response = client.post("/webhooks/twilio/sms", data=form, headers=headers)
    app = client.application  # then answer, as a worker would
    answer_waiting(app)
    return response, form


def sent_texts(app, twilio_server) -> list[str]:  # type: ignore[no-untyped-def]
    deliver_all(app)
    return [message.body for message in twilio_server.messages]


def test_signed_sms_is_acknowledged_then_answered_by_rest(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    response, _ = post_sms(app.test_client(), twilio_server, "where is my order")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert "<Message>" not in response.get_data(as_text=True)  # empty TwiML
    database = app.extensions["db"]
    [message] = inbound_messages(database)
    assert message.handled_at is not None and message.author_id == CUSTOMER
    deliver_all(app)
    [sent] = twilio_server.messages
    assert (sent.to, sent.body) == (CUSTOMER, "echo: where is my order")
    [row] = outbox(database)
    assert row.status == "sent" and row.provider_id == sent.sid
    with database.transaction() as session:
        identity = session.scalar(select(CustomerIdentity))
        assert (identity.kind, identity.value) == ("phone", CUSTOMER)


def test_national_number_is_stored_in_e164(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_sms(app.test_client(), twilio_server, "hi", from_="(555) 123-0001")
    with app.extensions["db"].transaction() as session:
        assert session.scalar(select(Conversation.address)) == CUSTOMER


@pytest.mark.parametrize("signature", [None, "bm90IGEgc2lnbmF0dXJl", "wrong-url"])
def test_bad_or_missing_signature_is_refused_and_nothing_stored(
    app, twilio_server, echo_bot, signature
) -> None:  # type: ignore[no-untyped-def]
    form = twilio_inbound_sms(
        account_sid=twilio_server.account_sid, from_=CUSTOMER, to="+15005550006", body="hi"
    )
    headers = twilio_headers(
        twilio_server.auth_token,
        "https://evil.example/x" if signature == "wrong-url" else URL,
        form,
    )
    if signature is None:
        del headers["X-Twilio-Signature"]
    elif signature != "wrong-url":
        headers["X-Twilio-Signature"] = signature
    response = app.test_client().post("/webhooks/twilio/sms", data=form, headers=headers)
    assert response.status_code == 403
    assert count(app.extensions["db"], Message) == 0
    assert echo_bot == []


def test_a_signature_over_the_url_with_its_default_port_is_genuine(  # type: ignore[no-untyped-def]
    app_factory, twilio_server, echo_bot
) -> None:
    """Some of Twilio's requests are signed over the URL with the port written out: not
    what our own check of the exact URL accepts, so Twilio's library decides."""
    app = app_factory(twilio_server.settings(), public_base_url="https://shop.example")
    signed_over = "https://shop.example:443/webhooks/twilio/sms"
    response, _ = post_sms(app.test_client(), twilio_server, "hi", url=signed_over)
    assert response.status_code == 200
    assert count(app.extensions["db"], Message, Message.direction == "in") == 1


def test_signature_is_checked_against_public_base_url(app_factory, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(twilio_server.settings(), public_base_url="https://shop.example")
    client = app.test_client()
    response, _ = post_sms(client, twilio_server, "hi", url=URL)
    assert response.status_code == 403  # signed for the internal URL: not what Twilio signs
    response, _ = post_sms(
        client, twilio_server, "hi", url="https://shop.example/webhooks/twilio/sms"
    )
    assert response.status_code == 200


def test_redelivered_sms_is_processed_once(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    first, form = post_sms(client, twilio_server, "track 10001")
    again = client.post(
        "/webhooks/twilio/sms",
        data=form,
        headers=twilio_headers(twilio_server.auth_token, URL, form),
    )
    assert first.status_code == again.status_code == 200
    assert echo_bot == ["track 10001"]
    assert count(app.extensions["db"], Message, Message.direction == "in") == 1


def test_stop_opts_out_and_start_opts_back_in(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    post_sms(client, twilio_server, "hello")
    response, _ = post_sms(client, twilio_server, "STOP")
    assert "<Message>" not in response.get_data(as_text=True)
    database = app.extensions["db"]
    with database.transaction() as session:
        assert session.scalar(select(CustomerIdentity.opted_out)) is True
    post_sms(client, twilio_server, "start")
    assert "subscribed again" in sent_texts(app, twilio_server)[-1]
    with database.transaction() as session:
        assert session.scalar(select(CustomerIdentity.opted_out)) is False
    assert echo_bot == ["hello"]


def test_help_keyword_asks_the_bot_for_help(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_sms(app.test_client(), twilio_server, "HELP")
    assert echo_bot == ["help"]


def test_picture_without_words_gets_a_polite_text(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    response, _ = post_sms(
        app.test_client(), twilio_server, "", media=[("https://api.twilio.com/m/1", "image/jpeg")]
    )
    assert response.status_code == 200
    [text] = sent_texts(app, twilio_server)
    assert "only read text" in text
    assert echo_bot == []


def test_a_long_bot_reply_goes_in_pages_and_more_sends_the_next(
    app, twilio_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    post_sms(client, twilio_server, "long answer please")
    follows = say("channels.more_follows")
    pages = sent_texts(app, twilio_server)
    while pages[-1].endswith(follows):
        post_sms(client, twilio_server, "More")
        pages = sent_texts(app, twilio_server)
    assert len(pages) >= 5 and echo_bot == ["long answer please"]  # "more" is not the bot's
    assert all(sms_segments.segments(page) <= 2 for page in pages)
    said = " ".join(page.removesuffix(follows).strip() for page in pages)
    assert said == " ".join(f"Sentence number {i} is here." for i in range(60))
    first = next(m for m in outbound_messages(app.extensions["db"]) if m.author == "bot")
    assert first.text == said  # the conversation keeps the whole reply
    post_sms(client, twilio_server, "more")  # nothing left: the bot reads it
    assert echo_bot[-1] == "more" and sent_texts(app, twilio_server)[-1] == "echo: more"


def test_a_long_sms_asking_first_and_saying_goodbye_last_gets_its_answer(
    app, twilio_server
) -> None:  # type: ignore[no-untyped-def]
    with app.extensions["db"].transaction() as session:
        demo.seed(session)
    story = " My sister and I plan a day in town and would like to stop by after the market."
    text = "Hi! When do you close on Saturday?" + story * 19 + " Anyway, thanks so much, bye!"
    assert 1500 < len(text) <= 1600
    post_sms(app.test_client(), twilio_server, text)
    replies = "\n".join(sent_texts(app, twilio_server))
    assert "Downtown Store: Mon-Sat 8:00-19:00" in replies
    assert say("chat.goodbye") not in replies


def test_a_persons_long_reply_goes_whole_in_parts_split_on_sentences(app, twilio_server) -> None:  # type: ignore[no-untyped-def]
    long_text = " ".join(f"Sentence number {i} is here." for i in range(60))
    queue_reply(app, long_text)
    parts = sent_texts(app, twilio_server)
    assert len(parts) >= 2 and " ".join(parts) == long_text
    assert all(len(part) <= 640 and part.endswith(".") for part in parts)


def test_conversation_owned_by_a_csr_is_not_answered_by_the_bot(
    app, twilio_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    post_sms(client, twilio_server, "hello")
    database = app.extensions["db"]
    with database.transaction() as session:
        escalate(session, session.scalar(select(Conversation)), "human_agent")
    response, _ = post_sms(client, twilio_server, "are you there?")
    assert "<Message>" not in response.get_data(as_text=True)
    assert echo_bot == ["hello"]
    assert all(m.handled_at for m in inbound_messages(database))


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (
            b"Body=%FF%FE&From=%2B15551230001&MessageSid=SM1",
            "application/x-www-form-urlencoded",
            400,
        ),
        (
            b"Body=caf\xe9&From=%2B15551230001&MessageSid=SM1",
            "application/x-www-form-urlencoded",
            400,
        ),
        (b'{"Body": "hi"}', "application/json", 415),
        (b"Body=" + b"x" * (2 * 1024 * 1024), "application/x-www-form-urlencoded", 413),
    ],
)
def test_malformed_huge_or_non_utf8_bodies_are_refused(app, body, content_type, status) -> None:  # type: ignore[no-untyped-def]
    response = app.test_client().post(
        "/webhooks/twilio/sms",
        data=body,
        headers={"Content-Type": content_type, "X-Twilio-Signature": "x"},
    )
    assert response.status_code == status
    assert count(app.extensions["db"], Message) == 0


def test_signed_but_incomplete_form_is_refused(app, twilio_server) -> None:  # type: ignore[no-untyped-def]
    form = {"Body": "hi", "AccountSid": twilio_server.account_sid}
    headers = twilio_headers(twilio_server.auth_token, URL, form)
    response = app.test_client().post("/webhooks/twilio/sms", data=form, headers=headers)
    assert response.status_code == 400
    assert count(app.extensions["db"], Message) == 0


def queue_reply(app, text="Your order shipped.") -> None:  # type: ignore[no-untyped-def]
    """A message that goes out by REST (not as an answer to a webhook): a CSR reply."""
    from conversations.opening import open_conversation
    from conversations.outbox import enqueue
    from orders.customers import customer_for_identity

    with app.extensions["db"].transaction() as session:
        customer = customer_for_identity(session, "phone", CUSTOMER)
        conversation = open_conversation(session, "sms", CUSTOMER, customer)
        enqueue(session, conversation, text, author="csr", author_id="csr@example.com")


def test_rest_delivery_and_status_callback(app_factory, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    port = free_port()  # the app's PUBLIC_BASE_URL must name the port it will serve on
    app = app_factory(twilio_server.settings(), public_base_url=f"http://127.0.0.1:{port}")
    with serving(app, port) as url:
        queue_reply(app)
        deliver_all(app)
        [sent] = twilio_server.messages
        assert sent.to == CUSTOMER and sent.body == "Your order shipped."
        assert sent.status_callback == f"{url}/webhooks/twilio/status"
        [row] = outbox(app.extensions["db"])
        assert (row.status, row.provider_id) == ("sent", sent.sid)
        assert twilio_server.send_status_callback(sent.sid, "delivered").status_code == 204
        assert outbox(app.extensions["db"])[0].status == "delivered"
        unsigned = requests.post(
            f"{url}/webhooks/twilio/status",
            data={"MessageSid": sent.sid, "MessageStatus": "failed"},
            timeout=5,
        )
        assert unsigned.status_code == 403
        assert outbox(app.extensions["db"])[0].status == "delivered"


def test_provider_errors_and_outage_are_retried_then_delivered(app, twilio_server) -> None:  # type: ignore[no-untyped-def]
    queue_reply(app)
    database = app.extensions["db"]
    twilio_server.fail_next(1, status=503)
    assert send_once(app) == 1
    [row] = outbox(database)
    assert (row.status, row.attempts) == ("pending", 1) and "503" in row.last_error
    twilio_server.stop()
    send_once(app)
    assert outbox(database)[0].status == "pending"
    twilio_server.start()
    deliver_all(app)
    [row] = outbox(database)
    assert (row.status, row.attempts) == ("sent", 3)
    assert len(twilio_server.messages) == 1


def test_unsubscribed_number_is_a_dead_letter_that_can_be_retried_after_start(
    app, twilio_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    queue_reply(app)
    database = app.extensions["db"]
    twilio_server.fail_next(1, code=21610)
    deliver_all(app)
    [row] = outbox(database)
    assert row.status == "dead" and "21610" in row.last_error
    with database.transaction() as session:
        assert session.scalar(select(CustomerIdentity.opted_out)) is True
        delivery.retry_dead(session, row.id)
    deliver_all(app)  # still opted out: refused here, Twilio never asked
    row = outbox(database)[0]
    assert row.status == "dead" and "opted out (STOP)" in row.last_error
    assert len(twilio_server.messages) == 0
    post_sms(app.test_client(), twilio_server, "START")
    with database.transaction() as session:
        delivery.retry_dead(session, row.id)
    deliver_all(app)
    assert outbox(database)[0].status == "sent"
    assert count(database, OutboxMessage, OutboxMessage.status == "dead") == 0


def test_a_send_whose_answer_never_came_is_not_sent_again(
    app, twilio_server, short_send_timeout
) -> None:  # type: ignore[no-untyped-def]
    queue_reply(app)
    database = app.extensions["db"]
    twilio_server.delay_next(1.5)  # Twilio takes the message, then answers too late
    send_once(app)
    [row] = outbox(database)
    assert (row.status, row.attempts) == ("pending", 1) and "Timeout" in row.last_error
    deliver_all(app)
    [sent] = twilio_server.messages
    [row] = outbox(database)
    assert (row.status, row.provider_id, row.attempts) == ("sent", sent.sid, 2)


def test_a_retry_never_counts_an_earlier_rows_identical_message_as_its_own(
    app, twilio_server
) -> None:  # type: ignore[no-untyped-def]
    queue_reply(app, "Sorry, I didn't catch that.")
    queue_reply(app, "Sorry, I didn't catch that.")
    database = app.extensions["db"]
    assert send_once(app) == 1  # the second waits for the first
    twilio_server.fail_next(1, status=503)
    send_once(app)
    deliver_all(app)
    first, second = outbox(database)
    assert (first.status, second.status, second.attempts) == ("sent", "sent", 2)
    assert [m.sid for m in twilio_server.messages] == [first.provider_id, second.provider_id]
