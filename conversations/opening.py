"""Find or open the conversation for a channel address."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conversations.models import Conversation
from infra import clock
from orders.models import Customer


def find(session: Session, channel: str, address: str) -> Conversation | None:
    return session.scalar(
        select(Conversation).where(Conversation.channel == channel, Conversation.address == address)
    )


def open_conversation(
    session: Session, channel: str, address: str, customer: Customer
) -> Conversation:
    """The conversation at (channel, address), created for `customer` on first contact.

    Two first messages racing from one address both try to insert; the loser's
    savepoint rolls back on the unique constraint and it continues the winner's.
    """
    conversation = find(session, channel, address)
    if conversation is not None:
        return conversation
    try:
        with session.begin_nested():
            conversation = Conversation(
                customer_id=customer.id, channel=channel, address=address, mode="bot", state={}
            )
            session.add(conversation)
            session.flush()
    except IntegrityError:
        conversation = find(session, channel, address)
        if conversation is None:
            raise
    return conversation


def touch(session: Session, conversation: Conversation) -> None:
    conversation.last_message_at = clock.now(session)
