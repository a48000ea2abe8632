"""The customer's side of a story: each line goes in through its channel's own adapter.

The terminal chat (`console`) is driven through `channels.console.ConsoleChat` itself.
SMS, Telegram, email and web chat lines are turned into an `InboundMessage` by that
channel's real parser (the Twilio form, the Telegram Update, the email headers), then
take the terminal chat's path: `answering.receive` stores and answers them at once and the
replies are read back as the terminal shows them (choices in brackets).
"""

from __future__ import annotations

import itertools
from email.message import EmailMessage

from sqlalchemy import select

from bot import answering
from channels.console import INLINE_SECONDS, ConsoleChat
from channels.email_parse import to_inbound
from channels.sms import parse_inbound
from channels.telegram import parse_update
from conversations.inbound import InboundMessage
from conversations.models import Conversation
from infra.db import Database
from infra.settings import Settings

SHOP_NUMBER = "+15555550000"
SHOP_EMAIL = "shop@stories.example"
# The receiving mail server's id; a story's email carries its DMARC pass, so the sender
# counts as proven (set as EMAIL_AUTHSERV_ID in the story's settings).
AUTHSERV_ID = "mx.stories.example"
WEB_SESSION = "story-web-session"


class StoryCustomer:
    """Sends a story's lines as one customer on one channel and collects the replies."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        channel: str,
        identity: tuple[str, str] | None,
        name: str = "",
    ) -> None:
        self.database = database
        self.settings = settings
        self.channel = channel
        self.identity = identity
        self.name = name
        raw = _console_identity(identity) if channel == "console" else None
        self.chat = ConsoleChat(database, settings, raw)
        self.conversation_id: int | None = None
        self._ids = itertools.count(1)

    def send(self, text: str) -> list[str]:
        """One message from the customer; the replies it got, as the terminal shows them."""
        if self.channel == "console":
            replies = self.chat.say(text)
            self.conversation_id = self.conversation_id or self._conversation_of_console()
            return replies
        result = answering.receive(
            self.database, self.settings, self._inbound(text), inline_seconds=INLINE_SECONDS
        )
        self.chat.last_seen = max(self.chat.last_seen, result.message_id)
        self.conversation_id = result.conversation_id
        return self.chat.pending(result.conversation_id)

    def _conversation_of_console(self) -> int | None:
        with self.database.sessions() as session:
            return session.scalar(
                select(Conversation.id).where(
                    Conversation.channel == "console", Conversation.address == self.chat.address
                )
            )

    def _inbound(self, text: str) -> InboundMessage:
        n = next(self._ids)
        value = self.identity[1] if self.identity else ""
        if self.channel == "sms":
            form = {"MessageSid": f"SMstory{n:08d}", "From": value, "To": SHOP_NUMBER, "Body": text}
            return parse_inbound(form)
        if self.channel == "telegram":
            user = {"id": int(value), "is_bot": False, "first_name": self.name or "Customer"}
            update = {
                "update_id": n,
                "message": {
                    "message_id": n,
                    "date": 0,
                    "chat": {"id": int(value), "type": "private"},
                    "from": user,
                    "text": text,
                },
            }
            inbound = parse_update(update)
            assert inbound is not None
            return inbound
        if self.channel == "email":
            return to_inbound(
                _email(value, text, n),
                text,
                "",
                authserv_id=self.settings.email_authserv_id,
                fallback_id=f"story-{n}".encode(),
            )
        return InboundMessage(
            channel="web", address=WEB_SESSION, text=text.strip(), provider_id=None
        )


def _console_identity(identity: tuple[str, str] | None) -> str | None:
    """How `python app.py chat --as` spells the identity."""
    if identity is None:
        return None
    kind, value = identity
    return f"telegram:{value}" if kind == "telegram" else value


def _email(sender: str, text: str, n: int) -> EmailMessage:
    message = EmailMessage()
    domain = sender.rpartition("@")[2]
    message["Authentication-Results"] = f"{AUTHSERV_ID}; dmarc=pass header.from={domain}"
    message["From"] = sender
    message["To"] = SHOP_EMAIL
    message["Subject"] = "My order" if n == 1 else "Re: My order"
    message["Message-ID"] = f"<story-{n}@{domain}>"
    message.set_content(text)
    return message
