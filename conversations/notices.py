"""Proactive messages: an order event becomes a notice in the customer's latest conversation.

Runs as an orders.events listener, inside the transaction of the order change, so the
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
_wiring: list[tuple[Settings, NoticeText]] = []


def configure(settings: Settings, compose: NoticeText) -> None:
    """The settings notices are written with and what words them (the bot's texts)."""
    _wiring[:] = [(settings, compose)]


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
    if event.actor_kind in IN_CONVERSATION or not _wiring:
        return
    settings, compose = _wiring[0]
    text = compose(event, settings)
    if not text:
        return
    conversation = notice_target(session, event.order.customer_id)
    if conversation is not None:
        enqueue(session, conversation, text, author="system", payload={"order_event_id": event.id})
