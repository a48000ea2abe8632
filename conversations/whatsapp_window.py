"""WhatsApp's 24-hour customer service window, as the outbox and intake see it.

WhatsApp lets a business write freely only within 24 hours of the customer's last
message. Each outbox row for WhatsApp records until when that window was open when it
was queued; `channels.whatsapp.send` uses the approved template after that, or holds
the row, and the customer's next message releases what was held.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.models import Conversation, Message, OutboxMessage
from infra import clock
from infra.wakeup import wakeups

CHANNEL = "whatsapp"
WINDOW = timedelta(hours=24)
# Kept in an outbox row's payload: until when the customer's window was open when the
# row was queued (ISO 8601, UTC).
WINDOW_KEY = "whatsapp_window_until"


def outbound_payload(session: Session, conversation: Conversation) -> dict[str, Any]:
    """What a new outbox row needs to know about the window: when it closes."""
    last_in = session.scalar(
        select(Message.created_at)
        .where(Message.conversation_id == conversation.id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    )
    until = (last_in + WINDOW) if last_in is not None else clock.now(session)
    return {WINDOW_KEY: until.isoformat()}


def release_held(session: Session, conversation_id: int) -> None:
    """The customer wrote: their window is open again, so held messages may go out now."""
    now = clock.now(session)
    until = (now + WINDOW).isoformat()
    held = list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.conversation_id == conversation_id, OutboxMessage.status == "held"
            )
        )
    )
    for row in held:
        row.payload = {**(row.payload or {}), WINDOW_KEY: until}
        row.status, row.attempts, row.next_attempt_at = "pending", 0, now
    if held:
        wakeups(session).outbox.wake()


def is_open(row: OutboxMessage, now: datetime) -> bool:
    until = (row.payload or {}).get(WINDOW_KEY)
    return bool(until) and now < datetime.fromisoformat(until)
