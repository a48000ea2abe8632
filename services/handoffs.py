"""The handoff queue's use cases: claim, reply, release, hand back, resolve, reassign.

The console and the JSON API call these, so the same request gets the same answer
from both: the refusal's code and words come from one place. Who acts is the actor: a
console user (`Actor.csr(email)`) acts as themselves, with their role's rights; an API
token (`Actor("system", "api:NAME", "api")`) acts for the whole shop, like an admin,
unless it names the CSR it acts for. The queue is the whole shop's: a store's scope is
refused before anything is read or written.

The rules (who may take, act on, or pass on a conversation) are in
`conversations.handoffs`; the unit of work's `handoffs` store keeps the changes, in the
database or, in unit tests, in memory (docs/architecture.md, "Tests").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from sqlalchemy.orm import Session

from conversations import handoffs as queue
from conversations.handoff_errors import CsrNotFound
from conversations.models import Message
from conversations.staff_models import CsrUser, Handoff
from orders.errors import ValidationFailed
from orders.events import Actor
from services.scope import Scope

QUEUE = "work the queue"


class QueueWork(Protocol):
    """What a handoff use case needs of its unit of work (services.uow.UnitOfWork)."""

    @property
    def handoffs(self) -> queue.HandoffStore: ...

    def atomic(self) -> AbstractContextManager[object]: ...


def find_handoff(session: Session, scope: Scope, handoff_id: int) -> Handoff:
    scope.check_whole_shop(QUEUE)
    return queue.get_handoff(session, handoff_id)


def list_handoffs(
    session: Session,
    scope: Scope,
    *,
    status: str | Sequence[str] | None = None,
    reason: str | None = None,
    channel: str | None = None,
    assigned_to_id: int | None = None,
    tag: str | None = None,
) -> list[Handoff]:
    """The queue in serving order (conversations.handoffs.list_handoffs)."""
    scope.check_whole_shop(QUEUE)
    return queue.list_handoffs(
        session,
        status=status,
        reason=reason,
        channel=channel,
        assigned_to_id=assigned_to_id,
        tag=tag,
    )


@contextmanager
def _opened(
    uow: QueueWork, scope: Scope, handoff_id: int
) -> Iterator[tuple[queue.HandoffStore, Handoff]]:
    """The handoff, in the service's part of the unit of work; a store is refused first."""
    scope.check_whole_shop(QUEUE)
    with uow.atomic():
        store = uow.handoffs
        yield store, queue.found(store.get(handoff_id), handoff_id)


def _user(store: queue.HandoffStore, email: str) -> CsrUser:
    user = store.user(email=email)
    if user is None or not user.active:
        raise CsrNotFound(f"There is no active console user {email!r}.")
    return user


def _acting(store: queue.HandoffStore, actor: Actor) -> CsrUser | None:
    """The console user who acts; None for an API token acting for the whole shop."""
    return _user(store, actor.id) if actor.kind == "csr" else None


Change = Callable[[queue.HandoffStore, Handoff, CsrUser | None], Handoff]


def _act(uow: QueueWork, actor: Actor, scope: Scope, handoff_id: int, change: Change) -> Handoff:
    with _opened(uow, scope, handoff_id) as (store, handoff):
        return change(store, handoff, _acting(store, actor))


def claim(
    uow: QueueWork, actor: Actor, scope: Scope, handoff_id: int, *, csr: str | None = None
) -> Handoff:
    """`csr` takes it (an API token names them); by default the acting console user."""
    with _opened(uow, scope, handoff_id) as (store, handoff):
        taker = _user(store, csr) if csr is not None else _acting(store, actor)
        if taker is None:
            raise ValidationFailed("Name the CSR who takes it.")
        return queue.claim(store, handoff, taker)


def release(uow: QueueWork, actor: Actor, scope: Scope, handoff_id: int) -> Handoff:
    """Back in the queue for someone else; the bot stays silent."""
    return _act(uow, actor, scope, handoff_id, queue.release)


def hand_back(uow: QueueWork, actor: Actor, scope: Scope, handoff_id: int) -> Handoff:
    """Back to the bot, which resumes where it left off."""
    return _act(uow, actor, scope, handoff_id, queue.hand_back)


def resolve(uow: QueueWork, actor: Actor, scope: Scope, handoff_id: int) -> Handoff:
    """Closed; the customer's next message starts afresh with the bot."""
    return _act(uow, actor, scope, handoff_id, queue.resolve)


def reassign(
    uow: QueueWork, actor: Actor, scope: Scope, handoff_id: int, to_user_id: int | None
) -> Handoff:
    """To a colleague: a waiting one by anyone on the queue, an assigned one by its owner
    or an admin."""
    with _opened(uow, scope, handoff_id) as (store, handoff):
        colleague = store.user(user_id=to_user_id) if to_user_id else None
        if colleague is None:
            raise ValidationFailed("Choose a colleague.")
        return queue.transfer(store, handoff, colleague, _acting(store, actor))


def reply(uow: QueueWork, actor: Actor, scope: Scope, handoff_id: int, text: str) -> Message:
    """To the customer on their channel (through the outbox, sent after the commit); a CSR
    replying to a waiting handoff takes it first."""
    with _opened(uow, scope, handoff_id) as (store, handoff):
        return queue.reply(store, handoff, _acting(store, actor), text, author_id=actor.id)
