"""The one shape every channel adapter turns a provider's request into."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# What an adapter may ask intake to do instead of (or before) asking the bot.
OPT_OUT = "opt_out"  # SMS STOP: no more messages to this number
OPT_IN = "opt_in"  # SMS START
MEDIA_ONLY = "media_only"  # a picture with no words: answer politely, the bot cannot read it
MORE = "more"  # SMS "more": the next page of a long reply (conversations/sms_pages.py)
AUTO_REPLY = "auto_reply"  # out-of-office, bounce, mailing list: store, never answer

MAX_TEXT = 5000  # characters; longer messages are refused (413), not truncated


class BadRequest(Exception):
    """A request no provider would send: malformed, oversized or not UTF-8 (answered 4xx)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class InboundMessage:
    """One customer message, whatever the provider.

    `address` is where replies go (E.164 phone, Telegram chat id, email address, web
    session id); `identity` is who sent it, as an orders.customers identity
    (kind, value), or None on the web and the console where nobody is identified.
    """

    channel: str
    address: str
    text: str
    provider_id: str | None
    identity: tuple[str, str] | None = None
    name: str = ""
    verified: bool = True
    command: str | None = None
    # What the bot reads when it differs from what the customer typed ("/start" -> "hello").
    bot_text: str | None = None
    # Provider extras kept with the message: email headers, media URLs, Telegram ids.
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # No one types a control character, but a request can carry one: a NUL, which
        # PostgreSQL text cannot hold, or an escape sequence that would act on the
        # terminal that shows it. Dropped here (JSON `extra` escapes its own).
        for name in ("text", "address", "name", "provider_id", "bot_text"):
            setattr(self, name, _printable(getattr(self, name)))
        if self.identity is not None:
            self.identity = (self.identity[0], _printable(self.identity[1]))
        if len(self.text) > MAX_TEXT:
            raise BadRequest(f"message longer than {MAX_TEXT} characters", 413)


# C0 and C1 controls and DEL, but not tab and line breaks.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _printable(value: str | None) -> str | None:
    return None if value is None else _CONTROL_CHARACTERS.sub("", value)
