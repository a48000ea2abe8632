"""Telegram: the secret-checked webhook, long polling, and sends through python-telegram-bot.

python-telegram-bot is asyncio; our web and worker code is threaded. One `Bot`
shared across `asyncio.run` calls fails with "Event loop is closed" once the server
keeps connections alive, so each process runs one Bot on one dedicated event-loop
thread and hands it coroutines (`BotThread.call`).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import threading
import warnings
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from flask import Blueprint, Response, abort, jsonify, request
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest as TelegramBadRequest
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from channels.requests_io import strict_json
from conversations import identities, intake
from conversations.delivery import DeliveryError
from conversations.inbound import MEDIA_ONLY, BadRequest, InboundMessage
from conversations.models import OutboxMessage
from infra.db import Database
from infra.settings import Settings
from infra.web import database, settings

log = logging.getLogger(__name__)
bp = Blueprint("telegram", __name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# my_chat_member: the customer blocked the bot (or unblocked it), so notices stop (or resume).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
# Commands become words the bot understands; its own texts answer them.
COMMANDS = {"/start": "hello", "/help": "help"}
CALLBACK_DATA_BYTES = 64
POLL_SECONDS = 25
CALL_TIMEOUT_SECONDS = 60.0
# Transport failures before the request left us: Telegram cannot have taken it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

T = TypeVar("T")


class BotThread:
    """A python-telegram-bot `Bot` living on its own event loop in a daemon thread."""

    def __init__(self, token: str, base_url: str) -> None:
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="telegram-bot", daemon=True).start()
        self.bot = Bot(token, **({"base_url": base_url} if base_url else {}))

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT_SECONDS) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)


@functools.cache
def bot_thread(token: str, base_url: str) -> BotThread:
    return BotThread(token, base_url)


def bot_for(settings: Settings) -> BotThread:
    return bot_thread(settings.telegram_bot_token, settings.telegram_api_base_url)


# Inbound ------------------------------------------------------------------------------


# What a Message can carry instead of words (Bot API "Message" fields); the bot reads
# only text, so each gets the one polite "I can only read text".
NON_TEXT_CONTENT = frozenset(
    {
        "animation",
        "audio",
        "contact",
        "dice",
        "document",
        "game",
        "location",
        "paid_media",
        "photo",
        "poll",
        "sticker",
        "story",
        "venue",
        "video",
        "video_note",
        "voice",
    }
)


def parse_update(update: dict[str, Any]) -> InboundMessage | None:
    """The customer message in an Update; None for updates we do not act on (groups...)."""
    update_id = update.get("update_id")
    if not isinstance(update_id, int):
        raise BadRequest("update_id is missing")
    if "callback_query" in update:
        query = _object(update, "callback_query")
        sender = _object(query, "from")
        # Telegram leaves out a message too old to show: the button was in the private chat.
        message = (
            _object(query, "message")
            if "message" in query
            else {"chat": {"id": sender.get("id"), "type": "private"}}
        )
        return _inbound(
            update_id,
            message,
            sender,
            str(query.get("data", "")),
            {"callback_query_id": str(query.get("id", ""))},
        )
    for kind in ("message", "edited_message"):
        if kind in update:
            message = _object(update, kind)
            text = message.get("text") or message.get("caption") or ""
            extra = {"telegram_message_id": message.get("message_id"), "edited": kind != "message"}
            return _inbound(update_id, message, _object(message, "from"), str(text), extra)
    return None


def blocked_change(update: dict[str, Any]) -> tuple[str, bool] | None:
    """(chat id, blocked) when the update says a customer blocked the bot ("kicked") or
    unblocked it; None for any other update."""
    if "my_chat_member" not in update:
        return None
    change = _object(update, "my_chat_member")
    chat, status = _object(change, "chat"), _object(change, "new_chat_member").get("status")
    if chat.get("type") != "private" or status not in ("kicked", "member"):
        return None
    return str(chat.get("id")), status == "kicked"


def record_blocked(database: Database, update: dict[str, Any]) -> bool:
    """Mark the customer's Telegram unreachable when they block the bot, reachable when they
    unblock it; whether the update was such a change."""
    change = blocked_change(update)
    if change is None:
        return False
    address, blocked = change
    with database.transaction() as session:
        identities.mark(session, "telegram", address, "unreachable", blocked)
    return True


def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise BadRequest(f"{key} is missing or not an object")
    return value


def _inbound(
    update_id: int, message: dict, sender: dict, text: str, extra: dict
) -> InboundMessage | None:
    chat = _object(message, "chat")
    if chat.get("type") != "private" or not isinstance(sender.get("id"), int):
        return None  # the bot serves customers one to one
    text = text.strip()
    command = text.split(maxsplit=1)[0].split("@")[0].lower() if text.startswith("/") else ""
    has_media = any(key in message for key in NON_TEXT_CONTENT)
    name = " ".join(str(sender.get(k, "")) for k in ("first_name", "last_name")).strip()
    return InboundMessage(
        channel="telegram",
        address=str(chat["id"]),
        text=text,
        provider_id=str(update_id),
        identity=("telegram", str(sender["id"])),
        name=name[:200],
        command=MEDIA_ONLY if has_media and not text else None,
        bot_text=COMMANDS.get(command),
        extra=extra,
    )


def process_update(database: Database, settings: Settings, update: dict[str, Any]) -> None:
    """Intake for one Update read by long polling: stored for the answering threads."""
    inbound = parse_update(update)
    if inbound is None:
        record_blocked(database, update)
        return
    intake.accept(database, inbound)
    _answer_callback(settings, inbound)


def _answer_callback(settings: Settings, inbound: InboundMessage) -> None:
    """Stop a pressed button's spinner; the answer itself comes as a message."""
    query_id = inbound.extra.get("callback_query_id")
    if not query_id:
        return
    try:
        bot_for(settings).call(bot_for(settings).bot.answer_callback_query(query_id))
    except TelegramError as exc:
        log.warning("answerCallbackQuery failed: %s", exc)


