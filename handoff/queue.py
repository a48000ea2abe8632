"""The handoff queue: the bot (or a rule) escalates, a CSR claims, then hands back or resolves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.models import Conversation
from handoff.models import Handoff

OPEN_STATUSES = ("waiting", "assigned")
REASON_PRIORITY = {"complaint": 20, "policy": 15, "bot_failed": 10, "human_agent": 10}


def open_handoff(session: Session, conversation: Conversation) -> Handoff | None:
    return session.scalar(
        select(Handoff).where(
            Handoff.conversation_id == conversation.id, Handoff.status.in_(OPEN_STATUSES)
        )
    )


def escalate(
    session: Session, conversation: Conversation, reason: str, summary: str = ""
) -> Handoff:
    """Hand the conversation to people; from now on the bot stays silent in it.

    Escalating a conversation that is already waiting or assigned returns that handoff.
    """
    existing = open_handoff(session, conversation)
    if existing is not None:
        return existing
    handoff = Handoff(
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        reason=reason,
        priority=REASON_PRIORITY.get(reason, 0),
        summary=summary,
        status="waiting",
    )
    conversation.mode = "handoff"
    session.add(handoff)
    session.flush()
    return handoff
