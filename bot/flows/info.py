"""Store information and small talk: hours and locations from the database; policies,
delivery and payment options from the [info] section of texts.toml (editable, no code)."""

from __future__ import annotations

import re

from bot import describe
from bot.replies import Reply
from bot.turn import Turn
from conversations.texts import say, shop_name

TOPICS = (
    ("returns", re.compile(r"\b(?:return|refund|exchange|money back|guarantee)", re.I)),
    ("payment", re.compile(r"\b(?:pay|payment|card|cash|paypal|apple pay|visa)", re.I)),
    ("delivery", re.compile(r"\b(?:deliver|delivery|ship|shipping|postage|arrive)", re.I)),
    ("hours", re.compile(r"\b(?:hours|open|close|closing|opening|when)\b", re.I)),
    ("locations", re.compile(r"\b(?:where|address|location|locations|directions|parking)\b", re.I)),
)


def store_info(turn: Turn) -> list[Reply]:
    asked = [name for name, pattern in TOPICS if pattern.search(turn.text)]
    topic = asked[0] if asked else "locations"
    if topic == "hours" and "locations" in asked:
        topic = "locations"  # "where is it and when does it open": the address has both
    if topic in ("hours", "locations"):
        stores = describe.pickup_stores(turn.session)
        named = [s for s in stores if s.code == turn.first("location")]
        stores = named or stores  # "when does the harbour store close?": that store
        if named:
            turn.state["last_location"] = named[0].code  # "I'll collect it there then"
        key = "info.store_hours" if topic == "hours" else "info.store_location"
        text = "\n".join(
            say(key, name=s.name, address=s.address, hours=s.hours or "-") for s in stores
        )
        return [Reply(text or say("info.no_stores"))]
    return turn.reply(f"info.{topic}", days=turn.settings.return_window_days)


def greet(turn: Turn) -> list[Reply]:
    first = (turn.customer.name.split() or [""])[0]
    return turn.reply(
        "chat.greet",
        store=shop_name(turn.settings.store_name),
        name_part=f" {first}" if first else "",
    )


def help_(turn: Turn) -> list[Reply]:
    return turn.reply("chat.help")


def thanks(turn: Turn) -> list[Reply]:
    return turn.reply("chat.thanks")


def goodbye(turn: Turn) -> list[Reply]:
    return turn.reply("chat.goodbye")


def nothing_pending(turn: Turn) -> list[Reply]:
    """A yes or no when no question is open."""
    return turn.reply("chat.nothing_pending")
