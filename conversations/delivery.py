"""The delivery worker: send outbox rows with retries, backoff, dead letters and leases.

A row is claimed by setting status "sending" and a lease (`locked_until`); a worker
that dies mid-send leaves the lease to expire and any worker takes the row over.
On PostgreSQL claims use FOR UPDATE SKIP LOCKED, so many workers share the queue;
on SQLite the IMMEDIATE transaction serialises claims. Rows of one conversation go
out in order: a row waits while an earlier one of its conversation is unfinished.
Each row goes out through its channel's sender, which the channel adapters register
and `bootstrap()` hands to the worker (`Senders`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from conversations import destinations, identities
from conversations.models import OutboxMessage
from infra import clock
from infra.db import Database
from infra.retry_backoff import backoff_seconds
from infra.row_locks import claimable
from infra.settings import Settings
from infra.wakeup import wakeups
from orders.errors import NotFound, ValidationFailed

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
UNFINISHED = ("pending", "sending")
OUTCOME_RETRY_SECONDS = 0.5

Sender = Callable[[OutboxMessage, Settings], "str | None"]
Finder = Callable[[OutboxMessage, Settings], list[str]]


@dataclass(frozen=True)
class Senders:
    """How each channel sends: `send[channel](row, settings)` -> the provider's message id.
    `find_sent[channel](row, settings)`, for channels whose provider can say what it has
    sent: the ids of messages it took that may be this row's, oldest first (see
    `_sent_before`)."""

    send: Mapping[str, Sender]
    find_sent: Mapping[str, Finder] = field(default_factory=dict)


class DeliveryError(Exception):
    """A failed send. Transient ones are retried; permanent ones become dead letters.

    Transient means known not to have reached the customer: the provider was never
    reached, or it answered that it took nothing (429, 5xx), or the channel can ask
    the provider on a retry whether it did (`Senders.find_sent`). A failure that may have been
    sent (a connection cut mid-send, a timeout waiting for the answer) is permanent:
    a second send is worse than a dead letter a CSR can look at and retry.

    `mark` names an identity flag to set ("opted_out", "unreachable") when the
    provider says the customer cannot be reached there any more. `hold` keeps the row,
    unsent and not retried, until its channel releases it (WhatsApp outside the
    customer's 24-hour window, released when they write again).
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        mark: str | None = None,
        hold: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.mark = mark
        self.hold = hold


def keep_in_conversation(row: OutboxMessage, settings: Settings) -> None:
    """Web chat and the terminal read replies from the conversation: nothing to send."""
    return None


def claim(session: Session, limit: int, lease: timedelta = LEASE) -> list[OutboxMessage]:
    now = clock.now(session)
    earlier = aliased(OutboxMessage)
    blocked = exists().where(
        earlier.conversation_id == OutboxMessage.conversation_id,
        earlier.id < OutboxMessage.id,
        earlier.status.in_(UNFINISHED),
    )
    due = or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.locked_until < now),
    )
    query = select(OutboxMessage).where(due, ~blocked).order_by(OutboxMessage.id).limit(limit)
    rows = list(session.scalars(claimable(session, query, OutboxMessage)))
    for row in rows:
        row.status = "sending"
        row.locked_until = now + lease
        row.attempts += 1
    session.flush()
    return rows


def run_once(database: Database, settings: Settings, senders: Senders, limit: int = 20) -> int:
    """Claim and send one batch; returns how many rows were tried."""
    with database.transaction() as session:
        rows = claim(session, limit, timedelta(seconds=settings.outbox_lease_seconds))
    for row in rows:
        _deliver(database, settings, senders, row)
    return len(rows)


def _deliver(database: Database, settings: Settings, senders: Senders, row: OutboxMessage) -> None:
    refused = _refusal(database, settings, row)
    if refused is not None:  # never sent, whoever queued it: a dead letter saying why
        _failed(database, settings, row, DeliveryError(refused, permanent=True))
        return
    try:
        provider_id = _sent_before(database, settings, senders, row)
        if provider_id is None:
            provider_id = senders.send[row.channel](row, settings)
    except DeliveryError as exc:
        _failed(database, settings, row, exc)
    except Exception as exc:  # not known to be unsent: a retry could send it twice
        log.exception("sending outbox row %s failed unexpectedly", row.id)
        unexpected = DeliveryError(f"{type(exc).__name__}: {exc}", permanent=True)
        _failed(database, settings, row, unexpected)
    else:
        _outcome(database, row, lambda session: _sent(session, row, provider_id))


def _refusal(database: Database, settings: Settings, row: OutboxMessage) -> str | None:
    """Why this row must not go out (STOP, a country or a number not to text), if so."""
    if row.channel not in destinations.GATED_CHANNELS:
        return None
    with database.reading() as session:
        return destinations.refusal(session, settings, row.channel, row.to_address)


