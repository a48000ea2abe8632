"""Proactive messages: the customer-facing text for an order event, or None.

The channels' event listener sends what this returns to the customer's latest
conversation, in the same transaction as the change. Texts are in texts.toml [notify].
"""

from __future__ import annotations

from decimal import Decimal

from bot.describe import order_lines
from conversations.texts import money, say
from infra.settings import Settings
from orders.models import OrderEvent

# Events a customer hears about; the rest (processing, return requested, ...) are internal
# or already answered in the conversation that caused them.
NOTIFIED = frozenset(
    {
        "placed",
        "modified",
        "shipped",
        "partially_shipped",
        "delivered",
        "ready_for_pickup",
        "pickup_reminder",
        "cancelled",
        "lines_cancelled",
        "return_approved",
        "return_rejected",
        "return_received",
        "refunded",
    }
)


def notice_for(event: OrderEvent, settings: Settings) -> str | None:
    if event.type not in NOTIFIED:
        return None
    order, details = event.order, event.details or {}
    values: dict[str, object] = {
        "number": order.display_number,
        "lines": order_lines(order),
        "total": money(order.total, settings.currency),
        "store": order.location.name,
        "address": order.location.address,
        "hours": order.location.hours,
        "code": order.pickup_code,
        "carrier": details.get("carrier", ""),
        "tracking": details.get("tracking_number", ""),
        "return_number": details.get("return_number", ""),
        "note": details.get("note", ""),
        "amount": money(Decimal(details.get("amount", "0")), settings.currency),
        "refund": money(Decimal(details.get("refunded", "0")), settings.currency),
    }
    key = event.type
    if key == "placed" and order.fulfillment_method == "pickup":
        key = "placed_pickup"
    elif key == "partially_shipped":
        key = "shipped"
    return say(f"notify.{key}", **values)
