"""Telegram Update payloads, as Telegram posts them to our webhook or returns from getUpdates.

Each builder returns the JSON-ready dict; ``update_id`` and ``message_id`` are unique
per process unless given (give the same ``update_id`` to model a redelivery).
"""

from __future__ import annotations

import itertools
import secrets
import time

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_update_ids = itertools.count(100_000_001)
_message_ids = itertools.count(5_001)

DEFAULT_USER_ID = 424242


def webhook_headers(secret_token: str) -> dict[str, str]:
    """Headers Telegram sends with each webhook POST (the body is the Update as JSON)."""
    return {SECRET_HEADER: secret_token, "Content-Type": "application/json"}


def user(
    user_id: int = DEFAULT_USER_ID,
    first_name: str = "Ada",
    username: str | None = "ada_customer",
    language_code: str = "en",
) -> dict:
    payload = {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }
    if username:
        payload["username"] = username
    return payload


def private_chat(sender: dict) -> dict:
    chat = {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}
    if "username" in sender:
        chat["username"] = sender["username"]
    return chat


def message(text: str, *, sender: dict | None = None, message_id: int | None = None) -> dict:
    """A text Message from a user in their private chat with the bot."""
    sender = sender or user()
    payload = {
        "message_id": message_id or next(_message_ids),
        "from": sender,
        "chat": private_chat(sender),
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        payload["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return payload


def message_update(text: str, *, sender: dict | None = None, update_id: int | None = None) -> dict:
    return {
        "update_id": update_id or next(_update_ids),
        "message": message(text, sender=sender),
    }


def edited_message_update(
    text: str,
    *,
    message_id: int,
    sender: dict | None = None,
    update_id: int | None = None,
) -> dict:
    """The user edited their earlier message ``message_id`` to ``text``."""
    edited = message(text, sender=sender, message_id=message_id)
    edited["edit_date"] = edited["date"]
    edited["date"] -= 60
    return {"update_id": update_id or next(_update_ids), "edited_message": edited}


def callback_query_update(
    data: str,
    *,
    bot_message: dict,
    sender: dict | None = None,
    update_id: int | None = None,
) -> dict:
    """The user pressed an inline button with callback ``data`` under ``bot_message``.

    ``bot_message`` is the Message the bot sent (e.g. from ``TelegramStandin.sent_messages``).
    """
    sender = sender or user()
    return {
        "update_id": update_id or next(_update_ids),
        "callback_query": {
            "id": str(secrets.randbits(63)),
            "from": sender,
            "message": bot_message,
            "chat_instance": str(-secrets.randbits(62)),
            "data": data,
        },
    }
