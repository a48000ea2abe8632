"""Forged and replayed webhook signatures: refused with 403, nothing stored or changed."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import text, update

from channels.email_in import FORGET_TOKENS
from conversations.models import Conversation, Message, OutboxMessage, WebhookToken
from infra.db import utcnow
from orders.models import Customer
from tests.channels_support import count, deliver_all, outbox
from tests.standins.signing import (
    mailgun_inbound,
    mailgun_signature,
    twilio_headers,
    twilio_inbound_sms,
    twilio_status_callback,
)

KEY = "mailgun-signing-key"
SMS_URL = "http://localhost/webhooks/twilio/sms"
STATUS_URL = "http://localhost/webhooks/twilio/status"
CUSTOMER = "+15551230001"


@pytest.fixture
def app(app_factory, twilio_server, smtp_server):  # type: ignore[no-untyped-def]
    return app_factory(twilio_server.settings(), smtp_server.settings(), mailgun_signing_key=KEY)


def stored(app: Flask) -> tuple[int, ...]:
    database = app.extensions["db"]
    return tuple(count(database, model) for model in (Message, Conversation, Customer))


def sms_form(twilio_server, body: str = "where is my order"):  # type: ignore[no-untyped-def]
    return twilio_inbound_sms(
        account_sid=twilio_server.account_sid,
        from_=CUSTOMER,
        to=twilio_server.from_number,
        body=body,
    )


def forgeries(twilio_server):  # type: ignore[no-untyped-def]
    """(name, form sent, headers) for each way of getting the Twilio signature wrong."""
    genuine = sms_form(twilio_server, "track 10001")
    token = twilio_server.auth_token
    changed = {**genuine, "Body": "cancel order 10001"}
    extra = {**genuine, "NumMedia": "1", "MediaUrl0": "https://evil.example/x.png"}
    fewer = {k: v for k, v in genuine.items() if k != "FromCity"}
    sender = {**genuine, "From": "+15559990000"}
    return [
        ("body changed after signing", changed, twilio_headers(token, SMS_URL, genuine)),
        ("field added after signing", extra, twilio_headers(token, SMS_URL, genuine)),
        ("field removed after signing", fewer, twilio_headers(token, SMS_URL, genuine)),
        ("sender changed after signing", sender, twilio_headers(token, SMS_URL, genuine)),
        ("signed for the status URL", genuine, twilio_headers(token, STATUS_URL, genuine)),
        ("signed with a query string", genuine, twilio_headers(token, SMS_URL + "?a=1", genuine)),
        ("signed with another token", genuine, twilio_headers("other-token", SMS_URL, genuine)),
        ("signed over nothing", genuine, twilio_headers(token, SMS_URL, {})),
    ]


def test_forged_twilio_signatures_are_refused(app, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    for name, form, headers in forgeries(twilio_server):
        response = client.post("/webhooks/twilio/sms", data=form, headers=headers)
        assert response.status_code == 403, name
    assert stored(app) == (0, 0, 0)
    assert echo_bot == []


def test_forged_status_callback_changes_nothing(app_factory, twilio_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(twilio_server.settings(), public_base_url="http://localhost")
    client = app.test_client()
    form = sms_form(twilio_server, "hello")
    client.post(
        "/webhooks/twilio/sms",
        data=form,
        headers=twilio_headers(twilio_server.auth_token, SMS_URL, form),
    )
    with app.extensions["db"].transaction() as session:  # make the reply go by REST
        session.execute(update(OutboxMessage).values(status="pending", provider_id=None))
    deliver_all(app)
    [row] = outbox(app.extensions["db"])
    assert row.status == "sent"
    genuine = twilio_status_callback(
        account_sid=twilio_server.account_sid,
        message_sid=row.provider_id,
        status="delivered",
        from_=twilio_server.from_number,
        to=CUSTOMER,
    )
    failed = {**genuine, "MessageStatus": "failed", "SmsStatus": "failed", "ErrorCode": "21610"}
    replayed_elsewhere = twilio_headers(twilio_server.auth_token, SMS_URL, failed)
    for headers in (
        twilio_headers(twilio_server.auth_token, STATUS_URL, genuine),
        replayed_elsewhere,
    ):
        response = client.post("/webhooks/twilio/status", data=failed, headers=headers)
        assert response.status_code == 403
    assert outbox(app.extensions["db"])[0].status == "sent"


def post_mailgun(app: Flask, form: dict[str, str]):  # type: ignore[no-untyped-def]
    return app.test_client().post("/webhooks/email/inbound", data=form)


def mail(body: str = "Where is my order 10001?", **fields: object) -> dict[str, str]:
    return mailgun_inbound(
        signing_key=KEY,
        sender="jo@example.com",
        recipient="orders@shop.example",
        subject="Order",
        body_plain=body,
        message_id=str(fields.pop("message_id", "<m1@example.com>")),
        **fields,  # type: ignore[arg-type]
    )


def test_replayed_mailgun_token_is_refused_even_with_a_new_body(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    genuine = mail()
    assert post_mailgun(app, genuine).status_code == 200
    # Mailgun signs only timestamp + token: a captured request with another body
    # still carries a valid signature for the next 15 minutes.
    forged = {
        **mail("Please cancel order 10001", message_id="<evil@example.com>"),
        **{k: genuine[k] for k in ("timestamp", "token", "signature")},
    }
    assert post_mailgun(app, forged).status_code == 403
    assert post_mailgun(app, genuine).status_code == 403  # the same request again
    deliver_all(app)
    assert echo_bot == ["Where is my order 10001?"]
    assert count(app.extensions["db"], Message, Message.direction == "in") == 1


def test_token_of_a_refused_mail_cannot_be_reused(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    bounce = mail("no sender", from_header="not an address")
    assert post_mailgun(app, bounce).status_code == 400
    forged = {**mail("cancel order 10001", message_id="<x@example.com>")}
    forged.update({k: bounce[k] for k in ("timestamp", "token", "signature")})
    assert post_mailgun(app, forged).status_code == 403
    assert echo_bot == []


def test_fresh_tokens_are_each_accepted_and_old_ones_forgotten(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    for index in range(3):
        assert (
            post_mailgun(app, mail(f"hello {index}", message_id=f"<m{index}@x>")).status_code == 200
        )
    assert count(app.extensions["db"], WebhookToken) == 3
    with app.extensions["db"].transaction() as session:
        session.execute(update(WebhookToken).values(seen_at=utcnow() - timedelta(days=1)))
    assert post_mailgun(app, mail("again", message_id="<m9@x>")).status_code == 200
    assert count(app.extensions["db"], WebhookToken) == 1


def test_expired_tokens_are_found_on_their_index(app) -> None:  # type: ignore[no-untyped-def]
    """Every Mailgun webhook deletes the expired tokens: a scan of the tokens of the last
    half hour (SQLite's choice when the provider was in the condition) made each mail
    cost milliseconds more the busier the shop was."""
    database = app.extensions["db"]
    explain = "EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN "
    with database.reading() as session:
        if not database.is_sqlite:  # a tiny table: a scan is cheaper, so price it out
            session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = session.execute(
            text(explain + FORGET_TOKENS.text), {"before": "2026-01-01 00:00:00"}
        ).all()
    assert "ix_webhook_tokens_seen_at" in str(plan)


@pytest.mark.parametrize("skew", [-16 * 60, 16 * 60])
def test_mailgun_timestamp_outside_the_window_is_refused(app, echo_bot, skew: int) -> None:  # type: ignore[no-untyped-def]
    assert post_mailgun(app, mail(timestamp=int(time.time()) + skew)).status_code == 403
    assert stored(app) == (0, 0, 0)


def test_mailgun_signature_over_another_timestamp_is_refused(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    form = mail()
    later = str(int(form["timestamp"]) + 60)
    assert post_mailgun(app, {**form, "timestamp": later}).status_code == 403
    form["signature"] = mailgun_signature("other-key", form["timestamp"], form["token"])
    assert post_mailgun(app, form).status_code == 403
    assert stored(app) == (0, 0, 0)
