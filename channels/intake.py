"""Intake: store each inbound message once, then let the bot answer it (or leave it to a CSR).

Two transactions on purpose. The first stores the message, so a provider's retry of
the same message (unique channel + provider_id) is recognised even while the first
delivery is still being answered, and a message is never lost once acknowledged.
The second routes it (bot, CSR, opt-out...), queues the replies in the outbox and
marks it handled. Webhooks do only the first (`accept`) and the workers' answering
threads the second (`answer_conversation`, see channels/answering.py); the terminal
chat, the web chat and the email reader do both in turn (`receive`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import JSON, Integer, Select, Table, TextClause, bindparam, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.replies import Reply
from bot.texts import say
from channels import (
    delivery,
    identities,
    inbound_failures,
    limits,
    linking,
    wakeup,
    whatsapp_window,
)
from channels.conversations import open_conversation, touch
from channels.inbound import AUTO_REPLY, MEDIA_ONLY, OPT_IN, OPT_OUT, InboundMessage
from channels.models import Conversation, Message, OutboxMessage
from channels.outbox import enqueue
from db import Database, UTCDateTime, utcnow
from orders.customers import create_customer, customer_for_identity, normalise_identity
from orders.errors import ValidationFailed
from orders.models import CustomerIdentity
from settings import Settings

log = logging.getLogger(__name__)


@dataclass
class IntakeResult:
    message_id: int
    duplicate: bool
    conversation_id: int | None = None


def receive(
    database: Database,
    settings: Settings,
    inbound: InboundMessage,
    *,
    inline_seconds: float | None = None,
    within: Callable[[Session], None] | None = None,
) -> IntakeResult:
    """Store and handle one inbound message.

    With `inline_seconds`, replies ready within that many seconds of the start are
    marked sent, for the caller shows them itself (the web page, the terminal); later
    ones (or all, without it) are left to the delivery worker. `within` runs in the
    storing transaction (the IMAP reader advances its checkpoint there).
    """
    started = time.monotonic()
    message_id, conversation_id, duplicate = store(database, inbound, within)
    if duplicate:
        return IntakeResult(message_id, True, conversation_id=conversation_id)
    in_time = (
        None if inline_seconds is None else lambda: time.monotonic() <= started + inline_seconds
    )
    handle(database, settings, message_id, inline=in_time)
    delivery.wake()
    return IntakeResult(message_id, False, conversation_id)


def accept(
    database: Database,
    inbound: InboundMessage,
    within: Callable[[Session], None] | None = None,
) -> IntakeResult:
    """Store a message for the answering workers and wake them: all a webhook waits for."""
    message_id, conversation_id, duplicate = store(database, inbound, within, wake=wakeup.INBOUND)
    if not duplicate:
        wakeup.INBOUND.wake()
    return IntakeResult(message_id, duplicate, conversation_id=conversation_id)


def store(
    database: Database,
    inbound: InboundMessage,
    within: Callable[[Session], None] | None = None,
    *,
    wake: wakeup.Signal | None = None,
) -> tuple[int, int, bool]:
    """Save the message; returns (message id, conversation id, was it a duplicate).
    With `wake`, a new message wakes that signal's listeners in other processes on commit.

    This is what a webhook waits for before it may acknowledge, so a returning
    customer's message costs one prebuilt statement (insert-or-ignore into the
    conversation of the address, if the sender's identity is its customer's); only a
    first contact goes through the ORM to create the customer and the conversation.
    It never waits for an answer in progress: the conversation row is only read (its
    `last_message_at` is set when the message is answered), and the answering lock
    (FOR NO KEY UPDATE) lets the message's foreign key be checked.

    On PostgreSQL it runs in autocommit, one round trip (a transaction around it
    would add BEGIN and COMMIT), and commits, durably, before the webhook acknowledges.
    """
    notify_channel = wake.channel if wake is not None and not database.is_sqlite else None
    if within is None and not database.is_sqlite:
        autocommit = database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with autocommit as connection:
            stored = _store_known(connection, inbound, notify_channel)
        if stored is None:
            with database.transaction() as session:
                stored = _store_first_contact(session, inbound, notify_channel)
    else:
        with database.transaction() as session:
            if within is not None:
                within(session)
            stored = _store_known(session, inbound, notify_channel) or _store_first_contact(
                session, inbound, notify_channel
            )
    if wake is not None and database.is_sqlite and not stored[2]:
        wakeup.notify_processes(database, wake)
    return stored


def _store_known(
    executor: Session | Connection, inbound: InboundMessage, notify_channel: str | None
) -> tuple[int, int, bool] | None:
    """Insert the message of a known sender into their conversation; None for a first contact.

    A returning customer's message is one statement; no row back from it means a
    first contact, an identity merged into another customer, a duplicate, or no
    identity at all, which the statements after it sort out.
    """
    identity = _identity(inbound)
    if identity is not None:
        insert = _INSERT_KNOWN if notify_channel is None else _INSERT_KNOWN_AND_NOTIFY
        values = {**_message_values(inbound, notify_channel), **_lookup(inbound, identity)}
        row = executor.execute(insert, values).first()
        if row is not None:
            return row.id, row.conversation_id, False
    conversation_id = _known_conversation(executor, inbound, identity)
    if conversation_id is None:
        return None
    return _insert(executor, inbound, notify_channel, conversation_id)


def _store_first_contact(
    session: Session, inbound: InboundMessage, notify_channel: str | None
) -> tuple[int, int, bool]:
    """Create the customer, identity and conversation as needed (or find those another
    request has just created), then insert the message."""
    return _insert(session, inbound, notify_channel, _conversation(session, inbound).id)


def _insert(
    executor: Session | Connection,
    inbound: InboundMessage,
    notify_channel: str | None,
    conversation_id: int,
) -> tuple[int, int, bool]:
    insert = _INSERT_MESSAGE if notify_channel is None else _INSERT_MESSAGE_AND_NOTIFY
    values = {**_message_values(inbound, notify_channel), "conversation_id": conversation_id}
    message_id = executor.execute(insert, values).scalar()
    if message_id is not None:
        return message_id, conversation_id, False
    # the same provider message, stored before (or concurrently)
    existing = executor.execute(
        select(Message.id, Message.conversation_id).where(
            Message.channel == inbound.channel, Message.provider_id == inbound.provider_id
        )
    ).first()
    if existing is None:
        raise RuntimeError(f"message {inbound.provider_id} conflicted but is not stored")
    return existing[0], existing[1], True


def _find_conversation_statement() -> Select[tuple[int, int, int | None]]:
    """The conversation of (channel, address): its id, its customer, and the customer of
    the sender's identity (None when that identity is new)."""
    conversations: Table = Conversation.__table__  # type: ignore[assignment]
    identities: Table = CustomerIdentity.__table__  # type: ignore[assignment]
    identity_customer = (
        select(identities.c.customer_id)
        .where(identities.c.kind == bindparam("b_kind"), identities.c.value == bindparam("b_value"))
        .scalar_subquery()
    )
    return select(conversations.c.id, conversations.c.customer_id, identity_customer).where(
        conversations.c.channel == bindparam("b_channel"),
        conversations.c.address == bindparam("b_address"),
    )


