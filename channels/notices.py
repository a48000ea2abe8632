"""Proactive messages: an order event becomes a notice in the customer's latest conversation.

Runs as an orders.events listener, inside the transaction of the order change, so the
change and its notice are saved together or not at all.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels import identities
from channels.models import Conversation
from channels.outbox import enqueue
from orders.models import OrderEvent
from settings import Settings

# The customer is already talking to us when they (or the bot for them) cause the
# event, and the bot's reply says what happened: a notice would say it twice.
IN_CONVERSATION = ("bot", "customer")

_settings: list[Settings] = []


def configure(settings: Settings) -> None:
    """The settings notices are written with (the app's; the last app made wins)."""
    _settings[:] = [settings]


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


def on_order_event(session: Session, event: OrderEvent) -> None:
    if event.actor_kind in IN_CONVERSATION or not _settings:
        return
    from bot.notifications import notice_for  # bot imports channels; resolve at call time

    text = notice_for(event, _settings[0])
    if not text:
        return
    conversation = notice_target(session, event.order.customer_id)
    if conversation is not None:
        enqueue(session, conversation, text, author="system", payload={"order_event_id": event.id})
