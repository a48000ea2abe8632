"""One-time codes for senders whose address is not proven (email without a passing
Authentication-Results): the code goes out in the reply, so only the real mailbox owner
can read it and type it back before a cancel, a change or a return goes through.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.replies import Reply
from bot.turn import Turn
from infra import clock

CODE_MINUTES = 15
MAX_TRIES = 3
_CODE = re.compile(r"\b(\d{6})\b")

Runner = Callable[[Turn, dict], list[Reply]]


def _digest(turn: Turn, code: str) -> str:
    key = f"{turn.conversation.id}:{turn.settings.secret_key}".encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def require(turn: Turn, action: dict, run: Runner) -> list[Reply]:
    """Run `action` now for a proven sender; otherwise send a code and wait for it."""
    if turn.verified:
        return run(turn, action)
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = clock.now(turn.session) + timedelta(minutes=CODE_MINUTES)
    turn.goto(
        "verify_code",
        action=action,
        digest=_digest(turn, code),
        expires=expires.isoformat(),
        tries=0,
        order=action.get("order"),
    )
    return turn.reply("verify.sent", code=code, minutes=CODE_MINUTES)


def check_code(turn: Turn, run: Runner) -> list[Reply] | None:
    match = _CODE.search(turn.text)
    if match is None:
        return None
    if clock.now(turn.session) > datetime.fromisoformat(turn.state["expires"]):
        turn.goto(None)
        return turn.reply("verify.expired")
    if hmac.compare_digest(_digest(turn, match.group(1)), turn.state.get("digest", "")):
        return run(turn, turn.state["action"])
    tries = turn.state.get("tries", 0) + 1
    if tries >= MAX_TRIES:
        turn.goto(None)
        return turn.reply("verify.too_many")
    turn.state["tries"] = tries
    return turn.reply("verify.wrong", left=MAX_TRIES - tries)
