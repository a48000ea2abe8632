"""Tags CSRs put on conversations: free words, kept lowercase and short, to find work again.

A tag belongs to the conversation, not to one handoff, so a customer who comes back
with the same problem shows up with the tags colleagues gave them before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from conversations.models import Conversation
from conversations.staff_models import ConversationTag
from orders.errors import ValidationFailed

MAX_TAG_LENGTH = 30
MAX_TAGS_PER_CONVERSATION = 12
SUGGESTIONS = 50
_SPACES = re.compile(r"\s+")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def normalise(text: str) -> str:
    """ "  VIP   Customer " -> "vip customer": what is stored and what is filtered by."""
    return _SPACES.sub(" ", _UNPRINTABLE.sub(" ", text)).strip().lower()


def checked(text: str) -> str:
    """The normalised tag, or ValidationFailed when it is empty or too long."""
    tag = normalise(text)
    if not tag:
        raise ValidationFailed("Type a tag first.")
    if len(tag) > MAX_TAG_LENGTH:
        raise ValidationFailed(f"A tag can be at most {MAX_TAG_LENGTH} characters.")
    return tag


def add(session: Session, conversation: Conversation, text: str, by: str) -> tuple[str, bool]:
    """Tag the conversation; (the tag, whether it is new on it)."""
    tag = checked(text)
    have = tags_of(session, conversation.id)
    if tag in have:
        return tag, False
    if len(have) >= MAX_TAGS_PER_CONVERSATION:
        raise ValidationFailed(
            f"A conversation can have at most {MAX_TAGS_PER_CONVERSATION} tags; remove one first."
        )
    session.add(ConversationTag(conversation_id=conversation.id, tag=tag, added_by=by))
    session.flush()
    return tag, True


def remove(session: Session, conversation: Conversation, text: str) -> tuple[str, bool]:
    """Take the tag off; (the tag, whether it was there)."""
    tag = normalise(text)
    result = session.execute(
        delete(ConversationTag).where(
            ConversationTag.conversation_id == conversation.id, ConversationTag.tag == tag
        )
    )
    return tag, result.rowcount > 0


def tags_of(session: Session, conversation_id: int) -> list[str]:
    return list(
        session.scalars(
            select(ConversationTag.tag)
            .where(ConversationTag.conversation_id == conversation_id)
            .order_by(ConversationTag.tag)
        )
    )


def in_use(session: Session, limit: int = SUGGESTIONS) -> list[str]:
    """Tags already given, the most used first: the suggestions when tagging."""
    count = func.count(ConversationTag.id)
    return list(
        session.scalars(
            select(ConversationTag.tag)
            .group_by(ConversationTag.tag)
            .order_by(count.desc(), ConversationTag.tag)
            .limit(limit)
        )
    )


def tagged(tag: str):  # type: ignore[no-untyped-def]
    """SQL: the ids of conversations carrying exactly this tag (for a query's IN)."""
    return select(ConversationTag.conversation_id).where(ConversationTag.tag == normalise(tag))


def conversations_tagged_like(
    session: Session, text: str, limit: int = 30
) -> Sequence[tuple[Conversation, list[str]]]:
    """Conversations with a tag that contains `text`, newest activity first, with their tags."""
    wanted = normalise(text)
    if not wanted:
        return []
    ids = select(ConversationTag.conversation_id).where(
        ConversationTag.tag.contains(wanted, autoescape=True)
    )
    found = session.scalars(
        select(Conversation)
        .where(Conversation.id.in_(ids))
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(limit)
    ).all()
    return [(conversation, tags_of(session, conversation.id)) for conversation in found]
