"""Every update kind the Telegram Bot API can post to our webhook, and every Twilio webhook
shape we receive, in the providers' wire formats (tests/standins): each is answered 2xx
(4xx when malformed or unsigned), stores what it should, answers politely where a
customer wrote, and changes nothing otherwise."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conversations.models import Message, OutboxMessage
from conversations.notices import notice_target
from conversations.outbox import enqueue
from conversations.texts import say
from orders.customers import customer_for_identity
from orders.models import CustomerIdentity
from tests.channels_support import (
    answer_waiting,
    count,
    deliver_all,
    inbound_messages,
    outbox,
)
from tests.standins import telegram_updates as updates
from tests.standins.signing import (
    twilio_headers,
    twilio_inbound_sms,
    twilio_inbound_whatsapp,
    twilio_status_callback,
)

SECRET = "standin-webhook-secret"
CUSTOMER = "+15551230001"
SHOP_WHATSAPP = "+14155238886"
BASE = "http://localhost"
MEDIA_ONLY = say("channels.media_only")


@pytest.fixture
def app(app_factory, twilio_server, telegram_server):  # type: ignore[no-untyped-def]
    return app_factory(
        twilio_server.settings(),
        telegram_server.settings(SECRET),
        twilio_whatsapp_from=SHOP_WHATSAPP,
    )


def identity(app, kind: str, value: str) -> CustomerIdentity | None:  # type: ignore[no-untyped-def]
    with app.extensions["db"].transaction() as session:
        return session.scalar(
            select(CustomerIdentity).where(
                CustomerIdentity.kind == kind, CustomerIdentity.value == value
            )
        )


# Telegram -----------------------------------------------------------------------------


def post_update(app, update):  # type: ignore[no-untyped-def]
    response = app.test_client().post(
        "/webhooks/telegram", json=update, headers={updates.SECRET_HEADER: SECRET}
    )
    deliver_all(app)
    return response


def telegram_customer(app) -> None:  # type: ignore[no-untyped-def]
    """The default user has written before: a known customer with a Telegram identity."""
    with app.extensions["db"].transaction() as session:
        customer_for_identity(session, "telegram", str(updates.DEFAULT_USER_ID))


@pytest.mark.parametrize(
    ("update", "heard"),
    [
        (lambda: updates.message_update("where is my order"), "where is my order"),
        (lambda: updates.edited_message_update("track 10002", message_id=41), "track 10002"),
        (lambda: updates.share_with_caption_update("photo", "is this mug in stock?"), None),
        (lambda: updates.callback_query_without_message_update("Yes"), "Yes"),
    ],
    ids=["message", "edited_message", "photo_with_caption", "old_button_press"],
)
def test_telegram_customer_words_are_stored_and_answered(
    app, telegram_server, echo_bot, update, heard
) -> None:  # type: ignore[no-untyped-def]
    sent = update()
    assert post_update(app, sent).status_code == 200
    expected = heard or sent["message"]["caption"]
    assert echo_bot == [expected]
    [stored] = inbound_messages(app.extensions["db"])
    assert stored.text == expected and stored.provider_id == str(sent["update_id"])
    [reply] = telegram_server.sent_messages
    assert reply["chat"]["id"] == updates.DEFAULT_USER_ID and reply["text"] == f"echo: {expected}"


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice", "document", "location", "contact"])
def test_telegram_media_and_shares_get_one_polite_answer(
    app, telegram_server, echo_bot, kind
) -> None:  # type: ignore[no-untyped-def]
    assert post_update(app, updates.share_update(kind)).status_code == 200
    assert [m["text"] for m in telegram_server.sent_messages] == [MEDIA_ONLY]
    assert echo_bot == []
    [stored] = inbound_messages(app.extensions["db"])
    assert stored.handled_at is not None and stored.payload["command"] == "media_only"


@pytest.mark.parametrize(
    "update",
    [
        lambda: updates.channel_post_update("New beans in store!"),
        lambda: updates.group_message_update("anyone tried the kenya beans?"),
        lambda: updates.inline_query_update("mugs"),
        lambda: {"update_id": 900_000_001, "holographic_message": {"id": 1, "text": "hi"}},
    ],
    ids=["channel_post", "group_message", "inline_query", "unknown_future_kind"],
)
def test_telegram_updates_without_a_customer_message_change_nothing(
    app, telegram_server, echo_bot, update
) -> None:  # type: ignore[no-untyped-def]
    telegram_customer(app)
    response = post_update(app, update())
    assert response.status_code == 200 and response.get_data() == b""
    database = app.extensions["db"]
    assert count(database, Message) == 0 and count(database, OutboxMessage) == 0
    assert telegram_server.sent_messages == [] and echo_bot == []
    known = identity(app, "telegram", str(updates.DEFAULT_USER_ID))
    assert known is not None and not known.unreachable


def test_telegram_block_stops_notices_there_and_unblock_resumes_them(
    app, telegram_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    post_update(app, updates.message_update("hello"))
    user_id = str(updates.DEFAULT_USER_ID)
    database = app.extensions["db"]
    stored = count(database, Message)

    def notices_go_to() -> str | None:
        with database.transaction() as session:
            customer_id = identity(app, "telegram", user_id).customer_id
            target = notice_target(session, customer_id)
            return target and target.channel

    assert notices_go_to() == "telegram"
    assert post_update(app, updates.my_chat_member_update("member", "kicked")).status_code == 200
    assert identity(app, "telegram", user_id).unreachable and notices_go_to() is None
    assert post_update(app, updates.my_chat_member_update("kicked", "member")).status_code == 200
    assert not identity(app, "telegram", user_id).unreachable
    assert notices_go_to() == "telegram"
    assert count(database, Message) == stored and echo_bot == ["hello"]  # nothing said


def test_a_block_by_someone_we_never_spoke_to_stores_nothing(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    stranger = updates.user(user_id=99, first_name="Eve", username=None)
    update = updates.my_chat_member_update("member", "kicked", sender=stranger)
    assert post_update(app, update).status_code == 200
    assert identity(app, "telegram", "99") is None and count(app.extensions["db"], Message) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"update_id": 5, "my_chat_member": "kicked"},
        {"update_id": 5, "callback_query": {"id": "1", "data": "Yes"}},  # no sender
        {"message": {"text": "hi"}},  # no update_id
    ],
)
def test_malformed_telegram_updates_are_refused_and_change_nothing(app, body) -> None:  # type: ignore[no-untyped-def]
    response = app.test_client().post(
        "/webhooks/telegram", json=body, headers={updates.SECRET_HEADER: SECRET}
    )
    assert response.status_code == 400
    assert count(app.extensions["db"], Message) == 0


def test_an_unsigned_telegram_block_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    telegram_customer(app)
    update = updates.my_chat_member_update("member", "kicked")
    response = app.test_client().post("/webhooks/telegram", json=update)
    assert response.status_code == 403
    assert not identity(app, "telegram", str(updates.DEFAULT_USER_ID)).unreachable


# Twilio -------------------------------------------------------------------------------


def post_twilio(app, path: str, form: dict[str, str], *, signed: bool = True):  # type: ignore[no-untyped-def]
    auth_token = app.extensions["settings"].twilio_auth_token
    headers = twilio_headers(auth_token, BASE + path, form)
    if not signed:
        del headers["X-Twilio-Signature"]
    response = app.test_client().post(path, data=form, headers=headers)
    deliver_all(app)
    return response


def inbound(twilio_server, kind: str, body: str, media=()):  # type: ignore[no-untyped-def]
    if kind == "sms":
        return twilio_inbound_sms(
            account_sid=twilio_server.account_sid,
            from_=CUSTOMER,
            to=twilio_server.from_number,
            body=body,
            media=media,
        )
    return twilio_inbound_whatsapp(
        account_sid=twilio_server.account_sid,
        from_=CUSTOMER,
        to=SHOP_WHATSAPP,
        body=body,
        kind=kind.removeprefix("whatsapp_"),
    )


PHOTO = ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg")
CARD = ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2", "text/vcard")


@pytest.mark.parametrize(
    ("kind", "body", "media", "channel", "heard"),
    [
        ("sms", "where is my order", (), "sms", "where is my order"),
        ("sms", "is this one in stock?", (PHOTO,), "sms", "is this one in stock?"),
        ("sms", "", (PHOTO, CARD), "sms", None),
        ("whatsapp_text", "track 10001", (), "whatsapp", "track 10001"),
        ("whatsapp_button", "Yes", (), "whatsapp", "Yes"),
        ("whatsapp_location", "", (), "whatsapp", None),
    ],
    ids=["sms", "mms_with_words", "mms_without_words", "whatsapp", "button", "location"],
)
def test_twilio_messages_are_stored_and_answered_on_their_channel(
    app, twilio_server, echo_bot, kind, body, media, channel, heard
) -> None:  # type: ignore[no-untyped-def]
    form = inbound(twilio_server, kind, body, media)
    response = post_twilio(app, "/webhooks/twilio/sms", form)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    [stored] = inbound_messages(app.extensions["db"])
    assert (stored.channel, stored.provider_id, stored.author_id) == (
        channel,
        form["MessageSid"],
        CUSTOMER,
    )
    assert stored.handled_at is not None
    assert echo_bot == ([heard] if heard else [])
    [sent] = twilio_server.messages
    assert sent.body == (f"echo: {heard}" if heard else MEDIA_ONLY)
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    assert sent.to == prefix + CUSTOMER


def sent_row(app, twilio_server, channel: str = "sms") -> OutboxMessage:  # type: ignore[no-untyped-def]
    """A notice sent to the customer, as the status callbacks refer to it."""
    from conversations.opening import open_conversation

    with app.extensions["db"].transaction() as session:
        customer = customer_for_identity(session, "phone", CUSTOMER)
        conversation = open_conversation(session, channel, CUSTOMER, customer)
        enqueue(session, conversation, "Order #10001 has shipped.", author="system")
    deliver_all(app)
    [row] = outbox(app.extensions["db"])
    assert row.status == "sent"
    return row


def status_form(twilio_server, row: OutboxMessage, status: str, error: int | None = None):  # type: ignore[no-untyped-def]
    return twilio_status_callback(
        account_sid=twilio_server.account_sid,
        message_sid=row.provider_id,
        status=status,
        from_=twilio_server.from_number,
        to=row.to_address,
        error_code=error,
    )


@pytest.mark.parametrize(
    ("status", "error", "row_status", "unreachable"),
    [
        ("queued", None, "sent", False),
        ("sending", None, "sent", False),
        ("sent", None, "sent", False),
        ("delivered", None, "delivered", False),
        ("read", None, "delivered", False),
        ("undelivered", 30003, "dead", False),  # handset off: this message only
        ("undelivered", 30005, "dead", True),  # unknown or inactive number
        ("failed", 30006, "dead", True),  # a landline, or a carrier that cannot reach it
    ],
)
def test_twilio_status_callbacks_update_the_message_and_the_number(
    app, twilio_server, status, error, row_status, unreachable
) -> None:  # type: ignore[no-untyped-def]
    row = sent_row(app, twilio_server)
    form = status_form(twilio_server, row, status, error)
    assert post_twilio(app, "/webhooks/twilio/status", form).status_code == 204
    [after] = outbox(app.extensions["db"])
    assert after.status == row_status
    assert (error is None) or str(error) in (after.last_error or str(error))
    assert identity(app, "phone", CUSTOMER).unreachable is unreachable
    assert len(twilio_server.messages) == 1  # nothing sent again


def test_an_unreachable_number_that_writes_again_gets_notices_again(
    app, twilio_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    row = sent_row(app, twilio_server)
    post_twilio(app, "/webhooks/twilio/status", status_form(twilio_server, row, "failed", 30005))
    assert identity(app, "phone", CUSTOMER).unreachable
    post_twilio(app, "/webhooks/twilio/sms", inbound(twilio_server, "sms", "hello again"))
    assert not identity(app, "phone", CUSTOMER).unreachable
    assert twilio_server.messages[-1].body == "echo: hello again"


def test_a_status_for_a_message_we_do_not_know_changes_nothing(app, twilio_server) -> None:  # type: ignore[no-untyped-def]
    row = sent_row(app, twilio_server)
    form = status_form(twilio_server, row, "failed", 30005) | {"MessageSid": "SM" + "0" * 32}
    form["SmsSid"] = form["MessageSid"]
    assert post_twilio(app, "/webhooks/twilio/status", form).status_code == 204
    assert outbox(app.extensions["db"])[0].status == "sent"
    assert not identity(app, "phone", CUSTOMER).unreachable


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/webhooks/twilio/sms", lambda s: inbound(s, "sms", "hi")),
        ("/webhooks/twilio/sms", lambda s: inbound(s, "whatsapp_location", "")),
        ("/webhooks/twilio/status", lambda s: {"MessageSid": "SM1", "MessageStatus": "failed"}),
    ],
)
def test_unsigned_twilio_requests_are_refused_and_change_nothing(
    app, twilio_server, echo_bot, path, form
) -> None:  # type: ignore[no-untyped-def]
    assert post_twilio(app, path, form(twilio_server), signed=False).status_code == 403
    assert count(app.extensions["db"], Message) == 0 and twilio_server.messages == []


@pytest.mark.parametrize(
    "change",
    [{"From": ""}, {"MessageSid": "", "SmsSid": ""}, {"From": "not a phone"}, {"NumMedia": "x"}],
)
def test_signed_but_malformed_twilio_messages_are_refused(
    app, twilio_server, echo_bot, change
) -> None:  # type: ignore[no-untyped-def]
    form = inbound(twilio_server, "sms", "hi") | change
    assert post_twilio(app, "/webhooks/twilio/sms", form).status_code == 400
    assert count(app.extensions["db"], Message) == 0 and echo_bot == []
    assert answer_waiting(app) == 0