def _sent_before(
    database: Database, settings: Settings, senders: Senders, row: OutboxMessage
) -> str | None:
    """On a retry, the provider's id of an earlier attempt that went through after all.

    An attempt can reach the provider and still look failed here: its answer came
    after our timeout, the worker died before recording it, or the record was lost
    with the database server. Where the provider can be asked, a retry first looks
    for a message it took with this row's text for this address, one that no other
    row has recorded as its own, and counts that as the send.
    """
    find_sent = senders.find_sent.get(row.channel)
    if row.attempts < 2 or find_sent is None:
        return None
    candidates = find_sent(row, settings)
    if not candidates:
        return None
    with database.reading() as session:
        recorded = set(
            session.scalars(
                select(OutboxMessage.provider_id).where(
                    OutboxMessage.provider_id.in_(candidates), OutboxMessage.id != row.id
                )
            )
        )
    found = next((sid for sid in candidates if sid not in recorded), None)
    if found is not None:
        log.info("outbox row %s was sent by an earlier attempt (%s)", row.id, found)
    return found


def _sent(session: Session, row: OutboxMessage, provider_id: str | None) -> None:
    """Mark it sent in one statement, unless our lease ran out and another worker has it."""
    session.execute(
        _MARK_SENT,
        {
            "row_id": row.id,
            "claimed_until": row.locked_until,
            "sent_time": clock.now(session),
            "sent_as": provider_id,
        },
    )


# Every delivered message runs it: built once, its cache key with it.
_MARK_SENT = (
    update(OutboxMessage)
    .where(
        OutboxMessage.id == bindparam("row_id"),
        OutboxMessage.status == "sending",
        OutboxMessage.locked_until == bindparam("claimed_until"),
    )
    .values(
        status="sent",
        sent_at=bindparam("sent_time"),
        provider_id=bindparam("sent_as"),
        locked_until=None,
        last_error="",
    )
)


def _outcome(database: Database, row: OutboxMessage, write: Callable[[Session], None]) -> None:
    """Record what became of a send, retrying while the database is unreachable.

    The provider has already taken (or refused) the message: if this write were
    lost, the lease would run out and the message would be sent a second time.
    Retried for at most half the lease, after which another worker may take it.
    Committed asynchronously: only a crash of the PostgreSQL server itself could lose
    it, with the same outcome as a worker killed right after sending (a second send).
    """
    deadline = time.monotonic() + (row.locked_until - clock.now(database)).total_seconds() / 2
    while True:
        try:
            with database.transaction(async_commit=True) as session:
                write(session)
            return
        except OperationalError:
            if time.monotonic() >= deadline:
                raise
            log.warning("recording outbox row %s failed; retrying", row.id)
            time.sleep(OUTCOME_RETRY_SECONDS)


def _ours(row: OutboxMessage) -> tuple[ColumnElement[bool], ...]:
    """The row as we claimed it: not if our lease ran out and another worker has taken it."""
    return (
        OutboxMessage.id == row.id,
        OutboxMessage.status == "sending",
        OutboxMessage.locked_until == row.locked_until,
    )


def _still_ours(session: Session, row: OutboxMessage) -> OutboxMessage | None:
    """The row, unless our lease ran out and another worker has taken it over."""
    return session.scalar(select(OutboxMessage).where(*_ours(row)).with_for_update())


def _failed(database: Database, settings: Settings, row: OutboxMessage, exc: DeliveryError) -> None:
    log.warning("outbox row %s (%s) not delivered: %s", row.id, row.channel, exc)
    _outcome(database, row, lambda session: _record_failure(session, settings, row, exc))


def _record_failure(
    session: Session, settings: Settings, row: OutboxMessage, exc: DeliveryError
) -> None:
    current = _still_ours(session, row)
    if current is None:
        return
    current.last_error = str(exc)[:2000]
    current.locked_until = None
    if exc.mark:
        identities.mark(session, current.channel, current.to_address, exc.mark)
    if exc.hold:
        current.status = "held"
        return
    if exc.permanent or current.attempts >= settings.outbox_max_attempts:
        current.status = "dead"
        return
    delay = (
        exc.retry_after
        if exc.retry_after is not None
        else backoff_seconds(current.attempts, settings.outbox_backoff_seconds)
    )
    current.status = "pending"
    current.next_attempt_at = clock.now(session) + timedelta(seconds=delay)


def retry_dead(session: Session, outbox_id: int) -> OutboxMessage:
    """Put a dead letter back in the queue (the CSR console's retry button)."""
    row = session.get(OutboxMessage, outbox_id)
    if row is None:
        raise NotFound(f"There is no outbox message {outbox_id}.")
    if row.status != "dead":
        raise ValidationFailed(f"Outbox message {outbox_id} is {row.status}, not dead.")
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = clock.now(session)
    row.locked_until = None
    session.flush()
    wakeups(session).outbox.wake()
    return row
