"""Proactive messages: an order event becomes a notice in the customer's latest conversation.

`bootstrap()` wires `on_order_event`, with the settings and the words (the bot's texts),
as an order-event handler: it runs inside the transaction of the order change, so the
change and its notice are saved together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations import identities
from conversations.models import Conversation
from conversations.outbox import enqueue
from infra.settings import Settings
from orders.models import OrderEvent

# The customer is already talking to us when they (or the bot for them) cause the
# event, and the bot's reply says what happened: a notice would say it twice.
IN_CONVERSATION = ("bot", "customer")

NoticeText = Callable[[OrderEvent, Settings], str | None]


def notice_target(session: Session, customer_id: int) -> Conversation | None:
    """The customer's most recent conversation on an address that still takes messages."""
    conversations = session.scalars(
        select(Conversation)
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    )
    for conversation in conversations:
        if identities.reachable(session, conversation.channel, conversation.address):
            return conversation
    return None


def on_order_event(
    session: Session, event: OrderEvent, settings: Settings, compose: NoticeText
) -> None:
    """Queue the notice `compose` words for `event`, if it has one and someone to go to."""
    if event.actor_kind in IN_CONVERSATION:
        return
    text = compose(event, settings)
    if not text:
        return
    conversation = notice_target(session, event.order.customer_id)
    if conversation is not None:
        enqueue(session, conversation, text, author="system", payload={"order_event_id": event.id})
