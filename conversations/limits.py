"""The channels' abuse limits: what is counted, per whom, against which setting.

Anything that sends a message or costs the shop money is limited (see the Limits
section of docs/security.md). The counting itself is rate_limits, in the database,
so the limits hold across processes and hosts; the adapters ask the questions here.
"""

from __future__ import annotations

import ipaddress
from enum import Enum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations.handoffs import OPEN_STATUSES
from conversations.models import Conversation
from conversations.staff_models import Handoff
from infra.db import Database
from infra.rate_limits import Limit, allow, count
from infra.settings import Settings

MINUTE = 60
HOUR = 3600
# The channels whose webhooks anyone with a phone or a Telegram account can fill.
PACED_CHANNELS = frozenset({"sms", "whatsapp", "telegram"})
IPV6_SUBSCRIBER_PREFIX = 64  # one household or phone gets a whole /64


class Pace(Enum):
    ANSWER = "answer"
    SLOW_DOWN = "slow_down"  # the first message over the limit: say so, once
    SKIP = "skip"  # stored for the record and the CSRs, but not answered


class HandoffCapReached(Exception):
    """The client already has as many open handoffs as CHAT_OPEN_HANDOFFS_PER_IP allows."""


def client_key(remote_addr: str | None) -> str:
    """A web client as counted: its IPv4 address, or its IPv6 /64 (a new address in the
    same /64 costs nothing to take)."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return remote_addr or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:203.0.113.7 is 203.0.113.7
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_SUBSCRIBER_PREFIX}", strict=False))
    return str(address)


def web_chat_message(database: Database, settings: Settings, chat_id: str, client: str) -> bool:
    """Count a web chat message, before it is stored (a first one makes a customer);
    False when its session or its client is over the limit.

    Committed asynchronously: the message's own commit, right after, makes the count
    durable, and a count lost with the server costs nothing worth an fsync wait.
    """
    per_session = Limit("chat_session", settings.chat_messages_per_minute, MINUTE)
    per_client = Limit("chat_client", settings.chat_messages_per_minute_per_ip, MINUTE)
    with database.transaction(async_commit=True) as session:
        return allow(session, per_session, chat_id) and allow(session, per_client, client)


def sender_pace(session: Session, settings: Settings, conversation: Conversation) -> Pace:
    """Count a message from an SMS, WhatsApp or Telegram sender; whether to answer it."""
    allowed = settings.sender_answers_per_minute
    if conversation.channel not in PACED_CHANNELS or allowed <= 0:
        return Pace.ANSWER
    sender = f"{conversation.channel}:{conversation.address}"
    hits = count(session, Limit("sender", allowed, MINUTE), sender)
    if hits <= allowed:
        return Pace.ANSWER
    return Pace.SLOW_DOWN if hits == allowed + 1 else Pace.SKIP


def link_code(session: Session, settings: Settings, conversation_id: int, target: str) -> bool:
    """Count a link code about to be sent; False when the conversation asking, the
    address it goes to or the whole shop has had its codes for the hour."""
    per_conversation = Limit("link_conversation", settings.link_codes_per_hour, HOUR)
    per_address = Limit("link_address", settings.link_codes_per_address_per_hour, HOUR)
    per_shop = Limit("link_shop", settings.link_codes_per_shop_per_hour, HOUR)
    return (
        allow(session, per_conversation, str(conversation_id))
        and allow(session, per_address, target)
        and allow(session, per_shop, "shop")
    )


def claim_handoff(
    session: Session, settings: Settings, conversation: Conversation, client: str | None
) -> None:
    """Note the web client a handoff just opened for, or raise HandoffCapReached when that
    client has its open handoffs already (one client, many sessions, a flooded queue)."""
    cap = settings.chat_open_handoffs_per_ip
    if client is None or cap <= 0:
        return
    handoff = session.scalar(
        select(Handoff).where(
            Handoff.conversation_id == conversation.id,
            Handoff.status.in_(OPEN_STATUSES),
            Handoff.client.is_(None),
        )
    )
    if handoff is None:
        return
    # Counting the claim locks the client's counter row until this transaction ends:
    # two sessions of one client claiming at the same moment take turns, and the cap holds.
    count(session, Limit("handoff_claims", cap, HOUR), client)
    others = session.scalar(
        select(func.count())
        .select_from(Handoff)
        .where(Handoff.client == client, Handoff.status.in_(OPEN_STATUSES))
    )
    if (others or 0) >= cap:
        raise HandoffCapReached(client)
    handoff.client = client
