"""Conversations, every message in and out, and the outbox that delivers replies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.db import Base, UTCDateTime, utcnow
from orders.models import Customer, trigram_index


class Conversation(Base):
    """One customer on one channel address; it lives on across bot and CSR turns."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(
        String(20)
    )  # sms | telegram | email | web | console | phone
    # Where replies go: E.164 phone, Telegram chat id, email address, web session id.
    address: Mapped[str] = mapped_column(String(320))
    # "bot" answers, or "handoff" while a handoff is open: then the bot stays silent.
    mode: Mapped[str] = mapped_column(String(20), default="bot")
    # The dialogue's state (current flow, slots, pending question), owned by bot/.
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    customer: Mapped[Customer] = relationship()


UNANSWERED = "direction = 'in' AND handled_at IS NULL"


class Message(Base):
    """Every message in either direction, stored before it is handled or sent."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id"),
        # What the answering workers look for many times a second: only unanswered rows.
        Index(
            "ix_messages_unanswered",
            "id",
            "conversation_id",
            sqlite_where=text(UNANSWERED),
            postgresql_where=text(UNANSWERED),
        ),
        # The console's search of what was said (PostgreSQL; migration 0007).
        trigram_index("ix_messages_text_trgm", "text"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    author: Mapped[str] = mapped_column(String(20))  # customer | bot | csr | system
    author_id: Mapped[str] = mapped_column(String(120), default="")
    channel: Mapped[str] = mapped_column(String(20))
    # The provider's id (Twilio MessageSid, Telegram update_id, email Message-ID): unique per
    # channel, so a provider's retry is stored once.
    provider_id: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Set once the bot or the handoff queue has dealt with an inbound message; a message
    # stored but not yet handled (or whose process died) is picked up by the answering workers.
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An inbound message whose handling failed: tries so far, the last error, when it
    # may be tried again, and when it became a dead letter (then handled_at is set too,
    # so its conversation moves on; see conversations/inbound_failures.py).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    conversation: Mapped[Conversation] = relationship()


class OutboxMessage(Base):
    """A message waiting to be delivered, written in the same transaction as its cause."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    to_address: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    # Channel extras: buttons for Telegram, subject and threading headers for email.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # pending -> sending -> sent (-> delivered) | pending again (retry) | dead
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    provider_id: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    message: Mapped[Message] = relationship()
    conversation: Mapped[Conversation] = relationship()


class MailboxCheckpoint(Base):
    """How far the IMAP reader got in one mailbox folder.

    Updated in the same transaction as the message it read, so after a crash the
    reader starts right after the last message it stored, never before or beyond.
    A new UIDVALIDITY means the UIDs were renumbered: the folder is read again and
    the unique (channel, provider_id) on messages drops what was already stored.
    """

    __tablename__ = "mailbox_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(500), unique=True)  # user@host:port/folder
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdentityLink(Base):
    """A pending "link my email ..." request: a one-time code sent to the other address."""

    __tablename__ = "identity_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # phone | email
    value: Mapped[str] = mapped_column(String(320))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookToken(Base):
    """A signed webhook's one-time token (Mailgun's `token`), kept while its signature is fresh.

    Mailgun signs only timestamp + token, not the body: a captured request could be
    replayed with another body until the timestamp goes stale, unless each token is
    accepted once.
    """

    __tablename__ = "webhook_tokens"
    __table_args__ = (UniqueConstraint("provider", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(255))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
