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


# What a customer can send instead of words, in the Bot API's Message shapes.
SHARES: dict[str, dict] = {
    "location": {"location": {"latitude": 51.5, "longitude": -0.12}},
    "venue": {
        "location": {"latitude": 51.5, "longitude": -0.12},
        "venue": {
            "location": {"latitude": 51.5, "longitude": -0.12},
            "title": "Riverside",
            "address": "1 River St",
        },
    },
    "contact": {"contact": {"phone_number": "+15555550199", "first_name": "Sam", "user_id": 7}},
    "photo": {"photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]},
    "document": {
        "document": {
            "file_id": "d1",
            "file_unique_id": "u5",
            "file_name": "receipt.pdf",
            "mime_type": "application/pdf",
            "file_size": 48213,
        }
    },
    "voice": {"voice": {"file_id": "v1", "file_unique_id": "u2", "duration": 3}},
    "sticker": {
        "sticker": {
            "file_id": "s1",
            "file_unique_id": "u3",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    },
    "video_note": {
        "video_note": {"file_id": "n1", "file_unique_id": "u4", "length": 240, "duration": 2}
    },
    "dice": {"dice": {"emoji": "🎲", "value": 4}},
    "poll": {
        "poll": {
            "id": "1",
            "question": "?",
            "options": [],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        }
    },
}


def share_update(kind: str, *, sender: dict | None = None) -> dict:
    """A message with no text: a location, contact, photo, voice note, sticker..."""
    payload = message("", sender=sender)
    del payload["text"]
    payload.update(SHARES[kind])
    return {"update_id": next(_update_ids), "message": payload}


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


def share_with_caption_update(kind: str, caption: str, *, sender: dict | None = None) -> dict:
    """A photo (or other media) sent with a caption: the caption is the customer's words."""
    update = share_update(kind, sender=sender)
    update["message"]["caption"] = caption
    return update


BOT_USER = {"id": 777000123, "is_bot": True, "first_name": "Shop", "username": "shop_bot"}


def my_chat_member_update(old: str, new: str, *, sender: dict | None = None) -> dict:
    """The bot's membership in a user's private chat changed: ``kicked`` when the user
    blocked the bot, ``member`` when they unblocked (or restarted) it."""
    sender = sender or user()
    now = int(time.time())
    return {
        "update_id": next(_update_ids),
        "my_chat_member": {
            "chat": private_chat(sender),
            "from": sender,
            "date": now,
            "old_chat_member": {"user": BOT_USER, "status": old},
            "new_chat_member": {"user": BOT_USER, "status": new}
            | ({"until_date": 0} if new == "kicked" else {}),
        },
    }


def channel_post_update(text: str) -> dict:
    """A post in a channel the bot administers: no customer behind it."""
    channel = {"id": -1001234567890, "title": "Shop news", "type": "channel"}
    return {
        "update_id": next(_update_ids),
        "channel_post": {
            "message_id": next(_message_ids),
            "sender_chat": channel,
            "chat": channel,
            "date": int(time.time()),
            "text": text,
        },
    }


def group_message_update(text: str, *, sender: dict | None = None) -> dict:
    """A message in a group the bot was added to."""
    payload = message(text, sender=sender)
    payload["chat"] = {"id": -4012345678, "title": "Coffee friends", "type": "group"}
    return {"update_id": next(_update_ids), "message": payload}


def inline_query_update(query: str, *, sender: dict | None = None) -> dict:
    """The user typed "@shop_bot QUERY" in some chat (inline mode)."""
    return {
        "update_id": next(_update_ids),
        "inline_query": {
            "id": str(secrets.randbits(63)),
            "from": sender or user(),
            "query": query,
            "offset": "",
            "chat_type": "sender",
        },
    }


def callback_query_without_message_update(data: str, *, sender: dict | None = None) -> dict:
    """A button press under a message too old for Telegram to include it."""
    update = callback_query_update(data, bot_message={}, sender=sender)
    del update["callback_query"]["message"]
    return update
