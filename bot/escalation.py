"""Hand the conversation to a person, with a short note of what the bot understood."""

from __future__ import annotations

from bot.describe import products_by_sku
from bot.nlu import CONFIDENCE_THRESHOLD
from bot.replies import Reply
from bot.turn import Turn
from conversations import handoffs as queue
from conversations.texts import load, say


def summary(turn: Turn, note: str = "") -> str:
    """What a CSR reads first, in plain words: what the customer wants, what they said,
    where the conversation was, the order and the cart."""
    wants = load()["handoff_wants"]
    sure = turn.parsed.confidence >= CONFIDENCE_THRESHOLD and turn.intent in wants
    parts = [wants[turn.intent] if sure else wants["unsure"]]
    parts.append(say("handoff.said", text=turn.text[:200]))
    step = turn.state.get("step", "idle")
    if step != "idle":
        parts.append(say("handoff.step", step=step.replace("_", " ")))
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
    """reason: human_agent | complaint | bot_failed | policy (see conversations.handoffs)."""
    handoff = queue.escalate(turn.session, turn.conversation, reason, summary(turn, note))
    return [Reply(queue.customer_notice(turn.session, handoff))]
