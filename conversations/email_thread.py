"""Threading headers for a reply, so the customer's mail client shows one conversation."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.models import Conversation, Message
from conversations.texts import say

MAX_REFERENCES = 20  # keep the header bounded on very long threads
# "Re:" as the common clients write it in their languages, repeated or counted ("Re[2]:").
REPLY_PREFIXES = re.compile(
    r"^(?:(?:re|aw|sv|vs|antw|odp|rif|r|回复|答复|返信)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)


def reply_subject(subject: str) -> str:
    """One "Re: " before the customer's subject, whatever prefixes their client added."""
    subject = REPLY_PREFIXES.sub("", " ".join(subject.split())) or say("channels.email_subject")
    return f"Re: {subject}"


def thread_headers(session: Session, conversation: Conversation) -> dict[str, Any]:
    """Subject, In-Reply-To and References answering the customer's latest email."""
    latest = session.scalar(
        select(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.direction == "in",
            Message.provider_id.is_not(None),
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    if latest is None:
        return {"subject": say("channels.email_subject")}
    extra = latest.payload or {}
    message_id = latest.provider_id or ""
    references = [*extra.get("references", "").split(), message_id][-MAX_REFERENCES:]
    return {
        "subject": reply_subject(extra.get("subject", "")),
        "in_reply_to": message_id,
        "references": " ".join(r for r in references if r),
    }