# Text, because SQLAlchemy does not cache the compiled form of on_conflict_do_nothing();
# SQLite and PostgreSQL both speak this upsert.
_COLUMNS = "direction, author, author_id, channel, provider_id, text, payload, created_at"
_VALUES = ":direction, :author, :author_id, :channel, :provider_id, :text, :payload, :created_at"
_IGNORE_DUPLICATE = "ON CONFLICT (channel, provider_id) DO NOTHING"


def _insert_message(returning: str) -> TextClause:
    """Insert-or-ignore a message into a given conversation."""
    return _message_insert(
        f"INSERT INTO messages (conversation_id, {_COLUMNS})"
        f" VALUES (:conversation_id, {_VALUES}) {_IGNORE_DUPLICATE} RETURNING {returning}"
    )


def _insert_known_message(returning: str) -> TextClause:
    """Insert-or-ignore a message into the conversation of (channel, address), only when
    the sender's identity belongs to that conversation's customer."""
    return _message_insert(
        f"INSERT INTO messages (conversation_id, {_COLUMNS})"
        f" SELECT conversations.id, {_VALUES} FROM conversations"
        " JOIN customer_identities"
        " ON customer_identities.customer_id = conversations.customer_id"
        " WHERE conversations.channel = :b_channel AND conversations.address = :b_address"
        " AND customer_identities.kind = :b_kind AND customer_identities.value = :b_value"
        f" {_IGNORE_DUPLICATE} RETURNING {returning}"
    )


