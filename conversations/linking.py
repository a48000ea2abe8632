"""One customer across channels: "link my email jo@example.com", a code sent there, typed here.

The code proves the customer controls the other address; then both identities
become one customer (orders.customers.merge_customers) with one order history.
Only a sender whose own identity is proven may ask: otherwise a forged From could
join a stranger's address to the forger's account, and a web chat visitor (a new one
is free) could make the shop text codes anywhere. Codes are limited per conversation,
per address and per shop (conversations.limits), and SMS ones go only where any SMS may
(conversations.destinations).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from conversations import destinations, limits
from conversations.models import Conversation, IdentityLink
from conversations.opening import open_conversation
from conversations.outbox import enqueue
from conversations.staff_models import Handoff
from conversations.texts import say
from infra import clock
from infra.settings import Settings
from orders.customers import (
    customer_for_identity,
    find_by_identity,
    merge_customers,
    normalise_identity,
)
from orders.errors import ValidationFailed

REQUEST = re.compile(
    r"^\s*(?:please\s+)?link\s+(?:my\s+)?(?P<kind>e-?mail|phone|mobile|number)"
    r"(?:\s+(?:address|number))?\s*:?\s+(?P<address>\S+?)\s*[.!]?\s*$",
    re.IGNORECASE,
)
CODE = re.compile(r"^\s*(\d{6})\s*$")
CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
CHANNEL_FOR_KIND = {"email": "email", "phone": "sms"}
# Why a sender may not ask, by channel: an email not proven by our mail server, or a
# channel with no identity at all (the web chat, the terminal without --as).
PROOF_NEEDED = {"email": "channels.link_needs_proof"}


def handle(
    session: Session,
    settings: Settings,
    conversation: Conversation,
    text: str,
    *,
    identity_proven: bool,
) -> list[str] | None:
    """The replies if `text` is a link request or its code; None to let the bot answer."""
    request = REQUEST.match(text)
    if request:
        if not identity_proven:
            return [say(PROOF_NEEDED.get(conversation.channel, "channels.link_needs_identity"))]
        kind = "email" if "mail" in request["kind"].lower() else "phone"
        return [_start(session, settings, conversation, kind, request["address"])]
    code = CODE.match(text)
    if code:
        link = session.scalar(
            select(IdentityLink)
            .where(IdentityLink.conversation_id == conversation.id)
            .order_by(IdentityLink.id.desc())
            .limit(1)
        )
        if link is not None:
            return [_confirm(session, conversation, link, code[1])]
    return None


def _digest(link_conversation_id: int, code: str) -> str:
    return hashlib.sha256(f"{link_conversation_id}:{code}".encode()).hexdigest()


def _start(
    session: Session, settings: Settings, conversation: Conversation, kind: str, raw: str
) -> str:
    try:
        value = normalise_identity(kind, raw)
    except ValidationFailed:
        return say("channels.link_bad_address", address=raw, kind=kind)
    existing = find_by_identity(session, kind, value)
    if existing is not None and existing.customer_id == conversation.customer_id:
        return say("channels.link_same", address=value)
    if kind == "phone":  # delivery would refuse the code: say why now, promise nothing
        if existing is not None and existing.opted_out:
            return say("channels.link_opted_out", address=value)
        if destinations.phone_refusal(value, settings) is not None:
            countries = ", ".join(sorted(destinations.allowed_countries(settings)))
            return say("channels.link_not_sendable", address=value, countries=countries)
    if not limits.link_code(session, settings, conversation.id, f"{kind}:{value}"):
        return say("limits.link_codes")
    target = open_conversation(
        session, CHANNEL_FOR_KIND[kind], value, customer_for_identity(session, kind, value)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    session.execute(delete(IdentityLink).where(IdentityLink.conversation_id == conversation.id))
    session.add(
        IdentityLink(
            conversation_id=conversation.id,
            kind=kind,
            value=value,
            code_hash=_digest(conversation.id, code),
            expires_at=clock.now(session) + CODE_TTL,
        )
    )
    enqueue(
        session,
        target,
        say("channels.link_code_message", kind=kind, code=code),
        author="system",
    )
    return say("channels.link_code_sent", address=value)


def _confirm(session: Session, conversation: Conversation, link: IdentityLink, code: str) -> str:
    if link.expires_at < clock.now(session):
        session.delete(link)
        return say("channels.link_expired", kind=link.kind, address=link.value)
    if not hmac.compare_digest(link.code_hash, _digest(conversation.id, code)):
        link.attempts += 1
        if link.attempts >= MAX_ATTEMPTS:
            session.delete(link)
        return say("channels.link_wrong_code")
    identity = find_by_identity(session, link.kind, link.value)
    keep = conversation.customer
    if identity is not None:
        other_id = identity.customer_id
        merge_customers(session, keep, identity.customer)
        identity.verified = True
        for model in (Conversation, Handoff):
            session.execute(
                update(model).where(model.customer_id == other_id).values(customer_id=keep.id)
            )
    session.delete(link)
    session.flush()
    return say("channels.link_done", address=link.value)
