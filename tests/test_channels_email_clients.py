"""Mail as real clients send it: quoting styles and languages, subjects, attachments, bounces.

The fixtures in tests/fixtures/mail are replies, in each client's own layout and
charset, to the shop's mail "Cancel order #10002? Reply YES to confirm."; each asks
about order 10005 instead. The quoted question must never reach the bot.
"""

from __future__ import annotations

import email
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from channels import email_in
from conversations.models import Message
from orders.models import Customer, CustomerIdentity
from tests.channels_support import count, deliver_all
from tests.standins.signing import mailgun_inbound

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
CLIENT_MAILS = sorted(FIXTURES.glob("*.eml"))
KEY = "mailgun-signing-key"


@pytest.fixture
def imap_app(app_factory, smtp_server, imap_server):  # type: ignore[no-untyped-def]
    return app_factory(smtp_server.settings(), imap_server.settings(), mailgun_signing_key=KEY)


def poll(app) -> int:  # type: ignore[no-untyped-def]
    settings = app.extensions["settings"]
    with email_in.connect(settings) as mailbox:
        return email_in.poll_once(app.extensions["db"], settings, mailbox)


def stored_texts(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with app.extensions["db"].transaction() as session:
        return {m.provider_id: m.text for m in session.scalars(select(Message))}


def test_the_clients_mails_are_at_least_eight_styles_in_three_languages() -> None:
    assert len(CLIENT_MAILS) >= 8
    languages = {"french_iso8859.eml", "japanese_shift_jis.eml", "german.eml"}
    assert languages <= {path.name for path in CLIENT_MAILS}


def test_only_the_new_words_of_each_client_reach_the_bot(imap_app, imap_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    for path in CLIENT_MAILS:
        imap_server.deliver(path.read_bytes())
    assert poll(imap_app) == len(CLIENT_MAILS)
    deliver_all(imap_app)
    texts = stored_texts(imap_app)
    for path in CLIENT_MAILS:
        message_id = str(email.message_from_bytes(path.read_bytes())["Message-ID"])
        text = texts[message_id]
        assert "10005" in text, f"{path.name}: {text!r}"
        assert "10002" not in text and "Reply YES" not in text, f"{path.name}: {text!r}"
    assert len(echo_bot) == len(CLIENT_MAILS)
    assert not any("10002" in heard for heard in echo_bot)


def test_a_reply_has_one_re_and_keeps_an_encoded_subject(
    imap_app, imap_server, smtp_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    for name in ("outlook.eml", "french_iso8859.eml", "japanese_shift_jis.eml"):
        imap_server.deliver((FIXTURES / name).read_bytes())
    poll(imap_app)
    deliver_all(imap_app)
    subjects = sorted(str(mail.message["Subject"]) for mail in smtp_server.messages)
    assert subjects == ["Re: Réf. commande", "Re: Your order", "Re: 注文について"]
    raw = b"".join(mail.message.as_bytes() for mail in smtp_server.messages)
    assert b"=?utf-8?" in raw.lower()  # non-ASCII subjects go out RFC 2047-encoded


def test_a_mail_with_only_an_attachment_gets_i_can_only_read_text(
    imap_app, imap_server, smtp_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    photo = EmailMessage()
    photo["From"] = "Jo <jo@example.com>"
    photo["To"] = "orders@shop.example"
    photo["Subject"] = "Re: Your order"
    photo["Message-ID"] = "<photo@example.com>"
    photo.add_attachment(b"\x89PNG\r\n fake", maintype="image", subtype="png", filename="mug.png")
    imap_server.deliver(photo)
    poll(imap_app)
    deliver_all(imap_app)
    assert echo_bot == []  # the bot never reads "Re: Your order" as a question
    (reply,) = smtp_server.messages
    assert "only read text" in reply.message.get_content()


def test_a_large_mail_is_read_by_its_text(imap_app, smtp_server, echo_bot) -> None:  # type: ignore[no-untyped-def]
    form = mailgun_inbound(
        signing_key=KEY,
        sender="jo@example.com",
        recipient="orders@shop.example",
        subject="Broken mug",
        body_plain="Where is order 10005? Photo attached.",
        message_id="<big@example.com>",
    )
    form["attachment-count"] = "1"
    data = {**form, "attachment-1": (bytes(2 * 1024 * 1024), "mug.jpg", "image/jpeg")}
    response = imap_app.test_client().post(
        "/webhooks/email/inbound", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    deliver_all(imap_app)
    assert echo_bot == ["Where is order 10005? Photo attached."]


def delivery_report(failed: str) -> bytes:
    """A DSN as Postfix writes one (RFC 3464, multipart/report)."""
    return (
        "From: MAILER-DAEMON@mx.shop.example (Mail Delivery System)\r\n"
        "To: orders@shop.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.shop.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.shop.example\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "\r\n--B--\r\n"
    ).encode()


def identity(app, address: str) -> CustomerIdentity | None:  # type: ignore[no-untyped-def]
    with app.extensions["db"].transaction() as session:
        found = session.scalar(select(CustomerIdentity).where(CustomerIdentity.value == address))
        if found is not None:
            session.expunge(found)
        return found


def test_a_bounce_marks_the_address_and_creates_no_customer(
    imap_app, imap_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    imap_server.deliver((FIXTURES / "thunderbird.eml").read_bytes())  # jo@example.com writes
    poll(imap_app)
    deliver_all(imap_app)
    customers_before = count(imap_app.extensions["db"], Customer)
    imap_server.deliver(delivery_report("jo@Example.COM"))
    poll(imap_app)
    assert count(imap_app.extensions["db"], Customer) == customers_before
    jo = identity(imap_app, "jo@example.com")
    assert jo is not None and jo.unreachable
    assert identity(imap_app, "mailer-daemon@mx.shop.example") is None


def test_a_customer_who_writes_again_is_reachable_again(
    imap_app, imap_server, smtp_server, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    imap_server.deliver((FIXTURES / "gmail.eml").read_bytes())
    poll(imap_app)
    deliver_all(imap_app)
    imap_server.deliver(delivery_report("jo@example.com"))
    poll(imap_app)
    assert identity(imap_app, "jo@example.com").unreachable
    imap_server.deliver((FIXTURES / "aol.eml").read_bytes())
    poll(imap_app)
    deliver_all(imap_app)
    assert not identity(imap_app, "jo@example.com").unreachable
    assert len(smtp_server.messages) == 2  # the second mail was answered
