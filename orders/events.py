"""Who did what: the actor of every change, the order event log, and its handlers.

Handlers run inside the same transaction as the change (the notices handler queues
"your order shipped" messages in the outbox), so either both are saved or neither is.
The domain only knows that someone listens, not who: `bootstrap()` wires the handlers
into the database, and every session of it carries them (`HANDLERS`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from infra import clock
from infra.db import wired
from orders.models import Order, OrderEvent


@dataclass(frozen=True)
class Actor:
    kind: str  # customer | bot | csr | system
    id: str = ""
    channel: str = ""
    message_id: int | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls("system", name)

    @classmethod
    def csr(cls, user: str, channel: str = "console") -> Actor:
        return cls("csr", user, channel)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else self.kind


EventHandler = Callable[[Session, OrderEvent], None]
HANDLERS = "order_event_handlers"  # the database wiring's key: a sequence of EventHandler


def record(session: Session, order: Order, type_: str, actor: Actor, **details: Any) -> OrderEvent:
    order.updated_at = clock.now(session)
    event = OrderEvent(
        order=order,
        type=type_,
        actor_kind=actor.kind,
        actor_id=actor.id,
        channel=actor.channel,
        message_id=actor.message_id,
        details=details,
    )
    session.add(event)
    session.flush()
    handlers: Sequence[EventHandler] = wired(session, HANDLERS)
    for handle in handlers:
        handle(session, event)
    return event
