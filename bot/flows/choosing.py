"""The answer to "which order?": pick it, then carry on with what the customer first asked."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from bot.flows import orders, returns
from bot.flows.common import chosen_index
from bot.nlu import parse
from bot.replies import Reply
from bot.turn import Turn
from orders.status import OPEN, RETURNABLE

START: dict[str, Callable[[Turn], list[Reply]]] = {
    "track": orders.track,
    "modify": orders.modify,
    "redirect": orders.modify,
    "cancel": orders.cancel,
    "return": returns.start,
}


def choose_order(turn: Turn) -> list[Reply] | None:
    options: list[int] = turn.state.get("options", [])
    number = turn.first("order_number")
    if number is None:
        index = chosen_index(turn, len(options))
        number = options[index] if index is not None else None
    if number is None and turn.entities("product"):  # "the grinder one"
        skus = {s for e in turn.entities("product") for s in (str(e.value), *e.candidates)}
        holding = [
            o.number
            for o in orders.orders_with(turn, OPEN | RETURNABLE, limit=len(options), skus=skus)
            if o.number in options
        ]
        number = holding[0] if len(holding) == 1 else None
    if number is None:
        return None
    purpose, asked = turn.state.get("purpose", "track"), turn.state.get("asked", "")
    # Read the first message again, now knowing the order: "make the mugs 3" keeps its meaning.
    again = dataclasses.replace(turn, text=asked, parsed=parse(asked, turn.catalog))
    again.state = {**turn.state, "chosen_order": str(number)}
    replies = START[purpose](again)
    again.state.pop("chosen_order", None)
    turn.state = again.state
    return replies
