"""Queue outbound messages. Delivery (retries, backoff, dead letters) is conversations.delivery."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from conversations import sms_pages, whatsapp_window
from conversations.email_thread import thread_headers
from conversations.models import Conversation, Message, OutboxMessage
from conversations.text_split import split_text
from infra import clock

# Longest single SMS we send; Twilio refuses bodies over 1600 characters, and
# shorter parts arrive (and are read) sooner on handsets that join segments slowly.
SMS_PART_LIMIT = 640


def enqueue(
    session: Session,
    conversation: Conversation,
    text: str,
    *,
    author: str = "bot",
    author_id: str = "",
    payload: dict[str, Any] | None = None,
    flush: bool = True,
) -> Message:
    """Store an outbound message and queue it for delivery, in the caller's transaction.

    A long SMS from the bot goes out a page at a time (`conversations.sms_pages`); a
    person's SMS longer than one part becomes several outbox rows of the same message,
    delivered in order. An email gets the headers that thread it with the customer's
    latest mail. `flush=False` leaves the rows to the caller's next flush, for a caller
    that reads nothing of them before it (a bot turn writes its replies in the flush that
    marks the message handled).
    """
    payload = dict(payload or {})
    later: list[str] = []
    if conversation.channel != "sms":
        parts = [text]
    elif author == "csr":  # a person's words go as they wrote them
        parts = split_text(text, SMS_PART_LIMIT)
    else:
        first, *later = sms_pages.pages(text)
        parts = [first]
    now = clock.now(session)
    message = Message(
        created_at=now,
        conversation_id=conversation.id,
        direction="out",
        author=author,
        author_id=author_id,
        channel=conversation.channel,
        text=text,
        payload={**payload, sms_pages.MORE_KEY: later} if later else payload,
    )
    session.add(message)
    if conversation.channel == "email":
        payload = {**payload, **thread_headers(session, conversation)}
    elif conversation.channel == whatsapp_window.CHANNEL:
        payload = {**payload, **whatsapp_window.outbound_payload(session, conversation)}
    for part in parts:
        session.add(
            OutboxMessage(
                next_attempt_at=now,
                message=message,  # one flush inserts both, the message first
                conversation_id=conversation.id,
                channel=conversation.channel,
                to_address=conversation.address,
                body=part,
                payload=payload,
            )
        )
    if flush:
        session.flush()
    return message
