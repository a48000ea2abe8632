"""Long bot replies by SMS, in pages: the first goes out, "more" sends the next.

SMS is billed per segment (`conversations.sms_segments`), so a reply longer than
`PAGE_SEGMENTS` segments (a five-order history, a long cart) is sent a page at a time,
each but the last ending "Reply MORE for the rest." The message keeps its whole text
(the console shows it); the pages not yet sent wait in its payload under `MORE_KEY`
until the customer's next "more". Other channels get the whole text at once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations import sms_segments
from conversations.models import Message
from conversations.text_split import split_text
from conversations.texts import say

# Two segments: one list reply (the cart, a summary) fits, and a page costs at most that.
PAGE_SEGMENTS = 2
MORE_KEY = "more_pages"
# What a customer texts for the next page (the whole message, any case).
MORE_WORDS = frozenset({"more", "more please", "next", "rest"})


def pages(text: str) -> list[str]:
    """The text as SMS pages of at most PAGE_SEGMENTS segments; one page when it fits."""
    if sms_segments.segments(text) <= PAGE_SEGMENTS:
        return [text]
    follows = "\n" + say("channels.more_follows")
    measure = sms_segments.unit_counter(text + follows)
    limit = sms_segments.capacity(text + follows, PAGE_SEGMENTS) - measure(follows)
    parts = split_text(text, limit, measure)
    return [part + follows for part in parts[:-1]] + parts[-1:]


def asks_for_more(text: str) -> bool:
    return text.strip(" .!").lower() in MORE_WORDS


def next_page(session: Session, conversation_id: int) -> tuple[str, list[str]] | None:
    """The next page of the conversation's latest reply and the pages after it; None when
    the latest reply has no page left (the page sent is the latest reply from then on)."""
    latest = session.scalar(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.direction == "out")
        .order_by(Message.id.desc())
        .limit(1)
    )
    waiting = (latest.payload or {}).get(MORE_KEY) if latest is not None else None
    return (waiting[0], waiting[1:]) if waiting else None
