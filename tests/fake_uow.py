"""An in-memory unit of work for the handoff services' unit tests, as cosmicpython does.

`FakeHandoffs` keeps what `conversations.handoffs.SqlHandoffs` keeps in the database, in
dicts: it finds, moves (set values if the status is still one of those expected: the
compare-and-set a conditional UPDATE does) and sends (records the message). It decides
nothing: who may take, act on or pass on a conversation, and the words of each refusal,
are `conversations.handoffs`' and `services.handoffs`', which the tests run unchanged.
The objects are the real mapped classes, never added to a session.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from conversations.models import Conversation, Message
from conversations.staff_models import CsrUser, Handoff
from infra.clock import Clock, ManualClock


class FakeHandoffs:
    def __init__(
        self, handoffs: Iterable[Handoff], users: Iterable[CsrUser], clock: Clock | None = None
    ) -> None:
        self.clock = clock or ManualClock()
        self.handoffs = {handoff.id: handoff for handoff in handoffs}
        self.users = {user.id: user for user in users}
        self.sent: list[Message] = []
        self.unreachable: set[int] = set()  # ids of conversations a send would not reach
        self.reads = 0  # how often the store was asked for anything

    def get(self, handoff_id: int) -> Handoff | None:
        self.reads += 1
        return self.handoffs.get(handoff_id)

    def user(self, *, email: str = "", user_id: int | None = None) -> CsrUser | None:
        self.reads += 1
        if user_id is not None:
            return self.users.get(user_id)
        wanted = email.strip().lower()
        return next((user for user in self.users.values() if user.email == wanted), None)

    def move(self, handoff: Handoff, expected: Collection[str], **values: object) -> bool:
        if handoff.status not in expected:
            return False
        for name, value in values.items():
            setattr(handoff, name, value)
        if "assigned_to_id" in values:  # what reading the row back gives the relationship
            handoff.assigned_to = self.users.get(handoff.assigned_to_id or 0)
        return True

    def send(self, handoff: Handoff, text: str, author_id: str) -> Message:
        message = Message(
            conversation_id=handoff.conversation_id, author="csr", author_id=author_id, text=text
        )
        self.sent.append(message)
        return message

    def reachable(self, handoff: Handoff) -> bool:
        return handoff.conversation_id not in self.unreachable

    def now(self) -> datetime:
        return self.clock.now()


class FakeUnitOfWork:
    """`atomic()` counts what the real savepoint would have committed or undone."""

    def __init__(self, handoffs: FakeHandoffs) -> None:
        self.handoffs = handoffs
        self.done = 0
        self.undone = 0

    @contextmanager
    def atomic(self) -> Iterator[None]:
        try:
            yield
        except Exception:
            self.undone += 1
            raise
        self.done += 1


def staff(user_id: int, name: str, role: str = "csr", *, active: bool = True) -> CsrUser:
    return CsrUser(
        id=user_id, email=f"{name}@example.com", name=name, role=role, active=active, locations=[]
    )


def waiting(handoff_id: int, *, state: dict[str, object] | None = None) -> Handoff:
    conversation = Conversation(
        id=handoff_id, customer_id=1, channel="sms", address="+15555550150", mode="handoff"
    )
    conversation.state = state or {}
    return Handoff(
        id=handoff_id,
        conversation_id=conversation.id,
        conversation=conversation,
        customer_id=1,
        status="waiting",
        reason="human_agent",
    )
