"""CSR users and their sessions, the handoff queue and its tags, notes, canned replies, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conversations.models import Conversation
from infra.db import Base, UTCDateTime, utcnow
from orders.models import Customer

ROLES = ("csr", "admin", "store")


class CsrUser(Base):
    """Someone who logs in to the console: a CSR, an admin, or store staff."""

    __tablename__ = "csr_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="csr")  # csr | admin | store
    # Location codes a store user works at (empty for CSRs and admins).
    locations: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Online means seen recently (the console polls); see conversations.handoffs.online_csrs.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Opted in to round-robin auto-assignment while online.
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=False)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class CsrSession(Base):
    """A server-side login: the cookie holds a random token, the table its digest.

    A new row per login (no session fixation) and logout deletes it, so a copied
    cookie stops working at logout, which a signed cookie alone cannot do.
    """

    __tablename__ = "csr_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("csr_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[CsrUser] = relationship()


class LoginFailure(Base):
    """A failed console login, counted per email and per client address to slow guessing."""

    __tablename__ = "csr_login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Handoff(Base):
    """A conversation the bot handed to people: waiting -> assigned -> closed."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="waiting", index=True)
    # human_agent | complaint | bot_failed | policy
    reason: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher first
    summary: Mapped[str] = mapped_column(Text, default="")
    # Order numbers the customer had open (or last placed) when the bot escalated.
    related_orders: Mapped[list[int]] = mapped_column(JSON, default=list)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("csr_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # handed_back (to the bot) | resolved
    resolution: Mapped[str] = mapped_column(String(20), default="")
    # The web chat client (IP address, IPv6 /64) that asked for it: open handoffs are
    # capped per client (conversations.limits.claim_handoff). None for the other channels.
    client: Mapped[str | None] = mapped_column(String(64), index=True)

    conversation: Mapped[Conversation] = relationship()
    customer: Mapped[Customer] = relationship()
    assigned_to: Mapped[CsrUser | None] = relationship()
    # The conversation's tags (they outlive the handoff: the next one shows them too).
    tags: Mapped[list[ConversationTag]] = relationship(
        primaryjoin="Handoff.conversation_id == foreign(ConversationTag.conversation_id)",
        order_by="ConversationTag.tag",
        viewonly=True,
    )


class ConversationTag(Base):
    """A word a CSR puts on a conversation ("refund", "vip") to find and sort it later."""

    __tablename__ = "conversation_tags"
    __table_args__ = (UniqueConstraint("conversation_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    tag: Mapped[str] = mapped_column(String(40), index=True)
    added_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HandoffNote(Base):
    """A private note about a customer, never sent to them."""

    __tablename__ = "handoff_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("csr_users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[CsrUser] = relationship()


class CannedReply(Base):
    """A ready-made answer CSRs drop into the reply box; admins manage them."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Who did what in the console or through the handoff API."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # A console user's email, or "api:TOKEN_NAME".
    actor: Mapped[str] = mapped_column(String(320), index=True)
    action: Mapped[str] = mapped_column(String(60))
    # e.g. "handoff", "order", "return", "outbox", "canned_reply", "user"
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(60), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
