"""Email sender proof: only our receiving server's Authentication-Results counts.

`EMAIL_AUTHSERV_ID` names our server. Its header (the topmost one with that id) must
say DMARC passed for exactly the From domain; a header anyone else wrote, above or
below it, and look-alike domains prove nothing. Checked on both ways mail comes in:
the Mailgun hook and IMAP (a real Dovecot).
"""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from flask import Flask

from channels import email_in
from conversations.models import OutboxMessage
from tests.channels_support import Heard, answer_waiting, count, deliver_all
from tests.standins.dovecot import DovecotStandin
from tests.standins.signing import mailgun_inbound
from tests.standins.smtp_server import SmtpStandin

KEY = "mailgun-signing-key"
OURS = "mx.shop.example"
SENDER = "jo@example.com"

# (Authentication-Results headers, topmost first; does it prove the sender?)
CASES = {
    "ours, pass": ([f"{OURS}; spf=pass; dmarc=pass header.from=example.com"], True),
    "ours with a version, pass": (
        [f"{OURS} 1; dmarc=pass (p=reject) header.from=Example.COM"],
        True,
    ),
    "look-alike domain": ([f"{OURS}; dmarc=pass header.from=example.com.evil.net"], False),
    "another hop above ours": (
        ["relay.shop.example; arc=none", f"{OURS}; dmarc=pass header.from=example.com"],
        True,
    ),
    "sender's pass above our fail": (
        [
            "evil.example; dmarc=pass header.from=example.com",
            f"{OURS}; dmarc=fail header.from=example.com",
        ],
        False,
    ),
    "sender's pass below our fail": (
        [
            f"{OURS}; dmarc=fail header.from=example.com",
            "evil.example; dmarc=pass header.from=example.com",
        ],
        False,
    ),
    "only someone else's": (["evil.example; dmarc=pass header.from=example.com"], False),
    "a pass inside a comment": (
        [f"{OURS}; dmarc=fail (dmarc=pass header.from=example.com) header.from=evil.net"],
        False,
    ),
    "ours for another domain": ([f"{OURS}; dmarc=pass header.from=evil.net"], False),
    "ours, no dmarc": ([f"{OURS}; spf=pass smtp.mailfrom=example.com"], False),
    "ours, unparseable": ([f"{OURS}; dmarc=pass header.from=example.com;;;;"], False),
}

EXPECTED = {name: proves for name, (_, proves) in CASES.items()}


def mail(number: int, results: list[str]) -> EmailMessage:
    message = EmailMessage()
    for value in results:
        message["Authentication-Results"] = value
    message["From"] = f"Jo <{SENDER}>"
    message["To"] = "orders@shop.example"
    message["Subject"] = "My order"
    message["Message-ID"] = f"<proof{number}@example.com>"
    message.set_content(f"track {number}")
    return message


@pytest.fixture
def app(app_factory, smtp_server):  # type: ignore[no-untyped-def]
    return app_factory(smtp_server.settings(), mailgun_signing_key=KEY, email_authserv_id=OURS)


@pytest.fixture
def imap_app(app_factory, smtp_server, imap_server):  # type: ignore[no-untyped-def]
    return app_factory(smtp_server.settings(), imap_server.settings(), email_authserv_id=OURS)


def test_mailgun_hook_trusts_only_our_servers_dmarc_pass(app: Flask, echo_bot: Heard) -> None:
    client = app.test_client()
    for number, (results, _) in enumerate(CASES.values()):
        form = mailgun_inbound(
            signing_key=KEY,
            sender=SENDER,
            recipient="orders@shop.example",
            subject="My order",
            body_plain=f"track {number}",
            message_id=f"<proof{number}@example.com>",
        )
        headers = [["Authentication-Results", value] for value in results]
        form["message-headers"] = json.dumps(headers + json.loads(form["message-headers"]))
        assert client.post("/webhooks/email/inbound", data=form).status_code == 200
        answer_waiting(app)
    assert dict(zip(CASES, echo_bot.verified, strict=True)) == EXPECTED


def test_imap_trusts_only_our_servers_dmarc_pass(
    imap_app: Flask, imap_server: DovecotStandin, echo_bot: Heard
) -> None:
    for number, (results, _) in enumerate(CASES.values()):
        imap_server.deliver(mail(number, results))
    settings = imap_app.extensions["settings"]
    with email_in.connect(settings) as mailbox:
        assert email_in.poll_once(imap_app.extensions["db"], settings, mailbox) == len(CASES)
    assert dict(zip(CASES, echo_bot.verified, strict=True)) == EXPECTED


def test_line_breaks_in_message_ids_are_cleaned_at_intake(
    app: Flask, smtp_server: SmtpStandin, echo_bot: Heard
) -> None:
    """A CR/LF (or other control character) in Message-ID, In-Reply-To or References
    used to be stored as it came; every reply to that thread then failed to send."""
    threads = [
        (
            "<m1@example.com>\r\nX-Injected: yes",
            {"references": "<a@shop.example>\r\n\t<b\x01@shop.example>"},
        ),
        ("<m2@example.com\x7f>", {"in_reply_to": "<c@shop.example>\x0b"}),
    ]
    for message_id, extra in threads:
        form = mailgun_inbound(
            signing_key=KEY,
            sender=SENDER,
            recipient="orders@shop.example",
            subject="My order",
            body_plain="track 10001",
            message_id=message_id,
            **extra,
        )
        assert app.test_client().post("/webhooks/email/inbound", data=form).status_code == 200
        deliver_all(app)
    sent = [(m.message["In-Reply-To"], m.message["References"]) for m in smtp_server.messages]
    assert sent == [
        ("<m1@example.com>", "<a@shop.example> <b@shop.example> <m1@example.com>"),
        ("<m2@example.com>", "<c@shop.example> <m2@example.com>"),
    ]
    assert count(app.extensions["db"], OutboxMessage, OutboxMessage.status != "sent") == 0
