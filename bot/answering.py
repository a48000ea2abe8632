"""Answering stored messages: route each one (opt-out, a person, a link code, the bot),
queue the replies in the outbox and mark it handled, in the second of intake's two
transactions (see conversations/intake.py). The webhooks only store; the workers'
answering threads call `answer_conversation` (see bot/dispatch.py); the terminal chat,
the web chat and the email reader store and answer in turn (`receive`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot import engine
from bot.replies import Reply
from conversations import (
    handoffs,
    identities,
    inbound_failures,
    limits,
    linking,
    sms_pages,
    whatsapp_window,
)
from conversations.inbound import AUTO_REPLY, MEDIA_ONLY, MORE, OPT_IN, OPT_OUT, InboundMessage
from conversations.intake import IntakeResult, store
from conversations.models import Conversation, Message, OutboxMessage
from conversations.outbox import enqueue
from conversations.texts import say
from infra import clock
from infra.db import Database
from infra.settings import Settings
from infra.wakeup import wakeups

log = logging.getLogger(__name__)


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
    wakeups(database).outbox.wake()
    return IntakeResult(message_id, False, conversation_id)


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
            row.sent_at = clock.now(session)
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
    return session.scalar(_LOCK[skip_locked], {"conversation_id": conversation_id})


def _waiting(session: Session, conversation_id: int, up_to: int | None = None) -> list[Message]:
    query, values = _WAITING, {"conversation_id": conversation_id}
    if up_to is not None:
        query, values = _WAITING_UP_TO, {**values, "up_to": up_to}
    return list(session.scalars(query, values))


# Every turn runs these: built once, so a turn neither builds them nor works out their
# cache keys again (SQLAlchemy memoizes a statement's key on the statement object).
_LOCK = {
    skip: select(Conversation)
    .where(Conversation.id == bindparam("conversation_id"))
    .with_for_update(skip_locked=skip, key_share=True)
    for skip in (False, True)
}
_UNHANDLED = (
    Message.conversation_id == bindparam("conversation_id"),
    Message.direction == "in",
    Message.handled_at.is_(None),
)
_WAITING = select(Message).where(*_UNHANDLED).order_by(Message.id)
_WAITING_UP_TO = (
    select(Message).where(*_UNHANDLED, Message.id <= bindparam("up_to")).order_by(Message.id)
)


def _answer(
    session: Session, settings: Settings, conversation: Conversation, waiting: list[Message]
) -> list[Message]:
    """Route each waiting message in order and mark it handled; the replies.

    A message whose routing raises is rolled back alone and counted
    (`inbound_failures`): until its next try, it and the messages after it wait.
    """
    now = clock.now(session)
    replies: list[Message] = []
    for message in waiting:
        if not inbound_failures.due(message, now):
            break
        conversation.last_message_at = message.created_at
        try:
            with session.begin_nested():
                routed = _route(session, settings, conversation, message)
                # Within the savepoint: written in one UPDATE with what the routing set on
                # the message (its reading), and undone with it if the release fails.
                message.handled_at = clock.now(session)
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
    if command == MORE and (page := sms_pages.next_page(session, conversation.id)):
        return [_send_page(session, conversation, *page)]
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


def _send_page(
    session: Session, conversation: Conversation, page: str, later: list[str]
) -> Message:
    """The next page of a long SMS reply; the pages after it wait on it for the next "more"."""
    message = enqueue(session, conversation, page, author="bot")
    if later:
        message.payload = {**(message.payload or {}), sms_pages.MORE_KEY: later}
    return message


def _answer_while_waiting(
    session: Session, settings: Settings, conversation: Conversation, message: Message
) -> list[Message]:

    handoff = handoffs.open_handoff(session, conversation)
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
        return _escalate_after_failure(session, conversation, text)
    # Not flushed here: the savepoint's release in `_answer` inserts them in the flush
    # that writes the message's reading and handled_at (one flush a turn, not two).
    queued = [
        enqueue(
            session,
            conversation,
            reply.text,
            author="bot",
            payload={"choices": reply.choices},
            flush=False,
        )
        for reply in replies
    ]
    message.payload = {**(message.payload or {}), "reading": _reading(replies)}
    return queued


def _reading(replies: list[Reply]) -> dict[str, object]:
    """How the bot read a message, kept on it for the reports: its intents, and whether it
    understood (written with the message's handled_at, so it costs no statement)."""
    intents = list(dict.fromkeys(reply.intent for reply in replies if reply.intent))
    return {"intents": intents, "understood": all(reply.understood for reply in replies)}


def _escalate_after_failure(
    session: Session, conversation: Conversation, text: str
) -> list[Message]:

    handoff = handoffs.escalate(
        session, conversation, "bot_failed", f"The bot failed on: {text[:300]}"
    )
    notice = handoffs.customer_notice(session, handoff)
    return [enqueue(session, conversation, notice, author="system")]
