"""Hand the conversation to a person, with a short note of what the bot understood."""

from __future__ import annotations

from bot.describe import products_by_sku
from bot.replies import Reply
from bot.texts import say
from bot.turn import Turn
from handoff import queue


def summary(turn: Turn, note: str = "") -> str:
    """What a CSR reads first: the last message, what the bot made of it, where it was."""
    parts = [say("handoff.said", text=turn.text[:200])]
    parts.append(
        say("handoff.understood", intent=turn.intent, confidence=f"{turn.parsed.confidence:.2f}")
    )
    step = turn.state.get("step", "idle")
    if step != "idle":
        parts.append(say("handoff.step", step=step))
    if turn.state.get("order"):
        parts.append(say("handoff.order", number=f"#{turn.state['order']}"))
    cart = turn.state.get("cart") or {}
    if cart:
        names = products_by_sku(turn.session, list(cart))
        parts.append(
            say(
                "handoff.cart",
                items=", ".join(
                    f"{q} x {names[s].name if s in names else s}" for s, q in cart.items()
                ),
            )
        )
    if note:
        parts.append(note)
    return " ".join(parts)


def escalate(turn: Turn, reason: str, note: str = "") -> list[Reply]:
    """reason: human_agent | complaint | bot_failed | policy (see handoff.queue)."""
    handoff = queue.escalate(turn.session, turn.conversation, reason, summary(turn, note))
    return [Reply(queue.customer_notice(turn.session, handoff, turn.settings))]
