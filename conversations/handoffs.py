"""The handoff queue: the bot (or a rule) escalates, a CSR claims, then hands back or resolves.

State changes that two people can race on (claim, close) are single conditional
UPDATEs (`... WHERE status = 'waiting'`), so exactly one of them wins on SQLite
and on PostgreSQL without locks held across requests.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from conversations import identities, outbox, tags
from conversations.handoff_errors import (
    AlreadyClaimed,
    CustomerUnreachable,
    HandoffClosed,
    HandoffNotFound,
    NotYourHandoff,
)
from conversations.models import Conversation, Message
from conversations.staff_models import CsrUser, Handoff, HandoffNote
from conversations.texts import say
from infra import clock
from infra.settings import Settings
from orders.errors import IllegalTransition, ValidationFailed
from orders.models import Order
from orders.status import OPEN

OPEN_STATUSES = ("waiting", "assigned")
STATUSES = ("waiting", "assigned", "closed")
REASONS = ("human_agent", "complaint", "bot_failed", "policy")
REASON_PRIORITY = {"complaint": 20, "policy": 15, "bot_failed": 10, "human_agent": 10}
AGENT_ROLES = ("csr", "admin")
# The console touches last_seen_at while open; someone unseen this long is offline.
ONLINE_WINDOW = timedelta(minutes=2)
MAX_REPLY_LENGTH = 4000
MAX_NOTE_LENGTH = 4000
MAX_RELATED_ORDERS = 5


def found(handoff: Handoff | None, handoff_id: int) -> Handoff:
    if handoff is None:
        raise HandoffNotFound(f"There is no handoff {handoff_id}.")
    return handoff


def get_handoff(session: Session, handoff_id: int) -> Handoff:
    return found(session.get(Handoff, handoff_id), handoff_id)


def open_handoff(session: Session, conversation: Conversation) -> Handoff | None:
    return session.scalar(
        select(Handoff).where(
            Handoff.conversation_id == conversation.id, Handoff.status.in_(OPEN_STATUSES)
        )
    )


def bot_may_answer(session: Session, conversation: Conversation) -> bool:
    """False while a handoff is open: the intake must not call the bot then.

    Checks the handoff table, not only `conversation.mode`, so a stale Conversation
    object in the intake cannot make the bot talk over a CSR.
    """
    return conversation.mode != "handoff" and open_handoff(session, conversation) is None


def _related_orders(session: Session, conversation: Conversation) -> list[int]:
    """The order the bot was working on (its state's "order"), the customer's open
    orders, or their latest order when none is open."""
    recent = select(Order.number).where(Order.customer_id == conversation.customer_id)
    numbers = list(
        session.scalars(
            recent.where(Order.status.in_(list(OPEN)))
            .order_by(Order.placed_at.desc())
            .limit(MAX_RELATED_ORDERS)
        )
    )
    if not numbers:
        numbers = list(session.scalars(recent.order_by(Order.placed_at.desc()).limit(1)))
    current = (conversation.state or {}).get("order")
    if isinstance(current, int) and current in session.scalars(recent).all():
        numbers = [current, *(n for n in numbers if n != current)]
    return [n for n in numbers if n is not None][:MAX_RELATED_ORDERS]


def escalate(
    session: Session,
    conversation: Conversation,
    reason: str,
    summary: str = "",
    *,
    priority: int | None = None,
) -> Handoff:
    """Hand the conversation to people; from now on the bot stays silent in it.

    Escalating a conversation that is already waiting or assigned returns that handoff.
    A CSR who is online and opted in to auto-assignment may get it at once.
    """
    existing = open_handoff(session, conversation)
    if existing is not None:
        return existing
    if reason not in REASONS:
        raise ValidationFailed(f"Unknown handoff reason {reason!r}.")
    handoff = Handoff(
        created_at=clock.now(session),
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        reason=reason,
        priority=REASON_PRIORITY[reason] if priority is None else priority,
        summary=summary,
        related_orders=_related_orders(session, conversation),
        status="waiting",
    )
    conversation.mode = "handoff"
    session.add(handoff)
    session.flush()
    auto_assign(session, handoff)
    return handoff


def online_csrs(session: Session, now: datetime | None = None) -> list[CsrUser]:
    since = (now or clock.now(session)) - ONLINE_WINDOW
    return list(
        session.scalars(
            select(CsrUser)
            .where(
                CsrUser.active.is_(True),
                CsrUser.role.in_(AGENT_ROLES),
                CsrUser.last_seen_at >= since,
            )
            .order_by(CsrUser.id)
        )
    )


def colleagues(session: Session, user: CsrUser) -> list[CsrUser]:
    """The other active CSRs and admins, to hand a conversation to."""
    return list(
        session.scalars(
            select(CsrUser)
            .where(CsrUser.active.is_(True), CsrUser.role.in_(AGENT_ROLES), CsrUser.id != user.id)
            .order_by(CsrUser.name, CsrUser.email)
        )
    )


def _ahead_of(handoff: Handoff):  # type: ignore[no-untyped-def]
    """SQL condition: waiting handoffs served before this one (priority, then age)."""
    return or_(
        Handoff.priority > handoff.priority,
        (Handoff.priority == handoff.priority) & (Handoff.created_at < handoff.created_at),
        (Handoff.priority == handoff.priority)
        & (Handoff.created_at == handoff.created_at)
        & (Handoff.id < handoff.id),
    )


def place_in_line(session: Session, handoff: Handoff) -> int:
    """1 for the next to be served; 0 once a CSR has it."""
    if handoff.status != "waiting":
        return 0
    ahead = session.scalar(
        select(func.count())
        .select_from(Handoff)
        .where(Handoff.status == "waiting", Handoff.id != handoff.id, _ahead_of(handoff))
    )
    return (ahead or 0) + 1


def customer_notice(session: Session, handoff: Handoff) -> str:
    """What the customer is told on escalation: who has it, their place, or after hours."""
    if handoff.status == "assigned" and handoff.assigned_to is not None:
        first_name = handoff.assigned_to.name.split(" ")[0] if handoff.assigned_to.name else ""
        return say("handoff_notice.assigned", agent=first_name or "Someone")
    place = place_in_line(session, handoff)
    if online_csrs(session):
        return say("handoff_notice.in_line", place=place)
    return say("handoff_notice.after_hours", place=place)


class HandoffStore(Protocol):
    """Where the queue's changes are kept: the database (`SqlHandoffs`), or a test's
    in-memory stand-in. The rules below decide; the store only reads and writes."""

    def get(self, handoff_id: int) -> Handoff | None: ...

    def user(self, *, email: str = "", user_id: int | None = None) -> CsrUser | None: ...

    def move(self, handoff: Handoff, expected: Collection[str], **values: object) -> bool:
        """Set `values` if the handoff's status is still one of `expected`; whether it was.
        Of two people racing, exactly one gets True; `handoff` then shows who won."""
        ...

    def send(self, handoff: Handoff, text: str, author_id: str) -> Message: ...

    def reachable(self, handoff: Handoff) -> bool:
        """False once the customer opted out or cannot be reached on this channel."""
        ...

    def now(self) -> datetime:
        """The time by the process's clock (`infra.clock`)."""
        ...


@dataclass(frozen=True)
class SqlHandoffs:
    """The queue in the database: each move one conditional UPDATE, so exactly one of two
    racing claims or closes wins on SQLite and on PostgreSQL without locks held."""

    session: Session

    def get(self, handoff_id: int) -> Handoff | None:
        return self.session.get(Handoff, handoff_id)

    def user(self, *, email: str = "", user_id: int | None = None) -> CsrUser | None:
        if user_id is not None:
            return self.session.get(CsrUser, user_id)
        return self.session.scalar(select(CsrUser).where(CsrUser.email == email.strip().lower()))

    def move(self, handoff: Handoff, expected: Collection[str], **values: object) -> bool:
        result = self.session.execute(
            update(Handoff)
            .where(Handoff.id == handoff.id, Handoff.status.in_(list(expected)))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        self.session.refresh(handoff)
        return result.rowcount == 1

    def send(self, handoff: Handoff, text: str, author_id: str) -> Message:
        return outbox.enqueue(
            self.session, handoff.conversation, text, author="csr", author_id=author_id
        )

    def reachable(self, handoff: Handoff) -> bool:
        conversation = handoff.conversation
        return identities.reachable(self.session, conversation.channel, conversation.address)

    def now(self) -> datetime:
        return clock.now(self.session)


def _take(store: HandoffStore, handoff: Handoff, user: CsrUser, now: datetime) -> bool:
    return store.move(
        handoff, ("waiting",), status="assigned", assigned_to_id=user.id, assigned_at=now
    )


def _holder(handoff: Handoff, nobody: str) -> str:
    return handoff.assigned_to.display_name if handoff.assigned_to else nobody


def claim(store: HandoffStore, handoff: Handoff, user: CsrUser) -> Handoff:
    """Take a waiting handoff. Of two CSRs claiming at once exactly one gets it."""
    if user.role not in AGENT_ROLES or not user.active:
        raise NotYourHandoff("Only CSRs and admins take conversations.")
    if not _take(store, handoff, user, store.now()):
        if handoff.status == "closed":
            raise HandoffClosed("This conversation was closed already.")
        raise AlreadyClaimed(f"{_holder(handoff, 'someone else')} took this conversation already.")
    user.last_assigned_at = handoff.assigned_at
    return handoff


def auto_assign(session: Session, handoff: Handoff, now: datetime | None = None) -> CsrUser | None:
    """Round-robin: the online, opted-in CSR with the fewest open chats, longest unassigned."""
    now = now or clock.now(session)
    candidates = [user for user in online_csrs(session, now) if user.auto_assign]
    if not candidates or handoff.status != "waiting":
        return None
    load = dict(
        session.execute(
            select(Handoff.assigned_to_id, func.count())
            .where(Handoff.status == "assigned")
            .group_by(Handoff.assigned_to_id)
        ).all()
    )
    never = datetime.min.replace(tzinfo=now.tzinfo)
    candidates.sort(key=lambda u: (load.get(u.id, 0), u.last_assigned_at or never, u.id))
    chosen = candidates[0]
    if not _take(SqlHandoffs(session), handoff, chosen, now):
        return None
    chosen.last_assigned_at = now
    return chosen


def assign_waiting(session: Session) -> int:
    """Offer every waiting handoff, in queue order, to online opted-in CSRs; how many went."""
    waiting = list_handoffs(session, status="waiting")
    return sum(1 for handoff in waiting if auto_assign(session, handoff) is not None)


def check_may_act(handoff: Handoff, user: CsrUser | None) -> None:
    """Only the owner acts on an assigned handoff; admins and API tokens (user None) always."""
    if handoff.status == "closed":
        raise HandoffClosed("This conversation was closed already.")
    if user is None or user.is_admin:
        return
    if user.role not in AGENT_ROLES:
        raise NotYourHandoff("Only CSRs and admins act on conversations.")
    if handoff.status == "assigned" and handoff.assigned_to_id != user.id:
        raise NotYourHandoff(f"{_holder(handoff, 'another CSR')} has this conversation.")


def transfer(store: HandoffStore, handoff: Handoff, to: CsrUser, user: CsrUser | None) -> Handoff:
    """Give an open handoff to a colleague: a waiting one by anyone who may work the queue,
    an assigned one by its owner or an admin (or an API token, user None)."""
    if to.role not in AGENT_ROLES or not to.active:
        raise NotYourHandoff(f"{to.display_name} does not take conversations.")
    if handoff.status == "waiting":
        if user is not None and user.role not in AGENT_ROLES:
            raise NotYourHandoff("Only CSRs and admins hand out conversations.")
        return claim(store, handoff, to)
    check_may_act(handoff, user)
    if not store.move(handoff, ("assigned",), assigned_to_id=to.id, assigned_at=store.now()):
        raise HandoffClosed("This conversation was closed already.")
    to.last_assigned_at = handoff.assigned_at
    return handoff


def release(store: HandoffStore, handoff: Handoff, user: CsrUser | None) -> Handoff:
    """Put an assigned handoff back in the queue; the bot stays silent."""
    check_may_act(handoff, user)
    if handoff.status != "assigned":
        raise IllegalTransition("Nobody has claimed this conversation.")
    if not store.move(
        handoff, ("assigned",), status="waiting", assigned_to_id=None, assigned_at=None
    ):
        raise HandoffClosed("This conversation was closed already.")
    return handoff


def _close(store: HandoffStore, handoff: Handoff, user: CsrUser | None, resolution: str) -> None:
    check_may_act(handoff, user)
    closed = store.move(
        handoff, OPEN_STATUSES, status="closed", closed_at=store.now(), resolution=resolution
    )
    if not closed:
        raise HandoffClosed("This conversation was closed already.")
    handoff.conversation.mode = "bot"


def hand_back(store: HandoffStore, handoff: Handoff, user: CsrUser | None) -> Handoff:
    """Close the handoff; the bot answers again, resuming from its stored state."""
    _close(store, handoff, user, "handed_back")
    return handoff


def resolve(store: HandoffStore, handoff: Handoff, user: CsrUser | None) -> Handoff:
    """Close the handoff and reset the bot, so the customer's next message starts afresh."""
    _close(store, handoff, user, "resolved")
    handoff.conversation.state = {}
    return handoff


def reply(
    store: HandoffStore, handoff: Handoff, user: CsrUser | None, text: str, *, author_id: str = ""
) -> Message:
    """Send text to the customer on their channel through the outbox.

    A CSR replying to a waiting handoff claims it first (and is refused if someone
    else just did); an API token (user None) sends as `author_id`.
    """
    text = text.strip()
    if not text:
        raise ValidationFailed("Type a reply first.")
    if len(text) > MAX_REPLY_LENGTH:
        raise ValidationFailed(f"A reply can be at most {MAX_REPLY_LENGTH} characters.")
    if user is not None and handoff.status == "waiting":
        claim(store, handoff, user)
    check_may_act(handoff, user)
    if not store.reachable(handoff):
        raise CustomerUnreachable(
            "This customer cannot be reached here: they opted out or blocked us, or the"
            " address bounces. Nothing was sent."
        )
    return store.send(handoff, text, user.email if user is not None else author_id)


def add_note(session: Session, handoff: Handoff, user: CsrUser, text: str) -> HandoffNote:
    text = text.strip()
    if not text:
        raise ValidationFailed("A note needs some text.")
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationFailed(f"A note can be at most {MAX_NOTE_LENGTH} characters.")
    note = HandoffNote(
        customer_id=handoff.customer_id, handoff_id=handoff.id, author_id=user.id, text=text
    )
    session.add(note)
    session.flush()
    return note


def list_handoffs(
    session: Session,
    *,
    status: str | Sequence[str] | None = None,
    reason: str | None = None,
    channel: str | None = None,
    assigned_to_id: int | None = None,
    tag: str | None = None,
    limit: int = 200,
) -> list[Handoff]:
    """Open handoffs in serving order (priority, then age); closed ones newest first."""
    statuses = [status] if isinstance(status, str) else list(status or STATUSES)
    query = select(Handoff).where(Handoff.status.in_(statuses)).options(selectinload(Handoff.tags))
    if tag:
        query = query.where(Handoff.conversation_id.in_(tags.tagged(tag)))
    if reason:
        query = query.where(Handoff.reason == reason)
    if channel:
        query = query.join(Conversation).where(Conversation.channel == channel)
    if assigned_to_id is not None:
        query = query.where(Handoff.assigned_to_id == assigned_to_id)
    if statuses == ["closed"]:
        query = query.order_by(Handoff.closed_at.desc(), Handoff.id.desc())
    else:
        query = query.order_by(
            (Handoff.status == "closed"),
            Handoff.priority.desc(),
            Handoff.created_at,
            Handoff.id,
        )
    return list(session.scalars(query.limit(limit)))


def waited(handoff: Handoff, now: datetime) -> timedelta:
    """How long the customer waited for a person (so far, if nobody has it yet)."""
    end = handoff.assigned_at or handoff.closed_at or now
    return end - handoff.created_at


def is_overdue(handoff: Handoff, settings: Settings, now: datetime) -> bool:
    return handoff.status == "waiting" and waited(handoff, now) >= timedelta(
        minutes=settings.handoff_wait_alert_minutes
    )