@bp.post("/webhooks/telegram")
def webhook() -> Response:
    config = settings()
    if not config.telegram_enabled:
        abort(404)
    secret = request.headers.get(SECRET_HEADER, "").encode()
    expected = config.telegram_webhook_secret.encode()
    if not expected or not hmac.compare_digest(secret, expected):
        abort(403)
    update = strict_json(request)
    inbound = parse_update(update)
    if inbound is None:  # not a customer's message: a block, or nothing for us
        record_blocked(database(), update)
        return Response(status=200)
    intake.accept(database(), inbound)  # stored before we say 200; a worker answers
    query_id = inbound.extra.get("callback_query_id")
    if query_id:  # a pressed button: stop its spinner with a Bot API call in our response
        return jsonify(method="answerCallbackQuery", callback_query_id=query_id)
    return Response(status=200)


# Outbound -----------------------------------------------------------------------------


def keyboard(choices: list[str]) -> InlineKeyboardMarkup | None:
    """One button per choice; pressing it sends the label back as the customer's answer."""
    if not choices:
        return None
    buttons = [
        InlineKeyboardButton(label, callback_data=_callback_data(label)) for label in choices
    ]
    rows = [buttons] if len(buttons) <= 3 else [[button] for button in buttons]
    return InlineKeyboardMarkup(rows)


def _callback_data(label: str) -> str:
    return label.encode()[:CALLBACK_DATA_BYTES].decode("utf-8", errors="ignore")


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def send(row: OutboxMessage, settings: Settings) -> str:
    """Send one message; returns Telegram's message id."""
    runner = bot_for(settings)
    markup = keyboard(list((row.payload or {}).get("choices") or []))
    try:
        sent = runner.call(
            runner.bot.send_message(chat_id=int(row.to_address), text=row.body, reply_markup=markup)
        )
    except RetryAfter as exc:
        raise DeliveryError(str(exc), retry_after=_retry_after_seconds(exc)) from exc
    except Forbidden as exc:  # the user blocked the bot
        raise DeliveryError(str(exc), permanent=True, mark="unreachable") from exc
    except TelegramBadRequest as exc:
        raise DeliveryError(str(exc), permanent=True) from exc
    except (TelegramError, TimeoutError) as exc:
        raise DeliveryError(
            f"Telegram: {type(exc).__name__}: {exc}", permanent=not _surely_not_sent(exc)
        ) from exc
    return str(sent.message_id)


def _surely_not_sent(exc: Exception) -> bool:
    """Whether Telegram cannot have taken the message, so sending it again is safe.

    PTB raises NetworkError from the transport error (`__cause__`) when it got no
    answer, and without a cause when Telegram answered with an error status (5xx).
    No answer is safe only when the connection was never made: a read timeout or a
    cut connection may come after Telegram sent the message.
    """
    cause = exc.__cause__
    if isinstance(cause, httpx.HTTPError):
        return isinstance(cause, NOT_SENT)
    return isinstance(exc, NetworkError) and cause is None


# Commands -----------------------------------------------------------------------------


def set_webhook(settings: Settings) -> str:
    if not settings.public_base_url:
        raise ValueError("PUBLIC_BASE_URL must be set so Telegram can reach the webhook.")
    if not settings.telegram_webhook_secret:
        raise ValueError("TELEGRAM_WEBHOOK_SECRET must be set to register the webhook.")
    url = settings.public_base_url + "/webhooks/telegram"
    runner = bot_for(settings)
    runner.call(
        runner.bot.set_webhook(
            url=url,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
    )
    return url


def poll(database: Database, settings: Settings, stop: threading.Event) -> None:
    """Long polling, for a machine without a public URL (removes the webhook first)."""
    runner = bot_for(settings)
    runner.call(runner.bot.delete_webhook())
    offset = 0
    while not stop.is_set():
        try:
            updates = runner.call(
                runner.bot.get_updates(
                    offset=offset, timeout=POLL_SECONDS, allowed_updates=ALLOWED_UPDATES
                )
            )
        except TelegramError as exc:
            log.warning("getUpdates failed (%s); retrying", exc)
            stop.wait(5)
            continue
        for update in updates:
            try:
                process_update(database, settings, update.to_dict())
            except Exception:  # e.g. the database is down: read the update again later
                log.exception("update %s not processed; retrying", update.update_id)
                stop.wait(5)
                break
            offset = update.update_id + 1
