"""Intake: store each inbound message once, then let the bot answer it (or leave it to a CSR).

Two transactions on purpose. The first stores the message, so a provider's retry of
the same message (unique channel + provider_id) is recognised even while the first
delivery is still being answered, and a message is never lost once acknowledged.
The second routes it (bot, CSR, opt-out...), queues the replies in the outbox and
marks it handled. Webhooks do only the first (`accept`) and the workers' answering
threads the second (`answer_conversation`, see bot/answering.py); the terminal
chat, the web chat and the email reader do both in turn (`receive`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Integer, Select, Table, TextClause, bindparam, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from conversations.inbound import InboundMessage
from conversations.models import Conversation, Message
from conversations.opening import open_conversation, touch
from infra import clock, wakeup
from infra.db import Database, UTCDateTime
from orders.customers import create_customer, customer_for_identity, normalise_identity
from orders.errors import ValidationFailed
from orders.models import CustomerIdentity

log = logging.getLogger(__name__)


@dataclass
class IntakeResult:
    message_id: int
    duplicate: bool
    conversation_id: int | None = None


def accept(
    database: Database,
    inbound: InboundMessage,
    within: Callable[[Session], None] | None = None,
) -> IntakeResult:
    """Store a message for the answering workers and wake them: all a webhook waits for."""
    inbound_signal = wakeup.wakeups(database).inbound
    message_id, conversation_id, duplicate = store(database, inbound, within, wake=inbound_signal)
    if not duplicate:
        inbound_signal.wake()
    return IntakeResult(message_id, duplicate, conversation_id=conversation_id)


def store(
    database: Database,
    inbound: InboundMessage,
    within: Callable[[Session], None] | None = None,
    *,
    wake: wakeup.Signal | None = None,
) -> tuple[int, int, bool]:
    """Save the message; returns (message id, conversation id, was it a duplicate).
    With `wake`, a new message wakes that signal's listeners in other processes once it
    is committed.

    This is what a webhook waits for before it may acknowledge, so a returning
    customer's message costs one prebuilt statement (insert-or-ignore into the
    conversation of the address, if the sender's identity is its customer's); only a
    first contact goes through the ORM to create the customer and the conversation.
    It never waits for an answer in progress: the conversation row is only read (its
    `last_message_at` is set when the message is answered), and the answering lock
    (FOR NO KEY UPDATE) lets the message's foreign key be checked.

    That statement is run by the driver itself, without SQLAlchemy's work around it
    (which cost more than the insert). On PostgreSQL it runs in autocommit, one round
    trip (a transaction around it would add BEGIN and COMMIT), and commits, durably,
    before the webhook acknowledges. The wake-up is sent after that commit, apart from
    it (see `wakeup.notify_processes`).
    """
    now = clock.now(database)
    tried = within is None  # a returning customer's insert, on its own, first
    stored = _store_known_directly(database, inbound, now) if tried else None
    if stored is None and tried:
        with database.standalone_statements() as connection:
            stored = _store_known(connection, inbound, now, inserted=True)
        if stored is None:
            with database.transaction() as session:
                stored = _store_first_contact(session, inbound, now)
    elif stored is None:
        with database.transaction() as session:
            if within is not None:
                within(session)
            stored = _store_known(session, inbound, now, inserted=tried) or _store_first_contact(
                session, inbound, now
            )
    if wake is not None and not stored[2]:
        wakeup.notify_processes(database, wake)
    return stored


def _store_known_directly(
    database: Database, inbound: InboundMessage, now: datetime
) -> tuple[int, int, bool] | None:
    """A returning customer's message: the one insert, run by the driver itself (see
    `infra.db.DriverStatement`); None when it inserts nothing, for `_store_known`."""
    identity = _identity(inbound)
    if identity is None:
        return None
    values = {**_message_values(inbound, now), **_lookup(inbound, identity)}
    with database.one_statement() as connection:
        row = database.driver_statement(_INSERT_KNOWN).first(connection, values)
    return None if row is None else (row[0], row[1], False)


def _store_known(
    executor: Session | Connection, inbound: InboundMessage, now: datetime, *, inserted: bool
) -> tuple[int, int, bool] | None:
    """Insert the message of a known sender into their conversation; None for a first contact.

    A returning customer's message is one statement (unless `inserted`: it was tried
    already); no row back from it means a first contact, an identity merged into another
    customer, a duplicate, or no identity at all, which the statements after it sort out.
    """
    identity = _identity(inbound)
    if identity is not None and not inserted:
        values = {**_message_values(inbound, now), **_lookup(inbound, identity)}
        row = executor.execute(_INSERT_KNOWN, values).first()
        if row is not None:
            return row.id, row.conversation_id, False
    conversation_id = _known_conversation(executor, inbound, identity)
    if conversation_id is None:
        return None
    return _insert(executor, inbound, conversation_id, now)


def _store_first_contact(
    session: Session, inbound: InboundMessage, now: datetime
) -> tuple[int, int, bool]:
    """Create the customer, identity and conversation as needed (or find those another
    request has just created), then insert the message."""
    return _insert(session, inbound, _conversation(session, inbound).id, now)


def _insert(
    executor: Session | Connection, inbound: InboundMessage, conversation_id: int, now: datetime
) -> tuple[int, int, bool]:
    values = {**_message_values(inbound, now), "conversation_id": conversation_id}
    message_id = executor.execute(_INSERT_MESSAGE, values).scalar()
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


def _message_values(inbound: InboundMessage, now: datetime) -> dict[str, object]:
    return {
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
        "created_at": now,
    }


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
    touch(session, conversation)
    return conversation
