"""Queue outbound messages. Delivery (retries, backoff, dead letters) is channels.delivery."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from channels.models import Conversation, Message, OutboxMessage


def enqueue(
    session: Session,
    conversation: Conversation,
    text: str,
    *,
    author: str = "bot",
    author_id: str = "",
    payload: dict[str, Any] | None = None,
) -> Message:
    """Store an outbound message and queue it for delivery, in the caller's transaction."""
    message = Message(
        conversation_id=conversation.id,
        direction="out",
        author=author,
        author_id=author_id,
        channel=conversation.channel,
        text=text,
        payload=payload or {},
    )
    session.add(message)
    session.flush()
    session.add(
        OutboxMessage(
            message_id=message.id,
            conversation_id=conversation.id,
            channel=conversation.channel,
            to_address=conversation.address,
            body=text,
            payload=payload or {},
        )
    )
    session.flush()
    return message