def _message_insert(statement: str) -> TextClause:
    return (
        text(statement)
        .bindparams(bindparam("payload", type_=JSON), bindparam("created_at", type_=UTCDateTime))
        .columns(id=Integer, conversation_id=Integer)
    )


# Built once: building and compiling them per message cost milliseconds.
_FIND_CONVERSATION = _find_conversation_statement()
_INSERT_MESSAGE = _insert_message("id")
_INSERT_KNOWN = _insert_known_message("id, conversation_id")
# PostgreSQL: the NOTIFY rides on the insert (no round trip of its own), only when the
# row is new, and is delivered when the transaction commits.
_NOTIFY = "pg_notify(:notify_channel, '')"
_INSERT_MESSAGE_AND_NOTIFY = _insert_message(f"id, {_NOTIFY}")
_INSERT_KNOWN_AND_NOTIFY = _insert_known_message(f"id, conversation_id, {_NOTIFY}")


def _identity(inbound: InboundMessage) -> tuple[str, str] | None:
    """The sender's identity as stored (a phone in E.164), or None when there is none or
    it is invalid (the first-contact path reports that)."""
    if inbound.identity is None:
        return None
    kind, value = inbound.identity
    try:
        return kind, normalise_identity(kind, value or "")
    except ValidationFailed:
        return None


def _lookup(inbound: InboundMessage, identity: tuple[str, str] | None) -> dict[str, object]:
    kind, value = identity or (None, None)
    return {
        "b_channel": inbound.channel,
        "b_address": inbound.address,
        "b_kind": kind,
        "b_value": value,
    }


def _known_conversation(
    executor: Session | Connection, inbound: InboundMessage, identity: tuple[str, str] | None
) -> int | None:
    """The conversation's id when it and the sender's identity exist already; a
    conversation follows its identity to the customer it was merged into."""
    if inbound.identity is not None and identity is None:
        return None  # an invalid identity: the first-contact path reports it
    row = executor.execute(_FIND_CONVERSATION, _lookup(inbound, identity)).first()
    if row is None or (identity is not None and row[2] is None):
        return None  # first contact, or a new identity to create
    conversation_id, customer_id, identity_customer_id = row
    if identity_customer_id not in (None, customer_id):  # the identity was merged elsewhere
        executor.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(customer_id=identity_customer_id)
        )
    return conversation_id


def _message_values(inbound: InboundMessage, notify_channel: str | None) -> dict[str, object]:
    values: dict[str, object] = {
        "direction": "in",
        "author": "customer",
        "author_id": inbound.identity[1] if inbound.identity else "",
        "channel": inbound.channel,
        "provider_id": inbound.provider_id,
        "text": inbound.text,
        "payload": {
            **inbound.extra,
            "verified": inbound.verified,
            "command": inbound.command,
            "bot_text": inbound.bot_text,
        },
        "created_at": utcnow(),
    }
    if notify_channel is not None:
        values["notify_channel"] = notify_channel
    return values


def _conversation(session: Session, inbound: InboundMessage) -> Conversation:
    customer = (
        customer_for_identity(session, *inbound.identity, name=inbound.name)
        if inbound.identity
        else None
    )
    conversation = open_conversation(
        session,
        inbound.channel,
        inbound.address,
        customer or create_customer(session, name=inbound.name),
    )
    if customer is not None:
        conversation.customer_id = customer.id  # follows the identity after a merge
    touch(conversation)
    return conversation


