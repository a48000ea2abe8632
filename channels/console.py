"""`python app.py chat`: talk to the bot in the terminal, through the same intake."""

from __future__ import annotations

import getpass
from collections.abc import Callable

from sqlalchemy import select

from channels import intake
from channels.inbound import InboundMessage
from channels.models import Message
from db import Database
from orders.customers import normalise_identity
from settings import Settings

# Replies are shown at once, so they count as delivered as soon as they exist.
INLINE_SECONDS = 3600.0


def parse_identity(raw: str) -> tuple[str, str]:
    """`jo@example.com`, `+15551234567` or `telegram:12345` as an identity (kind, value)."""
    if raw.startswith("telegram:"):
        kind, value = "telegram", raw.removeprefix("telegram:")
    elif "@" in raw:
        kind, value = "email", raw
    else:
        kind, value = "phone", raw
    return kind, normalise_identity(kind, value)


class ConsoleChat:
    def __init__(self, database: Database, settings: Settings, identity: str | None) -> None:
        self.database = database
        self.settings = settings
        self.identity = parse_identity(identity) if identity else None
        self.address = (
            f"{self.identity[0]}:{self.identity[1]}"
            if self.identity
            else f"terminal:{getpass.getuser()}"
        )
        self.last_seen = 0

    def say(self, text: str) -> list[str]:
        """Send one line as the customer; returns every message for them since the last."""
        result = intake.receive(
            self.database,
            self.settings,
            InboundMessage(
                channel="console",
                address=self.address,
                text=text,
                provider_id=None,
                identity=self.identity,
            ),
            inline_seconds=INLINE_SECONDS,
        )
        self.last_seen = max(self.last_seen, result.message_id)
        return self.pending(result.conversation_id)

    def pending(self, conversation_id: int | None) -> list[str]:
        with self.database.transaction() as session:
            messages = list(
                session.scalars(
                    select(Message)
                    .where(
                        Message.conversation_id == conversation_id,
                        Message.direction == "out",
                        Message.id > self.last_seen,
                    )
                    .order_by(Message.id)
                )
            )
        if messages:
            self.last_seen = messages[-1].id
        return [_render(message) for message in messages]


def _render(message: Message) -> str:
    choices = (message.payload or {}).get("choices") or []
    return message.text + (f"\n  [{' | '.join(choices)}]" if choices else "")


def run(chat: ConsoleChat, read: Callable[[], str], write: Callable[[str], None]) -> None:
    """Read lines until end of input (Ctrl-D) or "quit"."""
    write("Type a message for the shop (Ctrl-D or 'quit' to leave).")
    while True:
        try:
            line = read().strip()
        except EOFError:
            return
        if line.lower() in ("quit", "exit"):
            return
        if line:
            for reply in chat.say(line):
                write(f"bot> {reply}")
