"""The web chat (the `web` channel): the embeddable widget, the full page, and their JSON.

- `GET /chat/widget.js`: one `<script>` tag on a shop's page adds a chat bubble; `GET
  /chat` is a full page made by the same script. Both take their styles from
  `/chat/static/chat.css`; no inline script, style or handler, so a strict
  Content-Security-Policy holds.
- `GET /chat/config`: the shop's name and the widget's words (conversations/texts.toml `[web]`).
- `POST /chat/messages` `{"text"}`: a customer message, answered before the response
  returns, which carries the messages since `after` and the visitor's token.
  `POST /chat/handoff`: the "talk to a person" button, said as a message.
- `GET /chat/messages?after=ID&wait=1`: the messages after ID. With `wait`, a long poll: it
  answers as soon as there is one (a CSR's reply, an order notice), or empty after
  CHAT_LONG_POLL_SECONDS. Long polling rather than server-sent events: it goes through
  any proxy, every request ends, and it holds no database connection while it waits
  (it looks again every POLL_INTERVAL_SECONDS). It waits only where the server has
  other threads for other requests: a gunicorn sync worker serves one request at a
  time, so a waiting chat would hold a whole process, and two open chats could stall
  a two-worker site. There it answers at once, and the page asks again in 3 s.

Which sites may use these and which conversation a visitor sees: channels/webchat_access.py.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy import select

from bot import answering
from channels.webchat_access import (
    InvalidToken,
    add_cors_headers,
    chat_id_from_request,
    new_chat_id,
    origin_allowed,
    token_for,
)
from conversations import limits
from conversations.inbound import BadRequest, InboundMessage
from conversations.models import Message
from conversations.opening import find
from conversations.texts import load, say, shop_name
from infra.input_guard import whole_number
from infra.web import database, may_hold_request, settings

bp = Blueprint(
    "webchat",
    __name__,
    template_folder="templates",
    static_folder="static/channels",
    static_url_path="/chat/static",
)

INLINE_SECONDS = 3600.0  # the page shows replies as soon as they exist
MAX_TEXT = 2000
MAX_MESSAGES = 200  # per answer; the widget asks again for the rest
POLL_INTERVAL_SECONDS = 0.5
WIDGET_MAX_AGE_SECONDS = 300
# The endpoints a page on another site calls (CORS, refused from other origins).
API_ENDPOINTS = frozenset(
    {"webchat.config", "webchat.messages", "webchat.post_message", "webchat.handoff"}
)


@bp.before_request
def _refuse_other_sites() -> None:
    if request.endpoint in API_ENDPOINTS and not origin_allowed():
        raise BadRequest("This site may not use the chat (see CHAT_ALLOWED_ORIGINS).", 403)


@bp.after_request
def _cors(response: Response) -> Response:
    return add_cors_headers(response) if request.endpoint in API_ENDPOINTS else response


@bp.errorhandler(InvalidToken)
def _invalid_token(exc: InvalidToken) -> Response:
    error = {"code": "chat_expired", "message": "This chat has expired; start a new one."}
    response = jsonify({"error": error})
    response.status_code = 401
    return response


@bp.get("/chat")
def page() -> str:
    return render_template("channels/chat.html", store_name=shop_name(settings().store_name))


@bp.get("/chat/widget.js")
def widget() -> Response:
    """On every page of the shop's site: browsers keep it a few minutes, then revalidate."""
    response = bp.send_static_file("widget.js")
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = WIDGET_MAX_AGE_SECONDS
    return response


@bp.get("/chat/config")
def config() -> Response:
    store = shop_name(settings().store_name)
    texts = {name: say(f"web.{name}", store=store) for name in load()["web"]}
    return jsonify({"store": store, "texts": texts})


@bp.get("/chat/messages")
def messages() -> Response:
    chat_id = chat_id_from_request()
    after = _after()
    if chat_id is None:
        return jsonify({"messages": []})
    return jsonify({"messages": _wait_for_messages(chat_id, after, _wait_seconds())})


@bp.post("/chat/messages")
def post_message() -> tuple[Response, int]:
    body = request.get_json(silent=True)
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise BadRequest('send {"text": "..."} as JSON')
    if len(text) > MAX_TEXT:
        raise BadRequest(f"at most {MAX_TEXT} characters", 413)
    return _receive(text.strip())


@bp.post("/chat/handoff")
def handoff() -> tuple[Response, int]:
    """The "talk to a person" button: said as the customer's message, so the bot hands
    the conversation over just as it does when they type it."""
    return _receive(say("web.person_request"))


def _receive(text: str) -> tuple[Response, int]:
    """Both POST endpoints: store the visitor's words through intake, answer them, and
    return what the visitor has not seen yet with their token (new for a new visitor)."""
    chat_id = chat_id_from_request() or new_chat_id()
    after = _after()
    client = limits.client_key(request.remote_addr)
    if not limits.web_chat_message(database(), settings(), chat_id, client):
        # nothing stored: the visitor still has the words and can send them again
        slow_down = {"code": "slow_down", "message": say("limits.chat_slow_down")}
        return jsonify({"error": slow_down, "messages": []}), 429
    inbound = InboundMessage(
        channel="web",
        address=chat_id,
        text=text,
        provider_id=None,
        extra={"client": client},  # open handoffs are capped per client (conversations.limits)
    )
    answering.receive(database(), settings(), inbound, inline_seconds=INLINE_SECONDS)
    body = {"token": token_for(chat_id), "messages": _messages_after(chat_id, after)}
    return jsonify(body), 201


def _after() -> int:
    after = whole_number(request.args.get("after", "0"))
    if after is None:
        raise BadRequest("after must be a message id")
    return after


def _wait_seconds() -> float:
    """How long this request may wait for news: 0 unless asked to, or where the process
    cannot hold a request open (`web.may_hold_request`)."""
    if not request.args.get("wait") or not may_hold_request():
        return 0
    return settings().chat_long_poll_seconds


def _wait_for_messages(chat_id: str, after: int, wait_seconds: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + wait_seconds
    while not (found := _messages_after(chat_id, after)) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_SECONDS)
    return found


def _messages_after(chat_id: str, after: int) -> list[dict[str, Any]]:
    with database().reading() as db_session:
        conversation = find(db_session, "web", chat_id)
        if conversation is None:
            return []
        found = db_session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.id > after)
            .order_by(Message.id)
            .limit(MAX_MESSAGES)
        )
        return [_as_json(message) for message in found]


def _as_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": "you" if message.direction == "in" else message.author,
        "text": message.text,
        "choices": (message.payload or {}).get("choices") or [],
    }
