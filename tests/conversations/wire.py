"""Stories end to end, over the providers' wire formats.

Where `talk.StoryCustomer` hands a line to the channel's parser and reads the replies
from the database, a `WireCustomer` does what the providers do: Twilio posts a signed
form to `/webhooks/twilio/sms`, Telegram an update with its secret header to
`/webhooks/telegram`, Mailgun a signed form to `/webhooks/email/inbound`. The app
acknowledges, a worker's answering and delivery run, and the replies are read where
the customer would see them: at the local Twilio REST, Bot API and SMTP stand-ins. So
a story passes over the wire only if the signature checks, intake, the worker, the
outbox, the senders and the provider's own shape of a reply all do their part.
"""

from __future__ import annotations

import itertools
import json
import warnings

from flask import Flask
from sqlalchemy import select

from conversations.models import Conversation
from tests.channels_support import deliver_all, settings_from
from tests.conversations.talk import AUTHSERV_ID, SHOP_EMAIL
from tests.standins.signing import mailgun_inbound, twilio_headers, twilio_inbound_sms
from tests.standins.smtp_server import ReceivedMail, SmtpStandin
from tests.standins.telegram_server import TelegramStandin
from tests.standins.twilio_server import TwilioStandin

CHANNELS = ("sms", "telegram", "email")
PUBLIC_BASE_URL = "https://shop.stories.example"
MAILGUN_SIGNING_KEY = "story-mailgun-signing-key"


class Providers:
    """The three stand-ins a story's replies reach, shared by many stories."""

    def __init__(self, twilio: TwilioStandin, telegram: TelegramStandin, smtp: SmtpStandin):
        self.twilio = twilio
        self.telegram = telegram
        self.smtp = smtp

    @classmethod
    def start(cls) -> Providers:
        """Start all three (the bench's way; the tests share pytest's session stand-ins)."""
        # aiosmtpd 1.4.6 warns about its own deprecated attribute on every AUTH.
        warnings.filterwarnings("ignore", "Session.login_data is deprecated", DeprecationWarning)
        return cls(TwilioStandin().start(), TelegramStandin().start(), SmtpStandin().start())

    def settings(self) -> dict[str, object]:
        """Settings (load_settings keywords) that point every channel at the stand-ins."""
        env = {
            **self.twilio.settings(),
            **self.telegram.settings(),
            **self.smtp.settings(email_from=SHOP_EMAIL),
        }
        return {
            **settings_from(env),
            "public_base_url": PUBLIC_BASE_URL,
            "mailgun_signing_key": MAILGUN_SIGNING_KEY,
            "outbox_backoff_seconds": 0,
        }

    def reset(self) -> None:
        for server in (self.twilio, self.telegram, self.smtp):
            server.reset()

    def stop(self) -> None:
        for server in (self.twilio, self.telegram, self.smtp):
            server.stop()


class WireCustomer:
    """Sends a story's lines as a provider would post them; collects what reached the
    customer at the provider, rendered as the terminal shows replies (buttons in brackets)."""

    def __init__(
        self, app: Flask, providers: Providers, channel: str, identity: tuple[str, str], name: str
    ) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"no wire format for the {channel} channel")
        self.app = app
        self.client = app.test_client()
        self.providers = providers
        self.channel = channel
        self.address = identity[1]
        self.name = name
        self.conversation_id: int | None = None
        self._ids = itertools.count(1)
        self._seen = 0

    def send(self, text: str) -> list[str]:
        n = next(self._ids)
        response = self._post(text, n)
        if response.status_code >= 300:
            raise AssertionError(f"the webhook answered {response.status_code}: {response.data!r}")
        deliver_all(self.app)
        self.conversation_id = self.conversation_id or self._conversation()
        return self._replies()

    def close(self) -> None:
        """Let go of the app's database connections."""
        self.app.extensions["db"].dispose()

    def _post(self, text: str, n: int):  # type: ignore[no-untyped-def]
        if self.channel == "sms":
            twilio = self.providers.twilio
            form = twilio_inbound_sms(
                account_sid=twilio.account_sid,
                from_=self.address,
                to=twilio.from_number,
                body=text,
            )
            url = f"{PUBLIC_BASE_URL}/webhooks/twilio/sms"
            headers = twilio_headers(twilio.auth_token, url, form)
            return self.client.post("/webhooks/twilio/sms", data=form, headers=headers)
        if self.channel == "telegram":
            chat_id = int(self.address)
            update = {
                "update_id": 10_000 + n,
                "message": {
                    "message_id": n,
                    "date": 1_767_225_600 + n,
                    "chat": {"id": chat_id, "type": "private", "first_name": self.name},
                    "from": {"id": chat_id, "is_bot": False, "first_name": self.name or "Sam"},
                    "text": text,
                },
            }
            secret = self.app.extensions["settings"].telegram_webhook_secret
            return self.client.post(
                "/webhooks/telegram",
                data=json.dumps(update),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": secret,
                },
            )
        form = mailgun_inbound(
            signing_key=MAILGUN_SIGNING_KEY,
            sender=self.address,
            recipient=SHOP_EMAIL,
            subject="My order" if n == 1 else "Re: My order",
            body_plain=text,
            message_id=f"<story-wire-{n}@{self.address.rpartition('@')[2]}>",
        )
        return self.client.post("/webhooks/email/inbound", data=_with_dmarc_pass(form))

    def _conversation(self) -> int | None:
        with self.app.extensions["db"].reading() as session:
            return session.scalar(
                select(Conversation.id).where(
                    Conversation.channel == self.channel, Conversation.address == self.address
                )
            )

    def _replies(self) -> list[str]:
        if self.channel == "sms":
            sent = self.providers.twilio.messages_since(self._seen)
            self._seen += len(sent)
            return [m.body for m in sent if m.to == self.address]
        if self.channel == "telegram":
            sent = self.providers.telegram.sent_messages_since(self._seen)
            self._seen += len(sent)
            return [_telegram_text(m) for m in sent if str(m["chat"]["id"]) == self.address]
        mail = self.providers.smtp.messages[self._seen :]
        self._seen += len(mail)
        return [_mail_text(m) for m in mail if self.address in m.rcpt_tos]


def _with_dmarc_pass(form: dict[str, str]) -> dict[str, str]:
    """The customer's mail server passed DMARC, as the receiving server records it."""
    domain = form["sender"].rpartition("@")[2]
    headers = json.loads(form["message-headers"])
    result = f"{AUTHSERV_ID}; dmarc=pass header.from={domain}"
    headers.insert(0, ["Authentication-Results", result])
    return {**form, "message-headers": json.dumps(headers), "Authentication-Results": result}


def _telegram_text(sent: dict) -> str:
    """A Telegram message as the terminal shows it: the text, its buttons in brackets."""
    markup = sent.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    labels = [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
    return sent["text"] + (f"\n  [{' | '.join(labels)}]" if labels else "")


def _mail_text(mail: ReceivedMail) -> str:
    """The text part of a mail the shop sent."""
    body = mail.message.get_body(preferencelist=("plain",))
    return body.get_content().strip() if body is not None else ""
