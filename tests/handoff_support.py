"""Shared set-up for the handoff tests: a shop, a customer chatting, console users."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from conversations import handoffs as queue
from conversations import staff as users
from conversations.models import Conversation, Message
from conversations.staff_models import CsrUser, Handoff
from infra.db import Database, utcnow
from orders.models import Customer
from tests import factories

PASSWORD = "correct horse battery"
_ids = itertools.count(1)


def sms_chat(session: Session, customer: Customer, phone: str, text: str) -> Conversation:
    """A conversation on SMS from `phone` with one message from the customer in it."""
    conversation = Conversation(customer_id=customer.id, channel="sms", address=phone)
    session.add(conversation)
    session.flush()
    session.add(
        Message(
            conversation_id=conversation.id,
            direction="in",
            author="customer",
            channel="sms",
            provider_id=f"SM-test-{next(_ids)}",
            text=text,
        )
    )
    session.flush()
    return conversation


def chatting_customer(
    session: Session, phone: str = "+15555550150", name: str = "Jo", text: str = "I want a person"
) -> tuple[Customer, Conversation]:
    customer = factories.customer(session, phone=phone, name=name)
    conversation = sms_chat(session, customer, phone, text)
    session.commit()
    return customer, conversation


def escalated(session: Session, reason: str = "human_agent", **kwargs: str) -> Handoff:
    _, conversation = chatting_customer(session, **kwargs)
    handoff = queue.escalate(session, conversation, reason, "Wants a person.")
    session.commit()
    return handoff


def agent(
    session: Session, email: str, role: str = "csr", *, online: bool = False, **kw: object
) -> CsrUser:
    user, _ = users.save_user(session, email, PASSWORD, role, name=email.split("@")[0], **kw)
    user.last_seen_at = utcnow() if online else None
    session.commit()
    return user


def backdate(database: Database, handoff_id: int, minutes: int) -> None:
    with database.transaction() as s:
        s.get(Handoff, handoff_id).created_at = utcnow() - timedelta(minutes=minutes)


def csrf_token(client: FlaskClient, path: str = "/csr/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        "/csr/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
    )


def post(
    client: FlaskClient, path: str, data: dict[str, str] | None = None, page: str = "/csr/queue"
):  # type: ignore[no-untyped-def]
    """A console form POST with the CSRF token a logged-in page carries."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)})


def browser_log_in(page, server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    """Log in to the console in a Playwright page, as a person does."""
    page.goto(f"{server}/csr/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