def handle(
    database: Database,
    settings: Settings,
    message_id: int,
    *,
    inline: Callable[[], bool] | None = None,
) -> None:
    """Route a stored message and mark it handled, once, whoever calls first.

    Messages of its conversation still waiting before it are answered first, in the
    order they arrived. `inline` is asked just before the commit whether the caller
    will show the replies itself; if it says yes, their outbox rows are marked sent,
    else they stay for the delivery worker.
    """
    with database.transaction() as session:
        conversation_id = session.scalar(
            select(Message.conversation_id).where(
                Message.id == message_id, Message.handled_at.is_(None)
            )
        )
        if conversation_id is None:  # handled already
            return
        conversation = _lock(session, conversation_id, skip_locked=False)
        assert conversation is not None
        waiting = _waiting(session, conversation_id, up_to=message_id)
        replies = _answer(session, settings, conversation, waiting)
        if inline is None:
            return
        rows = _outbox_rows(session, replies)
        if not rows or not inline():
            return
        for row in rows:
            row.status = "sent"
            row.sent_at = utcnow()
            row.provider_id = "inline"


class Answered(NamedTuple):
    """What answering a conversation did: messages handled, and when to come back for
    a message that failed and waits for its next try (None: nothing waits)."""

    handled: int
    retry_at: datetime | None = None


def answer_conversation(database: Database, settings: Settings, conversation_id: int) -> Answered:
    """Answer a conversation's waiting messages. Nothing handled when another process has it.

    Committed asynchronously: the replies leave only after the delivery worker's claim,
    whose ordinary commit makes this one durable first (see Database.transaction).
    """
    with database.transaction(async_commit=True) as session:
        conversation = _lock(session, conversation_id, skip_locked=True)
        if conversation is None:
            return Answered(0)
        waiting = _waiting(session, conversation_id)
        _answer(session, settings, conversation, waiting)
        left = [m for m in waiting if m.handled_at is None]
        return Answered(len(waiting) - len(left), left[0].next_attempt_at if left else None)


def _lock(session: Session, conversation_id: int, *, skip_locked: bool) -> Conversation | None:
    """The conversation, locked: one handler per conversation, since the bot's state is read
    and written. With `skip_locked`, None while another transaction holds it (PostgreSQL).

    FOR NO KEY UPDATE, not FOR UPDATE: it still excludes other answerers, but lets a
    webhook store the customer's next message meanwhile (its foreign-key check takes
    FOR KEY SHARE on this row, which FOR UPDATE would make wait for the whole turn).
    """
    return session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update(skip_locked=skip_locked, key_share=True)
    )


def _waiting(session: Session, conversation_id: int, up_to: int | None = None) -> list[Message]:
    query = select(Message).where(
        Message.conversation_id == conversation_id,
        Message.direction == "in",
        Message.handled_at.is_(None),
    )
    if up_to is not None:
        query = query.where(Message.id <= up_to)
    return list(session.scalars(query.order_by(Message.id)))


def _answer(
    session: Session, settings: Settings, conversation: Conversation, waiting: list[Message]
) -> list[Message]:
    """Route each waiting message in order and mark it handled; the replies.

    A message whose routing raises is rolled back alone and counted
    (`inbound_failures`): until its next try, it and the messages after it wait.
    """
    now = utcnow()
    replies: list[Message] = []
    for message in waiting:
        if not inbound_failures.due(message, now):
            break
        conversation.last_message_at = message.created_at
        try:
            with session.begin_nested():
                routed = _route(session, settings, conversation, message)
        except OperationalError:
            raise  # the database, not the message: the whole turn is tried again
        except Exception as exc:
            log.exception("handling message %s failed", message.id)
            replies += inbound_failures.record_failure(
                session, settings, conversation, message, exc
            )
            if message.dead_at is None:
                break
            continue
        replies += routed
        message.handled_at = utcnow()
    return replies


def _outbox_rows(session: Session, replies: list[Message]) -> list[OutboxMessage]:
    if not replies:
        return []
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.message_id.in_([m.id for m in replies]))
            .order_by(OutboxMessage.id)
        )
    )


