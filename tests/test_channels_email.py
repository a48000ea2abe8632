"""Email, end to end: Dovecot IMAP or the Mailgun hook in, SMTP (aiosmtpd) out."""

from __future__ import annotations

import threading
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from channels import email_in
from conversations.models import MailboxCheckpoint, Message
from orders.models import Customer
from tests.channels_support import answer_waiting, count, deliver_all
from tests.standins.signing import mailgun_inbound

KEY = "mailgun-signing-key"
CUSTOMER = "jo@example.com"
AUTHSERV = "mx.shop.example"

# The stand-ins and the channel fixtures (until tests/conftest.py loads them for all).


@pytest.fixture
def app(app_factory, smtp_server):  # type: ignore[no-untyped-def]
    return app_factory(smtp_server.settings(), mailgun_signing_key=KEY, email_authserv_id=AUTHSERV)


def mail(body: str, message_id: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Jo <{CUSTOMER}>"
    message["To"] = "orders@shop.example"
    message["Subject"] = headers.pop("Subject", "My order")
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def post_mailgun(app, **fields):  # type: ignore[no-untyped-def]
    form = mailgun_inbound(
        signing_key=fields.pop("signing_key", KEY),
        sender=CUSTOMER,
        recipient="orders@shop.example",
        subject=fields.pop("subject", "Order 10001"),
        body_plain=fields.pop("body_plain", "Where is my order 10001?"),
        message_id=fields.pop("message_id", "<m1@example.com>"),
        **fields,
    )
    response = app.test_client().post("/webhooks/email/inbound", data=form)
    answer_waiting(app)  # as a worker
    return response, form


def test_mailgun_email_is_answered_by_smtp_in_the_same_thread(app, smtp_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    quoted = (
        "Where is my order 10001?\n\nThanks,\nJo\n\n"
        "On Mon, Jan 1, 2024 at 10:00 AM Shop <orders@shop.example> wrote:\n> Your order shipped\n"
    )
    response, _ = post_mailgun(app, body_plain=quoted, references="<a@shop.example>")
    assert response.status_code == 200
    assert echo_bot == ["Where is my order 10001?"]
    assert echo_bot.verified == [False]  # a From header alone proves nothing
    deliver_all(app)
    [sent] = smtp_server.messages
    assert sent.rcpt_tos == (CUSTOMER,)
    assert sent.message["Subject"] == "Re: Order 10001"
    assert sent.message["In-Reply-To"] == "<m1@example.com>"
    assert sent.message["References"] == "<a@shop.example> <m1@example.com>"
    assert sent.message["Auto-Submitted"] == "auto-replied"
    assert sent.message.get_content().strip() == "echo: Where is my order 10001?"


def test_bad_mailgun_signature_or_stale_timestamp_is_refused(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    assert post_mailgun(app, signing_key="other-key")[0].status_code == 403
    assert post_mailgun(app, timestamp=1_000_000_000)[0].status_code == 403
    assert count(app.extensions["db"], Message) == 0


def test_same_email_twice_is_processed_once(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_mailgun(app)
    post_mailgun(app)
    assert echo_bot == ["Where is my order 10001?"]


def test_auto_replies_and_bounces_are_never_answered(app, smtp_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    database = app.extensions["db"]
    headers = {"Auto-Submitted": "auto-replied", "Subject": "Out of office"}
    message = mail("I am away", "<ooo@example.com>", **headers)
    email_in._read(database, app.extensions["settings"], message, lambda session: None)
    bounce = mail("Delivery failed", "<bounce@example.com>")
    bounce.replace_header("From", "MAILER-DAEMON@example.com")
    email_in._read(database, app.extensions["settings"], bounce, lambda session: None)
    deliver_all(app)
    assert echo_bot == []
    assert smtp_server.messages == []
    # The out-of-office is the customer's, stored and handled; the bounce is nobody's.
    assert count(database, Message, Message.handled_at.is_not(None)) == 1
    assert count(database, Customer) == 1


def test_html_mail_becomes_text(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    post_mailgun(app, body_plain="", body_html="<p>Cancel <b>order 10001</b> please</p>")
    assert echo_bot == ["Cancel **order 10001** please"]


def test_authentication_results_from_our_server_verify_the_sender(app, echo_bot) -> None:  # type: ignore[no-untyped-def]
    settings = app.extensions["settings"]
    forged = mail("cancel 10001", "<f@example.com>")
    forged["Authentication-Results"] = "evil.example; dmarc=pass header.from=example.com"
    genuine = mail("cancel 10002", "<g@example.com>")
    genuine["Authentication-Results"] = f"{AUTHSERV}; spf=pass; dmarc=pass header.from=example.com"
    for message in (forged, genuine):
        email_in._read(app.extensions["db"], settings, message, lambda session: None)
    assert echo_bot.verified == [False, True]


def test_smtp_temporary_failure_is_retried_permanent_is_dead(app, smtp_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    smtp_server.reject_next(1, code=451)
    post_mailgun(app)
    deliver_all(app)
    assert len(smtp_server.messages) == 1
    smtp_server.reject_next(1, code=550)
    post_mailgun(app, message_id="<m2@example.com>")
    deliver_all(app)
    with app.extensions["db"].transaction() as session:
        from conversations.models import OutboxMessage

        statuses = list(session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))
    assert statuses == ["sent", "dead"]


def test_malformed_or_non_utf8_hook_bodies_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    bad = client.post(
        "/webhooks/email/inbound",
        data=b"sender=%FF&timestamp=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert bad.status_code == 400
    assert count(app.extensions["db"], Message) == 0


# IMAP against a real Dovecot ---------------------------------------------------------


@pytest.fixture
def imap_app(app_factory, smtp_server, imap_server):  # type: ignore[no-untyped-def]
    return app_factory(smtp_server.settings(), imap_server.settings(), email_poll_seconds=1)


def poll(app) -> int:  # type: ignore[no-untyped-def]
    settings = app.extensions["settings"]
    with email_in.connect(settings) as mailbox:
        return email_in.poll_once(app.extensions["db"], settings, mailbox)


def test_imap_reads_each_mail_once_across_restarts(
    imap_app, imap_server, smtp_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    imap_server.deliver(mail("track 10001", "<i1@example.com>"))
    assert poll(imap_app) == 1
    assert poll(imap_app) == 0  # the checkpoint: nothing read twice
    imap_server.stop()  # downtime: mail arrives while we cannot read
    imap_server.start()
    imap_server.deliver(mail("track 10002", "<i2@example.com>"))
    imap_server.deliver(mail("track 10003", "<i3@example.com>"))
    assert poll(imap_app) == 2
    assert echo_bot == ["track 10001", "track 10002", "track 10003"]
    deliver_all(imap_app)
    assert len(smtp_server.messages) == 3


def test_new_uidvalidity_rereads_the_folder_without_duplicates(
    imap_app, imap_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    imap_server.deliver(mail("track 10001", "<u1@example.com>"))
    poll(imap_app)
    new_validity = imap_server.change_uidvalidity()
    imap_server.deliver(mail("track 10002", "<u2@example.com>"))
    assert poll(imap_app) == 1
    assert echo_bot == ["track 10001", "track 10002"]
    with imap_app.extensions["db"].transaction() as session:
        assert session.scalar(select(MailboxCheckpoint.uidvalidity)) == new_validity


def test_reader_thread_uses_idle(imap_app, imap_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    thread = threading.Thread(
        target=email_in.run_reader,
        args=(imap_app.extensions["db"], imap_app.extensions["settings"], stop),
        daemon=True,
    )
    thread.start()
    try:
        stop.wait(0.5)
        imap_server.deliver(mail("track 10009", "<idle@example.com>"))
        for _ in range(100):
            if echo_bot:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert echo_bot == ["track 10009"]
