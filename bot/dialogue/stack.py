"""The dialogue stack: tasks a question aside or a new request interrupted.

The task on top lives in the flat `conversation.state` (its "step" and slots, as the
flows read them); the interrupted ones wait below it in `state["stack"]`, newest last.
Everything is JSON, so the stack survives restarts and moves between workers. The cart
and the conversation's memory (`SHARED`) belong to no task and are never stacked.
"""

from __future__ import annotations

from typing import Any

# Kept across every task: the unplaced cart and its checkout choices, the last product
# talked about (and the others shown with it: "I'll take one" asks which) and the store
# last asked about ("collect it there"), the stack itself, the last replies (for "repeat
# that") and the last question answered (for "what about the airport one?").
SHARED = (
    "cart",
    "checkout",
    "last_sku",
    "last_shown",
    "last_location",
    "stack",
    "last_replies",
    "topic",
)
MAX_DEPTH = 3
# Confirmations are not resumed after another task started: a yes must follow its preview.
NOT_RESUMED_AFTER_A_TASK = frozenset(
    {"confirm_modify", "confirm_cancel", "confirm_return", "confirm_guess", "verify_code"}
)


def frame(state: dict[str, Any]) -> dict[str, Any]:
    """The task on top: its step and slots, without what all tasks share."""
    return {k: v for k, v in state.items() if k not in SHARED and k != "misses"}


def push(state: dict[str, Any], *, for_question: bool) -> None:
    """Put the task on top aside before another one runs (nothing when idle)."""
    top = frame(state)
    step = top.get("step", "idle")
    if step == "idle" or (not for_question and step in NOT_RESUMED_AFTER_A_TASK):
        return
    state["stack"] = [*state.get("stack", []), top][-MAX_DEPTH:]


def resume(state: dict[str, Any]) -> dict[str, Any] | None:
    """When the top task is finished (idle), bring back the last interrupted one."""
    if state.get("step", "idle") != "idle" or not state.get("stack"):
        return None
    stack = list(state["stack"])
    top = stack.pop()
    for key in [k for k in state if k not in SHARED]:
        state.pop(key)
    state.update(top)
    if stack:
        state["stack"] = stack
    else:
        state.pop("stack", None)
    return top


def drop_top(state: dict[str, Any]) -> str:
    """End the task on top without finishing it; the step it was at."""
    step = state.get("step", "idle")
    for key in [k for k in state if k not in SHARED]:
        state.pop(key)
    state["step"] = "idle"
    return step
