"""Inbound messages whose handling fails: retried with backoff, then dead letters.

A message whose routing raises (outside the bot, whose own failures hand the customer
to a person) has its work rolled back to a savepoint and the attempt counted; it, and
the later messages of its conversation, wait in order for its next try. After
`inbound_max_attempts` it becomes a dead letter: marked handled, so its conversation
moves on; the customer is told once that a person will look at it; CSRs see it beside
the outbox's dead letters and can put it back (`retry_dead`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from conversations.models import Conversation, Message
from conversations.outbox import enqueue
from conversations.texts import say
from infra import clock
from infra.retry_backoff import backoff_seconds
from infra.settings import Settings
from orders.errors import NotFound, ValidationFailed

log = logging.getLogger(__name__)

ERROR_CHARS = 2000
TOLD = "failure_told"  # payload flag: the customer has been told about this message


def due(message: Message, now: datetime) -> bool:
    """Whether a message may be tried now (not waiting out the backoff of a failure)."""
    return message.next_attempt_at is None or message.next_attempt_at <= now


def record_failure(
    session: Session,
    settings: Settings,
    conversation: Conversation,
    message: Message,
    exc: Exception,
) -> list[Message]:
    """Count a failed try at `message`; the replies to send (the notice, when it dies)."""
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    if message.attempts < settings.inbound_max_attempts:
        delay = backoff_seconds(message.attempts, settings.inbound_backoff_seconds)
        message.next_attempt_at = clock.now(session) + timedelta(seconds=delay)
        return []
    log.error("inbound message %s is a dead letter after %s tries", message.id, message.attempts)
    message.handled_at = message.dead_at = clock.now(session)
    message.next_attempt_at = None
    return _tell_customer_once(session, conversation, message)


def _tell_customer_once(
    session: Session, conversation: Conversation, message: Message
) -> list[Message]:
    if (message.payload or {}).get(TOLD):
        return []
    message.payload = {**(message.payload or {}), TOLD: True}
    try:
        with session.begin_nested():
            return [enqueue(session, conversation, say("channels.inbound_failed"), author="system")]
    except Exception:  # what broke the message may break its notice: it stays listed for CSRs
        log.exception("telling the customer about dead letter %s failed", message.id)
        return []


def retry_dead(session: Session, message_id: int) -> Message:
    """Put a dead-lettered inbound message back to be answered (the CSR console's retry)."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "in":
        raise NotFound(f"There is no inbound message {message_id}.")
    if message.dead_at is None:
        raise ValidationFailed(f"Message {message_id} is not a dead letter.")
    message.dead_at = message.handled_at = message.next_attempt_at = None
    message.attempts = 0
    session.flush()
    return message