def _route(
    session: Session, settings: Settings, conversation: Conversation, message: Message
) -> list[Message]:
    extra = message.payload or {}
    command = extra.get("command")
    if command == AUTO_REPLY:
        return []
    identities.heal(session, conversation.channel, conversation.address)
    if conversation.channel == whatsapp_window.CHANNEL:
        whatsapp_window.release_held(session, conversation.id)
    if command in (OPT_OUT, OPT_IN):
        identities.mark(
            session, conversation.channel, conversation.address, "opted_out", command == OPT_OUT
        )
        if command == OPT_OUT:
            return []
        return [enqueue(session, conversation, say("channels.opted_in"), author="system")]
    if conversation.mode == "handoff":
        # A person owns the conversation (the console shows the message); until one has
        # claimed it the bot still answers questions it can answer, at the sender's pace,
        # and changes nothing.
        if limits.sender_pace(session, settings, conversation) is not limits.Pace.ANSWER:
            return []
        return _answer_while_waiting(session, settings, conversation, message)
    pace = limits.sender_pace(session, settings, conversation)
    if pace is limits.Pace.SKIP:
        return []
    if pace is limits.Pace.SLOW_DOWN:
        return [enqueue(session, conversation, say("limits.slow_down"), author="system")]
    if command == MEDIA_ONLY:
        return [enqueue(session, conversation, say("channels.media_only"), author="system")]
    verified = bool(extra.get("verified"))
    text = extra.get("bot_text") or message.text
    # A link code goes to another address: only a sender with an identity of its own,
    # proven, may ask (not the web chat, where a new visitor costs nothing).
    identity_proven = verified and bool(message.author_id)
    linked = linking.handle(session, settings, conversation, text, identity_proven=identity_proven)
    if linked is not None:
        return [enqueue(session, conversation, line, author="system") for line in linked]
    return _ask_bot(session, settings, conversation, message, text, verified)


def _answer_while_waiting(
    session: Session, settings: Settings, conversation: Conversation, message: Message
) -> list[Message]:
    from handoff import queue

    handoff = queue.open_handoff(session, conversation)
    extra = message.payload or {}
    if handoff is None or handoff.status != "waiting" or extra.get("command"):
        return []
    text = extra.get("bot_text") or message.text
    verified = bool(extra.get("verified"))
    return _ask_bot(session, settings, conversation, message, text, verified, waiting=True)


def _ask_bot(
    session: Session,
    settings: Settings,
    conversation: Conversation,
    message: Message,
    text: str,
    verified: bool,
    *,
    waiting: bool = False,
) -> list[Message]:
    """The bot's replies, queued. `waiting`: a person is awaited, so the bot only answers
    questions (`questions_only`) and a failure leaves the message to them."""
    from bot import engine  # the bot imports channels' models; import it when first needed

    try:
        with session.begin_nested():
            replies = engine.respond(
                session,
                conversation,
                text,
                message_id=message.id,
                verified=verified,
                settings=settings,
                **({"questions_only": True} if waiting else {}),
            )
            client = (message.payload or {}).get("client")
            limits.claim_handoff(session, settings, conversation, client)
    except limits.HandoffCapReached:  # the turn, and the handoff it opened, are undone
        return [enqueue(session, conversation, say("limits.handoffs_busy"), author="system")]
    except Exception:  # a bot bug must not leave the customer unanswered
        if waiting:
            log.exception("the bot failed on message %s; a person is awaited", message.id)
            return []
        log.exception("the bot failed on message %s; handing over to a person", message.id)
        return _escalate_after_failure(session, settings, conversation, text)
    message.payload = {**(message.payload or {}), "reading": _reading(replies)}
    return [
        enqueue(session, conversation, reply.text, author="bot", payload={"choices": reply.choices})
        for reply in replies
    ]


def _reading(replies: list[Reply]) -> dict[str, object]:
    """How the bot read a message, kept on it for the reports: its intents, and whether it
    understood (written with the message's handled_at, so it costs no statement)."""
    intents = list(dict.fromkeys(reply.intent for reply in replies if reply.intent))
    return {"intents": intents, "understood": all(reply.understood for reply in replies)}


def _escalate_after_failure(
    session: Session, settings: Settings, conversation: Conversation, text: str
) -> list[Message]:
    from handoff import queue

    handoff = queue.escalate(
        session, conversation, "bot_failed", f"The bot failed on: {text[:300]}"
    )
    notice = queue.customer_notice(session, handoff, settings)
    return [enqueue(session, conversation, notice, author="system")]
