"""Demo console users, canned replies and a few escalated conversations waiting in the queue.

The lead calls `seed(session)` right after `orders.demo.seed(session)` on the first
start of `python app.py` and prints `describe(...)`: passwords are random and shown
once (reset one with `python app.py create-user EMAIL --role csr`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations import handoffs as queue
from conversations import staff as users
from conversations.models import Conversation, Message
from conversations.staff_models import CannedReply, CsrUser
from infra import clock
from orders import customers


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str


USERS = [("csr@demo.example", "Casey Reyes", "csr"), ("admin@demo.example", "Ada Admin", "admin")]
CANNED = [
    ("Greeting", "Hi, this is the customer team. I'm looking at your order now."),
    ("Sorry for the wait", "Sorry for the wait, and thank you for your patience."),
    ("Back to the assistant", "You're all set. The assistant can help with anything else."),
]
# (identity kind, value, channel, address, minutes ago, reason, customer said, bot said, summary)
CONVERSATIONS = [
    (
        "phone",
        "+15555550101",
        "sms",
        "+15555550101",
        25,
        "complaint",
        "My grinder pickup order still isn't ready and nobody tells me anything. Ridiculous.",
        "I'm sorry about that. I'm passing you to a person now.",
        "Complaint: pickup order not ready yet at Downtown; customer is upset.",
    ),
    (
        "telegram",
        "424242",
        "telegram",
        "424242",
        6,
        "human_agent",
        "Can I talk to a real person please?",
        "Of course, a person will take over here.",
        "Asked for a person; has a shipped order and an open order.",
    ),
    (
        "email",
        "alex@example.com",
        "email",
        "alex@example.com",
        3,
        "policy",
        "The French press arrived cracked. I want my money back today.",
        "I've passed your refund request to our team.",
        "Return requested for a cracked French press; refund needs a person (policy).",
    ),
]


def _conversation(session: Session, spec: tuple, index: int) -> None:  # type: ignore[type-arg]
    kind, value, channel, address, minutes, reason, said, answered, summary = spec
    identity = customers.find_by_identity(session, kind, value)
    if identity is None:
        return
    at = clock.now(session) - timedelta(minutes=minutes)
    conversation = Conversation(
        customer_id=identity.customer_id, channel=channel, address=address, last_message_at=at
    )
    session.add(conversation)
    session.flush()
    for offset, (direction, author, text) in enumerate(
        [("in", "customer", said), ("out", "bot", answered)]
    ):
        session.add(
            Message(
                conversation_id=conversation.id,
                direction=direction,
                author=author,
                channel=channel,
                provider_id=f"demo-{index}" if direction == "in" else None,
                text=text,
                created_at=at + timedelta(seconds=offset),
                handled_at=at + timedelta(seconds=offset),
            )
        )
    handoff = queue.escalate(session, conversation, reason, summary)
    handoff.created_at = at


def seed(session: Session) -> list[DemoLogin]:
    """Load the demo console once: nothing (an empty list) when users exist already."""
    if session.scalar(select(func.count()).select_from(CsrUser)):
        return []
    logins = []
    for email, name, role in USERS:
        password = secrets.token_urlsafe(12)
        users.save_user(session, email, password, role, name=name)
        logins.append(DemoLogin(email, password, role))
    session.add_all(CannedReply(title=title, text=text) for title, text in CANNED)
    for index, spec in enumerate(CONVERSATIONS):
        _conversation(session, spec, index)
    session.flush()
    return logins


def describe(logins: list[DemoLogin], base_url: str) -> str:
    """The lines to print on first start."""
    lines = [f"CSR console: {base_url}/csr/login  (these passwords are shown only once)"]
    lines += [f"  {login.role:5}  {login.email}  password: {login.password}" for login in logins]
    return "\n".join(lines)
