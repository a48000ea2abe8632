"""Conversation tests as scripts: `chat.says(...).reply_has(...)`, then the order state.

Every line runs in its own transaction with a fresh Session, as the channels do, so the
dialogue state a test relies on has really been through the database.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import name_the_shop
from bot.engine import respond
from bot.replies import Reply
from conversations.models import Conversation
from conversations.staff_models import Handoff
from infra.db import Database
from infra.settings import Settings, load_settings
from orders import customers
from orders.demo import seed
from orders.models import Customer, Order, Return

SMS_LIMIT = 320


class Chat:
    def __init__(
        self, database: Database, settings: Settings, conversation_id: int, *, verified: bool = True
    ) -> None:
        self.database = database
        self.settings = settings
        self.conversation_id = conversation_id
        self.verified = verified
        self.replies: list[Reply] = []
        self._message_ids = iter(range(1, 10_000))

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    def says(self, text: str) -> Chat:
        with self.database.transaction() as session:
            conversation = session.get(Conversation, self.conversation_id)
            assert conversation is not None
            self.replies = respond(
                session,
                conversation,
                text,
                message_id=next(self._message_ids),
                verified=self.verified,
                settings=self.settings,
            )
        assert self.replies, f"no reply to {text!r}"
        for reply in self.replies:
            assert len(reply.text) <= SMS_LIMIT, f"{len(reply.text)} chars: {reply.text}"
            assert "**" not in reply.text and "`" not in reply.text
        return self

    def reply_has(self, *facts: str) -> Chat:
        for fact in facts:
            assert fact.lower() in self.text.lower(), f"{fact!r} not in reply:\n{self.text}"
        return self

    def reply_lacks(self, *facts: str) -> Chat:
        for fact in facts:
            assert fact.lower() not in self.text.lower(), f"{fact!r} in reply:\n{self.text}"
        return self

    def code(self) -> str:
        """The one-time code the last reply sent."""
        match = re.search(r"\b(\d{6})\b", self.text)
        assert match, f"no code in {self.text!r}"
        return match.group(1)

    # --- what the database says afterwards ------------------------------------------

    def session(self) -> Session:
        return self.database.sessions()

    def orders(self) -> list[Order]:
        with self.session() as session:
            conversation = session.get(Conversation, self.conversation_id)
            rows = session.scalars(
                select(Order)
                .where(Order.customer_id == conversation.customer_id)
                .order_by(Order.id)
            ).all()
            for order in rows:
                _ = order.lines, order.location, order.payments
            return list(rows)

    def order(self, number: int) -> Order:
        return next(o for o in self.orders() if o.number == number)

    def latest_order(self) -> Order:
        return self.orders()[-1]

    def returns(self) -> list[Return]:
        with self.session() as session:
            conversation = session.get(Conversation, self.conversation_id)
            rows = session.scalars(
                select(Return).join(Order).where(Order.customer_id == conversation.customer_id)
            ).all()
            for ret in rows:
                _ = ret.lines, ret.location
            return list(rows)

    def conversation(self) -> Conversation:
        with self.session() as session:
            return session.get(Conversation, self.conversation_id)

    def handoffs(self) -> list[Handoff]:
        with self.session() as session:
            return list(
                session.scalars(
                    select(Handoff).where(Handoff.conversation_id == self.conversation_id)
                )
            )


def open_chat(
    database: Database,
    customer_name: str | None = None,
    *,
    channel: str = "sms",
    verified: bool = True,
    **overrides: object,
) -> Chat:
    """A conversation in the demo store (seeded on first use) for a demo customer by name,
    or a new customer; `overrides` change settings (e.g. return_window_days=5)."""
    settings = load_settings(database_url=database.url, secret_key="test-secret", **overrides)
    with database.transaction() as session:
        seed(session)
    settings = name_the_shop(settings, database)
    with database.transaction() as session:
        if customer_name:
            customer = session.scalar(select(Customer).where(Customer.name == customer_name))
        else:
            customer = customers.create_customer(session, "New Person", "")
        conversation = Conversation(
            customer_id=customer.id,
            channel=channel,
            address=f"{channel}-{customer.id}",
            mode="bot",
            state={},
        )
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    return Chat(database, settings, conversation_id, verified=verified)
