"""`/chat`: a page to try the bot in a browser (the `web` channel), through the same intake.

The visitor is identified by a random id in the signed session cookie; posts carry
a per-session CSRF token (Flask-WTF's), so another site cannot chat in their name.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from sqlalchemy import select
from wtforms.validators import ValidationError

from bot.texts import say, shop_name
from channels import intake, limits
from channels.conversations import find
from channels.inbound import BadRequest, InboundMessage
from channels.models import Message
from web import database, settings

bp = Blueprint("webchat", __name__, template_folder="templates", static_folder="static")

SESSION_KEY = "chat_id"
INLINE_SECONDS = 3600.0  # the page shows replies as soon as they exist
MAX_TEXT = 2000


def _chat_id() -> str:
    if SESSION_KEY not in session:
        session[SESSION_KEY] = secrets.token_urlsafe(18)
    return session[SESSION_KEY]


@bp.get("/chat")
def page() -> str:
    _chat_id()
    return render_template(
        "channels/chat.html",
        csrf_token=generate_csrf(),
        store_name=shop_name(settings().store_name),
    )


def _check_csrf() -> None:
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError:
        abort(403)


def _as_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": "you" if message.direction == "in" else message.author,
        "text": message.text,
        "choices": (message.payload or {}).get("choices") or [],
    }


def _messages_after(after: int) -> list[dict[str, Any]]:
    chat_id = session.get(SESSION_KEY)
    if not chat_id:
        return []
    with database().transaction() as db_session:
        conversation = find(db_session, "web", chat_id)
        if conversation is None:
            return []
        messages = db_session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.id > after)
            .order_by(Message.id)
            .limit(200)
        )
        return [_as_json(m) for m in messages]


@bp.get("/chat/messages")
def messages() -> Response:
    return jsonify({"messages": _messages_after(request.args.get("after", 0, type=int))})


@bp.post("/chat/messages")
def post_message() -> tuple[Response, int]:
    _check_csrf()
    body = request.get_json(silent=True)
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise BadRequest('send {"text": "..."}')
    if len(text) > MAX_TEXT:
        raise BadRequest(f"at most {MAX_TEXT} characters", 413)
    after = request.args.get("after", 0, type=int)
    client = limits.client_key(request.remote_addr)
    if not limits.web_chat_message(database(), settings(), _chat_id(), client):
        # nothing stored: the visitor still has the words and can send them again
        slow_down = {"code": "slow_down", "message": say("limits.chat_slow_down")}
        return jsonify({"error": slow_down, "messages": []}), 429
    inbound = InboundMessage(
        channel="web",
        address=_chat_id(),
        text=text.strip(),
        provider_id=None,
        extra={"client": client},  # open handoffs are capped per client (channels.limits)
    )
    intake.receive(database(), settings(), inbound, inline_seconds=INLINE_SECONDS)
    return jsonify({"messages": _messages_after(after)}), 201
