"""One customer message being handled: who, what they said, and the dialogue state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from bot.dialogue.stack import SHARED
from bot.nlu import CatalogIndex, Entity, ParseResult
from bot.replies import Reply
from conversations.models import Conversation
from conversations.texts import money, say
from infra.settings import Settings
from orders.events import Actor
from orders.models import Customer
from services.scope import Scope


@dataclass
class Turn:
    session: Session
    conversation: Conversation
    text: str
    parsed: ParseResult
    catalog: CatalogIndex
    settings: Settings
    verified: bool
    message_id: int | None
    # A working copy of conversation.state; the engine writes it back once at the end.
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def intent(self) -> str:
        return self.parsed.intent

    @property
    def customer(self) -> Customer:
        return self.conversation.customer

    @property
    def customer_id(self) -> int:
        """The customer's id, without loading the customer (one statement fewer a turn)."""
        return self.conversation.customer_id

    @property
    def actor(self) -> Actor:
        return Actor("bot", "", self.conversation.channel, self.message_id)

    @property
    def scope(self) -> Scope:
        """A customer acts on their own orders and returns only."""
        return Scope.customer(self.customer_id)

    def entities(self, kind: str) -> list[Entity]:
        return [e for e in self.parsed.entities if e.type == kind]

    def first(self, kind: str) -> Any | None:
        found = self.entities(kind)
        return found[0].value if found else None

    def money(self, amount: Any) -> str:
        return money(amount, self.settings.currency)

    def say(self, key: str, **values: object) -> str:
        """The text at `key`, its examples naming this shop's products ({example})."""
        return say(key, example=self.catalog.example, **values)

    def reply(self, key: str, choices: list[str] | None = None, **values: object) -> list[Reply]:
        return [Reply(self.say(key, **values), choices or [])]

    def goto(self, step: str | None, **slots: Any) -> None:
        """Move to `step` ("idle" when None) keeping the cart, the stack and the memory
        all tasks share; `slots` replace the task's own."""
        keep = {k: self.state[k] for k in SHARED if k in self.state}
        self.state = {**keep, "step": step or "idle", **slots}
