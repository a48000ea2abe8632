"""Finding what was said: the messages, either way, whose text contains some words.

`lower(text) LIKE '%words%'` is served on PostgreSQL by the trigram index on
lower(text) (migration 0007) for rare words, and by reading the newest messages back
for words many messages say (the planner picks by the index's statistics). A trigram
is three letters, hence the shortest search.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations.models import Conversation, Message

SHORTEST = 3
NEWEST = 30


def messages_saying(session: Session, words: str, limit: int = NEWEST) -> list[tuple[Message, int]]:
    """The newest messages whose text contains `words` (any case), with their customer."""
    rows = session.execute(
        select(Message, Conversation.customer_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(func.lower(Message.text).contains(words.lower(), autoescape=True))
        .order_by(Message.id.desc())
        .limit(limit)
    ).all()
    return [(message, customer_id) for message, customer_id in rows]
