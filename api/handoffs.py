"""/api/v1/handoffs: drive the queue from other tools with a bearer token."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint
from sqlalchemy.orm import Session

from api import inputs, outputs
from api.auth import api_actor, require_token, require_whole_shop
from api.contract import endpoint
from api.errors import ApiError, register_error_handlers
from conversations import audit
from conversations import handoffs as queue
from conversations import staff as users
from conversations.staff_models import CsrUser
from infra.web import database

P = ParamSpec("P")
T = TypeVar("T")
bp = Blueprint("handoff_api", __name__, url_prefix="/api/v1/handoffs")
register_error_handlers(bp)


def _actor() -> str:
    return api_actor().id  # "api:TOKEN_NAME"


def queue_token(view: Callable[P, T]) -> Callable[P, T]:
    """A valid bearer token for the whole shop; store-scoped tokens cannot work the queue."""

    @require_token
    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        require_whole_shop("work the queue")
        return view(*args, **kwargs)

    return wrapper


def _agent(session: Session, email: str | None) -> CsrUser:
    if not email or not email.strip():
        raise ApiError(400, "csr_required", 'Name the CSR who takes it: {"csr": "EMAIL"}.')
    user = users.find_user(session, email)
    if user is None or not user.active:
        raise ApiError(404, "csr_not_found", f"There is no active console user {email!r}.")
    return user


@bp.get("")
@queue_token
@endpoint(outputs.Handoffs, query=inputs.HandoffQuery)
def list_handoffs(query: inputs.HandoffQuery) -> outputs.Handoffs:
    """The queue: waiting (longest first), assigned or closed handoffs."""
    with database().reading() as session:
        found = queue.list_handoffs(session, status=query.status, tag=query.tag or None)
        return outputs.Handoffs(handoffs=[outputs.HandoffOut.of(h) for h in found])


@bp.get("/<int:handoff_id>")
@queue_token
@endpoint(outputs.HandoffOut)
def get_handoff(handoff_id: int) -> outputs.HandoffOut:
    """One handoff."""
    with database().reading() as session:
        return outputs.HandoffOut.of(queue.get_handoff(session, handoff_id))


@bp.post("/<int:handoff_id>/<action>")
@queue_token
@endpoint(
    outputs.HandoffOut,
    body=inputs.HandoffAction,
    choices={"action": ("claim", "release", "resolve", "hand_back")},
)
def act(handoff_id: int, action: str, body: inputs.HandoffAction) -> outputs.HandoffOut:
    """Claim for a CSR, release to the queue, resolve, or hand back to the bot."""
    with database().transaction() as session:
        handoff = queue.get_handoff(session, handoff_id)
        details: dict[str, Any] = {}
        if action == "claim":
            user = _agent(session, body.csr)
            queue.claim(session, handoff, user)
            details["csr"] = user.email
        elif action == "release":
            queue.release(session, handoff, None)
        elif action == "resolve":
            queue.resolve(session, handoff, None)
        else:  # hand_back (`endpoint` admits only these four)
            queue.hand_back(session, handoff, None)
        audit.record(session, _actor(), action, "handoff", handoff.id, **details)
        return outputs.HandoffOut.of(handoff)


@bp.post("/<int:handoff_id>/messages")
@queue_token
@endpoint(outputs.SentMessage, status=201, body=inputs.HandoffMessage)
def send_message(handoff_id: int, body: inputs.HandoffMessage) -> outputs.SentMessage:
    """Write to the customer, on their channel."""
    with database().transaction() as session:
        handoff = queue.get_handoff(session, handoff_id)
        message = queue.reply(session, handoff, None, body.text, author_id=_actor())
        audit.record(session, _actor(), "reply", "handoff", handoff.id, message_id=message.id)
        return outputs.SentMessage(id=message.id, channel=message.channel, text=message.text)
