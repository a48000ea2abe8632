"""/api/v1/handoffs: drive the queue from other tools with a bearer token."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, jsonify, request

from api.auth import api_actor, require_token, require_whole_shop
from api.errors import ApiError, register_error_handlers
from api.serialize import when
from conversations import audit
from conversations import handoffs as queue
from conversations import staff as users
from conversations.staff_models import CsrUser, Handoff
from infra.web import database

P = ParamSpec("P")
T = TypeVar("T")
bp = Blueprint("handoff_api", __name__, url_prefix="/api/v1/handoffs")
register_error_handlers(bp)


def serialize(handoff: Handoff) -> dict[str, Any]:
    conversation = handoff.conversation
    return {
        "id": handoff.id,
        "status": handoff.status,
        "reason": handoff.reason,
        "priority": handoff.priority,
        "summary": handoff.summary,
        "customer_id": handoff.customer_id,
        "customer_name": handoff.customer.name,
        "channel": conversation.channel,
        "conversation_id": conversation.id,
        "related_orders": [f"#{number}" for number in handoff.related_orders],
        "assigned_to": handoff.assigned_to.email if handoff.assigned_to else None,
        "waited_seconds": int(queue.waited(handoff).total_seconds()),
        "created_at": when(handoff.created_at),
        "assigned_at": when(handoff.assigned_at),
        "closed_at": when(handoff.closed_at),
        "resolution": handoff.resolution or None,
    }


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.data else {}
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "The request body must be a JSON object.")
    return data


def _actor() -> str:
    return api_actor().id  # "api:TOKEN_NAME"


def queue_token(view: Callable[P, T]) -> Callable[P, T]:
    """A valid bearer token for the whole shop; store-scoped tokens cannot work the queue."""

    @functools.wraps(view)
    @require_token
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        require_whole_shop("work the queue")
        return view(*args, **kwargs)

    return wrapper


def _agent(session, data: dict[str, Any]) -> CsrUser:  # type: ignore[no-untyped-def]
    email = data.get("csr")
    if not isinstance(email, str) or not email.strip():
        raise ApiError(400, "csr_required", 'Name the CSR who takes it: {"csr": "EMAIL"}.')
    user = users.find_user(session, email)
    if user is None or not user.active:
        raise ApiError(404, "csr_not_found", f"There is no active console user {email!r}.")
    return user


@bp.get("")
@queue_token
def list_handoffs():  # type: ignore[no-untyped-def]
    status = request.args.get("status") or None
    if status is not None and status not in queue.STATUSES:
        raise ApiError(400, "bad_status", f"status must be one of {', '.join(queue.STATUSES)}.")
    with database().transaction() as session:
        found = queue.list_handoffs(session, status=status)
        return jsonify({"handoffs": [serialize(h) for h in found]})


@bp.get("/<int:handoff_id>")
@queue_token
def get_handoff(handoff_id: int):  # type: ignore[no-untyped-def]
    with database().transaction() as session:
        return jsonify(serialize(queue.get_handoff(session, handoff_id)))


@bp.post("/<int:handoff_id>/<action>")
@queue_token
def act(handoff_id: int, action: str):  # type: ignore[no-untyped-def]
    """claim ({"csr": EMAIL}), release, resolve, and hand_back (the README lists them)."""
    data = _body()
    with database().transaction() as session:
        handoff = queue.get_handoff(session, handoff_id)
        details: dict[str, Any] = {}
        if action == "claim":
            user = _agent(session, data)
            queue.claim(session, handoff, user)
            details["csr"] = user.email
        elif action == "release":
            queue.release(session, handoff, None)
        elif action == "resolve":
            queue.resolve(session, handoff, None)
        elif action == "hand_back":
            queue.hand_back(session, handoff, None)
        else:
            raise ApiError(404, "not_found", f"No handoff action {action!r}.")
        audit.record(session, _actor(), action, "handoff", handoff.id, **details)
        return jsonify(serialize(handoff))


@bp.post("/<int:handoff_id>/messages")
@queue_token
def send_message(handoff_id: int):  # type: ignore[no-untyped-def]
    data = _body()
    text = data.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "bad_text", 'Send {"text": "..."}.')
    with database().transaction() as session:
        handoff = queue.get_handoff(session, handoff_id)
        message = queue.reply(session, handoff, None, text, author_id=_actor())
        audit.record(session, _actor(), "reply", "handoff", handoff.id, message_id=message.id)
        return jsonify({"id": message.id, "channel": message.channel, "text": message.text}), 201
