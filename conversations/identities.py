"""The customer identity behind a channel address, for opt-outs and unreachable marks."""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from orders.customers import find_by_identity
from orders.errors import ValidationFailed
from orders.models import CustomerIdentity

# A private Telegram chat's id is the user's id, so the address is the identity too.
IDENTITY_KIND = {"sms": "phone", "whatsapp": "phone", "telegram": "telegram", "email": "email"}


def identity_for(session: Session, channel: str, address: str) -> CustomerIdentity | None:
    kind = IDENTITY_KIND.get(channel)
    if kind is None:
        return None
    try:
        return find_by_identity(session, kind, address)
    except ValidationFailed:
        return None


def reachable(session: Session, channel: str, address: str) -> bool:
    """False once the customer opted out (SMS STOP) or blocked us (Telegram 403)."""
    identity = identity_for(session, channel, address)
    return identity is None or not (identity.opted_out or identity.unreachable)


def mark(session: Session, channel: str, address: str, flag: str, value: bool = True) -> None:
    """Set `opted_out` or `unreachable` on the identity behind an address, if known."""
    identity = identity_for(session, channel, address)
    if identity is not None:
        setattr(identity, flag, value)


def heal(session: Session, channel: str, address: str) -> None:
    """The customer wrote from this address, so it reaches them again (after a bounce or a
    Telegram block). One conditional statement: it writes only when the mark was set."""
    kind = IDENTITY_KIND.get(channel)
    if kind is not None:
        session.execute(_HEAL, {"identity_kind": kind, "identity_value": address})


# Every turn runs it: built once (see bot/answering.py's _LOCK).
_HEAL = (
    update(CustomerIdentity)
    .where(
        CustomerIdentity.kind == bindparam("identity_kind"),
        CustomerIdentity.value == bindparam("identity_value"),
        CustomerIdentity.unreachable.is_(True),
    )
    .values(unreachable=False)
    .execution_options(synchronize_session=False)
)
