"""Hypothesis against the webhooks and the bot: never a 5xx, never half-stored.

Each generated request is signed correctly where the shape allows, so it gets past
the signature check and reaches parsing, intake and the real bot. A refused request
(4xx) must leave every table as it was; an accepted one stores at most one message.
"""

from __future__ import annotations

import json
import time

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.engine import respond
from conversations.models import Conversation, Message, OutboxMessage
from orders.models import Customer, CustomerIdentity, Order
from tests.channels_support import count
from tests.dialogue import open_chat
from tests.standins import telegram_updates as updates
from tests.standins.signing import mailgun_inbound, mailgun_signature, twilio_headers

KEY = "mailgun-signing-key"
SECRET = "standin-webhook-secret"
SMS_URL = "http://localhost/webhooks/twilio/sms"
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TABLES = (Message, Conversation, Customer, CustomerIdentity, OutboxMessage, Order)

# Anything a client can put in a string; the nasty ones also on purpose, because
# random text rarely holds them (NUL, which PostgreSQL text refuses, was a 500).
NASTY = ["\x00", "a\x00b", "\u202egro", "\ufeff", "𝔘𝔫𝔦", "%s%n", "'; drop table x;--", "\r\n."]
texts = st.one_of(st.text(st.characters(codec="utf-8"), max_size=300), st.sampled_from(NASTY))
phones = st.one_of(
    st.sampled_from(["+15551230001", "(555) 123-0002", "+447700900123", "12", "+", ""]),
    st.from_regex(r"\+?[0-9 ()\-]{0,20}", fullmatch=True),
    texts,
)


@pytest.fixture
def app(app_factory, twilio_server, telegram_server, smtp_server):  # type: ignore[no-untyped-def]
    return app_factory(
        twilio_server.settings(),
        telegram_server.settings(SECRET),
        smtp_server.settings(),
        mailgun_signing_key=KEY,
    )


def snapshot(app: Flask) -> tuple[int, ...]:
    return tuple(count(app.extensions["db"], table) for table in TABLES)


def check(app: Flask, before: tuple[int, ...], status: int, what: object) -> None:
    assert status < 500, what
    after = snapshot(app)
    if status >= 400:
        assert after == before, (status, what)
    else:
        assert after[0] - before[0] <= 3, what  # the message and at most a reply or two


twilio_forms = st.fixed_dictionaries(
    {"From": phones, "Body": texts, "MessageSid": st.text(max_size=40)},
    optional={
        "To": phones,
        "NumMedia": st.one_of(st.integers(-5, 50).map(str), texts),
        "MediaUrl0": texts,
        "MediaContentType0": texts,
        "AccountSid": texts,
    },
).map(lambda form: {**form, "AccountSid": form.get("AccountSid", "AC1")})


@FUZZ
@given(form=twilio_forms, extra=st.dictionaries(st.text(max_size=20), texts, max_size=5))
@example(form={"From": "+15551230001\x00", "Body": "a\x00b", "MessageSid": "SM\x00"}, extra={})
def test_signed_twilio_forms(app, twilio_server, form, extra) -> None:  # type: ignore[no-untyped-def]
    form = {**extra, **form}
    before = snapshot(app)
    headers = twilio_headers(twilio_server.auth_token, SMS_URL, form)
    response = app.test_client().post("/webhooks/twilio/sms", data=form, headers=headers)
    check(app, before, response.status_code, form)


@FUZZ
@given(
    body=st.binary(max_size=400),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "multipart/form-data", "", "x/y"]
    ),
    signature=st.one_of(st.none(), st.text(max_size=40)),
    path=st.sampled_from(["/webhooks/twilio/sms", "/webhooks/telegram", "/webhooks/email/inbound"]),
)
def test_raw_bodies_with_any_headers(app, body, content_type, signature, path) -> None:  # type: ignore[no-untyped-def]
    headers = {"Content-Type": content_type}
    if signature is not None:
        headers |= {"X-Twilio-Signature": signature, updates.SECRET_HEADER: signature}
    before = snapshot(app)
    response = app.test_client().post(path, data=body, headers=headers)
    check(app, before, response.status_code, body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.one_of(st.integers(-(2**63), 2**63), texts, st.none(), st.floats(allow_nan=False))


@st.composite
def telegram_updates(draw: st.DrawFn) -> object:
    """Mostly almost-valid updates (real shape, odd values), sometimes any JSON at all."""
    if draw(st.integers(0, 4)) == 0:
        return draw(json_values)
    update = updates.message_update(draw(texts))
    message = update["message"]
    for key, value in draw(
        st.dictionaries(
            st.sampled_from(["update_id", "message_id", "date", "text", "from", "chat"]),
            ids | json_values,
            max_size=3,
        )
    ).items():
        (update if key == "update_id" else message)[key] = value
    if draw(st.booleans()):
        for part in ("from", "chat"):
            if isinstance(message.get(part), dict):
                message[part]["id"] = draw(ids)
    if draw(st.booleans()):
        update["callback_query"] = draw(json_values)
    return update


@FUZZ
@given(update=telegram_updates())
@example(update=updates.message_update("x\x00y", sender=updates.user(first_name="A\x00")))
def test_telegram_updates_with_the_right_secret(app, update) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(app)
    response = app.test_client().post(
        "/webhooks/telegram",
        data=json.dumps(update),
        headers=updates.webhook_headers(SECRET),
    )
    check(app, before, response.status_code, update)


@FUZZ
@given(
    sender=st.one_of(st.emails(), texts),
    subject=texts,
    body=texts,
    message_id=st.one_of(st.just("<m@example.com>"), texts),
    headers=st.one_of(texts, st.just("[]"), json_values.map(json.dumps)),
    html=st.one_of(st.none(), texts),
)
def test_signed_mailgun_forms(app, sender, subject, body, message_id, headers, html) -> None:  # type: ignore[no-untyped-def]
    form = mailgun_inbound(
        signing_key=KEY,
        sender=sender,
        recipient="orders@shop.example",
        subject=subject,
        body_plain=body,
        message_id=message_id,
        body_html=html,
    )
    if headers != "[]":
        form["message-headers"] = headers
    before = snapshot(app)
    response = app.test_client().post("/webhooks/email/inbound", data=form)
    check(app, before, response.status_code, form)


@FUZZ
@given(timestamp=st.one_of(texts, st.integers().map(str)), token=texts)
def test_mailgun_stamps_of_any_shape(app, timestamp, token) -> None:  # type: ignore[no-untyped-def]
    form = mailgun_inbound(
        signing_key=KEY,
        sender="jo@example.com",
        recipient="orders@shop.example",
        subject="hi",
        body_plain="hi",
        message_id=f"<{time.monotonic_ns()}@example.com>",
    )
    form |= {"timestamp": timestamp, "token": token}
    form["signature"] = mailgun_signature(KEY, timestamp, token)
    before = snapshot(app)
    response = app.test_client().post("/webhooks/email/inbound", data=form)
    check(app, before, response.status_code, form)


@FUZZ
@given(said=st.lists(texts, min_size=1, max_size=4))
@example(said=["where is order 1000\x002", "\x00"])
def test_the_bot_answers_anything(db, said) -> None:  # type: ignore[no-untyped-def]
    chat = open_chat(db)  # a new customer in the demo store each time
    for text in said:
        with db.transaction() as session:
            conversation = session.get(Conversation, chat.conversation_id)
            replies = respond(
                session, conversation, text, message_id=None, verified=True, settings=chat.settings
            )
            assert replies and all(reply.text.strip() for reply in replies), text
            json.dumps(conversation.state)  # the state stays storable
